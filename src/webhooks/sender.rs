//! The sender: claims due deliveries, posts each signed, and records what
//! came of it: delivered, tried again later, or given up on.

use std::time::{Duration, Instant};

use super::{Webhooks, guard};
use crate::clock::{self, Micros};
use crate::model::webhook::{PING, backoff, signature};
use crate::store::webhooks::{Attempt, Claimed, Delivery, NewDelivery, Webhook};
use crate::store::{self, StoreResult};

/// Deliveries claimed at a time.
const BATCH: usize = 32;
/// Bytes of a receiver's answer kept in the log.
const EXCERPT: usize = 1024;

impl Webhooks {
    /// Starts an attempt of every due delivery there is room for; answers
    /// how many were started. Each attempt runs on its own, so a slow
    /// receiver holds only its own slot, never the others' deliveries.
    pub async fn send_due(&self) -> StoreResult<usize> {
        let mut started = 0;
        loop {
            let room = self.slots.available_permits().min(BATCH);
            if room == 0 {
                return Ok(started);
            }
            let claimed = {
                let _one = self.busy.lock().await;
                let now = clock::now();
                let lease = now + micros(self.tuning.timeout * 3);
                store::webhooks::claim(&self.content.db, now, lease, room as i64).await?
            };
            let full = claimed.len() == room;
            let hooks = store::webhooks::list(&self.content.db).await?;
            for d in claimed {
                // A webhook deleted since the claim: its deliveries are gone too.
                let Some(hook) = hooks.iter().find(|h| h.id == d.webhook_id).cloned() else {
                    continue;
                };
                let Ok(slot) = self.slots.clone().acquire_owned().await else {
                    return Ok(started);
                };
                started += 1;
                let this = self.clone();
                tokio::spawn(async move {
                    let (id, outcome) = this.attempt(&hook, &d).await;
                    // Unrecorded, the claim runs out and the delivery is tried again.
                    if let Err(e) = store::webhooks::record(&this.content.db, &id, &outcome).await {
                        tracing::warn!(error = %e, delivery = %id, "webhooks: cannot record an attempt");
                    }
                    drop(slot);
                });
            }
            if !full {
                return Ok(started);
            }
        }
    }

    /// Sends a test delivery (`ping`) to a webhook now and answers what
    /// came of it; a failed one is not retried.
    pub async fn test(&self, id: &str) -> StoreResult<Delivery> {
        let hook = store::webhooks::get(&self.content.db, id).await?;
        let now = clock::now();
        let body = serde_json::json!({
            "event": PING,
            "webhook": hook.id,
            "at": clock::format(now),
        })
        .to_string();
        let new = NewDelivery {
            webhook_id: hook.id.clone(),
            event: PING.to_string(),
            seq: None,
            body: body.clone(),
        };
        // Queued beyond the claim window, so the worker leaves it alone.
        let lease = now + micros(self.tuning.timeout * 3);
        let delivery_id = store::webhooks::queue_one(&self.content.db, &new, lease).await?;
        let claimed = Claimed {
            id: delivery_id.clone(),
            webhook_id: hook.id.clone(),
            event: PING.to_string(),
            body,
            attempts: 1,
            created_at: now,
        };
        let (_, mut outcome) = self.attempt(&hook, &claimed).await;
        if outcome.status == "pending" {
            outcome.status = "failed";
            outcome.next_try_at = None;
        }
        store::webhooks::record(&self.content.db, &delivery_id, &outcome).await?;
        store::webhooks::delivery(&self.content.db, &hook.id, &delivery_id).await
    }

    /// One attempt of one delivery.
    async fn attempt(&self, hook: &Webhook, d: &Claimed) -> (String, Attempt) {
        let at = clock::now();
        let started = Instant::now();
        let result = self.post(hook, d).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status_code, error, excerpt) = match result {
            Ok((code, excerpt)) => (Some(i64::from(code)), None, Some(excerpt)),
            Err(e) => (None, Some(e), None),
        };
        let delivered = status_code.is_some_and(|c| (200..300).contains(&c));
        let now = clock::now();
        let (status, next_try_at) = if delivered {
            ("delivered", None)
        } else {
            let attempts = u32::try_from(d.attempts).unwrap_or(u32::MAX);
            let wait = backoff(self.tuning.retry_base, attempts, rand::random::<f64>());
            let next = now + micros(wait);
            if now - d.created_at >= micros(self.tuning.retry_for) {
                ("failed", None)
            } else {
                ("pending", Some(next))
            }
        };
        let outcome = Attempt {
            at,
            status_code,
            duration_ms,
            error,
            excerpt,
            status,
            next_try_at,
        };
        (d.id.clone(), outcome)
    }

    /// Posts the body; answers the status and the start of the answer, or
    /// why there was none.
    async fn post(&self, hook: &Webhook, d: &Claimed) -> Result<(u16, String), String> {
        let url = reqwest013::Url::parse(&hook.url).map_err(|e| e.to_string())?;
        if let Some(refused) = guard::literal_refused(&url, self.allow_private) {
            return Err(refused.to_string());
        }
        let t = clock::now() / 1_000_000;
        let response = self
            .client
            .post(url)
            .timeout(self.tuning.timeout)
            .header("content-type", "application/json")
            .header("x-quire-event", &d.event)
            .header("x-quire-delivery", &d.id)
            .header(
                "x-quire-signature",
                signature(&hook.secret, t, d.body.as_bytes()),
            )
            .body(d.body.clone())
            .send()
            .await
            .map_err(describe)?;
        let code = response.status().as_u16();
        let excerpt = excerpt(response).await;
        Ok((code, excerpt))
    }
}

/// The start of an answer's body, read no further than needed.
async fn excerpt(mut response: reqwest013::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < EXCERPT {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(EXCERPT);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A transport error in words a delivery log can show.
fn describe(e: reqwest013::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

fn micros(d: Duration) -> Micros {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}
