//! Users and their sessions. Session tokens are stored only as hashes.

use super::{Db, StoreError, StoreResult, on_pool};
use crate::clock::{self, Micros};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const USER_COLUMNS: &str =
    "id, email, display_name, role, password_hash, disabled, created_at, updated_at";

pub async fn count(db: &Db) -> StoreResult<i64> {
    Ok(on_pool!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await?
    }))
}

/// Creates a user; an email in use is a conflict.
pub async fn create(
    db: &Db,
    email: &str,
    display_name: &str,
    role: &str,
    password_hash: &str,
) -> StoreResult<User> {
    let now = clock::now();
    let user = User {
        id: uuid::Uuid::now_v7().to_string(),
        email: email.to_string(),
        display_name: display_name.to_string(),
        role: role.to_string(),
        password_hash: password_hash.to_string(),
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    let result = on_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO users (id, email, display_name, role, password_hash, disabled, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, FALSE, $6, $6)",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(&user.role)
        .bind(&user.password_hash)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
    });
    match result {
        Ok(_) => Ok(user),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(
            format!("a user with email {email} already exists"),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn find_by_email(db: &Db, email: &str) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
    Ok(on_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(email).fetch_optional(pool).await?
    }))
}

pub async fn create_session(
    db: &Db,
    token_hash: &str,
    user_id: &str,
    expires_at: Micros,
) -> StoreResult<()> {
    let now = clock::now();
    on_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// The user behind a live session token hash: not expired, not disabled.
pub async fn session_user(db: &Db, token_hash: &str) -> StoreResult<Option<(User, Micros)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: User,
        expires_at: i64,
    }
    let sql = "SELECT u.id, u.email, u.display_name, u.role, u.password_hash, u.disabled, \
         u.created_at, u.updated_at, s.expires_at FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled";
    let row: Option<Row> = on_pool!(db, pool => {
        sqlx::query_as(sql).bind(token_hash).bind(clock::now()).fetch_optional(pool).await?
    });
    Ok(row.map(|r| (r.user, r.expires_at)))
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
