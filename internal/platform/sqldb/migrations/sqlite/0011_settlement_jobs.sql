-- A settlement recompute is a job: who started it, its range and marketplace,
-- its progress, the lines it changed, and a lease that its process renews
-- while it runs, so that one range is recomputed by one process at a time and
-- the job of a dead process is seen as stopped.
CREATE TABLE settlement_jobs (
    id              INTEGER PRIMARY KEY,
    from_day        TEXT NOT NULL,
    to_day          TEXT NOT NULL,
    marketplace     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'stopped')),
    done            BIGINT NOT NULL DEFAULT 0,
    total           BIGINT NOT NULL DEFAULT 0,
    changed         BIGINT NOT NULL DEFAULT 0,
    error           TEXT NOT NULL DEFAULT '',
    started_by      TEXT NOT NULL,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    lease_until     TIMESTAMP NOT NULL
);
CREATE INDEX settlement_jobs_running ON settlement_jobs (status, from_day);

-- Starting a job takes this one row first, so that two processes checking for
-- an overlapping running job do so one after the other.
CREATE TABLE settlement_job_gate (
    id  INTEGER PRIMARY KEY,
    n   BIGINT NOT NULL
);
INSERT INTO settlement_job_gate (id, n) VALUES (1, 0);
