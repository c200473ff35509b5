package order

import (
	"context"
	"strings"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Delivery states of a textbook item (order_items.delivery_status). The
// shipping package moves them through MoveDelivery; cancelling an order or
// fully refunding an item before it ships makes it DeliveryCancelled here.
const (
	DeliveryWaiting   = "waiting"   // 배송대기
	DeliveryPreparing = "preparing" // 배송준비중
	DeliveryShipped   = "shipped"   // 발송완료
	DeliveryDelivered = "delivered" // 배송완료
	DeliveryConfirmed = "confirmed" // 구매확정
	DeliveryCancelled = "cancelled" // 배송취소
)

// MoveDelivery changes the delivery state of a textbook item from → to in
// the caller's transaction, only if it is still from: of two concurrent
// changes exactly one moves it. It reports whether it moved.
func MoveDelivery(ctx context.Context, tx *sqldb.Tx, itemID int64, from, to string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE order_items SET delivery_status = $1 WHERE id = $2 AND kind = 'textbook' AND delivery_status = $3`,
		to, itemID, from)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ConfirmDelivered makes a delivered textbook item 구매확정 (the 7-day job),
// if it is still paid: an item with a refund requested, refunded or
// cancelled is not confirmed by the clock. It reports whether it moved.
func ConfirmDelivered(ctx context.Context, tx *sqldb.Tx, itemID int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE order_items SET delivery_status = $1 WHERE id = $2 AND kind = 'textbook' AND delivery_status = $3 AND status = $4`,
		DeliveryConfirmed, itemID, DeliveryDelivered, ItemPaid)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// cancelUnshipped makes the textbook items of the order that are cancelled
// or fully refunded and have not shipped yet 배송취소, in the transaction
// that cancels or refunds them. A shipped or delivered item keeps its state
// (the goods are on their way or with the buyer).
func cancelUnshipped(ctx context.Context, tx *sqldb.Tx, orderID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE order_items SET delivery_status = 'cancelled'
		WHERE order_id = $1 AND kind = 'textbook' AND status IN ('cancelled', 'refunded') AND delivery_status IN ('waiting', 'preparing')`, orderID)
	return err
}

// SetShipping stores the order's recipient, phone, address and request in
// the caller's transaction and returns what they were.
func SetShipping(ctx context.Context, tx *sqldb.Tx, orderID int64, sh Shipping) (Shipping, error) {
	var before Shipping
	err := tx.QueryRowContext(ctx, `SELECT recipient, phone, zipcode, address, request FROM orders WHERE id = $1`, orderID).
		Scan(&before.Recipient, &before.Phone, &before.Zipcode, &before.Address, &before.Request)
	if err != nil {
		return before, sqldb.NotFound(err, "주문", "order")
	}
	sh = Shipping{Recipient: strings.TrimSpace(sh.Recipient), Phone: strings.TrimSpace(sh.Phone), Zipcode: strings.TrimSpace(sh.Zipcode),
		Address: strings.TrimSpace(sh.Address), Request: strings.TrimSpace(sh.Request)}
	_, err = tx.ExecContext(ctx, `UPDATE orders SET recipient = $1, phone = $2, zipcode = $3, address = $4, request = $5 WHERE id = $6`,
		sh.Recipient, sh.Phone, sh.Zipcode, sh.Address, sh.Request, orderID)
	return before, err
}
