//! `/content-types`: define, change and remove content types.

use super::statuses::*;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::Value;

use super::objects::{ContentTypeList, ContentTypeOut, SchemaPlan};
use super::schemas::{ContentTypeDefinition, Documented};
use super::{AdminAuth, Tag};
use crate::api::problem::ApiError;
use crate::api::state::AppState;
use crate::model::access::Permission;
use crate::model::content_type::ContentType;
use crate::store;
use crate::store::content_types::StoredType;

pub struct ContentTypesApi;

#[derive(ApiResponse)]
pub enum Created {
    /// The content type was created.
    #[oai(status = 201)]
    Created(Json<ContentTypeOut>),
}

#[derive(ApiResponse)]
pub enum Deleted {
    /// The content type is gone.
    #[oai(status = 204)]
    Done,
}

/// A stored type as the API shows it, with the file that defines it.
fn out_of(state: &AppState, stored: &StoredType) -> ContentTypeOut {
    let mut out = ContentTypeOut::from(stored);
    out.source_file = state
        .content
        .folder_file(stored.content_type.api_id())
        .map(str::to_string);
    out
}

fn parse(body: Value) -> Result<ContentType, ApiError> {
    ContentType::from_json(body).map_err(ApiError::validation)
}

#[OpenApi(prefix_path = "/content-types", tag = "Tag::ContentTypes")]
impl ContentTypesApi {
    /// All content types.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
    ) -> Result<Json<ContentTypeList>, Problems<{ SIGNED_IN }>> {
        auth.0.require(Permission::ReadContent)?;
        let types = store::content_types::list(&state.db).await?;
        Ok(Json(ContentTypeList {
            data: types
                .iter()
                .filter(|t| auth.0.require_type(t.content_type.api_id()).is_ok())
                .map(|t| out_of(&state, t))
                .collect(),
        }))
    }

    /// Define a content type: `{"api_id", "name", "kind", "fields": [...]}`.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        body: Json<Documented<ContentTypeDefinition>>,
    ) -> Result<Created, Problems<{ SIGNED_IN | S409 | BODY }>> {
        auth.0.require(Permission::ManageContentTypes)?;
        let ct = parse(body.0.0)?;
        let stored = state.content.create_type(ct, &auth.0.actor).await?;
        Ok(Created::Created(Json(out_of(&state, &stored))))
    }

    /// One content type.
    #[oai(path = "/:api_id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        api_id: Path<String>,
    ) -> Result<Json<ContentTypeOut>, Problems<{ ONE }>> {
        auth.0.require(Permission::ReadContent)?;
        auth.0.require_type(&api_id)?;
        let stored = store::content_types::get(&state.db, &api_id).await?;
        Ok(Json(out_of(&state, &stored)))
    }

    /// Replace a definition; existing entries follow. A field with
    /// `renamed_from` keeps its values under the new name; a field whose
    /// type changes has each value converted (422 `conversion` naming the
    /// entries whose value does not); an added field gives entries its
    /// `default` (a required one without a default is refused while
    /// entries lack it). Removing a field that entries hold, or changing it
    /// to a type its values cannot take, is refused (409 `data_loss`)
    /// unless `allow_data_loss=true`. `dry_run=true` answers the plan, with
    /// the entries each step touches, and changes nothing. Send the
    /// `schema_version` the change is based on (`?version=N` or
    /// `If-Match: "N"`): if someone changed the type since, 409
    /// `version_conflict` and nothing is written.
    #[oai(path = "/:api_id", method = "put")]
    #[allow(clippy::too_many_arguments)]
    async fn replace(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        api_id: Path<String>,
        /// Remove the values of removed or retyped fields from every entry.
        allow_data_loss: Query<Option<bool>>,
        /// Answer what the change would do, and change nothing.
        dry_run: Query<Option<bool>>,
        /// The schema version this change is based on.
        version: Query<Option<i64>>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<Documented<ContentTypeDefinition>>,
    ) -> Result<Json<ContentTypeOut>, Problems<{ ONE | S409 | BODY }>> {
        auth.0.require(Permission::ManageContentTypes)?;
        let expected = super::entries::expected_version(version.0, if_match.0)?;
        let mut body = body.0.0;
        if let Value::Object(map) = &mut body {
            let named = map
                .entry("api_id")
                .or_insert_with(|| Value::String(api_id.0.clone()));
            if named.as_str() != Some(api_id.0.as_str()) {
                return Err(Problems::from(ApiError::validation(vec![
                    crate::model::FieldError::new(
                        "api_id",
                        "immutable",
                        "api_id must match the path; a type cannot be renamed",
                    ),
                ])));
            }
        }
        let ct = parse(body)?;
        let allow = allow_data_loss.0.unwrap_or(false);
        let dry_run = dry_run.0.unwrap_or(false);
        let (stored, plan) = state
            .content
            .update_type(ct, expected, allow, dry_run, &auth.0.actor)
            .await?;
        let mut out = out_of(&state, &stored);
        out.plan = Some(SchemaPlan::from(&plan));
        out.dry_run = dry_run.then_some(true);
        Ok(Json(out))
    }

    /// Delete a content type. One with entries is refused (409) unless
    /// `delete_entries=true`.
    #[oai(path = "/:api_id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        api_id: Path<String>,
        /// Also delete every entry of the type.
        delete_entries: Query<Option<bool>>,
    ) -> Result<Deleted, Problems<{ ONE | S409 }>> {
        auth.0.require(Permission::ManageContentTypes)?;
        let with_entries = delete_entries.0.unwrap_or(false);
        state
            .content
            .delete_type(&api_id, with_entries, &auth.0.actor)
            .await?;
        Ok(Deleted::Done)
    }
}
