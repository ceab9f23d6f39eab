-- Media: uploaded assets (bytes in the object store, facts here) and which
-- entries use them, so an asset in use cannot be deleted.

CREATE TABLE assets (
    id          TEXT PRIMARY KEY,
    object_key  TEXT NOT NULL,
    filename    TEXT NOT NULL,
    mime_type   TEXT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    width       INTEGER,
    height      INTEGER,
    alt         TEXT,
    title       TEXT,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    created_by  TEXT REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX assets_created ON assets (created_at, id);

CREATE TABLE asset_refs (
    asset_id TEXT NOT NULL REFERENCES assets (id),
    entry_id TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    PRIMARY KEY (asset_id, entry_id)
);
CREATE INDEX asset_refs_entry ON asset_refs (entry_id);
