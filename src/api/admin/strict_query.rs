//! Refuses query parameters an admin operation does not take.
//!
//! poem-openapi reads the parameters it declares and ignores the rest, so a
//! mistyped or unsupported one (`?dry_run=true`, `?at=…`) would silently do
//! nothing. The parameters each operation takes are read once from the
//! admin API's own OpenAPI document, so the check and the spec cannot
//! drift; any other key is a 400 naming it.

use std::sync::Arc;

use poem::http::Method;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use serde_json::Value;

use crate::api::problem::ApiError;
use crate::model::FieldError;

/// Operations whose handlers read the whole query themselves (the query
/// language's `filter[field][op]`, `fields`, `locale`) and refuse what they
/// don't understand there.
const SELF_CHECKED: &[(&str, &str)] = &[("get", "/entries/{content_type}"), ("get", "/search")];

#[derive(Debug, PartialEq)]
enum Segment {
    Literal(String),
    Param,
}

#[derive(Debug)]
struct Operation {
    method: Method,
    segments: Vec<Segment>,
    /// `None` when the handler checks its query itself.
    params: Option<Vec<String>>,
}

impl Operation {
    /// How well this operation's path matches: the number of literal
    /// segments, or `None` when it does not match.
    fn matches(&self, method: &Method, path: &[&str]) -> Option<usize> {
        if self.method != *method || self.segments.len() != path.len() {
            return None;
        }
        let mut literals = 0;
        for (seg, part) in self.segments.iter().zip(path) {
            match seg {
                Segment::Literal(l) if l == part => literals += 1,
                Segment::Literal(_) => return None,
                Segment::Param => {}
            }
        }
        Some(literals)
    }
}

fn split(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// Each operation of an OpenAPI document with the query parameters it takes.
fn operations(spec: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    let Some(paths) = spec["paths"].as_object() else {
        return ops;
    };
    for (path, item) in paths {
        let Some(methods) = item.as_object() else {
            continue;
        };
        for (method, op) in methods {
            let Ok(m) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
                continue;
            };
            let self_checked = SELF_CHECKED.contains(&(method.as_str(), path.as_str()));
            let params = (!self_checked).then(|| {
                op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .filter(|p| p["in"] == "query")
                            .filter_map(|p| p["name"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            });
            ops.push(Operation {
                method: m,
                segments: split(path)
                    .into_iter()
                    .map(|s| {
                        if s.starts_with('{') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_string())
                        }
                    })
                    .collect(),
                params,
            });
        }
    }
    ops
}

/// The middleware, built from the admin API's OpenAPI document.
pub struct StrictQuery(Arc<Vec<Operation>>);

impl StrictQuery {
    pub fn from_spec(spec_json: &str) -> StrictQuery {
        let spec: Value = serde_json::from_str(spec_json).unwrap_or(Value::Null);
        StrictQuery(Arc::new(operations(&spec)))
    }

    /// The unknown keys of this request's query, if its operation is known.
    fn unknown_keys(&self, method: &Method, path: &str, query: &str) -> Vec<FieldError> {
        let parts = split(path);
        let best = self
            .0
            .iter()
            .filter_map(|op| op.matches(method, &parts).map(|score| (score, op)))
            .max_by_key(|(score, _)| *score);
        let Some((_, op)) = best else {
            return Vec::new(); // no such route: the router answers 404 / 405
        };
        let Some(params) = &op.params else {
            return Vec::new();
        };
        let mut unknown: Vec<String> = Vec::new();
        for (key, _) in form_urlencoded::parse(query.as_bytes()) {
            if !params.iter().any(|p| *p == key) && !unknown.iter().any(|u| *u == key) {
                unknown.push(key.into_owned());
            }
        }
        let takes = if params.is_empty() {
            "it takes no query parameters".to_string()
        } else {
            format!("it takes {}", params.join(", "))
        };
        unknown
            .into_iter()
            .map(|key| {
                let message = format!("`{key}` is not a parameter of this operation; {takes}");
                FieldError::new(key, "unknown", message)
            })
            .collect()
    }
}

impl<E: Endpoint> Middleware<E> for StrictQuery {
    type Output = StrictQueryEndpoint<E>;
    fn transform(&self, inner: E) -> Self::Output {
        StrictQueryEndpoint {
            inner,
            ops: StrictQuery(self.0.clone()),
        }
    }
}

pub struct StrictQueryEndpoint<E> {
    inner: E,
    ops: StrictQuery,
}

impl<E: Endpoint> Endpoint for StrictQueryEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        if let Some(query) = req.uri().query() {
            let unknown = self.ops.unknown_keys(req.method(), req.uri().path(), query);
            if !unknown.is_empty() {
                return Err(ApiError::invalid_query(unknown).into());
            }
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> StrictQuery {
        StrictQuery::from_spec(&crate::api::admin::spec_json())
    }

    fn unknown(method: Method, path: &str, query: &str) -> Vec<String> {
        strict()
            .unknown_keys(&method, path, query)
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn declared_parameters_pass() {
        assert!(
            unknown(
                Method::PUT,
                "/content-types/x",
                "allow_data_loss=true&dry_run=true"
            )
            .is_empty()
        );
        assert!(unknown(Method::GET, "/assets", "limit=5&mime_type=image/*").is_empty());
    }

    #[test]
    fn others_are_named() {
        assert_eq!(
            unknown(
                Method::PUT,
                "/content-types/x",
                "allow_data_loss=true&force=true"
            ),
            ["force"]
        );
        assert_eq!(
            unknown(
                Method::POST,
                "/entries/articles/abc/publish",
                "at=soon&at=later"
            ),
            ["at"]
        );
        assert_eq!(unknown(Method::GET, "/auth/me", "x"), ["x"]);
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        // `/auth/sessions` must not be taken for another operation's `{id}`.
        assert_eq!(unknown(Method::GET, "/auth/sessions", "limit=1"), ["limit"]);
    }

    #[test]
    fn self_checked_and_unknown_routes_pass_through() {
        assert!(unknown(Method::GET, "/entries/articles", "filter[title][eq]=x").is_empty());
        assert!(unknown(Method::GET, "/search", "q=x&whatever=1").is_empty());
        assert!(unknown(Method::GET, "/no/such/route", "x=1").is_empty());
    }
}
