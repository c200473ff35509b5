-- The marketplace lines (market package) are written in bulk by every
-- import, and on PostgreSQL their three foreign keys were checked by a
-- trigger per row: 56 % of the time of inserting a batch of 5,000 lines
-- (EXPLAIN ANALYZE: 188 ms of 336 ms), more than the heap and its five
-- indexes together. As migration 0018 did for the settlement rows, the
-- per-row triggers go and the references are kept by construction and
-- checked in bulk instead (market/integrity.go):
--   - marketplace_id and import_id: the import writes its own session's id
--     and its marketplace's, both rows it read in the same transaction;
--     neither table's rows are ever deleted;
--   - bundle_id: the import writes only ids its batch's bundle insert or
--     lookup returned in the same transaction (a missing one refuses the
--     batch), 합포/분리 only ids they read or made in theirs, and a bundle
--     is deleted only when no line names it;
--   - all three, across the whole table: market.Orphans (orderdesk verify).
-- SQLite keeps its foreign keys: there they are B-tree lookups inside the
-- insert (5 % of an import, measured), and dropping them would mean
-- rebuilding a table that others reference.
ALTER TABLE market_orders DROP CONSTRAINT market_orders_marketplace_id_fkey;
ALTER TABLE market_orders DROP CONSTRAINT market_orders_bundle_id_fkey;
ALTER TABLE market_orders DROP CONSTRAINT market_orders_import_id_fkey;
