//! `GET|HEAD /media/{id}/{filename}`: an asset's bytes, or a transform of
//! them, with ranges, validators and year-long caching.

use crate::api::codes::Code;
use object_store::path::Path as Key;
use object_store::{GetOptions, ObjectStore};
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::problem::ApiError;
use super::public::access::check_access;
use super::query_pairs;
use super::state::AppState;
use crate::media::derivatives::DeriveError;
use crate::media::policy::Refusal;
use crate::media::sniff::is_active;
use crate::store::assets::Asset;

/// Asset URLs never change meaning: a new upload gets a new id.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";
/// Files a browser could run as script are downloaded, never rendered in
/// Quire's origin.
const SANDBOX: &str = "default-src 'none'; sandbox";

/// What is served: an object, its type and its validator.
struct Served {
    key: Key,
    mime_type: String,
    etag: String,
    size: u64,
}

#[handler]
pub async fn serve(
    req: &Request,
    Path((id, _filename)): Path<(String, String)>,
    state: Data<&AppState>,
) -> Response {
    match respond(req, &id, &state).await {
        Ok(resp) => resp,
        Err(e) => poem::IntoResponse::into_response(e),
    }
}

async fn respond(req: &Request, id: &str, state: &AppState) -> Result<Response, ApiError> {
    let mut pairs = query_pairs(req);
    check_access(req, state, &mut pairs).await?;
    let not_found = || ApiError::not_found(format!("no asset {id}"));
    if uuid::Uuid::try_parse(id).is_err() {
        return Err(not_found());
    }
    let asset = crate::store::assets::get(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    let transform = state
        .config
        .media_transforms
        .resolve(&asset.id, &asset.mime_type, &pairs)
        .map_err(|refusal| match refusal {
            Refusal::Invalid(errors) => ApiError::invalid_query(errors),
            Refusal::NotAllowed(why) => ApiError::new(Code::TransformNotAllowed, why),
        })?;
    let served = match &transform {
        None => Served {
            key: Key::from(asset.object_key.clone()),
            mime_type: asset.mime_type.clone(),
            etag: format!("\"{}\"", asset.sha256),
            size: u64::try_from(asset.size).unwrap_or(0),
        },
        Some(t) => {
            let made = state
                .derivatives
                .get_or_make(state.media.clone(), &asset, t)
                .await
                .map_err(derive_error)?;
            let variant = made.key.filename().unwrap_or_default().to_string();
            Served {
                mime_type: t.output(&asset.mime_type).mime_type().to_string(),
                etag: format!("\"{}.{variant}\"", asset.sha256),
                key: made.key,
                size: made.size,
            }
        }
    };
    if etag_matches(req, &served.etag) {
        return Ok(headers(Response::builder(), &served, &asset)
            .status(StatusCode::NOT_MODIFIED)
            .finish());
    }
    let range = match requested_range(req, served.size) {
        Ok(r) => r,
        Err(()) => {
            return Ok(Response::builder()
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{}", served.size))
                .finish());
        }
    };
    let (status, length) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.end - r.start),
        None => (StatusCode::OK, served.size),
    };
    let mut builder = headers(Response::builder(), &served, &asset)
        .status(status)
        .header(header::CONTENT_LENGTH, length);
    if let Some(r) = &range {
        builder = builder.header(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{}", r.start, r.end - 1, served.size),
        );
    }
    if req.method() == poem::http::Method::HEAD {
        return Ok(builder.finish());
    }
    let got = state
        .media
        .get_opts(
            &served.key,
            GetOptions::new().with_range(range.clone().map(object_store::GetRange::from)),
        )
        .await
        .map_err(storage_error)?;
    Ok(builder.body(body(got, length)))
}

/// Bytes read from storage in steps of this size. The folder backend's own
/// stream reads 8 KiB per blocking call; larger steps keep a 1 MiB image to
/// a handful of them.
const FILE_READ_BYTES: usize = 256 * 1024;

/// The response body for a fetched object (or range of it) of `length` bytes.
fn body(got: object_store::GetResult, length: u64) -> Body {
    use std::io::{Seek, SeekFrom};
    use tokio::io::AsyncReadExt;
    let start = got.range.start;
    match got.payload {
        object_store::GetResultPayload::File(mut file, _) => {
            if let Err(e) = file.seek(SeekFrom::Start(start)) {
                return Body::from_bytes_stream(futures_util::stream::once(async {
                    Err::<bytes::Bytes, _>(e)
                }));
            }
            let reader = tokio::fs::File::from_std(file).take(length);
            Body::from_bytes_stream(tokio_util::io::ReaderStream::with_capacity(
                reader,
                FILE_READ_BYTES,
            ))
        }
        object_store::GetResultPayload::Stream(stream) => Body::from_bytes_stream(stream),
    }
}

fn headers(
    builder: poem::ResponseBuilder,
    served: &Served,
    asset: &Asset,
) -> poem::ResponseBuilder {
    let builder = builder
        .header(header::CONTENT_TYPE, served.mime_type.as_str())
        .header(header::ETAG, served.etag.as_str())
        .header(header::CACHE_CONTROL, CACHE_FOREVER)
        .header(header::ACCEPT_RANGES, "bytes");
    if is_active(&served.mime_type) {
        let name: String = form_urlencoded::byte_serialize(asset.filename.as_bytes()).collect();
        builder
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename*=UTF-8''{}", name.replace('+', "%20")),
            )
            .header(header::CONTENT_SECURITY_POLICY, SANDBOX)
    } else {
        builder
    }
}

fn storage_error(e: object_store::Error) -> ApiError {
    storage_problem(&e)
}

fn storage_problem(e: &object_store::Error) -> ApiError {
    if matches!(e, object_store::Error::NotFound { .. }) {
        tracing::error!(error = %e, "an asset's bytes are missing from media storage");
    } else {
        tracing::error!(error = %e, "media storage failed");
    }
    ApiError::internal()
}

/// Does `If-None-Match` name this ETag (or `*`)?
fn etag_matches(req: &Request, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// The one byte range asked for, end exclusive. Several ranges, or a header
/// that does not parse, get the whole object (RFC 9110 allows ignoring
/// them); a range wholly past the end is `Err`.
fn requested_range(req: &Request, size: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
    use http_range_header::RangeUnsatisfiableError;
    let Some(value) = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    match http_range_header::parse_range_header(value).and_then(|r| r.validate(size)) {
        Ok(ranges) if ranges.len() == 1 => {
            let r = &ranges[0];
            Ok(Some(*r.start()..*r.end() + 1))
        }
        Ok(_) => Ok(None),
        Err(RangeUnsatisfiableError::Unsatisfiable) if size > 0 => Err(()),
        Err(_) => Ok(None),
    }
}

fn derive_error(e: DeriveError) -> ApiError {
    match e {
        DeriveError::NotImage(why) => ApiError::new(Code::NotAnImage, why),
        DeriveError::TooLarge(why) => ApiError::new(Code::TooLargeToTransform, why),
        DeriveError::Limit => ApiError::new(
            Code::TransformLimit,
            format!(
                "this asset has {} stored transforms, as many as one may have",
                crate::media::derivatives::MAX_PER_ASSET
            ),
        ),
        DeriveError::Busy => {
            let mut e = ApiError::new(Code::Busy, "too many transforms at once; try again shortly");
            e.retry_after = Some(1);
            e
        }
        DeriveError::Storage(e) => storage_problem(&e),
    }
}
