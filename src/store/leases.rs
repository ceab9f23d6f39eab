//! Leases: a job that one node at a time should run (a clean-up) is run by
//! whichever node holds its lease. A holder that dies simply stops renewing;
//! once `until` passes another node takes it.

use super::{Db, StoreResult, on_pool};
use crate::clock::Micros;

/// Takes or renews the lease `name` for `holder` until `until`, if it is
/// free, expired, or already `holder`'s. True when `holder` now holds it.
pub async fn claim(
    db: &Db,
    name: &str,
    holder: &str,
    now: Micros,
    until: Micros,
) -> StoreResult<bool> {
    // One statement: two nodes claiming at once cannot both win.
    let sql = "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3) \
               ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
               WHERE leases.until < $4 OR leases.holder = excluded.holder";
    let done = on_pool!(db, pool => {
        sqlx::query(sql)
            .bind(name)
            .bind(holder)
            .bind(until)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(done == 1)
}
