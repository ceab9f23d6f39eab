//! `/assets`: the media library. Uploads stream into the object store.

use super::schemas::Text;
use super::statuses::*;
use crate::api::codes::Code;
use object_store::ObjectStoreExt;
use object_store::path::Path as Key;
use poem::web::{Data, Multipart};
use poem::{FromRequest, Request, RequestBody};
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, Object, OpenApi,
};
use tokio::io::AsyncReadExt;

use super::entries::expected_version;
use super::objects::ListMeta;
use super::{AdminAuth, Tag};
use crate::api::problem::ApiError;
use crate::api::state::AppState;
use crate::auth::Principal;
use crate::media::transform::Transform;
use crate::media::upload::{self, UploadError};
use crate::media::{self, sniff};
use crate::model::FieldError;
use crate::model::access::Permission;
use crate::store::assets::{Asset, AssetQuery};
use crate::{clock, store};

/// Longest alt text or title, in characters.
const MAX_TEXT: usize = 1000;

pub struct AssetsApi;

/// An asset as the admin API shows it.
#[derive(Debug, Object)]
pub struct AssetOut {
    pub id: String,
    pub filename: String,
    /// Sniffed from the bytes, not taken from the client.
    pub mime_type: String,
    pub size: i64,
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub alt: Option<String>,
    pub title: Option<String>,
    /// Where the public API serves it (a path on this server).
    pub url: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: Option<String>,
}

impl From<&Asset> for AssetOut {
    fn from(a: &Asset) -> Self {
        AssetOut {
            id: a.id.clone(),
            filename: a.filename.clone(),
            mime_type: a.mime_type.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
            width: a.width,
            height: a.height,
            alt: a.alt.clone(),
            title: a.title.clone(),
            url: media::url(&a.id, &a.filename),
            version: a.version,
            created_at: clock::format(a.created_at),
            updated_at: clock::format(a.updated_at),
            created_by: a.created_by.clone(),
        }
    }
}

#[derive(Debug, Object)]
pub struct AssetList {
    pub data: Vec<AssetOut>,
    pub meta: ListMeta,
}

/// Changes to an asset's descriptive text; `null` clears one.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AssetPatch {
    pub alt: MaybeUndefined<Text>,
    pub title: MaybeUndefined<Text>,
}

/// An image transform to sign; the same parameters as the media URL's.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct TransformRequest {
    /// Width in pixels, 1 to 4096.
    pub w: Option<u32>,
    /// Height in pixels, 1 to 4096.
    pub h: Option<u32>,
    /// `cover` (default) or `contain`.
    pub fit: Option<Text>,
    /// `webp`, `jpeg` or `png`; the original's own by default.
    pub format: Option<Text>,
    /// JPEG quality, 1 to 100 (default 80).
    pub q: Option<u32>,
}

#[derive(Debug, Object)]
pub struct SignedTransform {
    /// The transform's public URL (a path on this server), signed: anyone
    /// may fetch it, and it can't be changed into another.
    pub url: String,
}

#[derive(ApiResponse)]
pub enum TransformSigned {
    #[oai(status = 200)]
    Ok(Json<SignedTransform>),
}

#[derive(ApiResponse)]
pub enum AssetCreated {
    /// Stored.
    #[oai(status = 201)]
    Created(
        Json<AssetOut>,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
}

#[derive(ApiResponse)]
pub enum AssetResponse {
    /// The asset; its ETag is its version, for `If-Match`.
    #[oai(status = 200)]
    Ok(Json<AssetOut>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub enum AssetDeleted {
    /// The record and the bytes (with every transform of them) are gone.
    #[oai(status = 204)]
    Done,
}

fn ok(a: &Asset) -> AssetResponse {
    AssetResponse::Ok(Json(AssetOut::from(a)), format!("\"{}\"", a.version))
}

/// A `multipart/form-data` body read part by part as it arrives, so a file
/// part can stream to storage; documented as the form it carries. A body
/// that is no form is reported only after the caller's rights are checked.
pub struct UploadForm(poem::Result<Multipart>);

impl<'a> ApiExtractor<'a> for UploadForm {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn request_meta() -> Option<MetaRequest> {
        let text = || MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")));
        let mut form = MetaSchema::new("object");
        form.required = vec!["file"];
        form.properties = vec![
            (
                "file",
                MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary"))),
            ),
            ("alt", text()),
            ("title", text()),
        ];
        Some(MetaRequest {
            description: Some("The file, with optional alt text and title."),
            content: vec![MetaMediaType {
                content_type: "multipart/form-data",
                schema: MetaSchemaRef::Inline(Box::new(form)),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _opts: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        Ok(UploadForm(
            <Multipart as FromRequest>::from_request(request, body).await,
        ))
    }
}

/// The last path segment of a client's file name, printable, at most 255
/// characters. Only shown and put in URLs; never part of a storage key.
fn clean_filename(name: Option<&str>) -> String {
    let base = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
    let clean = clean.trim().trim_start_matches('.').to_string();
    if clean.is_empty() {
        "file".into()
    } else {
        clean
    }
}

fn form_error(field: &str, rule: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(vec![FieldError::new(field, rule, message)])
}

/// A short text part, refused beyond [`MAX_TEXT`] characters.
async fn text_part(field: poem::web::Field, name: &str) -> Result<String, ApiError> {
    let mut buf = Vec::new();
    field
        .into_async_read()
        .take((MAX_TEXT * 4 + 1) as u64)
        .read_to_end(&mut buf)
        .await
        .map_err(|e| ApiError::new(Code::InvalidBody, format!("malformed form: {e}")))?;
    let text =
        String::from_utf8(buf).map_err(|_| form_error(name, "type", "must be UTF-8 text"))?;
    if text.chars().count() > MAX_TEXT {
        return Err(form_error(
            name,
            "max_length",
            format!("at most {MAX_TEXT} characters"),
        ));
    }
    Ok(text)
}

fn upload_error(e: UploadError) -> ApiError {
    match e {
        UploadError::TooLarge(max) => ApiError::new(
            Code::PayloadTooLarge,
            format!("the file is larger than the {max} bytes allowed (QUIRE_MAX_UPLOAD_BYTES)"),
        ),
        UploadError::Body(e) => {
            ApiError::new(Code::InvalidBody, format!("the upload was cut off: {e}"))
        }
        UploadError::Store(e) => {
            tracing::error!(error = %e, "media storage failed");
            ApiError::internal()
        }
    }
}

/// Reads the form, streaming its file to `key`. What it stored is removed
/// again if the form turns out to be bad.
async fn receive(
    state: &AppState,
    form: &mut Multipart,
    key: &Key,
) -> Result<
    (
        Option<(String, upload::Stored)>,
        Option<String>,
        Option<String>,
    ),
    ApiError,
> {
    let (mut file, mut alt, mut title) = (None, None, None);
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| ApiError::new(Code::InvalidBody, format!("malformed form: {e}")))?;
        let Some(field) = field else { break };
        match field.name().unwrap_or_default() {
            "file" if file.is_none() => {
                let name = clean_filename(field.file_name());
                let reader = field.into_async_read();
                let stored = upload::store(
                    state.media.as_ref(),
                    key,
                    Box::pin(reader),
                    state.config.max_upload_bytes,
                )
                .await
                .map_err(upload_error)?;
                file = Some((name, stored));
            }
            "file" => return Err(form_error("file", "max_items", "send one file per upload")),
            "alt" if alt.is_none() => alt = Some(text_part(field, "alt").await?),
            "title" if title.is_none() => title = Some(text_part(field, "title").await?),
            name @ ("alt" | "title") => {
                return Err(form_error(
                    name,
                    "max_items",
                    format!("send one `{name}` part"),
                ));
            }
            other => {
                return Err(form_error(
                    other,
                    "unknown",
                    format!("`{other}` is not a part of an upload (file, alt, title)"),
                ));
            }
        }
    }
    Ok((file, alt, title))
}

async fn existing(state: &AppState, id: &str) -> Result<Asset, ApiError> {
    store::assets::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no asset {id}")))
}

/// May this caller change or delete this asset?
fn require_manage(p: &Principal, asset: &Asset) -> Result<(), ApiError> {
    p.require(Permission::UploadMedia)?;
    let own = asset.created_by.is_some() && asset.created_by == p.actor.id;
    if !own {
        p.require(Permission::ManageMedia)?;
    }
    Ok(())
}

#[OpenApi(prefix_path = "/assets", tag = "Tag::Media")]
impl AssetsApi {
    /// Upload a file (`multipart/form-data`: `file`, optional `alt` and
    /// `title`). Streamed to storage; its type is sniffed from its bytes.
    #[oai(path = "/", method = "post")]
    async fn upload(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        form: UploadForm,
    ) -> Result<AssetCreated, Problems<{ SIGNED_IN | S415 | S422 }>> {
        auth.0.require(Permission::UploadMedia)?;
        let mut form = form.0.map_err(|e| {
            ApiError::new(
                Code::UnsupportedMediaType,
                format!("send the file as multipart/form-data: {e}"),
            )
        })?;
        let id = uuid::Uuid::now_v7().to_string();
        let key = Key::from(media::original_key(&id));
        let received = receive(&state, &mut form, &key).await;
        let discard = async || {
            if let Err(e) = state.media.delete(&key).await
                && !matches!(e, object_store::Error::NotFound { .. })
            {
                tracing::warn!(%key, error = %e, "cannot remove a refused upload");
            }
        };
        let (file, alt, title) = match received {
            Ok(parts) => parts,
            Err(e) => {
                discard().await;
                return Err(Problems::from(e));
            }
        };
        let Some((filename, stored)) = file else {
            return Err(Problems::from(form_error(
                "file",
                "required",
                "the form has no `file` part",
            )));
        };
        let mime_type = sniff::mime_type(&stored.head).to_string();
        let (width, height) = match sniff::dimensions(&stored.head, &mime_type) {
            Some((w, h)) => (i32::try_from(w).ok(), i32::try_from(h).ok()),
            None => (None, None),
        };
        let now = clock::now();
        let asset = Asset {
            id: id.clone(),
            object_key: key.to_string(),
            filename,
            mime_type,
            size: i64::try_from(stored.size).unwrap_or(i64::MAX),
            sha256: stored.sha256,
            width,
            height,
            alt: alt.filter(|s| !s.is_empty()),
            title: title.filter(|s| !s.is_empty()),
            version: 1,
            created_at: now,
            updated_at: now,
            created_by: auth.0.actor.id.clone(),
        };
        if let Err(e) = store::assets::create(&state.db, &asset, &auth.0.actor).await {
            discard().await;
            return Err(e.into());
        }
        Ok(AssetCreated::Created(
            Json(AssetOut::from(&asset)),
            format!("/admin/api/assets/{id}"),
            "\"1\"".into(),
        ))
    }

    /// The library, newest first: `mime_type=image/png` or `image/*`,
    /// `search` in file names.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// 1 to 100 (default 25).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<i64>>,
        #[oai(validator(minimum(value = "0")))] offset: Query<Option<i64>>,
        /// A MIME type, or a family like `image/*`.
        mime_type: Query<Option<String>>,
        /// Part of the file name, any case.
        search: Query<Option<String>>,
    ) -> Result<Json<AssetList>, Problems<{ SIGNED_IN }>> {
        auth.0.require(Permission::ReadContent)?;
        let (limit, offset) = super::page(limit.0, offset.0)?;
        let q = AssetQuery {
            mime_type: mime_type.0.filter(|s| !s.is_empty()),
            search: search.0.filter(|s| !s.is_empty()),
            limit,
            offset,
        };
        let (rows, total) = store::assets::list(&state.db, &q).await?;
        Ok(Json(AssetList {
            data: rows.iter().map(AssetOut::from).collect(),
            meta: ListMeta {
                total,
                limit,
                offset,
            },
        }))
    }

    /// One asset.
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
    ) -> Result<AssetResponse, Problems<{ ONE }>> {
        auth.0.require(Permission::ReadContent)?;
        let asset = existing(&state, &id).await?;
        Ok(ok(&asset))
    }

    /// Change alt text or title. `?version=N` or `If-Match` catch
    /// concurrent edits.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
        version: Query<Option<i64>>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<AssetPatch>,
    ) -> Result<AssetResponse, Problems<{ ONE | S409 | BODY }>> {
        auth.0.require(Permission::UploadMedia)?;
        let expected = expected_version(version.0, if_match.0)?;
        let current = existing(&state, &id).await?;
        require_manage(&auth.0, &current)?;
        let mut errors = Vec::new();
        let mut change = |name: &str, v: MaybeUndefined<String>| match v {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(s) if s.chars().count() > MAX_TEXT => {
                errors.push(FieldError::new(
                    name,
                    "max_length",
                    format!("at most {MAX_TEXT} characters"),
                ));
                None
            }
            MaybeUndefined::Value(s) => Some(Some(s).filter(|s| !s.is_empty())),
        };
        let body = body.0;
        let alt = change("alt", body.alt.map_value(Text::into_inner));
        let title = change("title", body.title.map_value(Text::into_inner));
        if !errors.is_empty() {
            return Err(Problems::from(ApiError::validation(errors)));
        }
        let asset =
            store::assets::update(&state.db, &id, expected, alt, title, &auth.0.actor).await?;
        state.content.changed_asset(&asset.id);
        Ok(ok(&asset))
    }

    /// A signed URL for a transform outside the presets
    /// (`QUIRE_MEDIA_TRANSFORMS`), which anyone may then fetch.
    /// Needs `QUIRE_MEDIA_SIGNING_KEY`.
    #[oai(path = "/:id/transform-url", method = "post")]
    async fn sign_transform(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
        body: Json<TransformRequest>,
    ) -> Result<TransformSigned, Problems<{ ONE | S409 | BODY }>> {
        auth.0.require(Permission::UploadMedia)?;
        let asset = existing(&state, &id).await?;
        let b = body.0;
        let mut pairs = Vec::new();
        let mut add = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                pairs.push((k.to_string(), v));
            }
        };
        add("w", b.w.map(|n| n.to_string()));
        add("h", b.h.map(|n| n.to_string()));
        add("fit", b.fit.map(Text::into_inner));
        add("format", b.format.map(Text::into_inner));
        add("q", b.q.map(|n| n.to_string()));
        let transform = match Transform::parse(&pairs) {
            Ok(Some(t)) => t,
            Ok(None) => {
                return Err(Problems::from(ApiError::validation(vec![FieldError::new(
                    "w",
                    "required",
                    "name at least one of w, h, fit, format, q",
                )])));
            }
            Err(errors) => return Err(Problems::from(ApiError::validation(errors))),
        };
        let policy = &state.config.media_transforms;
        let sig = policy.sign(&asset.id, &transform).ok_or_else(|| {
            ApiError::new(
                Code::SigningOff,
                "QUIRE_MEDIA_SIGNING_KEY is not set, so transform URLs cannot be signed",
            )
        })?;
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .append_pair("sig", &sig)
            .finish();
        Ok(TransformSigned::Ok(Json(SignedTransform {
            url: format!("{}?{query}", media::url(&asset.id, &asset.filename)),
        })))
    }

    /// Delete an asset and its bytes. Refused with 409, naming them, while
    /// entries use it.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<String>,
        version: Query<Option<i64>>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> Result<AssetDeleted, Problems<{ ONE | S409 }>> {
        auth.0.require(Permission::UploadMedia)?;
        let expected = expected_version(version.0, if_match.0)?;
        let current = existing(&state, &id).await?;
        require_manage(&auth.0, &current)?;
        let asset = match store::assets::delete(&state.db, &id, expected, &auth.0.actor).await? {
            Ok(asset) => asset,
            Err(users) => {
                let named: Vec<String> = users
                    .iter()
                    .map(|u| format!("{}/{}", u.content_type, u.id))
                    .collect();
                return Err(Problems::from(
                    ApiError::new(
                        Code::AssetInUse,
                        format!("entries use this asset: {}", named.join(", ")),
                    )
                    .with_errors(
                        named
                            .into_iter()
                            .map(|n| FieldError::new("entries", "in_use", n))
                            .collect(),
                    ),
                ));
            }
        };
        state.content.changed_asset(&asset.id);
        media::remove_objects(state.media.as_ref(), &asset.id).await;
        Ok(AssetDeleted::Done)
    }
}
