-- A recompute finds the order numbers of its days from this index alone: with
-- order_no in it, the walk over a range of days reads no table row (before, each
-- entry sent the walk to its line's row, in an order the table does not have).
-- It replaces the index of (order_day, marketplace_id), which it still serves.
DROP INDEX market_orders_day;
CREATE INDEX market_orders_day ON market_orders (order_day, marketplace_id, order_no);
