-- The sheet row a marketplace order line came from in the import that
-- stored it (market package). An import writes its lines straight into
-- market_orders inside one transaction; a later row repeating a line stored
-- earlier in the same import is reported against this row. 0 for the lines
-- stored before this column existed.
ALTER TABLE market_orders ADD COLUMN row_no INTEGER NOT NULL DEFAULT 0;
