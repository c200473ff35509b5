-- PostgreSQL numbers orders from a sequence from this version on (see
-- nextOrderNo); SQLite keeps the counters row: its single writer takes
-- one order number at a time anyway, and the row leaves no gaps.
SELECT 1;
