package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Refundable is what can still be returned on an order, per item and for
// shipping, read in the caller's transaction.
type Refundable struct {
	OrderID    int64
	OrderNo    int64
	Site       string
	Method     string
	Status     string
	Gateway    string
	PaymentKey string
	Collected  int64
	Refunded   int64
	Items      []Item
	Shipping   int64 // shipping fee not yet returned
}

// ItemLeft is what is left to return on one item.
func (it Item) Left() int64 { return it.Paid - it.Refunded }

// LoadRefundable reads the order and its items for a refund.
func LoadRefundable(ctx context.Context, q sqldb.Querier, orderID int64) (Refundable, error) {
	var r Refundable
	err := q.QueryRowContext(ctx, `SELECT id, order_no, site, method, status, gateway, payment_key, collected, refunded FROM orders WHERE id = $1`, orderID).
		Scan(&r.OrderID, &r.OrderNo, &r.Site, &r.Method, &r.Status, &r.Gateway, &r.PaymentKey, &r.Collected, &r.Refunded)
	if err != nil {
		return r, sqldb.NotFound(err, "주문", "order")
	}
	if r.Items, err = loadItems(ctx, q, orderID); err != nil {
		return r, err
	}
	itemsLeft := int64(0)
	for _, it := range r.Items {
		if it.Status != ItemCancelled {
			itemsLeft += it.Left()
		}
	}
	r.Shipping = max(0, r.Collected-r.Refunded-itemsLeft)
	return r, nil
}

// ItemRefusal says why an item cannot be asked a refund of, without codes.
func ItemRefusal(it Item) (ko, en string) {
	switch it.Status {
	case ItemRefundRequested:
		return fmt.Sprintf("항목 %d은(는) 이미 환불요청 중입니다.", it.ID), fmt.Sprintf("Item %d already has an open refund request.", it.ID)
	case ItemRefunded:
		return fmt.Sprintf("항목 %d은(는) 이미 환불완료되었습니다.", it.ID), fmt.Sprintf("Item %d is already refunded.", it.ID)
	case ItemCancelled:
		return fmt.Sprintf("항목 %d은(는) 취소된 항목입니다.", it.ID), fmt.Sprintf("Item %d was cancelled.", it.ID)
	case ItemAwaitingDeposit:
		return fmt.Sprintf("항목 %d은(는) 아직 입금되지 않았습니다.", it.ID), fmt.Sprintf("Item %d is not paid yet.", it.ID)
	case ItemPaid:
		if it.Left() <= 0 {
			return fmt.Sprintf("항목 %d은(는) 환불할 금액이 남아 있지 않습니다.", it.ID), fmt.Sprintf("Item %d has nothing left to refund.", it.ID)
		}
	}
	return fmt.Sprintf("항목 %d은(는) 환불할 수 없습니다.", it.ID), fmt.Sprintf("Item %d cannot be refunded.", it.ID)
}

// SetItemsRequested moves items paid → refund_requested (or back, with
// back=true); each must be in the from state.
func SetItemsRequested(ctx context.Context, tx *sqldb.Tx, orderID int64, itemIDs []int64, back bool) error {
	from, to := ItemPaid, ItemRefundRequested
	if back {
		from, to = to, from
	}
	for _, id := range itemIDs {
		res, err := tx.ExecContext(ctx, `UPDATE order_items SET status = $1 WHERE id = $2 AND order_id = $3 AND status = $4`, to, id, orderID, from)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			it := Item{ID: id}
			_ = tx.QueryRowContext(ctx, `SELECT status, paid, refunded FROM order_items WHERE id = $1`, id).Scan(&it.Status, &it.Paid, &it.Refunded)
			if back {
				return apperr.New(apperr.Conflict, fmt.Sprintf("항목 %d은(는) 환불요청 중이 아닙니다.", id), fmt.Sprintf("Item %d has no open refund request.", id))
			}
			ko, en := ItemRefusal(it)
			return apperr.New(apperr.Conflict, ko, en)
		}
	}
	return nil
}

// ReturnMoney books money returned by a refund, in the caller's transaction:
// each item gets its share (never above what was paid for it), the shipping
// share is returned at order level, the order's refunded amount grows (never
// above what was received), item and order statuses follow, enrollments of
// fully refunded course items are cancelled, and the journal gets one row.
// Conditional updates make a concurrent refund that would exceed fail.
func ReturnMoney(ctx context.Context, tx *sqldb.Tx, r Refundable, shares map[int64]int64, shipping int64, at time.Time, note string) (string, error) {
	total := shipping
	for _, v := range shares {
		total += v
	}
	if total <= 0 {
		return "", apperr.New(apperr.Invalid, "환불금액은 0원보다 커야 합니다.", "refund amount must be positive")
	}
	exceeds := apperr.New(apperr.Conflict, "환불금액이 환불가능금액을 넘습니다. 다른 환불이 먼저 처리되었을 수 있습니다.",
		"The refund exceeds what is refundable; another refund may have been completed meanwhile.")
	for id, v := range shares {
		if v == 0 {
			continue
		}
		res, err := tx.ExecContext(ctx, `UPDATE order_items SET refunded = refunded + $1,
			status = CASE WHEN refunded + $1 = paid THEN 'refunded' ELSE 'paid' END
			WHERE id = $2 AND order_id = $3 AND refunded + $1 <= paid`, v, id, r.OrderID)
		if err != nil {
			return "", err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return "", exceeds
		}
	}
	for id := range shares { // requested items without money move back to paid
		if _, err := tx.ExecContext(ctx, `UPDATE order_items SET status = 'paid' WHERE id = $1 AND status = 'refund_requested'`, id); err != nil {
			return "", err
		}
	}
	// The order moves from the status this UPDATE found (old → new), never
	// from one read earlier: a concurrent refund may have moved it meanwhile,
	// and the order counts rollup follows the transition actually made.
	from, status := r.Status, ""
	for attempt := 0; ; attempt++ {
		err := tx.QueryRowContext(ctx, `UPDATE orders SET refunded = refunded + $1,
			status = CASE WHEN refunded + $1 = collected THEN 'refunded' ELSE 'partially_refunded' END, updated_at = $2
			WHERE id = $3 AND status = $4 AND status IN ('paid', 'partially_refunded') AND refunded + $1 <= collected
			RETURNING status`, total, at, r.OrderID, from).Scan(&status)
		if err == nil {
			break
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", err
		}
		var cur string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM orders WHERE id = $1`, r.OrderID).Scan(&cur); err != nil {
			return "", err
		}
		if cur == from || attempt == 3 || (cur != StatusPaid && cur != StatusPartiallyRefunded) {
			return "", exceeds
		}
		from = cur // moved meanwhile by another refund: try from where it is now
	}
	if status != from {
		if err := CheckTransition(from, status); err != nil {
			return "", err
		}
		if err := count(ctx, tx, r.OrderID, from, status); err != nil {
			return "", err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE enrollments SET status = 'cancelled', updated_at = $1
		WHERE order_id = $2 AND order_item_id IN (SELECT id FROM order_items WHERE order_id = $2 AND status = 'refunded')`, at, r.OrderID); err != nil {
		return "", err
	}
	if err := cancelUnshipped(ctx, tx, r.OrderID); err != nil {
		return "", err
	}
	o := row{Order: Order{ID: r.OrderID, Site: r.Site, Method: r.Method}}
	split := make([]itemShare, 0, len(shares))
	for id, v := range shares {
		split = append(split, itemShare{id, v})
	}
	return status, book(ctx, tx, o, nil, "refund", -total, at, note, split...)
}

// RecordCancel stores a gateway's answer to a cancel in 결제내역.
func RecordCancel(ctx context.Context, tx *sqldb.Tx, orderID int64, gateway string, r payment.Result, at time.Time) error {
	_, err := recordTx(ctx, tx, orderID, gateway, "cancel", "", fields(r, r.PaymentKey), at)
	return err
}
