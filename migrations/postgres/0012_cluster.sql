-- Jobs one node at a time runs (clean-ups): who holds each, until when.
CREATE TABLE leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  BIGINT NOT NULL
);

-- Every statement that records changes wakes the followers of every node
-- (search indexer, response cache, event streams, webhooks) listening on
-- `quire_changes`. Delivered at commit, once per transaction.
CREATE FUNCTION quire_notify_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('quire_changes', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER changes_notify
    AFTER INSERT ON changes
    FOR EACH STATEMENT EXECUTE FUNCTION quire_notify_changes();
