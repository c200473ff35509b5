-- Gateway calls (cancels and refunds) claimed but not yet recorded: claim → call → record.
-- orders.gateway_call holds the idempotency key of the call open on the order ('' when none):
-- the conditional claim that makes a second click, a cancel against a refund, or a new
-- refund request against a cancel lose while the gateway is being called.
ALTER TABLE orders ADD COLUMN gateway_call TEXT NOT NULL DEFAULT '';

CREATE TABLE gateway_calls (
    idem_key     TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('cancel', 'refund')),
    state        TEXT NOT NULL CHECK (state IN ('open', 'recorded', 'refused')),
    order_id     BIGINT NOT NULL REFERENCES orders(id),
    refund_id    BIGINT REFERENCES refunds(id),
    gateway      TEXT NOT NULL,
    payment_key  TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    params       TEXT NOT NULL DEFAULT '{}',
    actor_id     BIGINT,
    actor_login  TEXT NOT NULL,
    message      TEXT NOT NULL DEFAULT '',
    claimed_at   TIMESTAMPTZ NOT NULL,
    settled_at   TIMESTAMPTZ,
    CHECK (amount >= 0)
);
CREATE INDEX gateway_calls_open ON gateway_calls (state, claimed_at);
CREATE INDEX gateway_calls_order ON gateway_calls (order_id);
