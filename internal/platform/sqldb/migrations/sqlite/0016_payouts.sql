-- 정산마감 (settlement package): a closed marketplace month, and the
-- adjustments that a later cancellation of a closed month's line books in an
-- open month instead of changing the closed figures.
CREATE TABLE settlement_periods (
    marketplace_id  BIGINT NOT NULL REFERENCES marketplaces(id),
    month           TEXT NOT NULL,
    closed          INTEGER NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    changed_by      TEXT NOT NULL DEFAULT '',
    changed_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (marketplace_id, month)
);
CREATE TABLE settlement_adjustments (
    id              INTEGER PRIMARY KEY,
    market_order_id BIGINT NOT NULL REFERENCES market_orders(id),
    marketplace_id  BIGINT NOT NULL REFERENCES marketplaces(id),
    day             TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sale            BIGINT NOT NULL DEFAULT 0,
    settle          BIGINT NOT NULL DEFAULT 0,
    prepaid         BIGINT NOT NULL DEFAULT 0,
    margin          BIGINT NOT NULL DEFAULT 0,
    note            TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    UNIQUE (market_order_id, kind)
);
CREATE INDEX settlement_adjustments_day ON settlement_adjustments (day, marketplace_id);

-- 정산대사 (payout package): payout-file formats, statements (the imported
-- files), their rows, and the reconciled lines.
CREATE TABLE payout_formats (
    marketplace_id  BIGINT PRIMARY KEY REFERENCES marketplaces(id),
    mapping         TEXT NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE TABLE payout_statements (
    id              INTEGER PRIMARY KEY,
    marketplace_id  BIGINT NOT NULL REFERENCES marketplaces(id),
    filename        TEXT NOT NULL,
    file_hash       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    period_from     TEXT NOT NULL DEFAULT '',
    period_to       TEXT NOT NULL DEFAULT '',
    rows_total      BIGINT NOT NULL DEFAULT 0,
    rows_done       BIGINT NOT NULL DEFAULT 0,
    rows_matched    BIGINT NOT NULL DEFAULT 0,
    rows_unmatched  BIGINT NOT NULL DEFAULT 0,
    paid_total      BIGINT NOT NULL DEFAULT 0,
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    UNIQUE (marketplace_id, file_hash)
);
CREATE TABLE payout_rows (
    id              INTEGER PRIMARY KEY,
    statement_id    BIGINT NOT NULL REFERENCES payout_statements(id),
    marketplace_id  BIGINT NOT NULL,
    row_no          BIGINT NOT NULL,
    order_no        TEXT NOT NULL,
    sub_no          TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    part            TEXT NOT NULL DEFAULT '',
    market_order_id BIGINT,
    line_day        TEXT NOT NULL DEFAULT '',
    base            BIGINT NOT NULL DEFAULT 0,
    fee             BIGINT NOT NULL DEFAULT 0,
    coupon          BIGINT NOT NULL DEFAULT 0,
    net             BIGINT NOT NULL DEFAULT 0,
    settle_day      TEXT NOT NULL DEFAULT '',
    state_text      TEXT NOT NULL DEFAULT '',
    UNIQUE (statement_id, row_no)
);
CREATE INDEX payout_rows_line ON payout_rows (marketplace_id, line_day, market_order_id);
CREATE INDEX payout_rows_unmatched ON payout_rows (marketplace_id, market_order_id, settle_day);
CREATE TABLE payout_lines (
    id              INTEGER PRIMARY KEY,
    marketplace_id  BIGINT NOT NULL,
    market_order_id BIGINT,
    payout_row_id   BIGINT,
    order_no        TEXT NOT NULL,
    sub_no          TEXT NOT NULL DEFAULT '',
    order_day       TEXT NOT NULL DEFAULT '',
    settle_day      TEXT NOT NULL DEFAULT '',
    product_code    TEXT NOT NULL DEFAULT '',
    product_name    TEXT NOT NULL DEFAULT '',
    rule_id         BIGINT,
    state           TEXT NOT NULL CHECK (state IN ('matched', 'mismatched', 'unpaid', 'unmatched', 'held')),
    expected        BIGINT NOT NULL DEFAULT 0,
    paid            BIGINT NOT NULL DEFAULT 0,
    difference      BIGINT NOT NULL DEFAULT 0,
    diff_sale       BIGINT NOT NULL DEFAULT 0,
    diff_fee        BIGINT NOT NULL DEFAULT 0,
    diff_coupon     BIGINT NOT NULL DEFAULT 0,
    diff_shipping   BIGINT NOT NULL DEFAULT 0,
    UNIQUE (market_order_id),
    UNIQUE (payout_row_id)
);
CREATE INDEX payout_lines_order_day ON payout_lines (marketplace_id, order_day, state);
CREATE INDEX payout_lines_settle_day ON payout_lines (marketplace_id, settle_day, state);
