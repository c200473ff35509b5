package order

import (
	"context"
	"errors"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// SetRefineRows sets how many index rows a page's offset may walk before the
// span it falls in is cut into days (0: always cut); it returns the undo.
func SetRefineRows(n float64) func() {
	old := refineRows
	refineRows = n
	return func() { refineRows = old }
}

// CountNewOrder is countAs for a new pending order of the given day, site
// and method (number no, title title), on tx.
func CountNewOrder(ctx context.Context, tx *sqldb.Tx, day, site, method, title string, no int64) error {
	return countAs(ctx, tx, counted{site: site, orderedDay: day, method: method, title: title, orderNo: no}, "", StatusPending)
}

// BookCapture is book of a capture of amount for the order with that id
// (a site's order without items: the amount goes to ShippingProduct).
func BookCapture(ctx context.Context, tx *sqldb.Tx, orderID int64, site, method string, amount int64, at time.Time) error {
	return book(ctx, tx, row{Order: Order{ID: orderID, Site: site, Method: method}, allItems: true}, nil, "capture", amount, at, "test")
}

// LoadBoth reads an order as get does (one query) and as it did before
// (the order, then its items), unmasked.
func LoadBoth(ctx context.Context, q sqldb.Querier, orderNo int64) (joined, apart Order, err error) {
	j, err := loadWithItems(ctx, q, orderNo)
	if err != nil {
		return Order{}, Order{}, err
	}
	a, err := loadOrder(ctx, q, orderNo)
	if err != nil {
		return Order{}, Order{}, err
	}
	// The items as they were read before, each enrollment by subqueries.
	rows, err := q.QueryContext(ctx, `SELECT `+itemColumns+`, COALESCE((SELECT e.id FROM enrollments e WHERE e.order_item_id = order_items.id), 0),
		COALESCE((SELECT e.status FROM enrollments e WHERE e.order_item_id = order_items.id), '')
		FROM order_items WHERE order_id = $1 ORDER BY id`, a.ID)
	err = sqldb.ScanEach(rows, err, func(s sqldb.Scanner) error {
		var it Item
		if err := s.Scan(itemDest(&it)...); err != nil {
			return err
		}
		a.Items = append(a.Items, it)
		return nil
	})
	if err != nil {
		return Order{}, Order{}, err
	}
	if j.depositSecret != a.depositSecret || j.voucherEnc != a.voucherEnc {
		return j.Order, a.Order, errors.New("the secrets read differ")
	}
	return j.Order, a.Order, nil
}

// RecordRaw keeps a gateway's raw answer in 결제내역 as it is, as rows were
// kept before answers were redacted.
func RecordRaw(ctx context.Context, tx *sqldb.Tx, orderID int64, gateway, kind, raw string, at time.Time) error {
	_, err := recordTx(ctx, tx, orderID, gateway, kind, "", txFields{Raw: []byte(raw)}, at)
	return err
}
