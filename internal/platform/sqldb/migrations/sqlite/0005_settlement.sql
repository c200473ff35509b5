-- Settlement rules (정산룰) with immutable versions, and the settlement of each marketplace order line.
CREATE TABLE settlement_rules (
    id              INTEGER PRIMARY KEY,
    marketplace_id  BIGINT NOT NULL REFERENCES marketplaces(id),
    current_version BIGINT NOT NULL DEFAULT 0,
    deleted         INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE TABLE settlement_rule_versions (
    id              INTEGER PRIMARY KEY,
    rule_id         BIGINT NOT NULL REFERENCES settlement_rules(id),
    version         INTEGER NOT NULL,
    title           TEXT NOT NULL,
    supplier_id     BIGINT,
    product_codes   TEXT NOT NULL DEFAULT '',
    period_from     TEXT NOT NULL DEFAULT '',
    period_to       TEXT NOT NULL DEFAULT '',
    priority        INTEGER NOT NULL DEFAULT 0,
    enabled         INTEGER NOT NULL DEFAULT 1,
    rounding        TEXT NOT NULL DEFAULT 'floor',
    f_sale          TEXT NOT NULL,
    f_settle        TEXT NOT NULL DEFAULT '',
    rate            TEXT NOT NULL DEFAULT '',
    f_prepaid       TEXT NOT NULL DEFAULT '',
    f_margin        TEXT NOT NULL DEFAULT '',
    f_payment       TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    UNIQUE (rule_id, version)
);
CREATE TABLE market_settlements (
    market_order_id  BIGINT PRIMARY KEY REFERENCES market_orders(id),
    marketplace_id   BIGINT NOT NULL,
    order_day        TEXT NOT NULL,
    rule_version_id  BIGINT REFERENCES settlement_rule_versions(id),
    sale             BIGINT NOT NULL DEFAULT 0,
    settle           BIGINT NOT NULL DEFAULT 0,
    prepaid          BIGINT NOT NULL DEFAULT 0,
    margin           BIGINT NOT NULL DEFAULT 0,
    payment          BIGINT NOT NULL DEFAULT 0,
    unsettled        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX market_settlements_day ON market_settlements (order_day, marketplace_id);
