-- The sync feed: which translation a change touched, so that a delta can
-- name it (a tombstone for an unpublished or deleted translation). Rows
-- written before stay NULL: every translation of the entry.
ALTER TABLE changes ADD COLUMN locale TEXT;

-- A sync of one type reads its changes only.
CREATE INDEX changes_type_seq ON changes (content_type, seq);
