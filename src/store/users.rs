//! Users and their sessions. Session tokens are stored only as hashes.

use serde_json::{Value, json};
use sqlx::types::Json;

use super::audit::{Actor, audit};
use super::direct::json_text;
use super::sql::{Arg, Sql};
use super::{Conflict, Db, StoreError, StoreResult, WritePool, on_pool};
use crate::clock::{self, Micros};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: bool,
    /// The content types this user may work on; `None` for all.
    pub types: Option<Json<Vec<String>>>,
    pub created_at: i64,
    pub updated_at: i64,
}

const USER_COLUMNS: &str =
    "id, email, display_name, role, password_hash, disabled, types, created_at, updated_at";

pub async fn count(db: &Db) -> StoreResult<i64> {
    Ok(on_pool!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await?
    }))
}

/// What a new user is made of.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub types: Option<Vec<String>>,
}

/// Creates a user; an email in use is a conflict.
pub async fn create(db: &Db, new: NewUser, actor: &Actor) -> StoreResult<User> {
    let now = clock::now();
    let user = User {
        id: uuid::Uuid::now_v7().to_string(),
        email: new.email,
        display_name: new.display_name,
        role: new.role,
        password_hash: new.password_hash,
        disabled: false,
        types: new.types.map(Json),
        created_at: now,
        updated_at: now,
    };
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let taken = sqlx::query_scalar::<_, i32>("SELECT 1 FROM users WHERE email = $1")
            .bind(&user.email)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(
                Conflict::EmailTaken,
                format!(
                "a user with email {} already exists",
                user.email
            )));
        }
        sqlx::query(
            "INSERT INTO users (id, email, display_name, role, password_hash, disabled, types, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, FALSE, $6, $7, $7)",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(&user.role)
        .bind(&user.password_hash)
        .bind(&user.types)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let detail = json!({"email": user.email, "role": user.role});
        audit!(tx, actor, now, "user.create", "user", &user.id, Some(detail));
        tx.commit().await?;
        Ok(user)
    })
}

pub async fn list(db: &Db) -> StoreResult<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY email");
    Ok(on_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
    }))
}

pub async fn get(db: &Db, id: &str) -> StoreResult<User> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let user: Option<User> = on_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
    });
    user.ok_or(StoreError::NotFound)
}

pub async fn find_by_email(db: &Db, email: &str) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
    Ok(on_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(email).fetch_optional(pool).await?
    }))
}

/// A change to a user; `None` leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
    /// `Some(None)` lifts a restriction to some types.
    pub types: Option<Option<Vec<String>>>,
    /// With a new password: the session to keep (the caller's own).
    pub keep_session: Option<String>,
}

const LAST_ADMIN: &str = "this is the last active admin; make another admin first";

/// The active admins, locked until commit. Two transactions that each
/// demote a different admin would otherwise both count two and leave none
/// (write skew on PostgreSQL); with the rows locked the second waits,
/// re-reads, and sees one. SQLite's writers already run one at a time.
fn active_admins(db: &Db) -> String {
    format!(
        "SELECT id FROM users WHERE role = 'admin' AND NOT disabled{}",
        db.dialect().row_lock()
    )
}

/// Applies a change. Disabling a user or changing their password revokes
/// their sessions in the same transaction; the last active admin cannot be
/// demoted or disabled.
pub async fn update(db: &Db, id: &str, change: UserChange, actor: &Actor) -> StoreResult<User> {
    let now = clock::now();
    let select = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let user: Option<User> = sqlx::query_as(sqlx::AssertSqlSafe(select))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let mut user = user.ok_or(StoreError::NotFound)?;
        let was_active_admin = user.role == "admin" && !user.disabled;
        if let Some(v) = change.display_name {
            user.display_name = v;
        }
        if let Some(v) = change.role {
            user.role = v;
        }
        if let Some(v) = change.disabled {
            user.disabled = v;
        }
        if let Some(v) = change.types {
            user.types = v.map(Json);
        }
        let password_changed = change.password_hash.is_some();
        if let Some(v) = change.password_hash {
            user.password_hash = v;
        }
        if was_active_admin && (user.role != "admin" || user.disabled) {
            let admins: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(active_admins(db)))
                .fetch_all(&mut *tx)
                .await?;
            if admins.len() <= 1 {
                return Err(StoreError::Conflict(Conflict::LastAdmin, LAST_ADMIN.into()));
            }
        }
        user.updated_at = now;
        sqlx::query(
            "UPDATE users SET display_name = $1, role = $2, disabled = $3, password_hash = $4, \
             types = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(&user.display_name)
        .bind(&user.role)
        .bind(user.disabled)
        .bind(&user.password_hash)
        .bind(&user.types)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if user.disabled || password_changed {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(id)
                .bind(change.keep_session.as_deref().unwrap_or(""))
                .execute(&mut *tx)
                .await?;
        }
        let detail = json!({
            "role": user.role,
            "disabled": user.disabled,
            "password_changed": password_changed,
        });
        audit!(tx, actor, now, "user.update", "user", id, Some(detail));
        tx.commit().await?;
        Ok(user)
    })
}

/// Deletes a user and their sessions; never the last active admin.
pub async fn delete(db: &Db, id: &str, actor: &Actor) -> StoreResult<()> {
    let now = clock::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let role: Option<(String, bool)> =
            sqlx::query_as("SELECT role, disabled FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let (role, disabled) = role.ok_or(StoreError::NotFound)?;
        if role == "admin" && !disabled {
            let admins: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(active_admins(db)))
                .fetch_all(&mut *tx)
                .await?;
            if admins.len() <= 1 {
                return Err(StoreError::Conflict(Conflict::LastAdmin, LAST_ADMIN.into()));
            }
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit!(tx, actor, now, "user.delete", "user", id, None::<Value>);
        tx.commit().await?;
        Ok(())
    })
}

/// A session as its owner may see it (never its token).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id: String,
    pub token_hash: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub client_ip: Option<String>,
}

/// Opens a session; returns its id.
pub async fn create_session(
    db: &Db,
    token_hash: &str,
    user_id: &str,
    expires_at: Micros,
    client_ip: Option<&str>,
) -> StoreResult<String> {
    let now = clock::now();
    let id = uuid::Uuid::now_v7().to_string();
    on_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO sessions (id, token_hash, user_id, created_at, expires_at, \
             last_used_at, client_ip) VALUES ($1, $2, $3, $4, $5, $4, $6)",
        )
        .bind(&id)
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .bind(client_ip)
        .execute(pool)
        .await?;
    });
    Ok(id)
}

const SESSION_COLUMNS: &str =
    "id, token_hash, user_id, created_at, expires_at, last_used_at, client_ip";

/// A session's row with its user's, as `session_user` reads them.
#[derive(sqlx::FromRow)]
struct SessionOfUser {
    #[sqlx(flatten)]
    user: User,
    session_id: String,
    session_created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
    client_ip: Option<String>,
}

impl SessionOfUser {
    /// A row read on the request's thread (SQLite, see `store::direct`).
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionOfUser> {
        Ok(SessionOfUser {
            user: User {
                id: r.get(0)?,
                email: r.get(1)?,
                display_name: r.get(2)?,
                role: r.get(3)?,
                password_hash: r.get(4)?,
                disabled: r.get(5)?,
                types: json_text(r, 6)?.map(Json),
                created_at: r.get(7)?,
                updated_at: r.get(8)?,
            },
            session_id: r.get(9)?,
            session_created_at: r.get(10)?,
            expires_at: r.get(11)?,
            last_used_at: r.get(12)?,
            client_ip: r.get(13)?,
        })
    }
}

/// The live session behind a token hash and its user: not expired, the user
/// not disabled. One statement, read on the request's thread on SQLite:
/// every admin request asks.
pub async fn session_user(db: &Db, token_hash: &str) -> StoreResult<Option<(User, Session)>> {
    const SQL: &str = "SELECT u.id, u.email, u.display_name, u.role, u.password_hash, \
         u.disabled, u.types, u.created_at, u.updated_at, s.id AS session_id, \
         s.created_at AS session_created_at, s.expires_at, s.last_used_at, s.client_ip \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2";
    let now = clock::now();
    let row: Option<SessionOfUser> = match db {
        Db::Sqlite(_, Some(direct)) => {
            let sql = Sql {
                text: SQL.to_string(),
                args: vec![Arg::Text(token_hash.to_string()), Arg::Int(now)],
            };
            direct.rows(&sql, SessionOfUser::from_direct)?.pop()
        }
        _ => on_pool!(db, pool => {
            sqlx::query_as(SQL)
                .bind(token_hash)
                .bind(now)
                .fetch_optional(pool)
                .await?
        }),
    };
    Ok(row.filter(|r| !r.user.disabled).map(|r| {
        let session = Session {
            id: r.session_id,
            token_hash: token_hash.to_string(),
            user_id: r.user.id.clone(),
            created_at: r.session_created_at,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
            client_ip: r.client_ip,
        };
        (r.user, session)
    }))
}

/// Notes that a session was used; callers do it at most once a minute.
pub async fn touch_session(db: &Db, id: &str) -> StoreResult<()> {
    on_pool!(db, pool => {
        sqlx::query("UPDATE sessions SET last_used_at = $1 WHERE id = $2")
            .bind(clock::now())
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// A user's live sessions, newest first.
pub async fn sessions_of(db: &Db, user_id: &str) -> StoreResult<Vec<Session>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND expires_at > $2 \
         ORDER BY created_at DESC"
    );
    Ok(on_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(clock::now())
            .fetch_all(pool)
            .await?
    }))
}

/// Revokes one of a user's sessions by id.
pub async fn delete_session_of(db: &Db, user_id: &str, id: &str) -> StoreResult<()> {
    let deleted = on_pool!(db, pool => {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
    });
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn delete_session(db: &Db, token_hash: &str) -> StoreResult<()> {
    on_pool!(db, pool => {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Removes expired sessions; run now and then.
pub async fn purge_expired_sessions(db: &Db) -> StoreResult<u64> {
    Ok(on_pool!(db, pool => {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(clock::now())
            .execute(pool)
            .await?
            .rows_affected()
    }))
}
