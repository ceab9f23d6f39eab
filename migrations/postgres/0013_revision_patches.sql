-- How a revision's `data` is stored: 0 the whole copy (every revision
-- written before this), 1 a patch that turns the next newer revision's
-- copy back into this one, 2 none (the copy is the translation's working
-- copy: the newest revision). See src/store/entries/revisions.rs.
ALTER TABLE revisions ADD COLUMN form SMALLINT NOT NULL DEFAULT 0;
