-- no-transaction
-- Content types of kind `component`: reusable groups of fields used inside
-- other types' component and blocks fields. SQLite cannot change a CHECK in
-- place, so the table is rebuilt the documented way: foreign keys off
-- (entries point at it), copy, swap, check, foreign keys on; the copy and
-- swap are one transaction.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE content_types_next (
    api_id         TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('collection', 'singleton', 'component')),
    definition     TEXT NOT NULL,
    schema_version BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
INSERT INTO content_types_next (api_id, name, kind, definition, schema_version, created_at, updated_at)
    SELECT api_id, name, kind, definition, schema_version, created_at, updated_at FROM content_types;
DROP TABLE content_types;
ALTER TABLE content_types_next RENAME TO content_types;
COMMIT;
PRAGMA foreign_keys = ON;
