-- Ids in the logs as 16 bytes (see src/store/log_id.rs): the revisions,
-- the audit log and the change feed hold a row per write, each naming an
-- entry, a user or another resource. A UUID in its canonical form (every
-- id Quire makes) is stored as its bytes; any other id stays text. The
-- CASE below is the same rule as `log_id::packed`.
--
-- A revision's entry id can no longer be a foreign key (a blob never
-- equals the text in `entries.id`), so the table is rebuilt without it,
-- and a trigger deletes an entry's revisions with the entry, as the
-- key's ON DELETE CASCADE did.
CREATE TABLE revisions_next (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id   BLOB NOT NULL,
    version    BIGINT NOT NULL,
    action     TEXT NOT NULL,
    data       TEXT NOT NULL,
    author_id  BLOB,
    created_at BIGINT NOT NULL,
    form       SMALLINT NOT NULL DEFAULT 0
);
INSERT INTO revisions_next (id, entry_id, version, action, data, author_id, created_at, form)
    SELECT id,
           CASE WHEN entry_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'
                THEN unhex(replace(entry_id, '-', '')) ELSE entry_id END,
           version, action, data,
           CASE WHEN author_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'
                THEN unhex(replace(author_id, '-', '')) ELSE author_id END,
           created_at, form
    FROM revisions ORDER BY id;
-- Ids continue where they were, past revisions deleted since.
DELETE FROM sqlite_sequence WHERE name = 'revisions_next';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'revisions_next', seq FROM sqlite_sequence WHERE name = 'revisions';
DROP TABLE revisions;
ALTER TABLE revisions_next RENAME TO revisions;
CREATE INDEX revisions_entry ON revisions (entry_id);

CREATE TRIGGER revisions_of_deleted_entry AFTER DELETE ON entries BEGIN
    DELETE FROM revisions WHERE entry_id =
        CASE WHEN OLD.id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'
             THEN unhex(replace(OLD.id, '-', '')) ELSE OLD.id END;
END;

UPDATE audit SET actor_id = unhex(replace(actor_id, '-', ''))
    WHERE actor_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]';
UPDATE audit SET resource_id = unhex(replace(resource_id, '-', ''))
    WHERE resource_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]';
UPDATE changes SET entity_id = unhex(replace(entity_id, '-', ''))
    WHERE entity_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]';
