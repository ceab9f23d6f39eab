//! `/audit`: the log of admin writes, for admins.

use super::statuses::*;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;

use super::objects::{AuditList, AuditOut, ListMeta};
use super::{AdminAuth, Tag};
use crate::api::state::AppState;
use crate::model::access::Permission;
use crate::store::audit::AuditQuery;
use crate::{clock, store};

pub struct AuditApi;

#[OpenApi(prefix_path = "/audit", tag = "Tag::Audit")]
impl AuditApi {
    /// Admin writes, newest first; each filter is an exact match.
    #[oai(path = "/", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// 1 to 100 (default 25).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<i64>>,
        #[oai(validator(minimum(value = "0")))] offset: Query<Option<i64>>,
        /// A user id.
        actor_id: Query<Option<String>>,
        /// e.g. `entry.publish`.
        action: Query<Option<String>>,
        /// `entry`, `content_type`, `user` or `token`.
        resource_type: Query<Option<String>>,
        resource_id: Query<Option<String>>,
    ) -> Result<Json<AuditList>, Problems<{ SIGNED_IN }>> {
        auth.0.require(Permission::ReadAudit)?;
        let (limit, offset) = super::page(limit.0, offset.0)?;
        let q = AuditQuery {
            actor_id: actor_id.0,
            action: action.0,
            resource_type: resource_type.0,
            resource_id: resource_id.0,
            limit,
            offset,
        };
        let (rows, total) = store::audit::list(&state.db, &q).await?;
        Ok(Json(AuditList {
            data: rows
                .into_iter()
                .map(|r| AuditOut {
                    id: r.id,
                    at: clock::format(r.at),
                    actor_id: r.actor_id.map(String::from),
                    actor: r.actor,
                    client_ip: r.client_ip,
                    action: r.action,
                    resource_type: r.resource_type,
                    resource_id: r.resource_id,
                    detail: r.detail.map(|d| d.0),
                })
                .collect(),
            meta: ListMeta {
                total,
                limit,
                offset,
            },
        }))
    }
}
