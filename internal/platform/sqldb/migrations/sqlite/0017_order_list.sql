-- 주문목록 over millions of orders: exact totals from rollups, pages from a covering index.
--
-- order_day_counts counts orders by Seoul order day, Seoul payment day ('' while
-- unpaid), site, status and method; order_month_counts is the same by month. Both
-- are kept by the transaction that places an order or moves its status (order's
-- count()), as order_counts is; a total over a range reads the months it covers
-- whole and the days of its cut months only. order_days keeps the lowest and the
-- highest order number placed on each order day, so that a page of a day range
-- reads only the order numbers that day range can hold.
CREATE TABLE order_day_counts (
    ordered_day TEXT NOT NULL,
    paid_day    TEXT NOT NULL,
    site        TEXT NOT NULL,
    status      TEXT NOT NULL,
    method      TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (ordered_day, paid_day, site, status, method)
) WITHOUT ROWID;
CREATE INDEX order_day_counts_paid ON order_day_counts (paid_day, ordered_day, site, status, method, n);
CREATE TABLE order_month_counts (
    ordered_month TEXT NOT NULL,
    paid_month    TEXT NOT NULL,
    site          TEXT NOT NULL,
    status        TEXT NOT NULL,
    method        TEXT NOT NULL,
    n             BIGINT NOT NULL,
    PRIMARY KEY (ordered_month, paid_month, site, status, method)
) WITHOUT ROWID;
CREATE INDEX order_month_counts_paid ON order_month_counts (paid_month, ordered_month, site, status, method, n);
CREATE TABLE order_days (
    day    TEXT PRIMARY KEY,
    min_no BIGINT NOT NULL,
    max_no BIGINT NOT NULL
) WITHOUT ROWID;
INSERT INTO order_day_counts (ordered_day, paid_day, site, status, method, n)
SELECT ordered_day, paid_day, site, status, method, COUNT(*) FROM orders GROUP BY ordered_day, paid_day, site, status, method;
INSERT INTO order_month_counts (ordered_month, paid_month, site, status, method, n)
SELECT SUBSTR(ordered_day, 1, 7), SUBSTR(paid_day, 1, 7), site, status, method, SUM(n) FROM order_day_counts
GROUP BY SUBSTR(ordered_day, 1, 7), SUBSTR(paid_day, 1, 7), site, status, method;
INSERT INTO order_days (day, min_no, max_no) SELECT ordered_day, MIN(order_no), MAX(order_no) FROM orders GROUP BY ordered_day;
-- order_titles holds each distinct title once (a title is the first item's name
-- and " 외 N건", so there are few): a search by 주문명 looks for the word in it,
-- then counts the orders of the titles found in orders_title, which holds every
-- other filter column.
CREATE TABLE order_titles (
    title TEXT PRIMARY KEY
) WITHOUT ROWID;
INSERT INTO order_titles (title) SELECT DISTINCT title FROM orders;
CREATE INDEX orders_title ON orders (title, site, status, method, ordered_day, paid_day);
-- A page walks the orders newest first in this index and reads a row only when
-- it is on the page: every filter column is in it.
CREATE INDEX orders_list ON orders (order_no, site, status, method, ordered_day, paid_day);
