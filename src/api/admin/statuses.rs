//! The problem statuses each admin operation documents: a route's error
//! type is `Problems<MASK>`, so its OpenAPI entry lists exactly the
//! statuses it can answer instead of one list for every route.

use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;

use crate::api::problem::{ApiError, CONTENT_TYPE, Problem};
use crate::auth::AuthError;
use crate::auth::policy::Forbidden;
use crate::store::StoreError;

pub const S400: u16 = 1 << 0;
pub const S401: u16 = 1 << 1;
pub const S403: u16 = 1 << 2;
pub const S404: u16 = 1 << 3;
pub const S409: u16 = 1 << 4;
pub const S413: u16 = 1 << 5;
pub const S415: u16 = 1 << 6;
pub const S422: u16 = 1 << 7;
pub const S429: u16 = 1 << 8;
pub const S503: u16 = 1 << 9;

/// What every signed-in operation may answer: an unknown or bad parameter,
/// no valid token, a role that may not, a body over the limit, a database
/// out of reach.
pub const SIGNED_IN: u16 = S400 | S401 | S403 | S413 | S503;
/// ... and one that names a resource by id.
pub const ONE: u16 = SIGNED_IN | S404;
/// ... and one that takes a JSON body it validates.
pub const BODY: u16 = S415 | S422;

const STATUSES: &[(u16, u16, &str)] = &[
    (
        S400,
        400,
        "The request is malformed: a bad or unknown parameter, body key or JSON.",
    ),
    (
        S401,
        401,
        "No valid bearer token (or, at sign-in, wrong credentials).",
    ),
    (S403, 403, "The token's user or scope may not do this."),
    (S404, 404, "No such resource."),
    (
        S409,
        409,
        "A conflict: a stale version, a value taken, or a rule the change would break; `code` says which.",
    ),
    (S413, 413, "The request body is too large."),
    (
        S415,
        415,
        "The body is not of a media type this operation takes.",
    ),
    (
        S422,
        422,
        "The document breaks its rules; `errors` lists each field.",
    ),
    (
        S429,
        429,
        "Too many failed sign-ins; `Retry-After` says when to try again.",
    ),
    (
        S503,
        503,
        "The database does not answer; `Retry-After` says when to try again.",
    ),
];

/// An [`ApiError`] as one operation documents it.
#[derive(Debug)]
pub struct Problems<const MASK: u16>(pub ApiError);

impl<const MASK: u16> ApiResponse for Problems<MASK> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: STATUSES
                .iter()
                .filter(|(bit, _, _)| MASK & bit != 0)
                .map(|(_, status, description)| MetaResponse {
                    description,
                    status: Some(*status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: CONTENT_TYPE,
                        schema: Problem::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

impl<const MASK: u16> poem::IntoResponse for Problems<MASK> {
    fn into_response(self) -> poem::Response {
        self.0.into_response()
    }
}

// The ApiError itself travels inside poem's error, so the edge still finds
// its code.
impl<const MASK: u16> From<Problems<MASK>> for poem::Error {
    fn from(p: Problems<MASK>) -> Self {
        poem::Error::from(p.0)
    }
}

macro_rules! from_errors {
    ($($t:ty),*) => {$(
        impl<const MASK: u16> From<$t> for Problems<MASK> {
            fn from(e: $t) -> Self {
                Problems(ApiError::from(e))
            }
        }
    )*};
}
from_errors!(StoreError, AuthError, Forbidden);

impl<const MASK: u16> From<ApiError> for Problems<MASK> {
    fn from(e: ApiError) -> Self {
        Problems(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_bit_has_its_entry() {
        for bit in [S400, S401, S403, S404, S409, S413, S415, S422, S429, S503] {
            assert!(
                STATUSES.iter().any(|(b, _, _)| *b == bit),
                "bit {bit} has no status"
            );
        }
        let described = Problems::<{ SIGNED_IN }>::meta().responses;
        let statuses: Vec<u16> = described.iter().filter_map(|r| r.status).collect();
        assert_eq!(statuses, [400, 401, 403, 413, 503]);
    }
}
