-- Writers announce their changes after they commit (store::wake::recorded)
-- rather than from a trigger: a NOTIFY inside a transaction holds the
-- notification queue's lock from its commit's start to its end, so every
-- writer committed alone, one WAL flush at a time.
DROP TRIGGER changes_notify ON changes;
DROP FUNCTION quire_notify_changes();
