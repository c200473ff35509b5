package order

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

const orderColumns = `id, order_no, site, member_id, buyer_name, buyer_login, title, method, status, tax_invoice,
	list_total, subsidy_total, discount_total, shipping_fee, total, collected, refunded, gateway, payment_key, vbank_account,
	voucher_company, voucher_card, recipient, phone, zipcode, address, request, ordered_at, paid_at, cancelled_at, cancel_reason`

// row is an order as stored, with what only the service sees.
type row struct {
	Order
	depositSecret string
	voucherEnc    string
	// allItems: Items holds every item of the order as stored (markPaid
	// makes it so), and rollProducts need not read them again.
	allItems bool
}

func scanOrder(s interface{ Scan(...any) error }) (row, error) {
	var r row
	var paid, cancelled sql.NullTime
	err := s.Scan(&r.ID, &r.OrderNo, &r.Site, &r.MemberID, &r.BuyerName, &r.BuyerLogin, &r.Title, &r.Method, &r.Status, &r.TaxInvoice,
		&r.ListTotal, &r.SubsidyTotal, &r.DiscountTotal, &r.ShippingFee, &r.Total, &r.Collected, &r.Refunded, &r.Gateway, &r.PaymentKey,
		&r.VBankAccount, &r.VoucherCompany, &r.voucherEnc, &r.Shipping.Recipient, &r.Shipping.Phone, &r.Shipping.Zipcode,
		&r.Shipping.Address, &r.Shipping.Request, &r.OrderedAt, &paid, &cancelled, &r.CancelReason)
	if paid.Valid {
		t := paid.Time
		r.PaidAt = &t
	}
	if cancelled.Valid {
		t := cancelled.Time
		r.CancelledAt = &t
	}
	return r, err
}

func loadOrder(ctx context.Context, q sqldb.Querier, orderNo int64) (row, error) {
	var secret string
	r, err := scanOrder(scanPlus{q.QueryRowContext(ctx, `SELECT `+orderColumns+`, deposit_secret FROM orders WHERE order_no = $1`, orderNo), &secret})
	if err != nil {
		return r, sqldb.NotFound(err, "주문", "order")
	}
	r.depositSecret = secret
	return r, nil
}

// scanPlus scans one more column after the order's.
type scanPlus struct {
	row   *sql.Row
	extra *string
}

func (s scanPlus) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra)...) }

const itemColumns = `id, product_id, kind, name, qty, unit_price, list_price, subsidy, discount, paid, refunded, status, delivery_status, gov_refundable`

// itemSelect reads an item (of order_items i) and its enrollment (e, joined
// by its item: an item has at most one).
var itemSelect = prefixed("i", itemColumns) + `, COALESCE(e.id, 0), COALESCE(e.status, '')`

func loadItems(ctx context.Context, q sqldb.Querier, orderID int64) ([]Item, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+itemSelect+` FROM order_items i LEFT JOIN enrollments e ON e.order_item_id = i.id
		WHERE i.order_id = $1 ORDER BY i.id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		if err := rows.Scan(itemDest(&it)...); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

func itemDest(it *Item) []any {
	return []any{&it.ID, &it.ProductID, &it.Kind, &it.Name, &it.Qty, &it.UnitPrice, &it.ListPrice, &it.Subsidy, &it.Discount,
		&it.Paid, &it.Refunded, &it.Status, &it.DeliveryStatus, &it.GovRefundable, &it.EnrollmentID, &it.EnrollmentStatus}
}

var orderWithItems = `SELECT ` + prefixed("o", orderColumns) + `, o.deposit_secret, ` + itemSelect + `
	FROM orders o JOIN order_items i ON i.order_id = o.id LEFT JOIN enrollments e ON e.order_item_id = i.id
	WHERE o.order_no = $1 ORDER BY i.id`

// loadWithItems is loadOrder and loadItems in one query (an order has at
// least one item; one without is read by the two).
func loadWithItems(ctx context.Context, q sqldb.Querier, orderNo int64) (row, error) {
	rows, err := q.QueryContext(ctx, orderWithItems, orderNo)
	if err != nil {
		return row{}, err
	}
	defer rows.Close()
	var r row
	n := 0
	for rows.Next() {
		var it Item
		var secret string
		o, err := scanOrder(scanWith{rows, append([]any{&secret}, itemDest(&it)...)})
		if err != nil {
			return row{}, err
		}
		if n == 0 {
			r, r.depositSecret = o, secret
		}
		r.Items = append(r.Items, it)
		n++
	}
	if err := rows.Err(); err != nil {
		return row{}, err
	}
	if n == 0 {
		if r, err = loadOrder(ctx, q, orderNo); err != nil {
			return r, err
		}
		r.Items, err = loadItems(ctx, q, r.ID)
		return r, err
	}
	return r, nil
}

// scanWith scans more columns after the order's.
type scanWith struct {
	s     sqldb.Scanner
	extra []any
}

func (s scanWith) Scan(dest ...any) error { return s.s.Scan(append(dest, s.extra...)...) }

// prefixed qualifies each of a column list's columns with table.
func prefixed(table, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = table + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// nextOrderNo takes the next order number in the caller's transaction
// (sqldb.Tx.Next: on PostgreSQL the sequence order_no_seq of migration 0027,
// whose numbers concurrent placings take without waiting for each other; on
// SQLite the counters row).
func nextOrderNo(ctx context.Context, tx *sqldb.Tx) (int64, error) {
	return tx.Next(ctx, "order_no")
}

// SetNextOrderNo makes the next order number n (never lower than the last
// one taken); the demo uses it to number orders as the manual does. It must
// not run while orders are being placed (see sqldb.Tx.SetNext).
func (s *Service) SetNextOrderNo(ctx context.Context, n int64) error {
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		return tx.SetNext(ctx, "order_no", n)
	})
}

// book writes one journal row and keeps the daily rollups in step with it.
// amount is positive for money received, negative for money returned; shares
// split a refund over its items (see productParts). The journal row is
// written now; the rollups' rows, which every payment of the day shares, at
// the end of the transaction (sqldb.Tx.Last).
func book(ctx context.Context, tx *sqldb.Tx, o row, itemID *int64, kind string, amount int64, at time.Time, note string, shares ...itemShare) error {
	day := kst.Day(at)
	if _, err := tx.ExecContext(ctx, `INSERT INTO journal (order_id, order_item_id, site, method, kind, amount, at, business_day, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, o.ID, itemID, o.Site, o.Method, kind, amount, sqldb.Instant(at), day, note); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	products, err := productParts(ctx, tx, o, amount, shares)
	if err != nil {
		return err
	}
	captured, returned, orders, refunds := int64(0), int64(0), 0, 0
	if amount >= 0 {
		captured, orders = amount, 1
	} else {
		returned, refunds = -amount, 1
	}
	tx.Last(func() error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sales_daily (site, day, method, captured, returned, orders, refunds) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (site, day, method) DO UPDATE SET captured = sales_daily.captured + excluded.captured,
		returned = sales_daily.returned + excluded.returned, orders = sales_daily.orders + excluded.orders,
		refunds = sales_daily.refunds + excluded.refunds`,
			o.Site, day, o.Method, captured, returned, orders, refunds)
		if err != nil {
			return fmt.Errorf("sales rollup: %w", err)
		}
		return rollProducts(ctx, tx, o.Site, day, products)
	})
	return nil
}

// recordTx stores one gateway exchange raw. With an event id, a second
// arrival of the same event stores nothing and reports false.
func recordTx(ctx context.Context, q sqldb.Querier, orderID int64, gateway, kind, eventID string, r txFields, now time.Time) (bool, error) {
	var ev any
	if eventID != "" {
		ev = eventID
	}
	var approved any
	if !r.ApprovedAt.IsZero() {
		approved = sqldb.Instant(r.ApprovedAt)
	}
	res, err := q.ExecContext(ctx, `INSERT INTO payment_transactions (order_id, gateway, kind, payment_key, result_code, result_message,
		method, company, masked_number, installment, amount, approved_at, event_id, raw, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (event_id) DO NOTHING`,
		orderID, gateway, kind, r.PaymentKey, r.Code, sqldb.Truncate(r.Message, 500), r.Method, r.Company, r.MaskedNumber, r.Installment,
		r.Amount, approved, ev, string(r.Raw), sqldb.Instant(now))
	if err != nil {
		return false, fmt.Errorf("payment transaction: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// txFields are the parts of a gateway answer that 결제내역 keeps.
type txFields struct {
	PaymentKey, Code, Message, Method, Company, MaskedNumber string
	Installment                                              int
	Amount                                                   int64
	ApprovedAt                                               time.Time
	Raw                                                      []byte
}

// counted is an order as the rollups of 주문목록's totals key it, read as the
// UPDATE that moved it left it (RETURNING countedColumns, or count's SELECT).
type counted struct {
	site, orderedDay, paidDay, method, title string
	orderNo                                  int64
}

const countedColumns = `site, ordered_day, paid_day, method, title, order_no`

func scanCounted(r interface{ Scan(...any) error }) (counted, error) {
	var k counted
	err := r.Scan(&k.site, &k.orderedDay, &k.paidDay, &k.method, &k.title, &k.orderNo)
	return k, err
}

// count is countAs for an order read by its id.
func count(ctx context.Context, tx *sqldb.Tx, orderID int64, from, to string) error {
	k, err := scanCounted(tx.QueryRowContext(ctx, `SELECT `+countedColumns+` FROM orders WHERE id = $1`, orderID))
	if err != nil {
		return fmt.Errorf("order counts: %w", err)
	}
	return countAs(ctx, tx, k, from, to)
}

// countAs moves one order from one status to another ("" for from when the
// order is new) in the rollups of 주문목록's totals: order_day_counts /
// order_month_counts (order day × payment day × site × status × method, by
// day and by month). It is called after the conditional UPDATE that made
// the move, in its transaction, with the order's key as that UPDATE left
// it. Only markPaid changes paid_day, and only from "" (its WHERE says so),
// so the key the order leaves has paid_day "" when it moves into paid from
// a status without payment. A new order's day bounds (order_days) and title
// (order_titles) are kept here too. Every order of a day shares these rows,
// so they are written at the end of the transaction (sqldb.Tx.Last).
func countAs(ctx context.Context, tx *sqldb.Tx, k counted, from, to string) error {
	tx.Last(func() error { return countNow(ctx, tx, k, from, to) })
	return nil
}

// countNow is countAs's writes.
func countNow(ctx context.Context, tx *sqldb.Tx, k counted, from, to string) error {
	if from != "" {
		paidBefore := k.paidDay
		if to == StatusPaid && (from == StatusPending || from == StatusAwaitingDeposit) {
			paidBefore = ""
		}
		if _, err := tx.ExecContext(ctx, `UPDATE order_day_counts SET n = n - 1
			WHERE ordered_day = $1 AND paid_day = $2 AND site = $3 AND status = $4 AND method = $5`, k.orderedDay, paidBefore, k.site, from, k.method); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE order_month_counts SET n = n - 1
			WHERE ordered_month = $1 AND paid_month = $2 AND site = $3 AND status = $4 AND method = $5`,
			k.orderedDay[:7], month(paidBefore), k.site, from, k.method); err != nil {
			return err
		}
	} else {
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_days (day, min_no, max_no) VALUES ($1, $2, $2)
			ON CONFLICT (day) DO UPDATE SET min_no = CASE WHEN excluded.min_no < order_days.min_no THEN excluded.min_no ELSE order_days.min_no END,
			max_no = CASE WHEN excluded.max_no > order_days.max_no THEN excluded.max_no ELSE order_days.max_no END`, k.orderedDay, k.orderNo); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_titles (title) VALUES ($1) ON CONFLICT (title) DO NOTHING`, k.title); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO order_day_counts (ordered_day, paid_day, site, status, method, n) VALUES ($1, $2, $3, $4, $5, 1)
		ON CONFLICT (ordered_day, paid_day, site, status, method) DO UPDATE SET n = order_day_counts.n + 1`,
		k.orderedDay, k.paidDay, k.site, to, k.method); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO order_month_counts (ordered_month, paid_month, site, status, method, n) VALUES ($1, $2, $3, $4, $5, 1)
		ON CONFLICT (ordered_month, paid_month, site, status, method) DO UPDATE SET n = order_month_counts.n + 1`,
		k.orderedDay[:7], month(k.paidDay), k.site, to, k.method)
	return err
}

// month is the YYYY-MM of a day, "" of "".
func month(day string) string {
	if len(day) < 7 {
		return ""
	}
	return day[:7]
}
