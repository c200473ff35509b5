-- Order numbers come from a sequence instead of the counters row: taking
-- the row locked it until the placing transaction committed, so orders
-- were placed one at a time (nextOrderNo). A number taken by a transaction
-- that rolls back is not used again (a gap), as in the manual's own numbers.
-- The counters row is deleted: an older binary still running against this
-- database (the README says to stop them first) then fails to place an
-- order instead of numbering orders beside the sequence.
CREATE SEQUENCE order_no_seq MINVALUE 0 START 1;
SELECT setval('order_no_seq', (SELECT value FROM counters WHERE name = 'order_no'), true);
DELETE FROM counters WHERE name = 'order_no';
