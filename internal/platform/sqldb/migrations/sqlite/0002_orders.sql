-- Orders, items, enrollments, payment transactions (결제내역), the money journal and its daily rollup.
CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('order_no', 0);

CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,
    order_no        BIGINT NOT NULL UNIQUE,
    site            TEXT NOT NULL REFERENCES sites(code),
    member_id       BIGINT NOT NULL REFERENCES members(id),
    buyer_name      TEXT NOT NULL,
    buyer_login     TEXT NOT NULL,
    title           TEXT NOT NULL,
    method          TEXT NOT NULL,
    status          TEXT NOT NULL,
    tax_invoice     INTEGER NOT NULL DEFAULT 0,
    list_total      BIGINT NOT NULL,
    subsidy_total   BIGINT NOT NULL,
    discount_total  BIGINT NOT NULL,
    shipping_fee    BIGINT NOT NULL,
    total           BIGINT NOT NULL,
    collected       BIGINT NOT NULL DEFAULT 0,
    refunded        BIGINT NOT NULL DEFAULT 0,
    gateway         TEXT NOT NULL DEFAULT '',
    payment_key     TEXT NOT NULL DEFAULT '',
    deposit_secret  TEXT NOT NULL DEFAULT '',
    vbank_account   TEXT NOT NULL DEFAULT '',
    voucher_company TEXT NOT NULL DEFAULT '',
    voucher_card    TEXT NOT NULL DEFAULT '',
    recipient       TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    zipcode         TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    request         TEXT NOT NULL DEFAULT '',
    ordered_at      TIMESTAMP NOT NULL,
    ordered_day     TEXT NOT NULL,
    paid_at         TIMESTAMP,
    paid_day        TEXT NOT NULL DEFAULT '',
    cancelled_at    TIMESTAMP,
    cancel_reason   TEXT NOT NULL DEFAULT '',
    updated_at      TIMESTAMP NOT NULL,
    CHECK (total >= 0 AND collected >= 0 AND refunded >= 0 AND refunded <= collected)
);
-- 주문목록 filters by day range, status and method; each index leads with one of them
-- and carries the others, so a filtered COUNT reads the index alone.
CREATE INDEX orders_ordered ON orders (ordered_day, status, method);
CREATE INDEX orders_paid ON orders (paid_day, status, method);
CREATE INDEX orders_status ON orders (status, method, ordered_day);
CREATE INDEX orders_method ON orders (method, status, ordered_day);
CREATE INDEX orders_buyer_name ON orders (buyer_name);
CREATE INDEX orders_buyer_login ON orders (buyer_login);
CREATE INDEX orders_member ON orders (member_id);
CREATE INDEX orders_site ON orders (site, id);

CREATE TABLE order_items (
    id              INTEGER PRIMARY KEY,
    order_id        BIGINT NOT NULL REFERENCES orders(id),
    product_id      BIGINT NOT NULL REFERENCES products(id),
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    qty             INTEGER NOT NULL CHECK (qty > 0),
    unit_price      BIGINT NOT NULL,
    list_price      BIGINT NOT NULL,
    subsidy         BIGINT NOT NULL DEFAULT 0,
    discount        BIGINT NOT NULL DEFAULT 0,
    paid            BIGINT NOT NULL,
    refunded        BIGINT NOT NULL DEFAULT 0,
    status          TEXT NOT NULL,
    delivery_status TEXT NOT NULL DEFAULT '',
    gov_refundable  INTEGER NOT NULL DEFAULT 0,
    CHECK (paid >= 0 AND refunded >= 0 AND refunded <= paid)
);
CREATE INDEX order_items_order ON order_items (order_id, id);

CREATE TABLE enrollments (
    id            INTEGER PRIMARY KEY,
    order_item_id BIGINT NOT NULL UNIQUE REFERENCES order_items(id),
    order_id      BIGINT NOT NULL REFERENCES orders(id),
    member_id     BIGINT NOT NULL REFERENCES members(id),
    product_id    BIGINT NOT NULL REFERENCES products(id),
    status        TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    approved_at   TIMESTAMP
);
CREATE INDEX enrollments_order ON enrollments (order_id);

CREATE TABLE payment_transactions (
    id              INTEGER PRIMARY KEY,
    order_id        BIGINT NOT NULL REFERENCES orders(id),
    gateway         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    payment_key     TEXT NOT NULL DEFAULT '',
    result_code     TEXT NOT NULL DEFAULT '',
    result_message  TEXT NOT NULL DEFAULT '',
    method          TEXT NOT NULL DEFAULT '',
    company         TEXT NOT NULL DEFAULT '',
    masked_number   TEXT NOT NULL DEFAULT '',
    installment     INTEGER NOT NULL DEFAULT 0,
    amount          BIGINT NOT NULL DEFAULT 0,
    approved_at     TIMESTAMP,
    event_id        TEXT UNIQUE,
    raw             TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX payment_transactions_order ON payment_transactions (order_id, id);

CREATE TABLE journal (
    id             INTEGER PRIMARY KEY,
    order_id       BIGINT NOT NULL REFERENCES orders(id),
    order_item_id  BIGINT REFERENCES order_items(id),
    site           TEXT NOT NULL,
    method         TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('capture', 'cancel', 'refund')),
    amount         BIGINT NOT NULL,
    at             TIMESTAMP NOT NULL,
    business_day   TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX journal_order ON journal (order_id);
CREATE INDEX journal_day ON journal (business_day);

CREATE TABLE sales_daily (
    site       TEXT NOT NULL,
    day        TEXT NOT NULL,
    method     TEXT NOT NULL,
    captured   BIGINT NOT NULL DEFAULT 0,
    returned   BIGINT NOT NULL DEFAULT 0,
    orders     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site, day, method)
);

-- The built-in sandbox gateway keeps its payments here, as a real gateway keeps them on its side.
CREATE TABLE sandbox_payments (
    payment_key  TEXT PRIMARY KEY,
    order_no     TEXT NOT NULL,
    method       TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    balance      BIGINT NOT NULL,
    status       TEXT NOT NULL,
    secret       TEXT NOT NULL DEFAULT '',
    approved_at  TEXT NOT NULL
);
CREATE TABLE sandbox_cancels (
    idem_key     TEXT PRIMARY KEY,
    result       TEXT NOT NULL
);

-- Orders per site and status, kept by the transaction that moves an order, so
-- that 주문목록's unfiltered total does not count a million rows.
CREATE TABLE order_counts (
    site    TEXT NOT NULL,
    status  TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (site, status)
);
