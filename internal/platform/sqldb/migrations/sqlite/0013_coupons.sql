-- Coupons (쿠폰관리): a coupon's terms, its codes (one for 공용, N for 개별)
-- and each use of a code by an order. A 개별 code is consumed by a
-- conditional UPDATE of its row (used_at IS NULL); every live use is unique
-- per (code, slot), slot being 0 for a 개별 code and the member for a 공용
-- one, so a code is never used twice (or twice by one member) even under
-- concurrent checkouts. A use given back (order cancelled or fully refunded)
-- keeps its row with returned_at set.
CREATE TABLE coupons (
    id            INTEGER PRIMARY KEY,
    site          TEXT NOT NULL REFERENCES sites(code),
    name          TEXT NOT NULL,
    scope         TEXT NOT NULL CHECK (scope IN ('all', 'course', 'textbook')),
    course_id     BIGINT REFERENCES products(id),
    course_name   TEXT NOT NULL DEFAULT '',
    min_price     BIGINT NOT NULL DEFAULT 0,
    kind          TEXT NOT NULL CHECK (kind IN ('fixed', 'rate')),
    amount        BIGINT NOT NULL DEFAULT 0,
    rate          INTEGER NOT NULL DEFAULT 0,
    max_discount  BIGINT NOT NULL DEFAULT 0,
    shared        INTEGER NOT NULL DEFAULT 0,
    valid_from    TEXT NOT NULL,
    valid_to      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'stopped')),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CHECK (min_price >= 0 AND amount >= 0 AND max_discount >= 0 AND rate >= 0 AND rate <= 100)
);
CREATE INDEX coupons_site ON coupons (site, id);

CREATE TABLE coupon_codes (
    id                  INTEGER PRIMARY KEY,
    coupon_id           BIGINT NOT NULL REFERENCES coupons(id),
    code                TEXT NOT NULL UNIQUE,
    member_id           BIGINT REFERENCES members(id),
    member_site         TEXT NOT NULL DEFAULT '',
    member_login        TEXT NOT NULL DEFAULT '',
    member_name         TEXT NOT NULL DEFAULT '',
    member_affiliation  TEXT NOT NULL DEFAULT '',
    assigned_at         TIMESTAMP,
    used_at             TIMESTAMP,
    created_at          TIMESTAMP NOT NULL
);
CREATE INDEX coupon_codes_coupon ON coupon_codes (coupon_id, id);

CREATE TABLE coupon_uses (
    id                  INTEGER PRIMARY KEY,
    coupon_id           BIGINT NOT NULL REFERENCES coupons(id),
    code_id             BIGINT NOT NULL REFERENCES coupon_codes(id),
    slot                BIGINT NOT NULL,
    member_id           BIGINT NOT NULL REFERENCES members(id),
    member_site         TEXT NOT NULL,
    member_login        TEXT NOT NULL,
    member_name         TEXT NOT NULL,
    member_affiliation  TEXT NOT NULL DEFAULT '',
    order_id            BIGINT NOT NULL REFERENCES orders(id),
    order_no            BIGINT NOT NULL,
    discount            BIGINT NOT NULL,
    used_at             TIMESTAMP NOT NULL,
    returned_at         TIMESTAMP,
    return_reason       TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX coupon_uses_live ON coupon_uses (code_id, slot) WHERE returned_at IS NULL;
CREATE INDEX coupon_uses_order ON coupon_uses (order_id);
CREATE INDEX coupon_uses_coupon ON coupon_uses (coupon_id);
