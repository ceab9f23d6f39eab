//! RFC 9457 problem documents: every error any route answers, with a stable
//! `code`, mapped from the lower layers' errors in one place.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::Object;
use serde::Serialize;

use super::codes::Code;
use crate::auth::AuthError;
use crate::model::FieldError;
use crate::store::{Conflict, StoreError};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// One failing field of a request, and the rule it broke.
#[derive(Debug, Clone, Serialize, Object)]
pub struct ProblemField {
    /// The field, parameter or path (`title`, `fields[2].pattern`, `filter[x][eq]`).
    pub field: String,
    /// The rule it broke (`required`, `max_length`, `unique`, `type` …).
    pub rule: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Object)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:quire:problem:<code>`.
    #[serde(rename = "type")]
    #[oai(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// A stable, machine-readable code.
    pub code: String,
    /// Per-field errors, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<Vec<ProblemField>>,
    /// The entry's current version, on a version conflict.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub current_version: Option<i64>,
    /// How many field errors there were, when more than `errors` lists (50).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub error_count: Option<usize>,
}

/// An error on its way to becoming a problem document.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {detail}", code.as_str())]
pub struct ApiError {
    /// The code's status, except where the HTTP layer answered another 4xx.
    pub status: StatusCode,
    pub code: Code,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub current_version: Option<i64>,
    /// Seconds, sent as `Retry-After` on a 429 or 503.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        ApiError {
            status: code.status(),
            code,
            detail: detail.into(),
            errors: Vec::new(),
            current_version: None,
            retry_after: None,
        }
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        ApiError::new(Code::Forbidden, detail)
    }

    pub fn too_many_requests(retry_after: std::time::Duration) -> Self {
        let secs = retry_after.as_secs().max(1);
        let mut e = ApiError::new(
            Code::TooManyRequests,
            format!("too many failed sign-ins; try again in {secs} seconds"),
        );
        e.retry_after = Some(secs);
        e
    }

    fn response(&self) -> Response {
        let mut res = problem_response(&self.to_problem());
        if let Some(secs) = self.retry_after
            && let Ok(v) = poem::http::HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(poem::http::header::RETRY_AFTER, v);
        }
        res
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::new(Code::BadRequest, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::new(Code::Unauthorized, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(Code::NotFound, detail)
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = summarize(&errors);
        ApiError::new(Code::ValidationFailed, detail).with_errors(errors)
    }

    pub fn invalid_query(errors: Vec<FieldError>) -> Self {
        let detail = summarize(&errors);
        ApiError::new(Code::InvalidQuery, detail).with_errors(errors)
    }

    /// The database is out of reach for now: a 503 with `Retry-After`.
    pub fn unavailable() -> Self {
        let mut e = ApiError::new(
            Code::Unavailable,
            "the database does not answer; try again shortly",
        );
        e.retry_after = Some(1);
        e
    }

    pub fn internal() -> Self {
        ApiError::new(
            Code::Internal,
            "the server could not complete the request; it has been logged",
        )
    }

    pub fn to_problem(&self) -> Problem {
        Problem {
            problem_type: format!("urn:quire:problem:{}", self.code.as_str()),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.as_str().to_string(),
            errors: (!self.errors.is_empty()).then(|| {
                self.errors
                    .iter()
                    .take(MAX_LISTED_ERRORS)
                    .map(|e| ProblemField {
                        field: e.field.clone(),
                        rule: e.rule.clone(),
                        message: e.message.clone(),
                    })
                    .collect()
            }),
            current_version: self.current_version,
            error_count: (self.errors.len() > MAX_LISTED_ERRORS).then_some(self.errors.len()),
        }
    }
}

/// A problem lists at most this many field errors, so a request with
/// thousands of bad parameters gets a small answer; `error_count` then says
/// how many there were.
pub const MAX_LISTED_ERRORS: usize = 50;

/// "title: at most 200 characters; slug: …", for the human `detail`.
fn summarize(errors: &[FieldError]) -> String {
    let mut parts: Vec<String> = errors
        .iter()
        .take(5)
        .map(|e| {
            if e.field.is_empty() {
                e.message.clone()
            } else {
                format!("{}: {}", e.field, e.message)
            }
        })
        .collect();
    if errors.len() > 5 {
        parts.push(format!("and {} more", errors.len() - 5));
    }
    parts.join("; ")
}

/// The response for a problem, with its media type.
pub fn problem_response(problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    Response::builder()
        .status(StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .content_type(CONTENT_TYPE)
        .body(body)
}

impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        self.response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("no such resource"),
            StoreError::TranslationMissing(locale) => ApiError::new(
                Code::TranslationMissing,
                format!(
                    "the entry has no {locale} translation yet; PATCH it with ?locale={locale} to start one"
                ),
            ),
            StoreError::VersionConflict { expected, current } => {
                let mut err = ApiError::new(
                    Code::VersionConflict,
                    format!(
                        "version {expected} is stale: someone saved version {current} since; reload and apply your change again"
                    ),
                );
                err.current_version = Some(current);
                err
            }
            StoreError::Unique(errors) => {
                ApiError::new(Code::UniqueViolation, summarize(&errors)).with_errors(errors)
            }
            StoreError::Conflict(rule, detail) => ApiError::new(conflict_code(rule), detail),
            StoreError::DataLoss(errors) => ApiError::new(
                Code::DataLoss,
                format!(
                    "{}; existing entries hold these values. Pass ?allow_data_loss=true to remove them",
                    summarize(&errors)
                ),
            )
            .with_errors(errors),
            StoreError::Invalid(errors) => ApiError::validation(errors),
            StoreError::Referenced(refs) => {
                let named: Vec<FieldError> = refs
                    .iter()
                    .map(|r| {
                        FieldError::new(
                            "references",
                            "referenced",
                            format!("{}/{} points here through `{}` ({} copy)", r.content_type, r.id, r.field, r.copy),
                        )
                    })
                    .collect();
                let mut sources: Vec<String> =
                    refs.iter().map(|r| format!("{}/{}", r.content_type, r.id)).collect();
                sources.dedup();
                ApiError::new(
                    Code::Referenced,
                    format!(
                        "other entries point at this one: {}; remove those references first",
                        sources.join(", ")
                    ),
                )
                .with_errors(named)
            }
            // A concurrent write linked to an entry as it was deleted.
            StoreError::Database(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                ApiError::new(
                    Code::Referenced,
                    "a concurrent write points at this entry now; reload and try again",
                )
            }
            // A concurrent write took a unique value between our check and
            // our insert (PostgreSQL; SQLite writers queue): still a 409.
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                ApiError::new(
                    Code::UniqueViolation,
                    "a concurrent request took a value that must be unique; reload and try again",
                )
            }
            other if other.is_unavailable() => {
                tracing::warn!(error = %other, "database unavailable");
                ApiError::unavailable()
            }
            other => {
                tracing::error!(error = %other, "storage failure");
                ApiError::internal()
            }
        }
    }
}

fn conflict_code(rule: Conflict) -> Code {
    match rule {
        Conflict::TypeExists => Code::TypeExists,
        Conflict::TypeHasEntries => Code::TypeHasEntries,
        Conflict::TypeReferenced => Code::TypeReferenced,
        Conflict::FolderOwned => Code::FolderOwned,
        Conflict::SingletonExists => Code::SingletonExists,
        Conflict::NotASingleton => Code::NotASingleton,
        Conflict::EmailTaken => Code::EmailTaken,
        Conflict::LastAdmin => Code::LastAdmin,
    }
}

impl From<crate::auth::policy::Forbidden> for ApiError {
    fn from(e: crate::auth::policy::Forbidden) -> Self {
        ApiError::forbidden(e.0)
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::BadCredentials => ApiError::unauthorized("wrong email or password"),
            AuthError::Invalid(detail) => ApiError::new(Code::ValidationFailed, detail),
            AuthError::Store(s) => s.into(),
            AuthError::Busy => {
                let mut e =
                    ApiError::new(Code::Busy, "too many sign-ins at once; try again shortly");
                e.retry_after = Some(1);
                e
            }
            AuthError::Hash(msg) => {
                tracing::error!(error = %msg, "password hashing failed");
                ApiError::internal()
            }
        }
    }
}

/// Turns any error that reached the edge of the app into a problem document:
/// ours keep their code; poem's (bad JSON, unknown route, missing token) get
/// one by status. Server errors never leak their text.
pub fn from_poem_error(err: poem::Error) -> Response {
    if let Some(api) = err.downcast_ref::<ApiError>() {
        return api.response();
    }
    if let Some(parse) = err.downcast_ref::<poem_openapi::error::ParseRequestPayloadError>() {
        return body_error(&parse.reason).into_response();
    }
    if let Some(param) = err.downcast_ref::<poem_openapi::error::ParseParamError>() {
        // The same code the query language answers for a bad value.
        return ApiError::invalid_query(vec![FieldError::new(
            param.name,
            "type",
            format!("`{}`: {}", param.name, param.reason),
        )])
        .into_response();
    }
    let status = err.status();
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => (Code::NotFound, "no such route".to_string()),
        StatusCode::METHOD_NOT_ALLOWED => (
            Code::MethodNotAllowed,
            "this route does not answer that method".to_string(),
        ),
        StatusCode::UNAUTHORIZED => (
            Code::Unauthorized,
            "send Authorization: Bearer <token> from POST /admin/api/auth/login".to_string(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (Code::PayloadTooLarge, err.to_string()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (Code::UnsupportedMediaType, err.to_string()),
        StatusCode::FORBIDDEN => (Code::Forbidden, err.to_string()),
        s if s.is_client_error() => (Code::BadRequest, err.to_string()),
        _ => {
            tracing::error!(error = %err, "unhandled error");
            return ApiError::internal().into_response();
        }
    };
    let mut problem = ApiError::new(code, detail);
    // Another 4xx the HTTP layer answered keeps its status.
    problem.status = status;
    problem_response(&problem.to_problem())
}

/// A body that did not parse: an unknown key is named as a field error, so
/// clients see which key the operation does not take.
fn body_error(reason: &str) -> ApiError {
    let unknown = reason
        .split_once("unknown field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(key, _)| key);
    match unknown {
        Some(key) => ApiError::bad_request(format!(
            "the body has a key this operation does not take: `{key}`"
        ))
        .with_errors(vec![FieldError::new(
            key,
            "unknown",
            format!("`{key}` is not a field of this request body"),
        )]),
        None => ApiError::bad_request(format!("the body does not parse: {reason}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_body_key_is_named() {
        let e = body_error(r#"failed to parse "UserCreate": unknown field `fields`."#);
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.errors[0].field, "fields");
        assert_eq!(e.errors[0].rule, "unknown");
    }
}
