-- An import session belongs to a live process: a lease that the process renews while
-- it runs, and the owner (host, process id and the process's start) so that the
-- session of a dead process on the same host is taken over at once.
ALTER TABLE market_imports ADD COLUMN lease_until TIMESTAMP;
ALTER TABLE market_imports ADD COLUMN owner_host TEXT NOT NULL DEFAULT '';
ALTER TABLE market_imports ADD COLUMN owner_pid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE market_imports ADD COLUMN owner_start TEXT NOT NULL DEFAULT '';
ALTER TABLE market_imports ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- At most one running import per marketplace, whatever the race.
UPDATE market_imports SET status = 'failed', note = '중단된 가져오기 (업그레이드 때 정리됨)'
    WHERE status = 'running' AND id NOT IN (SELECT MAX(id) FROM market_imports WHERE status = 'running' GROUP BY marketplace_id);
CREATE UNIQUE INDEX market_imports_one_running ON market_imports (marketplace_id) WHERE status = 'running';

-- A replayed answer keeps its content type (application/problem+json for errors).
ALTER TABLE idempotency_keys ADD COLUMN content_type TEXT NOT NULL DEFAULT '';
