-- Access control: per-user type restrictions, listable sessions, API tokens
-- for machines, and an audit log of every admin write.

ALTER TABLE users ADD COLUMN types JSONB;

ALTER TABLE sessions ADD COLUMN id TEXT;
ALTER TABLE sessions ADD COLUMN last_used_at BIGINT;
ALTER TABLE sessions ADD COLUMN client_ip TEXT;
UPDATE sessions SET id = substr(token_hash, 1, 32) WHERE id IS NULL;
CREATE UNIQUE INDEX sessions_id ON sessions (id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'preview', 'write')),
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT
);

CREATE TABLE audit (
    id            BIGSERIAL PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor_id      TEXT,
    actor         TEXT NOT NULL,
    client_ip     TEXT,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    detail        JSONB
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_actor ON audit (actor_id, at);
CREATE INDEX audit_resource ON audit (resource_type, resource_id, at);
