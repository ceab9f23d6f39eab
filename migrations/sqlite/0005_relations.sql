-- Relations: which entries each entry's relation fields point at, for the
-- working copy ('draft') and the live copy ('live'). The values themselves
-- stay in the entry's JSON, in their order; these rows answer the questions
-- JSON cannot answer fast on both databases: who points at this entry
-- (references, deletes) and which entries point at a matching one (filters).
-- A target cannot be deleted from under a link: the foreign key refuses it.

CREATE TABLE entry_refs (
    source_id TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    copy      TEXT NOT NULL CHECK (copy IN ('draft', 'live')),
    field     TEXT NOT NULL,
    target_id TEXT NOT NULL REFERENCES entries (id),
    PRIMARY KEY (source_id, copy, field, target_id)
);
CREATE INDEX entry_refs_target ON entry_refs (target_id, field, copy, source_id);
