//! `/webhooks`: where changes are posted, and what came of each delivery.
//! Admins only.

use super::statuses::*;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::entries::expected_version;
use super::objects::ListMeta;
use super::schemas::Text;
use super::{AdminAuth, Tag};
use crate::api::problem::ApiError;
use crate::api::state::AppState;
use crate::clock;
use crate::model::FieldError;
use crate::model::access::Permission;
use crate::store;
use crate::store::webhooks::{Delivery, Webhook};
use crate::webhooks::Draft;

/// A new webhook.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct WebhookCreate {
    pub name: Text,
    /// `http` or `https`; must reach a public address unless
    /// `QUIRE_WEBHOOK_ALLOW_PRIVATE=true`.
    pub url: Text,
    /// Any of `entry.saved`, `entry.published`, `entry.unpublished`,
    /// `entry.deleted`, `asset.created`, `asset.updated`, `asset.deleted`,
    /// `type.changed`, `cache.purge`.
    pub events: Vec<Text>,
    /// Only entries of these types (omit or null for all).
    pub types: Option<Vec<Text>>,
    /// The signing key, 16 to 256 characters; omitted, one is generated
    /// and shown once.
    pub secret: Option<Text>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// Changes to a webhook; `types: null` lifts the type limit.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct WebhookPatch {
    pub name: Option<Text>,
    pub url: Option<Text>,
    pub events: Option<Vec<Text>>,
    pub types: MaybeUndefined<Vec<Text>>,
    /// A new signing key.
    pub secret: Option<Text>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Object)]
pub struct WebhookOut {
    pub id: String,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    /// `null`: every type.
    pub types: Option<Vec<String>>,
    pub enabled: bool,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Webhook> for WebhookOut {
    fn from(h: &Webhook) -> Self {
        WebhookOut {
            id: h.id.clone(),
            name: h.name.clone(),
            url: h.url.clone(),
            events: h.events.0.clone(),
            types: h.types.as_ref().map(|t| t.0.clone()),
            enabled: h.enabled,
            version: h.version,
            created_at: clock::format(h.created_at),
            updated_at: clock::format(h.updated_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct WebhookCreated {
    /// The signing key, shown this once.
    pub secret: String,
    #[oai(flatten)]
    pub webhook: WebhookOut,
}

#[derive(Debug, Object)]
pub struct WebhookList {
    pub data: Vec<WebhookOut>,
}

/// One delivery and its last attempt.
#[derive(Debug, Object)]
pub struct DeliveryOut {
    pub id: String,
    pub webhook_id: String,
    pub event: String,
    /// The change it tells of (none for a test delivery).
    pub seq: Option<i64>,
    /// `pending`, `delivered` or `failed` (given up after the retry window).
    pub status: String,
    pub attempts: i64,
    /// When a pending delivery is tried next.
    pub next_try_at: Option<String>,
    pub created_at: String,
    pub last_attempt_at: Option<String>,
    /// The receiver's status code (none when it did not answer).
    pub status_code: Option<i64>,
    pub duration_ms: Option<i64>,
    /// Why there was no answer: timed out, refused, …
    pub error: Option<String>,
    /// The first KiB of the receiver's answer.
    pub response_excerpt: Option<String>,
    /// The body as sent.
    pub body: String,
}

impl From<Delivery> for DeliveryOut {
    fn from(d: Delivery) -> Self {
        DeliveryOut {
            id: d.id,
            webhook_id: d.webhook_id,
            event: d.event,
            seq: d.seq,
            status: d.status,
            attempts: d.attempts,
            next_try_at: d.next_try_at.map(clock::format),
            created_at: clock::format(d.created_at),
            last_attempt_at: d.last_attempt_at.map(clock::format),
            status_code: d.last_status_code,
            duration_ms: d.last_duration_ms,
            error: d.last_error,
            response_excerpt: d.response_excerpt,
            body: d.body,
        }
    }
}

#[derive(Debug, Object)]
pub struct DeliveryList {
    pub data: Vec<DeliveryOut>,
    pub meta: ListMeta,
}

#[derive(ApiResponse)]
pub enum Created {
    /// Created; the secret is shown this once.
    #[oai(status = 201)]
    Created(Json<WebhookCreated>),
}

#[derive(ApiResponse)]
pub enum Deleted {
    /// Deleted, with its delivery log; deliveries still queued are dropped.
    #[oai(status = 204)]
    Done,
}

pub struct WebhooksApi;

fn texts(list: Vec<Text>) -> Vec<String> {
    Text::all(list)
}

#[OpenApi(prefix_path = "/webhooks", tag = "Tag::Webhooks")]
impl WebhooksApi {
    /// Every webhook, without secrets.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
    ) -> Result<Json<WebhookList>, Problems<{ SIGNED_IN }>> {
        auth.0.require(Permission::ManageWebhooks)?;
        let hooks = store::webhooks::list(&state.db).await?;
        Ok(Json(WebhookList {
            data: hooks.iter().map(WebhookOut::from).collect(),
        }))
    }

    /// Create a webhook. Changes made from now on are delivered to it.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        body: Json<WebhookCreate>,
    ) -> Result<Created, Problems<{ SIGNED_IN | BODY }>> {
        auth.0.require(Permission::ManageWebhooks)?;
        let b = body.0;
        let draft = Draft {
            name: Some(b.name.into_inner()),
            url: Some(b.url.into_inner()),
            events: Some(texts(b.events)),
            types: Some(b.types.map(texts)),
            secret: b.secret.map(Text::into_inner),
            enabled: b.enabled,
        };
        let hook = state.webhooks.create(draft, &auth.0.actor).await?;
        Ok(Created::Created(Json(WebhookCreated {
            secret: hook.secret.clone(),
            webhook: WebhookOut::from(&hook),
        })))
    }

    /// One webhook, without its secret.
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
    ) -> Result<Json<WebhookOut>, Problems<{ ONE }>> {
        auth.0.require(Permission::ManageWebhooks)?;
        let hook = store::webhooks::get(&state.db, &id).await?;
        Ok(Json(WebhookOut::from(&hook)))
    }

    /// Change a webhook. `?version=N` or `If-Match: "N"` is required, so
    /// that two admins editing at once do not overwrite each other.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
        version: Query<Option<i64>>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<WebhookPatch>,
    ) -> Result<Json<WebhookOut>, Problems<{ ONE | S409 | BODY }>> {
        auth.0.require(Permission::ManageWebhooks)?;
        let Some(expected) = expected_version(version.0, if_match.0)? else {
            return Err(Problems::from(ApiError::validation(vec![FieldError::new(
                "version",
                "required",
                "send the version you read, as ?version=N or If-Match",
            )])));
        };
        let b = body.0;
        let draft = Draft {
            name: b.name.map(Text::into_inner),
            url: b.url.map(Text::into_inner),
            events: b.events.map(texts),
            types: match b.types {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(t) => Some(Some(texts(t))),
            },
            secret: b.secret.map(Text::into_inner),
            enabled: b.enabled,
        };
        let hook = state
            .webhooks
            .update(&id, expected, draft, &auth.0.actor)
            .await?;
        Ok(Json(WebhookOut::from(&hook)))
    }

    /// Delete a webhook and its delivery log.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
    ) -> Result<Deleted, Problems<{ ONE }>> {
        auth.0.require(Permission::ManageWebhooks)?;
        store::webhooks::delete(&state.db, &id, &auth.0.actor).await?;
        Ok(Deleted::Done)
    }

    /// Send a `ping` delivery now and answer what came of it (not retried).
    #[oai(path = "/:id/test", method = "post")]
    async fn test(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
    ) -> Result<Json<DeliveryOut>, Problems<{ ONE }>> {
        auth.0.require(Permission::ManageWebhooks)?;
        let delivery = state.webhooks.test(&id).await?;
        Ok(Json(DeliveryOut::from(delivery)))
    }

    /// A webhook's deliveries, newest first.
    #[oai(path = "/:id/deliveries", method = "get")]
    async fn deliveries(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
        /// 1 to 100 (default 25).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<i64>>,
        #[oai(validator(minimum(value = "0")))] offset: Query<Option<i64>>,
        /// `pending`, `delivered` or `failed`.
        status: Query<Option<DeliveryStatus>>,
    ) -> Result<Json<DeliveryList>, Problems<{ ONE }>> {
        auth.0.require(Permission::ManageWebhooks)?;
        let (limit, offset) = super::page(limit.0, offset.0)?;
        store::webhooks::get(&state.db, &id).await?;
        let status = status.0.map(|s| s.as_str());
        let (rows, total) =
            store::webhooks::deliveries(&state.db, &id, status, limit, offset).await?;
        Ok(Json(DeliveryList {
            data: rows.into_iter().map(DeliveryOut::from).collect(),
            meta: ListMeta {
                total,
                limit,
                offset,
            },
        }))
    }

    /// Try a delivery again now, whatever its status.
    #[oai(path = "/:id/deliveries/:delivery_id/retry", method = "post")]
    async fn retry(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
        delivery_id: Path<String>,
    ) -> Result<Json<DeliveryOut>, Problems<{ ONE }>> {
        auth.0.require(Permission::ManageWebhooks)?;
        let delivery = store::webhooks::retry(&state.db, &id, &delivery_id).await?;
        Ok(Json(DeliveryOut::from(delivery)))
    }
}

#[derive(Debug, Clone, Copy, poem_openapi::Enum)]
#[oai(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
}
