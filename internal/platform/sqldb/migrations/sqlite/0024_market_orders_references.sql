-- PostgreSQL's migration 0024 drops the per-row foreign-key triggers of
-- market_orders (see there). SQLite keeps its foreign keys: they are B-tree
-- lookups inside the insert (5 % of an import, measured), and dropping them
-- would mean rebuilding a table that others reference. Nothing to do here;
-- the file keeps both engines at the same schema version.
SELECT 1;
