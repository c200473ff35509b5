-- order_counts (site × status) was the first rollup of 주문목록's totals; since
-- migration 0017 the list reads order_month_counts, which gives the same
-- totals (summed over months and methods), and nothing read order_counts any
-- more. Every status change still wrote it: two statements an order change,
-- and on PostgreSQL one of the rows concurrent checkouts waited for. It goes;
-- orderdesk verify checks the day and month rollups as before.
DROP TABLE order_counts;
