//! The error catalogue: every problem `code` Quire answers, with its HTTP
//! status, a title and what it means. `docs/errors.md` is this table
//! (`quire errors` prints it; a test keeps the two equal).

use poem::http::StatusCode;

macro_rules! catalogue {
    ($($variant:ident = $code:literal, $status:literal, $title:literal, $meaning:literal;)*) => {
        /// A stable, machine-readable problem code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The HTTP status a problem with this code carries.
            pub fn status(self) -> StatusCode {
                let status = match self {
                    $(Code::$variant => $status,)*
                };
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }

            pub fn title(self) -> &'static str {
                match self {
                    $(Code::$variant => $title,)*
                }
            }

            /// What the code means, in one line.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }
        }
    };
}

catalogue! {
    BadRequest = "bad_request", 400, "Bad request",
        "The request is malformed: a JSON body that does not parse, a body key the operation does not take, NUL in text, or another HTTP-level fault.";
    InvalidQuery = "invalid_query", 400, "Invalid query",
        "A query parameter is unknown, malformed or out of range; `errors` names each one (both APIs).";
    InvalidBody = "invalid_body", 400, "Invalid form",
        "A multipart upload does not parse or was cut off.";
    InvalidHeader = "invalid_header", 400, "Invalid header",
        "A header such as `If-Match` is malformed.";
    NotAnImage = "not_an_image", 400, "Not an image",
        "A transform was asked of an asset that is not a raster image.";
    TooLargeToTransform = "too_large_to_transform", 400, "Too large to transform",
        "The original image is too large to transform.";
    Unauthorized = "unauthorized", 401, "Unauthorized",
        "No valid bearer token, or wrong credentials at sign-in.";
    Forbidden = "forbidden", 403, "Forbidden",
        "The token's user or scope may not do this.";
    TransformNotAllowed = "transform_not_allowed", 403, "Transform not allowed",
        "A media URL may ask for a preset (`?preset=`, listed by `QUIRE_MEDIA_TRANSFORMS`) or carry a signature from the admin API; this one does neither.";
    TransformLimit = "transform_limit", 403, "Transform limit",
        "The asset already has as many stored transforms as one may have.";
    NotFound = "not_found", 404, "Not found",
        "No such route, content type, entry, asset, user or token (or not published).";
    TranslationMissing = "translation_missing", 404, "Translation missing",
        "The entry exists, but not in the locale asked for; a PATCH with `?locale=` starts that translation.";
    MethodNotAllowed = "method_not_allowed", 405, "Method not allowed",
        "The route exists but does not answer this method.";
    VersionConflict = "version_conflict", 409, "Version conflict",
        "The version sent is stale: someone saved since; `current_version` says which is current.";
    UniqueViolation = "unique_violation", 409, "Value taken",
        "A value that must be unique is taken; `errors` names the field.";
    DataLoss = "data_loss", 409, "Data loss",
        "A content type change would drop stored values; `?allow_data_loss=true` accepts that.";
    TypeExists = "type_exists", 409, "Type exists",
        "A content type with this api id already exists.";
    TypeHasEntries = "type_has_entries", 409, "Type has entries",
        "The content type still has entries; `?delete_entries=true` deletes them with it.";
    TypeReferenced = "type_referenced", 409, "Type referenced",
        "Relation fields of other types point at this type; change them first.";
    FolderOwned = "folder_owned", 409, "Defined by a file",
        "The type is defined by a file in `content-types/`; change the file, not the API.";
    SingletonExists = "singleton_exists", 409, "Singleton exists",
        "A singleton type already has its entry in this locale.";
    NotASingleton = "not_a_singleton", 409, "Not a singleton",
        "`PUT /entries/{type}` writes a singleton's one entry; this type is a collection (`POST` creates its entries).";
    EmailTaken = "email_taken", 409, "Email taken",
        "Another user has this email.";
    LastAdmin = "last_admin", 409, "Last admin",
        "The change would leave no enabled admin.";
    OwnAccount = "own_account", 409, "Own account",
        "One's own account cannot be deleted.";
    Referenced = "referenced", 409, "Entry referenced",
        "Other entries point at this one through relation fields; the errors name them.";
    AssetInUse = "asset_in_use", 409, "Asset in use",
        "Entries still use the asset; `errors` names them.";
    SigningOff = "signing_off", 409, "Signing is off",
        "Transform URLs cannot be signed: `QUIRE_MEDIA_SIGNING_KEY` is not set.";
    PayloadTooLarge = "payload_too_large", 413, "Payload too large",
        "The body is larger than `QUIRE_MAX_BODY_BYTES` (or the upload than `QUIRE_MAX_UPLOAD_BYTES`).";
    UriTooLong = "uri_too_long", 414, "URI too long",
        "The request's URI is longer than 64 KiB.";
    UnsupportedMediaType = "unsupported_media_type", 415, "Unsupported media type",
        "The body's media type is not one the operation takes (JSON, or multipart for uploads).";
    ValidationFailed = "validation_failed", 422, "Validation failed",
        "The document breaks its rules; `errors` lists each field, rule and message.";
    TooManyRequests = "too_many_requests", 429, "Too many requests",
        "Too many failed sign-ins; `Retry-After` says when to try again.";
    HeadersTooLarge = "headers_too_large", 431, "Headers too large",
        "The request has more than 100 headers, or its head is larger than the server reads.";
    Internal = "internal", 500, "Internal server error",
        "An unexpected failure; details are in the server's log, never in the answer.";
    Unavailable = "unavailable", 503, "Service unavailable",
        "The database does not answer; `Retry-After` says when to try again. Cached public reads are still served.";
    Busy = "busy", 503, "Busy",
        "Too much costly work at once (password hashing, image transforms); `Retry-After` says when to try again.";
}

/// The catalogue as the Markdown of `docs/errors.md`.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Error codes\n\n\
         Every error Quire answers, on the admin and the public API alike, is an RFC 9457\n\
         problem document (`application/problem+json`) whose `code` is one of these. The\n\
         `type` is `urn:quire:problem:<code>`. Generated by `quire errors`; a test keeps\n\
         this page equal to the code.\n\n\
         | Code | Status | Title | Meaning |\n\
         | --- | --- | --- | --- |\n",
    );
    for code in Code::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            code.as_str(),
            code.status().as_u16(),
            code.title(),
            code.meaning()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s}");
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
    }

    #[test]
    fn docs_errors_md_is_the_catalogue() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors.md");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == markdown(),
            "docs/errors.md is stale; regenerate it with `cargo run -- errors > docs/errors.md`"
        );
    }
}
