//! The audit log: who changed what, when and from where, written in the
//! same transaction as the change itself.

use serde_json::Value;
use sqlx::AssertSqlSafe;
use sqlx::types::Json;

use super::log_id::LogId;
use super::sql::{Arg, Sql, bind_args};
use super::{Db, StoreResult, on_pool};

/// Who is writing: a domain fact, re-exported for the store's callers.
pub use crate::model::actor::Actor;

pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit (at, actor_id, actor, client_ip, action, \
     resource_type, resource_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Records one audit row inside the current transaction.
macro_rules! audit {
    ($tx:expr, $actor:expr, $now:expr, $action:expr, $rtype:expr, $rid:expr, $detail:expr) => {
        sqlx::query($crate::store::audit::INSERT_AUDIT)
            .bind($now)
            .bind($crate::store::log_id::LogId::of_opt($actor.id.as_ref()))
            .bind(&$actor.label)
            .bind(&$actor.ip)
            .bind($action)
            .bind($rtype)
            .bind($crate::store::log_id::LogId::of($rid))
            .bind($detail.map(sqlx::types::Json))
            .execute(&mut *$tx)
            .await?
    };
}
pub(crate) use audit;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<LogId<'static>>,
    pub actor: String,
    pub client_ip: Option<String>,
    pub action: String,
    pub resource_type: String,
    #[sqlx(try_from = "LogId<'static>")]
    pub resource_id: String,
    pub detail: Option<Json<Value>>,
}

/// Filters for reading the log; each is an exact match.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// A page of the log, newest first, and the total that match.
pub async fn list(db: &Db, q: &AuditQuery) -> StoreResult<(Vec<AuditRow>, i64)> {
    let mut w = Sql::default();
    w.push(" WHERE 1 = 1");
    // Ids are compared as the log stores them; the rest as text.
    for (column, value, is_id) in [
        ("actor_id", &q.actor_id, true),
        ("action", &q.action, false),
        ("resource_type", &q.resource_type, false),
        ("resource_id", &q.resource_id, true),
    ] {
        if let Some(v) = value.clone() {
            let arg = if is_id { Arg::LogId(v) } else { Arg::Text(v) };
            w.push(&format!(" AND {column} = ")).arg(arg);
        }
    }
    let mut select = Sql::default();
    select.push(
        "SELECT id, at, actor_id, actor, client_ip, action, resource_type, resource_id, detail \
         FROM audit",
    );
    select.text.push_str(&w.text);
    select.args.extend(w.args.iter().cloned());
    select
        .push(" ORDER BY id DESC LIMIT ")
        .arg(Arg::Int(q.limit))
        .push(" OFFSET ")
        .arg(Arg::Int(q.offset));
    let count = format!("SELECT COUNT(*) FROM audit{}", w.text);
    Ok(on_pool!(db, pool => {
        let rows: Vec<AuditRow> = bind_args!(sqlx::query_as(AssertSqlSafe(select.text)), select.args)
            .fetch_all(pool)
            .await?;
        let total: i64 = bind_args!(sqlx::query_scalar(AssertSqlSafe(count)), w.args)
            .fetch_one(pool)
            .await?;
        (rows, total)
    }))
}
