-- Shipping (배송관리): couriers with their tracking-URL templates, and one row per textbook item
-- that has delivery details (courier, tracking number, the dates of its states). The item's
-- delivery state itself stays in order_items.delivery_status (the order package's column).
CREATE TABLE carriers (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    url_template  TEXT NOT NULL,
    number_form   TEXT NOT NULL DEFAULT '',
    retired       BOOLEAN NOT NULL DEFAULT FALSE,
    sort          INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
INSERT INTO carriers (code, name, url_template, number_form, sort, created_at, updated_at) VALUES
    ('PO', '우체국', 'https://service.epost.go.kr/trace.RetrieveDomRigiTraceList.comm?sid1={n}', '', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('HJ', '한진택배', 'https://www.hanjin.com/kor/CMS/DeliveryMgr/WaybillResult.do?mCode=MN038&schLang=KR&wblnumText2={n}', 'hanjin', 2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('KD', '경동택배', 'https://kdexp.com/service/delivery/etc/delivery.do?barcode={n}', '', 3, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('CJ', 'CJ대한통운', 'https://trace.cjlogistics.com/next/tracking.html?wblNo={n}', 'cj', 4, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('CN', '편의점택배', 'https://www.cvsnet.co.kr/invoice/tracking.do?invoice_no={n}', '', 5, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('LT', '롯데택배', 'https://www.lotteglogis.com/home/reservation/tracking/linkView?InvNo={n}', 'lotte', 6, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('LG', '로젠택배', 'https://www.ilogen.com/web/personal/trace/{n}', '', 7, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

CREATE TABLE deliveries (
    item_id        BIGINT PRIMARY KEY REFERENCES order_items(id),
    order_id       BIGINT NOT NULL REFERENCES orders(id),
    carrier        TEXT REFERENCES carriers(code),
    tracking_no    TEXT NOT NULL DEFAULT '',
    shipped_at     TIMESTAMPTZ,
    shipped_day    TEXT NOT NULL DEFAULT '',
    delivered_at   TIMESTAMPTZ,
    delivered_day  TEXT NOT NULL DEFAULT '',
    confirmed_at   TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX deliveries_order ON deliveries (order_id);
CREATE INDEX deliveries_tracking ON deliveries (tracking_no);
CREATE INDEX deliveries_delivered ON deliveries (delivered_at);
CREATE INDEX order_items_delivery ON order_items (delivery_status, order_id);

-- The auto-confirmation job (구매확정) takes this lease before it runs, so that one process at a time runs it.
CREATE TABLE delivery_job_lease (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL DEFAULT '',
    lease_until  TIMESTAMPTZ NOT NULL
);
INSERT INTO delivery_job_lease (name, holder, lease_until) VALUES ('auto_confirm', '', '2000-01-01 00:00:00+00:00');
