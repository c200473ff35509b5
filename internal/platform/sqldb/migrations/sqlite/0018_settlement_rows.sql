-- The settlement rows (settlement package) are derived from the marketplace
-- lines and rewritten in bulk by every recompute. No query reads them by day
-- (reports join them to the lines by id), so the day index goes; the line's
-- id becomes the rowid (one B-tree, not a table plus a key index); and the
-- per-row foreign-key lookups go: a batch writes only the ids of lines it
-- read in its own transaction (lines are never deleted) and checks its rule
-- versions once (settlement.checkVersions); orderdesk verify looks for
-- orphans across the table.
CREATE TABLE market_settlements_0018 (
    market_order_id  INTEGER PRIMARY KEY,
    marketplace_id   BIGINT NOT NULL,
    order_day        TEXT NOT NULL,
    rule_version_id  BIGINT,
    sale             BIGINT NOT NULL DEFAULT 0,
    settle           BIGINT NOT NULL DEFAULT 0,
    prepaid          BIGINT NOT NULL DEFAULT 0,
    margin           BIGINT NOT NULL DEFAULT 0,
    payment          BIGINT NOT NULL DEFAULT 0,
    unsettled        TEXT NOT NULL DEFAULT ''
);
INSERT INTO market_settlements_0018 (market_order_id, marketplace_id, order_day, rule_version_id, sale, settle, prepaid, margin, payment, unsettled)
    SELECT market_order_id, marketplace_id, order_day, rule_version_id, sale, settle, prepaid, margin, payment, unsettled FROM market_settlements;
DROP TABLE market_settlements;
ALTER TABLE market_settlements_0018 RENAME TO market_settlements;
