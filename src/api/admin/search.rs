//! `/search`: full-text search over working copies.

use super::statuses::*;
use poem::Request;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;

use super::schemas::{Documented, SearchResult};
use super::{AdminAuth, Tag};
use crate::api::state::AppState;
use crate::model::access::Permission;
use crate::model::query::Surface;

pub struct SearchApi;

#[OpenApi(tag = "Tag::Search")]
impl SearchApi {
    /// Search working copies (drafts included): words must all match, typos
    /// are tolerated, `"phrases"` match exactly, `-word` excludes, and the
    /// last word matches as a prefix. Takes `filter[field][op]` with `type`.
    #[oai(path = "/search", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        state: Data<&AppState>,
        req: &Request,
        auth: AdminAuth,
        /// The query.
        #[oai(name = "q", validator(min_length = 1, max_length = 500))]
        _q: Query<String>,
        /// Limit to one content type.
        #[oai(name = "type")]
        _content_type: Query<Option<String>>,
        /// 1 to 100 (default 25).
        #[oai(
            name = "limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        _limit: Query<Option<i64>>,
        #[oai(
            name = "offset",
            validator(minimum(value = "0"), maximum(value = "900"))
        )]
        _offset: Query<Option<i64>>,
    ) -> Result<Json<Documented<SearchResult>>, Problems<{ SIGNED_IN }>> {
        auth.0.require(Permission::ReadContent)?;
        let pairs = crate::api::query_pairs(req);
        let result = crate::api::search::run(&state, pairs, Surface::Admin, Some(&auth.0)).await?;
        Ok(Json(Documented::new(result)))
    }
}
