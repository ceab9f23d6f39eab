//! Webhooks: the rules for defining them, and the worker that posts every
//! change to them.
//!
//! Deliveries are durable. The fan-out ([`outbox`]) turns the change feed
//! into delivery rows in the database, once per change however many nodes
//! run; the sender ([`sender`]) claims due rows, posts them signed, and
//! records the outcome or the next try. A node that stops mid-attempt
//! leaves its claim to expire, so a delivery is never lost but may arrive
//! twice: `X-Quire-Delivery` lets a receiver drop the second.

pub mod guard;
pub mod outbox;
pub mod sender;

use std::sync::Arc;
use std::time::Duration;

use crate::content::Content;
use crate::model::FieldError;
use crate::model::webhook::EVENTS;
use crate::store::audit::Actor;
use crate::store::webhooks::Webhook;
use crate::store::{self, StoreError, StoreResult};

/// How the worker paces itself; the defaults are the documented behaviour,
/// tests shorten them.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// How long a receiver has to answer.
    pub timeout: Duration,
    /// The wait after the first failure, doubled after each one (at most an
    /// hour).
    pub retry_base: Duration,
    /// How long a delivery is retried before it is marked failed.
    pub retry_for: Duration,
    /// How often the feed and the due deliveries are looked at.
    pub poll: Duration,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(10),
            retry_for: Duration::from_secs(24 * 3600),
            poll: Duration::from_millis(250),
        }
    }
}

/// Longest accepted URL.
const MAX_URL: usize = 2048;

/// The webhooks service: definitions, the outbox and the sender.
#[derive(Clone)]
pub struct Webhooks {
    pub content: Content,
    pub tuning: Tuning,
    /// Whether deliveries may reach loopback and private addresses.
    pub allow_private: bool,
    client: reqwest013::Client,
    /// Fan-outs and claims at a time on this node.
    busy: Arc<tokio::sync::Mutex<()>>,
    /// Attempts in flight on this node.
    slots: Arc<tokio::sync::Semaphore>,
}

/// Most attempts one node has in flight at once.
const IN_FLIGHT: usize = 64;

/// A webhook to create, or the values a change sets, as the API parsed them.
pub use crate::store::webhooks::WebhookChange as Draft;

impl Webhooks {
    pub fn new(content: Content, tuning: Tuning, allow_private: bool) -> anyhow::Result<Webhooks> {
        let client = guard::client(allow_private)?;
        Ok(Webhooks {
            content,
            tuning,
            allow_private,
            client,
            busy: Arc::default(),
            slots: Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT)),
        })
    }

    /// Creates a webhook. Without a secret one is generated; the caller
    /// shows it once.
    pub async fn create(&self, draft: Draft, actor: &Actor) -> StoreResult<Webhook> {
        let mut errors = Vec::new();
        for (name, missing) in [
            ("name", draft.name.is_none()),
            ("url", draft.url.is_none()),
            ("events", draft.events.is_none()),
        ] {
            if missing {
                errors.push(FieldError::new(name, "required", "is required"));
            }
        }
        self.check(&draft, &mut errors).await;
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let now = crate::clock::now();
        let hook = Webhook {
            id: uuid::Uuid::now_v7().to_string(),
            name: draft.name.unwrap_or_default(),
            url: draft.url.unwrap_or_default(),
            events: sqlx::types::Json(draft.events.unwrap_or_default()),
            types: draft.types.flatten().map(sqlx::types::Json),
            secret: draft
                .secret
                .unwrap_or_else(|| crate::auth::token::generate("whsec_")),
            enabled: draft.enabled.unwrap_or(true),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        store::webhooks::create(&self.content.db, hook, actor).await
    }

    /// Changes a webhook still at `version`.
    pub async fn update(
        &self,
        id: &str,
        version: i64,
        draft: Draft,
        actor: &Actor,
    ) -> StoreResult<Webhook> {
        store::webhooks::get(&self.content.db, id).await?;
        let mut errors = Vec::new();
        self.check(&draft, &mut errors).await;
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        store::webhooks::update(&self.content.db, id, version, draft, actor).await
    }

    /// The rules every value given must keep.
    async fn check(&self, draft: &Draft, errors: &mut Vec<FieldError>) {
        if let Some(name) = &draft.name
            && (name.trim().is_empty() || name.chars().count() > 100)
        {
            errors.push(FieldError::new("name", "length", "1 to 100 characters"));
        }
        if let Some(url) = &draft.url {
            if url.len() > MAX_URL {
                errors.push(FieldError::new(
                    "url",
                    "max_length",
                    format!("at most {MAX_URL} characters"),
                ));
            } else if let Err(why) = guard::check_url(url, self.allow_private).await {
                errors.push(FieldError::new("url", why.rule(), why.to_string()));
            }
        }
        if let Some(events) = &draft.events {
            if events.is_empty() {
                errors.push(FieldError::new(
                    "events",
                    "min_items",
                    "name at least one event",
                ));
            }
            for (i, e) in events.iter().enumerate() {
                if !EVENTS.contains(&e.as_str()) {
                    errors.push(FieldError::new(
                        format!("events[{i}]"),
                        "values",
                        format!("must be one of: {}", EVENTS.join(", ")),
                    ));
                } else if events[..i].contains(e) {
                    errors.push(FieldError::new(
                        format!("events[{i}]"),
                        "unique",
                        "named twice",
                    ));
                }
            }
        }
        if let Some(Some(types)) = &draft.types {
            if types.is_empty() {
                errors.push(FieldError::new(
                    "types",
                    "min_items",
                    "name at least one type, or null for all",
                ));
            }
            for (i, t) in types.iter().enumerate() {
                if self.content.types.get(t).is_none() {
                    errors.push(FieldError::new(
                        format!("types[{i}]"),
                        "exists",
                        format!("no content type `{t}`"),
                    ));
                }
            }
        }
        if let Some(secret) = &draft.secret
            && !(16..=256).contains(&secret.chars().count())
        {
            errors.push(FieldError::new("secret", "length", "16 to 256 characters"));
        }
    }

    /// Runs the fan-out and the sender, a round at a time, until the task
    /// is dropped.
    pub async fn run(self, mut rounds: crate::store::wake::Follower) {
        loop {
            rounds.next_round().await;
            if let Err(e) = self.fan_out().await {
                tracing::warn!(error = %e, "webhooks: cannot queue deliveries");
            }
            if let Err(e) = self.send_due().await {
                tracing::warn!(error = %e, "webhooks: cannot send deliveries");
            }
        }
    }
}
