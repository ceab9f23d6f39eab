//! HTTP: the admin API (poem-openapi), the public read API, health checks,
//! and the one place errors become problem documents.

pub mod admin;
pub mod body_limit;
pub mod health;
pub mod problem;
pub mod public;
pub mod search;
pub mod state;
