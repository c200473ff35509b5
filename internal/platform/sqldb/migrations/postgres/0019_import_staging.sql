-- Import staging (market package): the good rows of a sheet are written here
-- while the sheet is read, and moved to market_orders only once the whole
-- file has been read without a refusal; the rows of a refused, failed or
-- taken-over import are deleted. The columns after bundle_key are those of
-- market_orders, so that publishing is one INSERT … SELECT. UNLOGGED: what
-- it holds is rebuilt from the file; a crash may empty it (an interrupted
-- import is then run again).
CREATE UNLOGGED TABLE market_import_rows (
    import_id       BIGINT NOT NULL,
    seq             BIGINT NOT NULL,
    row_no          INTEGER NOT NULL,
    bundle_key      TEXT NOT NULL,
    marketplace_id  BIGINT NOT NULL,
    order_no        TEXT NOT NULL,
    sub_no          TEXT NOT NULL,
    order_day       TEXT NOT NULL,
    ordered_at      TEXT NOT NULL,
    product_code    TEXT NOT NULL,
    product_name    TEXT NOT NULL,
    option_text     TEXT NOT NULL,
    qty             INTEGER NOT NULL,
    shop_price      BIGINT NOT NULL,
    pay_type        TEXT NOT NULL,
    org_trans_who   TEXT NOT NULL,
    buyer           TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    phone           TEXT NOT NULL,
    phone2          TEXT NOT NULL,
    zipcode         TEXT NOT NULL,
    address         TEXT NOT NULL,
    request         TEXT NOT NULL,
    status          TEXT NOT NULL,
    cancelled       BOOLEAN NOT NULL,
    cancelled_day   TEXT NOT NULL,
    codes           TEXT NOT NULL,
    raw             TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (import_id, seq)
);
