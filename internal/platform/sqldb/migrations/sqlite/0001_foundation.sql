-- Sites, staff, sessions, API tokens, audit log, members, products, idempotency keys.
CREATE TABLE sites (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
INSERT INTO sites (code, name, created_at) VALUES ('common', '공통', CURRENT_TIMESTAMP);

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('super_admin', 'site_admin', 'viewer')),
    lang          TEXT NOT NULL DEFAULT 'ko',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE staff_sites (
    staff_id   BIGINT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    site_code  TEXT NOT NULL REFERENCES sites(code),
    PRIMARY KEY (staff_id, site_code)
);

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    staff_id    BIGINT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP,
    ip          TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_staff ON sessions (staff_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    staff_id     BIGINT NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TIMESTAMP NOT NULL,
    business_day TEXT NOT NULL,
    actor_id     BIGINT,
    actor_login  TEXT NOT NULL,
    site         TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    before_json  TEXT NOT NULL DEFAULT '',
    after_json   TEXT NOT NULL DEFAULT '',
    request_id   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_day ON audit_log (business_day, id);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

CREATE TABLE members (
    id           INTEGER PRIMARY KEY,
    site         TEXT NOT NULL REFERENCES sites(code),
    login        TEXT NOT NULL,
    name         TEXT NOT NULL,
    affiliation  TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('active', 'dormant', 'withdrawn')),
    rrn_enc      TEXT NOT NULL DEFAULT '',
    education    TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    UNIQUE (site, login)
);
CREATE INDEX members_site_id ON members (site, id);
CREATE INDEX members_name ON members (name);

CREATE TABLE products (
    id             INTEGER PRIMARY KEY,
    site           TEXT NOT NULL REFERENCES sites(code),
    kind           TEXT NOT NULL CHECK (kind IN ('course', 'textbook', 'freepass', 'extension')),
    name           TEXT NOT NULL,
    display        TEXT NOT NULL DEFAULT 'visible' CHECK (display IN ('visible', 'hidden')),
    list_price     BIGINT NOT NULL DEFAULT 0,
    sale_price     BIGINT NOT NULL DEFAULT 0,
    category       TEXT NOT NULL DEFAULT '',
    delivery       TEXT NOT NULL DEFAULT '',
    schedule       TEXT NOT NULL DEFAULT '',
    gov_refundable INTEGER NOT NULL DEFAULT 0,
    access_days    INTEGER NOT NULL DEFAULT 0,
    start_date     TEXT NOT NULL DEFAULT '',
    end_date       TEXT NOT NULL DEFAULT '',
    study_hours    INTEGER NOT NULL DEFAULT 0,
    cohort_year    INTEGER NOT NULL DEFAULT 0,
    cohort_round   INTEGER NOT NULL DEFAULT 0,
    refund_policy  TEXT NOT NULL DEFAULT '',
    isbn           TEXT NOT NULL DEFAULT '',
    author         TEXT NOT NULL DEFAULT '',
    publisher      TEXT NOT NULL DEFAULT '',
    shipping_fee   BIGINT NOT NULL DEFAULT 0,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX products_site_kind ON products (site, kind, id);

CREATE TABLE idempotency_keys (
    staff_id     BIGINT NOT NULL,
    idem_key     TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    body_hash    TEXT NOT NULL,
    status_code  INTEGER NOT NULL DEFAULT 0,
    response     TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (staff_id, idem_key)
);
