-- Timestamps are microseconds since the Unix epoch (UTC) in both dialects, so
-- the same queries, bounds and orderings work unchanged on SQLite and Postgres.

CREATE TABLE content_types (
    api_id         TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('collection', 'singleton')),
    definition     TEXT NOT NULL,
    schema_version BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'author', 'viewer')),
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE entries (
    id              TEXT PRIMARY KEY,
    type            TEXT NOT NULL REFERENCES content_types (api_id) ON UPDATE CASCADE,
    locale          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'published', 'changed')),
    slug            TEXT,
    published_slug  TEXT,
    draft           TEXT NOT NULL,
    published       TEXT,
    version         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    published_at    BIGINT,
    live_updated_at BIGINT,
    created_by      TEXT,
    updated_by      TEXT
);
CREATE INDEX entries_type_created ON entries (type, created_at, id);
CREATE INDEX entries_type_updated ON entries (type, updated_at, id);
-- The public list path: published entries of one type and locale, newest first.
CREATE INDEX entries_public ON entries (type, locale, published_at, id) WHERE published IS NOT NULL;
CREATE UNIQUE INDEX entries_slug ON entries (type, locale, slug) WHERE slug IS NOT NULL;
CREATE UNIQUE INDEX entries_published_slug ON entries (type, locale, published_slug)
    WHERE published_slug IS NOT NULL;

CREATE TABLE revisions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id   TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    action     TEXT NOT NULL,
    data       TEXT NOT NULL,
    author_id  TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX revisions_entry ON revisions (entry_id, id);

CREATE TABLE changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    content_type TEXT,
    action       TEXT NOT NULL,
    at           BIGINT NOT NULL
);
