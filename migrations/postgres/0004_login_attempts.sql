-- Sign-in attempts within the limiting window, one row per attempt and key
-- (the account, the client address). Counted here rather than in each
-- node's memory, so every node on one database enforces one limit.
CREATE TABLE login_attempts (
    attempt_id TEXT NOT NULL,
    key        TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (key, attempt_id)
);
CREATE INDEX login_attempts_at ON login_attempts (at);
