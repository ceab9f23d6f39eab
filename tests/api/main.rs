//! Integration tests: the real server over HTTP, on SQLite and PostgreSQL.

mod helpers;

mod access;
mod admin_ui;
mod auth;
mod cli;
mod components;
mod content_types;
mod contract;
mod crash;
mod entries;
mod error_codes;
mod events;
mod http_caching;
mod keyset;
mod locales;
mod media;
mod openapi;
mod operations;
mod outage;
mod preview_links;
mod public;
mod refusals;
mod relations;
mod revisions;
mod richtext;
mod s3_server;
mod scheduling;
mod schema_changes;
mod search;
mod server;
mod strict_input;
mod sync;
mod transfer;
mod validation;
mod webhooks;
