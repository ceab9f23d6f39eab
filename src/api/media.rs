//! `GET|HEAD /media/{id}/{filename}`: an asset's bytes, or a transform of
//! them, with ranges, validators and year-long caching.

use crate::api::codes::Code;
use object_store::path::Path as Key;
use object_store::{GetOptions, ObjectStore, ObjectStoreExt};
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::problem::ApiError;
use super::public::access::check_access;
use super::query_pairs;
use super::state::AppState;
use crate::media::sniff::is_active;
use crate::media::transform::{MAX_SOURCE_BYTES, Transform};
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
    let transform = Transform::parse(&pairs).map_err(ApiError::invalid_query)?;
    let not_found = || ApiError::not_found(format!("no asset {id}"));
    if uuid::Uuid::try_parse(id).is_err() {
        return Err(not_found());
    }
    let asset = crate::store::assets::get(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    let served = match &transform {
        None => Served {
            key: Key::from(asset.object_key.clone()),
            mime_type: asset.mime_type.clone(),
            etag: format!("\"{}\"", asset.sha256),
            size: u64::try_from(asset.size).unwrap_or(0),
        },
        Some(t) => transformed(state.media.as_ref(), &asset, t).await?,
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

/// The stored result of a transform, made now if it is not there yet.
async fn transformed(
    store: &dyn ObjectStore,
    asset: &Asset,
    t: &Transform,
) -> Result<Served, ApiError> {
    let raster = asset.mime_type.starts_with("image/") && asset.mime_type != "image/svg+xml";
    if !raster {
        return Err(ApiError::new(
            Code::NotAnImage,
            format!(
                "only raster images can be transformed; this asset is {}",
                asset.mime_type
            ),
        ));
    }
    let key_text = t.key(&asset.id, &asset.mime_type);
    let key = Key::from(key_text.clone());
    let variant = key_text.rsplit('/').next().unwrap_or_default().to_string();
    let mime_type = t.output(&asset.mime_type).mime_type().to_string();
    let etag = format!("\"{}.{variant}\"", asset.sha256);
    match store.head(&key).await {
        Ok(meta) => {
            return Ok(Served {
                key,
                mime_type,
                etag,
                size: meta.size,
            });
        }
        Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => return Err(storage_error(e)),
    }
    if u64::try_from(asset.size).unwrap_or(u64::MAX) > MAX_SOURCE_BYTES {
        return Err(ApiError::new(
            Code::TooLargeToTransform,
            format!(
                "images above {MAX_SOURCE_BYTES} bytes are served as they are, not transformed"
            ),
        ));
    }
    let source = store
        .get(&Key::from(asset.object_key.clone()))
        .await
        .map_err(storage_error)?
        .bytes()
        .await
        .map_err(storage_error)?;
    let (t2, mime) = (t.clone(), asset.mime_type.clone());
    let out = tokio::task::spawn_blocking(move || t2.apply(&source, &mime))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|why| ApiError::new(Code::NotAnImage, why))?;
    let size = out.len() as u64;
    store.put(&key, out.into()).await.map_err(storage_error)?;
    Ok(Served {
        key,
        mime_type,
        etag,
        size,
    })
}
