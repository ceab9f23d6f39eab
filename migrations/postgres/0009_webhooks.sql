-- Webhooks: where changes are posted, and a durable outbox of deliveries.

CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    url        TEXT NOT NULL,
    -- JSON arrays: the events it wants, and the types it is limited to
    -- (NULL: every type).
    events     JSONB NOT NULL,
    types      JSONB,
    -- The signing key. HMAC needs the key itself, so it cannot be hashed;
    -- the API never shows it again after creation.
    secret     TEXT NOT NULL,
    enabled    BOOLEAN NOT NULL,
    version    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- How far the change feed has been fanned out into deliveries. One row,
-- locked by whichever node fans out, so each change is queued once.
CREATE TABLE webhook_outbox (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO webhook_outbox (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM changes;

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event            TEXT NOT NULL,
    -- The change it tells of (NULL for a test delivery).
    seq              BIGINT,
    body             TEXT NOT NULL,
    -- pending, delivered or failed.
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    -- When a pending delivery is next tried (a claim pushes it out by a
    -- lease, so a node that dies mid-attempt leaves it to be tried again).
    next_try_at      BIGINT,
    created_at       BIGINT NOT NULL,
    last_attempt_at  BIGINT,
    last_status_code BIGINT,
    last_duration_ms BIGINT,
    last_error       TEXT,
    response_excerpt TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_try_at);
CREATE INDEX webhook_deliveries_of ON webhook_deliveries (webhook_id, created_at);
