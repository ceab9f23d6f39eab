//! Quire: a headless CMS in one binary.
//!
//! Layers, each depending only on the ones below it:
//! `api` (HTTP) → `content` (the rules of content) → `auth`, `search`,
//! `store` (SQL) → `media`, `model` (pure domain).

pub mod api;
pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod clock;
pub mod config;
pub mod connections;
pub mod content;
pub mod logging;
pub mod media;
pub mod metrics;
pub mod model;
pub mod search;
pub mod serve;
pub mod store;
pub mod transfer;
pub mod webhooks;
