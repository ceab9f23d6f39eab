-- Indexes that held more than their queries use.
--
-- The audit log is read newest first (ORDER BY id) and filtered by
-- equality on actor, action, resource type and id. Nothing reads it by
-- time, so `audit_at` only cost space and a write per row. Each filter
-- index ends with `id`, the log's order: a filtered page reads the index
-- backwards and stops at the limit. `resource_id` first serves a filter by
-- id with or without its type (the type, when given, is checked on the few
-- rows an id matches).
DROP INDEX audit_at;
DROP INDEX audit_actor;
DROP INDEX audit_resource;
CREATE INDEX audit_actor ON audit (actor_id, id);
CREATE INDEX audit_resource ON audit (resource_id, id);
