-- Several serve processes on one database.

-- Failed logins are counted here, not in a process, so that every server sees the
-- same count: one row per try and key (login:<login> or ip:<address>), deleted
-- when the try succeeds or its password was never checked.
CREATE TABLE login_failures (
    id       INTEGER PRIMARY KEY,
    k        TEXT NOT NULL,
    attempt  TEXT NOT NULL,
    at       TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (k, at);
CREATE INDEX login_failures_attempt ON login_failures (attempt);
-- A try updates its keys' rows first, so that concurrent tries of one key, in
-- any process, count one after the other.
CREATE TABLE login_throttle_keys (
    k        TEXT PRIMARY KEY,
    seen_at  TIMESTAMP NOT NULL
);

-- A message being sent belongs to the sender that claimed it (claim) until its
-- next_at, which the claim moves forward as a lease.
ALTER TABLE sms_outbox ADD COLUMN claim TEXT NOT NULL DEFAULT '';

-- Periodic jobs that one process at a time runs (gateway-call recovery).
CREATE TABLE job_leases (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL DEFAULT '',
    lease_until  TIMESTAMP NOT NULL
);
