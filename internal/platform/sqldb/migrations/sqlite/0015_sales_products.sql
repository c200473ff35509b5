-- 매출통계: the daily rollup also counts refunds (journal rows that return
-- money), and a second rollup keeps each Seoul day's money per site and
-- product. Both are kept by order's book() in the transaction of each journal
-- row; these statements roll up the journal rows written before.
--
-- How one journal row splits over products (the same rule as book()):
-- a capture or a cancel gives each of the order's items its 실결제금액 (paid)
-- and the rest of the row's amount (the shipping fee) to product 0 (배송비);
-- a refund gives each item its share (refund_items.amount of the refund named
-- in the row's note) and the rest (returned shipping) to product 0.
-- orders counts, per product, the captures whose order holds it (a 0원 order
-- included); refunds counts the cancels and refunds that returned money of it.
-- sales_products_monthly is the same by Seoul month, so that a report over
-- years reads months × products rows and only the days of its partial months.
ALTER TABLE sales_daily ADD COLUMN refunds INTEGER NOT NULL DEFAULT 0;
UPDATE sales_daily SET refunds = (SELECT COUNT(*) FROM journal j WHERE j.site = sales_daily.site AND j.business_day = sales_daily.day AND j.method = sales_daily.method AND j.amount < 0);
CREATE TABLE sales_products (
    site       TEXT NOT NULL,
    day        TEXT NOT NULL,
    product_id BIGINT NOT NULL,
    captured   BIGINT NOT NULL DEFAULT 0,
    returned   BIGINT NOT NULL DEFAULT 0,
    orders     INTEGER NOT NULL DEFAULT 0,
    refunds    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site, day, product_id)
);
CREATE INDEX sales_products_day ON sales_products (day, product_id);
INSERT INTO sales_products (site, day, product_id, captured, returned, orders, refunds)
SELECT site, day, product_id, SUM(cap), SUM(ret), SUM(CASE WHEN inflow = 1 AND (product_id <> 0 OR cap <> 0) THEN 1 ELSE 0 END), SUM(CASE WHEN inflow = 0 AND ret <> 0 THEN 1 ELSE 0 END)
FROM (
    SELECT p.jid, p.site, p.day, p.product_id, p.inflow, SUM(p.cap) AS cap, SUM(p.ret) AS ret FROM (
        SELECT j.id AS jid, j.site, j.business_day AS day, i.product_id, CASE WHEN j.amount >= 0 THEN 1 ELSE 0 END AS inflow,
            CASE WHEN j.amount >= 0 THEN i.paid ELSE 0 END AS cap, CASE WHEN j.amount < 0 THEN i.paid ELSE 0 END AS ret
        FROM journal j JOIN order_items i ON i.order_id = j.order_id WHERE j.kind <> 'refund'
        UNION ALL
        SELECT j.id, j.site, j.business_day, i.product_id, 0, 0, ri.amount
        FROM journal j JOIN refunds r ON j.note = '환불 ' || r.id AND r.order_id = j.order_id JOIN refund_items ri ON ri.refund_id = r.id JOIN order_items i ON i.id = ri.item_id
        WHERE j.kind = 'refund'
        UNION ALL
        SELECT j.id, j.site, j.business_day, 0, CASE WHEN j.amount >= 0 THEN 1 ELSE 0 END,
            CASE WHEN j.amount >= 0 THEN j.amount - COALESCE((SELECT SUM(i.paid) FROM order_items i WHERE i.order_id = j.order_id), 0) ELSE 0 END,
            CASE WHEN j.amount < 0 THEN -j.amount - COALESCE((SELECT SUM(i.paid) FROM order_items i WHERE i.order_id = j.order_id), 0) ELSE 0 END
        FROM journal j WHERE j.kind <> 'refund'
        UNION ALL
        SELECT j.id, j.site, j.business_day, 0, 0, 0,
            -j.amount - COALESCE((SELECT SUM(ri.amount) FROM refunds r JOIN refund_items ri ON ri.refund_id = r.id WHERE j.note = '환불 ' || r.id AND r.order_id = j.order_id), 0)
        FROM journal j WHERE j.kind = 'refund'
    ) p GROUP BY p.jid, p.site, p.day, p.product_id, p.inflow
) s GROUP BY site, day, product_id
HAVING SUM(cap) <> 0 OR SUM(ret) <> 0 OR SUM(CASE WHEN inflow = 1 AND (product_id <> 0 OR cap <> 0) THEN 1 ELSE 0 END) <> 0;
CREATE TABLE sales_products_monthly (
    site       TEXT NOT NULL,
    month      TEXT NOT NULL,
    product_id BIGINT NOT NULL,
    captured   BIGINT NOT NULL DEFAULT 0,
    returned   BIGINT NOT NULL DEFAULT 0,
    orders     INTEGER NOT NULL DEFAULT 0,
    refunds    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site, month, product_id)
);
CREATE INDEX sales_products_monthly_month ON sales_products_monthly (month, product_id);
INSERT INTO sales_products_monthly (site, month, product_id, captured, returned, orders, refunds)
SELECT site, substr(day, 1, 7), product_id, SUM(captured), SUM(returned), SUM(orders), SUM(refunds) FROM sales_products GROUP BY site, substr(day, 1, 7), product_id;
