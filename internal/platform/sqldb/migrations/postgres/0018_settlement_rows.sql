-- The settlement rows (settlement package) are derived from the marketplace
-- lines and rewritten in bulk by every recompute. No query reads them by day
-- (reports join them to the lines by id), so the day index goes; and the
-- per-row foreign-key triggers go (each locked its market_orders row): a
-- batch writes only the ids of lines it read in its own transaction (lines
-- are never deleted) and checks its rule versions once
-- (settlement.checkVersions); orderdesk verify looks for orphans across the
-- table.
ALTER TABLE market_settlements DROP CONSTRAINT market_settlements_market_order_id_fkey;
ALTER TABLE market_settlements DROP CONSTRAINT market_settlements_rule_version_id_fkey;
DROP INDEX market_settlements_day;
