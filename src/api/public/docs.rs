//! The public API's contract, made from the content types in force:
//! `GET /api/openapi.json`, `GET /api/types.ts` and the docs page at
//! `GET /api/docs`. Each changes (with its ETag) when a type changes.

use std::sync::OnceLock;

use bytes::Bytes;
use poem::web::{Data, Html};
use poem::{IntoResponse, Request, Response, handler};

use super::access;
use super::contract;
use super::respond::{tagged, typed_response};
use crate::api::problem::ApiError;
use crate::api::state::AppState;
use crate::model::FieldError;

/// The public OpenAPI document as JSON text.
pub fn openapi_json(state: &AppState) -> String {
    let doc = contract::openapi(
        &state.types.all(),
        &state.config.locales,
        env!("CARGO_PKG_VERSION"),
    );
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// These routes take no parameters; anything else is refused like on
/// every other route.
fn no_parameters(req: &Request) -> Result<(), ApiError> {
    let errors: Vec<FieldError> = super::query_pairs(req)
        .into_iter()
        .map(|(k, _)| {
            let message = format!("`{k}` is not a query parameter here; this route takes none");
            FieldError::new(k, "unknown_parameter", message)
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_query(errors))
    }
}

async fn allowed(req: &Request, state: &AppState) -> Result<(), ApiError> {
    no_parameters(req)?;
    access(req, state).await.map(|_| ())
}

/// `GET /api/openapi.json`.
#[handler]
pub async fn openapi(req: &Request, state: Data<&AppState>) -> Response {
    if let Err(e) = allowed(req, &state).await {
        return e.into_response();
    }
    let body = tagged(Bytes::from(openapi_json(&state)));
    typed_response(req, &body, "application/json")
}

/// `GET /api/types.ts`.
#[handler]
pub async fn types_ts(req: &Request, state: Data<&AppState>) -> Response {
    if let Err(e) = allowed(req, &state).await {
        return e.into_response();
    }
    let body = tagged(Bytes::from(contract::typescript(&state.types.all())));
    typed_response(req, &body, "text/plain; charset=utf-8")
}

/// `GET /api/docs`: Swagger UI over the current document.
#[handler]
pub async fn page(req: &Request, state: Data<&AppState>) -> Response {
    if let Err(e) = allowed(req, &state).await {
        return e.into_response();
    }
    Html(swagger_page(&openapi_json(&state))).into_response()
}

/// poem-openapi's Swagger UI page (its bundle is inlined, so the page needs
/// nothing from elsewhere) around a document of our own: the page is made
/// once for an empty API and its document swapped for ours.
pub fn swagger_page(document: &str) -> String {
    static TEMPLATE: OnceLock<(String, String)> = OnceLock::new();
    let (before, after) = TEMPLATE.get_or_init(|| {
        let empty = poem_openapi::OpenApiService::new((), "empty", "0");
        let html = empty.swagger_ui_html();
        let spec = empty.spec();
        match html.split_once(&spec) {
            Some((b, a)) => (b.to_string(), a.to_string()),
            None => (html, String::new()),
        }
    });
    format!("{before}{document}{after}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docs_page_carries_the_document() {
        let html = swagger_page(r#"{"openapi":"3.0.3","info":{"title":"Marker"}}"#);
        assert!(html.contains(r#"let spec = {"openapi":"3.0.3","info":{"title":"Marker"}};"#));
        assert!(html.contains("SwaggerUIBundle"));
    }
}
