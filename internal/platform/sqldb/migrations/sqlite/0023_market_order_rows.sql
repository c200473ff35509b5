-- The sheet row a marketplace order line came from in the import that
-- stored it (market package). An import writes its lines straight into
-- market_orders inside one transaction; a later row repeating a line stored
-- earlier in the same import is reported against this row. 0 for the lines
-- stored before this column existed.
ALTER TABLE market_orders ADD COLUMN row_no INTEGER NOT NULL DEFAULT 0;

-- The rows of an import that met a line of an earlier import are noted in
-- market_import_rows, one per 주문번호·부주문번호: a second row of the sheet
-- with the key finds the first one's note (INSERT … ON CONFLICT … RETURNING).
-- Rows staged by the import of earlier versions are of no use once this runs
-- (an import of this version leaves none), and may repeat a key.
DELETE FROM market_import_rows;
CREATE UNIQUE INDEX market_import_rows_key ON market_import_rows (import_id, order_no, sub_no);
