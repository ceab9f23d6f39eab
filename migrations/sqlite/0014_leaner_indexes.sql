-- Indexes that held more than their queries use.
--
-- The audit log is read newest first (ORDER BY id) and filtered by
-- equality on actor, action, resource type and id. Nothing reads it by
-- time, so `audit_at` only cost space and a write per row. An index on one
-- column keeps its rows in rowid order, which is the log's order: a
-- filtered page reads the index backwards and stops at the limit.
-- `resource_id` alone serves a filter by id with or without its type (the
-- type, when given, is checked on the few rows an id matches).
DROP INDEX audit_at;
DROP INDEX audit_actor;
DROP INDEX audit_resource;
CREATE INDEX audit_actor ON audit (actor_id);
CREATE INDEX audit_resource ON audit (resource_id);

-- `id` and `seq` are the rowid, which every index entry carries already:
-- naming them stored them twice. The plans are unchanged (an entry's
-- revisions by id, a type's changes after a seq, both without a sort).
DROP INDEX revisions_entry;
CREATE INDEX revisions_entry ON revisions (entry_id);
DROP INDEX changes_type_seq;
CREATE INDEX changes_type_seq ON changes (content_type);
