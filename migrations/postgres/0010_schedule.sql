-- Scheduled publishing: when a translation goes live or comes down by
-- itself, and why a scheduled action could not run (it is then left for
-- an editor to fix, not retried).
ALTER TABLE entries ADD COLUMN scheduled_publish_at BIGINT;
ALTER TABLE entries ADD COLUMN scheduled_unpublish_at BIGINT;
ALTER TABLE entries ADD COLUMN schedule_error TEXT;

CREATE INDEX entries_publish_due ON entries (scheduled_publish_at)
    WHERE scheduled_publish_at IS NOT NULL;
CREATE INDEX entries_unpublish_due ON entries (scheduled_unpublish_at)
    WHERE scheduled_unpublish_at IS NOT NULL;
