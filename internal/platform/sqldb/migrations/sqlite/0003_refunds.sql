-- Refund requests (환불관리), the items they return money for, and the SMS outbox.
CREATE TABLE refunds (
    id             INTEGER PRIMARY KEY,
    order_id       BIGINT NOT NULL REFERENCES orders(id),
    site           TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('requested', 'completed', 'denied')),
    reason         TEXT NOT NULL DEFAULT '',
    method         TEXT NOT NULL CHECK (method IN ('pg_cancel', 'bank_transfer')),
    bank_name      TEXT NOT NULL DEFAULT '',
    bank_account   TEXT NOT NULL DEFAULT '',
    bank_holder    TEXT NOT NULL DEFAULT '',
    kind           TEXT NOT NULL DEFAULT '',
    amount         BIGINT NOT NULL DEFAULT 0,
    memo           TEXT NOT NULL DEFAULT '',
    deny_reason    TEXT NOT NULL DEFAULT '',
    gateway_error  TEXT NOT NULL DEFAULT '',
    handled_by     TEXT NOT NULL DEFAULT '',
    requested_by   TEXT NOT NULL DEFAULT '',
    requested_at   TIMESTAMP NOT NULL,
    requested_day  TEXT NOT NULL,
    completed_at   TIMESTAMP,
    notify_sms     INTEGER NOT NULL DEFAULT 0,
    CHECK (amount >= 0)
);
CREATE INDEX refunds_requested ON refunds (requested_day, id);
CREATE INDEX refunds_status ON refunds (status, id);
CREATE INDEX refunds_order ON refunds (order_id);

CREATE TABLE refund_items (
    refund_id  BIGINT NOT NULL REFERENCES refunds(id),
    item_id    BIGINT NOT NULL REFERENCES order_items(id),
    amount     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (refund_id, item_id)
);
CREATE INDEX refund_items_item ON refund_items (item_id);

CREATE TABLE sms_outbox (
    id          INTEGER PRIMARY KEY,
    phone       TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     TIMESTAMP NOT NULL,
    last_error  TEXT NOT NULL DEFAULT '',
    ref         TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    sent_at     TIMESTAMP
);
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_at);
