//! Bounds request bodies, whether they announce a length or are chunked, and
//! refuses JSON bodies that carry a NUL character.

use crate::api::codes::Code;
use poem::web::headers::{ContentLength, HeaderMapExt};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result};

use super::nul_guard::{json_has_nul, refused};
use super::problem::ApiError;

/// Upload routes (`POST` to these paths) stream their bodies and count the
/// bytes themselves against the upload limit; everything else is held to
/// the body limit.
const UPLOAD_PATHS: &[&str] = &["/admin/api/assets", "/admin/api/assets/"];

pub struct BodyLimit(pub usize);

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;
    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint { inner, max: self.0 }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    max: usize,
}

fn is_upload(req: &Request) -> bool {
    req.method() == poem::http::Method::POST && UPLOAD_PATHS.contains(&req.original_uri().path())
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        Code::PayloadTooLarge,
        format!("the request body is larger than {max} bytes"),
    )
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Response> {
        if is_upload(&req) {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        if let Some(len) = req.headers().typed_get::<ContentLength>()
            && len.0 > self.max as u64
        {
            return Err(too_large(self.max).into());
        }
        let json = is_json(&req);
        if json || req.headers().typed_get::<ContentLength>().is_none() {
            // Chunked bodies have no declared length: read up to the limit,
            // refuse beyond it. JSON is read whole anyway by its handler;
            // reading it here lets NUL be refused before any parsing.
            let body = req.take_body();
            let bytes = body
                .into_bytes_limit(self.max)
                .await
                .map_err(|_| too_large(self.max))?;
            if json && json_has_nul(&bytes) {
                return Err(refused("body").into());
            }
            req.set_body(Body::from_bytes(bytes));
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

fn is_json(req: &Request) -> bool {
    req.content_type().is_some_and(|ct| {
        let essence = ct.split(';').next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")
    })
}
