//! The outermost layer: every request gets a request id (the client's
//! `X-Request-Id` when it is a sane token, else a fresh one), returned in
//! the response and carried by every log line written while answering it,
//! and is counted in the metrics by route, method and status.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use poem::http::{HeaderName, HeaderValue, Method};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tracing::Instrument;

use crate::metrics::{Metrics, route_of};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client's id is kept when it is 1–128 characters of `[A-Za-z0-9._-]`;
/// anything else could forge or break log lines.
fn client_id(req: &Request) -> Option<HeaderValue> {
    let value = req.headers().get(&REQUEST_ID)?;
    let bytes = value.as_bytes();
    let sane = (1..=128).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    sane.then(|| value.clone())
}

/// A UUIDv7 (time-ordered, so ids sort as requests came), its random bits
/// from the thread's generator: `Uuid::now_v7` asks the kernel for them, a
/// system call on every request.
fn fresh_id() -> HeaderValue {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let random: [u8; 10] = rand::random();
    let id = uuid::Builder::from_unix_timestamp_millis(millis, &random)
        .into_uuid()
        .simple()
        .to_string();
    // A UUID's hex digits are always a valid header value.
    HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("-"))
}

fn method_name(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

pub struct Observe(pub Arc<Metrics>);

impl<E: Endpoint> Middleware<E> for Observe {
    type Output = ObserveEndpoint<E>;
    fn transform(&self, inner: E) -> Self::Output {
        ObserveEndpoint {
            inner,
            metrics: self.0.clone(),
        }
    }
}

pub struct ObserveEndpoint<E> {
    inner: E,
    metrics: Arc<Metrics>,
}

impl<E: Endpoint> Endpoint for ObserveEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let started = Instant::now();
        let id = client_id(&req).unwrap_or_else(fresh_id);
        let route = route_of(req.uri().path());
        let method = method_name(req.method());
        let span = tracing::info_span!("request", id = id.to_str().unwrap_or("-"));
        let mut res = match self.inner.call(req).instrument(span).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        res.headers_mut().insert(REQUEST_ID, id);
        self.metrics
            .observe(route, method, res.status().as_u16(), started.elapsed());
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_id(v: &str) -> Request {
        Request::builder().header(REQUEST_ID, v).finish()
    }

    #[test]
    fn sane_client_ids_are_kept_and_others_replaced() {
        assert_eq!(
            client_id(&with_id("abc-123_x.y"))
                .as_ref()
                .map(|v| v.as_bytes()),
            Some(b"abc-123_x.y".as_slice())
        );
        assert!(client_id(&with_id("has space")).is_none());
        assert!(client_id(&with_id(&"a".repeat(129))).is_none());
        assert_eq!(fresh_id().len(), 32);
    }

    #[test]
    fn fresh_ids_are_distinct_uuids_of_version_7() {
        let (a, b) = (fresh_id(), fresh_id());
        assert_ne!(a, b);
        let parsed = a.to_str().ok().and_then(|t| uuid::Uuid::parse_str(t).ok());
        assert_eq!(parsed.map(|u| u.get_version_num()), Some(7), "{a:?}");
    }
}
