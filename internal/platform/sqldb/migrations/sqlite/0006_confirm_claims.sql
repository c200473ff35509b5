-- A payment confirmation claims its order before the gateway is called
-- (claim → call → record): the payment key, the gateway and when. A second
-- confirmation with another key is refused while a claim stands; a claim
-- older than a minute is settled by asking the gateway what happened.
ALTER TABLE orders ADD COLUMN confirm_key TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN confirm_gateway TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN confirm_at TIMESTAMP;
CREATE INDEX orders_confirm_claims ON orders (confirm_at) WHERE confirm_key <> '';

-- The sandbox gateway's own list of money movements (approvals, deposits,
-- cancels), which it lists by time as Toss's GET /v1/transactions does.
CREATE TABLE sandbox_transactions (
    id           INTEGER PRIMARY KEY,
    payment_key  TEXT NOT NULL,
    order_no     TEXT NOT NULL,
    method       TEXT NOT NULL,
    status       TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    at           TIMESTAMP NOT NULL
);
CREATE INDEX sandbox_transactions_at ON sandbox_transactions (at);
