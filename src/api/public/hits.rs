//! Cache hits answered in front of the router: a published answer that is
//! already rendered needs none of the routing, extraction or access checks
//! the full path runs, only the headers every response carries.
//!
//! Only the plainest reads qualify: `GET` on `/api/`, an open public API,
//! no credentials, no preview and no `Origin` (CORS answers go the full
//! way). Anything else, and every miss, goes on to the router unchanged.

use poem::http::{HeaderValue, Method, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use super::respond::cached_response;
use crate::api::state::AppState;
use crate::config::PublicAccess;

pub struct CacheHits(pub AppState);

impl<E: Endpoint> Middleware<E> for CacheHits {
    type Output = CacheHitsEndpoint<E>;
    fn transform(&self, inner: E) -> Self::Output {
        CacheHitsEndpoint {
            inner,
            state: self.0.clone(),
        }
    }
}

pub struct CacheHitsEndpoint<E> {
    inner: E,
    state: AppState,
}

impl<E> CacheHitsEndpoint<E> {
    fn hit(&self, req: &Request) -> Option<Response> {
        let uri = req.uri();
        let plain = req.method() == Method::GET
            && uri.path().starts_with("/api/")
            && self.state.config.public_access == PublicAccess::Open
            && !uri.query().is_some_and(|q| q.contains("preview"))
            && !req.headers().contains_key(header::AUTHORIZATION)
            && !req.headers().contains_key(header::ORIGIN);
        if !plain {
            return None;
        }
        let hit = self.state.cache.peek(uri.path_and_query()?.as_str())?;
        let mut res = cached_response(req, &hit);
        // What the layers this skips would have added.
        let headers = res.headers_mut();
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        Some(res)
    }
}

impl<E: Endpoint> Endpoint for CacheHitsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        if let Some(res) = self.hit(&req) {
            return Ok(res);
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}
