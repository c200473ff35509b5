package order

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// A call to the payment gateway that returns money (주문취소, 환불완료) runs
// as claim → call → record: a first transaction claims the order with the
// call's idempotency key (orders.gateway_call) and stores the call in
// gateway_calls; the gateway is called outside any transaction; a second
// transaction records the answer and settles the call. A claim whose answer
// was never recorded (the process died, the answer was lost) is settled later
// by repeating the call with the same idempotency key: the gateway answers
// the first call's result instead of cancelling twice.

// Kinds of gateway calls.
const (
	CallCancel = "cancel" // 주문취소: the whole balance
	CallRefund = "refund" // 환불완료: part of the payment
)

// GatewayTimeout bounds one gateway call. A claim older than RecoverAfter
// has no caller waiting for it any more, so recovery may repeat it.
const (
	GatewayTimeout = 30 * time.Second
	RecoverAfter   = time.Minute
)

// Call is a gateway call claimed on an order.
type Call struct {
	Key        string // idempotency key: cancel-<order_no> or refund-<id> (-2, -3 … after a refusal)
	Kind       string
	OrderID    int64
	OrderNo    int64
	RefundID   int64 // 0 for a cancel
	Gateway    string
	PaymentKey string
	Amount     int64 // 0: the whole balance
	Reason     string
	Params     json.RawMessage // what the record step needs besides the above
	Actor      access.Actor    // StaffID and Login only: who clicked
	ClaimedAt  time.Time
}

// ErrCallSettled reports that another process (the recovery job, or the
// request that claimed it) has already recorded the call's answer.
var ErrCallSettled = errors.New("gateway call already settled")

// ErrGatewayBusy refuses a change while a gateway call is open on the order.
var ErrGatewayBusy = apperr.New(apperr.Conflict, "이 주문은 결제대행사에서 취소·환불을 처리하는 중입니다. 잠시 후 다시 확인해 주세요.",
	"A cancel or refund of this order is being processed by the payment gateway; check again shortly.")

// ClaimCall claims the order for c in the caller's transaction, only if no
// other call is open on it and its status is one of statuses: of two
// concurrent claims exactly one succeeds. It sets c.Key (a retry after a
// refusal gets a fresh key) and stores the call.
func ClaimCall(ctx context.Context, tx *sqldb.Tx, c *Call, statuses ...string) error {
	args := []any{c.Key, c.ClaimedAt, c.OrderID}
	in := make([]string, len(statuses))
	for i, st := range statuses {
		args = append(args, st)
		in[i] = fmt.Sprintf("$%d", len(args))
	}
	res, err := tx.ExecContext(ctx, `UPDATE orders SET gateway_call = $1, updated_at = $2
		WHERE id = $3 AND gateway_call = '' AND status IN (`+strings.Join(in, ", ")+`)`, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		var open string
		if err := tx.QueryRowContext(ctx, `SELECT gateway_call FROM orders WHERE id = $1`, c.OrderID).Scan(&open); err != nil {
			return err
		}
		if open != "" {
			return ErrGatewayBusy
		}
		return apperr.New(apperr.Conflict, "주문 상태가 방금 바뀌었습니다. 다시 확인해 주세요.", "The order changed meanwhile; reload it.")
	}
	// Earlier attempts on the same subject were refused: the gateway may
	// remember their key, so this attempt gets its own.
	var refund any
	if c.RefundID != 0 {
		refund = c.RefundID
	}
	var earlier int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM gateway_calls WHERE order_id = $1 AND kind = $2 AND COALESCE(refund_id, 0) = $3`,
		c.OrderID, c.Kind, c.RefundID).Scan(&earlier); err != nil {
		return err
	}
	if earlier > 0 {
		c.Key = fmt.Sprintf("%s-%d", c.Key, earlier+1)
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET gateway_call = $1 WHERE id = $2`, c.Key, c.OrderID); err != nil {
			return err
		}
	}
	params := c.Params
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	var actorID any
	if c.Actor.StaffID != 0 {
		actorID = c.Actor.StaffID
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO gateway_calls (idem_key, kind, state, order_id, refund_id, gateway, payment_key, amount, reason,
		params, actor_id, actor_login, claimed_at) VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.Key, c.Kind, c.OrderID, refund, c.Gateway, c.PaymentKey, c.Amount, c.Reason, string(params), actorID, c.Actor.Login, sqldb.Instant(c.ClaimedAt))
	return err
}

// SettleCall ends the open call key in the caller's transaction: recorded
// (the gateway returned the money, which the caller books in the same
// transaction) or refused (the gateway said no; message is its answer). The
// order is released. ErrCallSettled if the call was settled already.
func SettleCall(ctx context.Context, tx *sqldb.Tx, key string, recorded bool, message string, now time.Time) error {
	state := "refused"
	if recorded {
		state = "recorded"
	}
	res, err := tx.ExecContext(ctx, `UPDATE gateway_calls SET state = $1, message = $2, settled_at = $3 WHERE idem_key = $4 AND state = 'open'`,
		state, sqldb.Truncate(message, 500), sqldb.Instant(now), key)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrCallSettled
	}
	_, err = tx.ExecContext(ctx, `UPDATE orders SET gateway_call = '' WHERE gateway_call = $1`, key)
	return err
}

// OpenCalls lists the open calls of kind claimed before before, oldest first.
func OpenCalls(ctx context.Context, q sqldb.Querier, kind string, before time.Time) ([]Call, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.idem_key, c.kind, c.order_id, o.order_no, COALESCE(c.refund_id, 0), c.gateway, c.payment_key,
		c.amount, c.reason, c.params, COALESCE(c.actor_id, 0), c.actor_login, c.claimed_at
		FROM gateway_calls c JOIN orders o ON o.id = c.order_id
		WHERE c.state = 'open' AND c.kind = $1 AND c.claimed_at < $2 ORDER BY c.claimed_at LIMIT 500`, kind, sqldb.Instant(before))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Call
	for rows.Next() {
		var c Call
		var params string
		if err := rows.Scan(&c.Key, &c.Kind, &c.OrderID, &c.OrderNo, &c.RefundID, &c.Gateway, &c.PaymentKey, &c.Amount, &c.Reason, &params,
			&c.Actor.StaffID, &c.Actor.Login, &c.ClaimedAt); err != nil {
			return nil, err
		}
		c.Params = json.RawMessage(params)
		out = append(out, c)
	}
	return out, rows.Err()
}

// RefundCallOpen reports whether a gateway call of refund id is open.
func RefundCallOpen(ctx context.Context, q sqldb.Querier, refundID int64) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM gateway_calls WHERE refund_id = $1 AND state = 'open'`, refundID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// HoldForRefund locks the order row for the caller's transaction before a
// refund request is filed: it refuses when a gateway call is open on the
// order or the order is no longer paid. A concurrent 주문취소 waits for this
// transaction and then sees the request (or this one sees the cancel).
func HoldForRefund(ctx context.Context, tx *sqldb.Tx, orderID int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE orders SET updated_at = updated_at WHERE id = $1 AND gateway_call = '' AND status IN ('paid', 'partially_refunded')`, orderID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var open string
	if err := tx.QueryRowContext(ctx, `SELECT gateway_call FROM orders WHERE id = $1`, orderID).Scan(&open); err != nil {
		return err
	}
	if open != "" {
		return ErrGatewayBusy
	}
	return apperr.New(apperr.Conflict, "주문 상태가 방금 바뀌었습니다. 다시 확인해 주세요.", "The order changed meanwhile; reload it.")
}

// openRefundRequest refuses 주문취소 while a refund request of the order is
// open (환불요청; its items are refund_requested): the clerk completes or
// denies it first. Called after the order row is locked, so a request filed
// concurrently is seen. The refund package names the request (s.OpenRefund).
func (s *Service) openRefundRequest(ctx context.Context, q sqldb.Querier, orderID int64) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_items WHERE order_id = $1 AND status = 'refund_requested'`, orderID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	var id int64
	if s.OpenRefund != nil {
		var err error
		if id, err = s.OpenRefund(ctx, q, orderID); err != nil {
			return err
		}
	}
	if id == 0 {
		return apperr.New(apperr.Conflict, "환불요청이 처리 중입니다. 환불을 완료하거나 거절한 뒤 취소해 주세요.",
			"A refund request is open; complete or deny it before cancelling the order.")
	}
	return apperr.New(apperr.Conflict,
		fmt.Sprintf("환불요청 #%d가 처리 중입니다. 환불을 완료하거나 거절한 뒤 취소해 주세요.", id),
		fmt.Sprintf("Refund request #%d is open; complete or deny it before cancelling the order.", id))
}
