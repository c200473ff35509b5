-- Marketplaces (판매처), suppliers (공급처), sheet formats (발주서 포맷), imports and marketplace orders.
CREATE TABLE marketplaces (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL
);
CREATE TABLE suppliers (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
ALTER TABLE products ADD COLUMN supply_price BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN cost BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN courier_fee BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN supplier_id BIGINT REFERENCES suppliers(id);

CREATE TABLE sheet_formats (
    marketplace_id  BIGINT PRIMARY KEY REFERENCES marketplaces(id),
    mapping         TEXT NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

CREATE TABLE market_imports (
    id              INTEGER PRIMARY KEY,
    marketplace_id  BIGINT NOT NULL REFERENCES marketplaces(id),
    filename        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    rows_total      INTEGER NOT NULL DEFAULT 0,
    rows_ok         INTEGER NOT NULL DEFAULT 0,
    rows_error      INTEGER NOT NULL DEFAULT 0,
    inserted        INTEGER NOT NULL DEFAULT 0,
    updated         INTEGER NOT NULL DEFAULT 0,
    unchanged       INTEGER NOT NULL DEFAULT 0,
    errors          TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL DEFAULT '',
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP
);
CREATE INDEX market_imports_marketplace ON market_imports (marketplace_id, id);

CREATE TABLE market_bundles (
    id              INTEGER PRIMARY KEY,
    marketplace_id  BIGINT NOT NULL REFERENCES marketplaces(id),
    bundle_key      TEXT NOT NULL,
    manual          INTEGER NOT NULL DEFAULT 0,
    UNIQUE (marketplace_id, bundle_key)
);

CREATE TABLE market_orders (
    id              INTEGER PRIMARY KEY,
    marketplace_id  BIGINT NOT NULL REFERENCES marketplaces(id),
    order_no        TEXT NOT NULL,
    sub_no          TEXT NOT NULL,
    order_day       TEXT NOT NULL,
    ordered_at      TEXT NOT NULL,
    product_code    TEXT NOT NULL DEFAULT '',
    product_name    TEXT NOT NULL,
    option_text     TEXT NOT NULL DEFAULT '',
    qty             INTEGER NOT NULL,
    shop_price      BIGINT NOT NULL,
    pay_type        TEXT NOT NULL DEFAULT '',
    org_trans_who   TEXT NOT NULL DEFAULT '',
    buyer           TEXT NOT NULL DEFAULT '',
    recipient       TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    phone2          TEXT NOT NULL DEFAULT '',
    zipcode         TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    request         TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '',
    cancelled       INTEGER NOT NULL DEFAULT 0,
    cancelled_day   TEXT NOT NULL DEFAULT '',
    codes           TEXT NOT NULL DEFAULT '{}',
    raw             TEXT NOT NULL DEFAULT '{}',
    bundle_id       BIGINT NOT NULL REFERENCES market_bundles(id),
    import_id       BIGINT NOT NULL REFERENCES market_imports(id),
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (marketplace_id, order_no, sub_no)
);
CREATE INDEX market_orders_day ON market_orders (order_day, marketplace_id);
CREATE INDEX market_orders_product ON market_orders (marketplace_id, product_code, option_text);
CREATE INDEX market_orders_bundle ON market_orders (bundle_id);

CREATE TABLE product_matches (
    id              INTEGER PRIMARY KEY,
    marketplace_id  BIGINT NOT NULL REFERENCES marketplaces(id),
    product_code    TEXT NOT NULL,
    option_text     TEXT NOT NULL,
    product_id      BIGINT NOT NULL REFERENCES products(id),
    count           INTEGER NOT NULL CHECK (count > 0),
    UNIQUE (marketplace_id, product_code, option_text, product_id)
);
