package shipping

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

var seoul = kst.Seoul

// Service holds the shipping rules.
type Service struct {
	DB     *sqldb.DB
	Now    func() time.Time
	Log    *slog.Logger
	Orders *order.Service
	// ConfirmAfter is how long after 배송완료 an item becomes 구매확정 (default 7 days).
	ConfirmAfter time.Duration
}

// ParseFilter reads 배송관리's filters from a query and checks them.
func ParseFilter(q url.Values) (Filter, error) {
	p, err := paging.FromQuery(q)
	if err != nil {
		return Filter{}, err
	}
	f := Filter{OrderedFrom: q.Get("ordered_from"), OrderedTo: q.Get("ordered_to"), PaidFrom: q.Get("paid_from"), PaidTo: q.Get("paid_to"),
		OrderStatus: q.Get("status"), ItemStatus: q.Get("item_status"), State: q.Get("state"), Q: q.Get("q"), Params: p}
	return f, validateFilter(f)
}

func validateFilter(f Filter) error {
	var fe apperr.Fields
	for name, v := range map[string]string{"ordered_from": f.OrderedFrom, "ordered_to": f.OrderedTo, "paid_from": f.PaidFrom, "paid_to": f.PaidTo} {
		if v != "" {
			if _, err := kst.ParseDay(v); err != nil {
				fe.Add(name, "날짜는 YYYY-MM-DD 형식입니다.", "dates are YYYY-MM-DD")
			}
		}
	}
	if f.OrderStatus != "" && order.Label(order.Statuses, f.OrderStatus) == f.OrderStatus {
		fe.Add("status", "알 수 없는 결제상태입니다.", "unknown status")
	}
	if f.ItemStatus != "" && order.Label(order.ItemStatuses, f.ItemStatus) == f.ItemStatus {
		fe.Add("item_status", "알 수 없는 항목결제상태입니다.", "unknown item_status")
	}
	if f.State != "" && StateLabel(f.State) == f.State {
		fe.Add("state", "알 수 없는 배송상태입니다.", "unknown state")
	}
	return fe.Err()
}

const listFrom = `order_items i JOIN orders o ON o.id = i.order_id LEFT JOIN deliveries d ON d.item_id = i.id LEFT JOIN carriers c ON c.code = d.carrier`

const listColumns = `i.id, o.order_no, o.site, o.title, i.name, i.qty, o.buyer_name, o.buyer_login, o.ordered_day, o.paid_day, o.status, i.status,
	COALESCE((SELECT r.status FROM refund_items ri JOIN refunds r ON r.id = ri.refund_id WHERE ri.item_id = i.id ORDER BY r.id DESC LIMIT 1), ''),
	i.delivery_status, COALESCE(d.carrier, ''), COALESCE(c.name, ''), COALESCE(c.url_template, ''), COALESCE(d.tracking_no, ''),
	d.shipped_at, d.delivered_at, d.confirmed_at, o.recipient, o.phone, o.zipcode, o.address`

func scanRow(s sqldb.Scanner) (Row, error) {
	var r Row
	var tmpl string
	var shipped, delivered, confirmed sql.NullTime
	err := s.Scan(&r.ItemID, &r.OrderNo, &r.Site, &r.OrderTitle, &r.ProductName, &r.Qty, &r.BuyerName, &r.MemberLogin, &r.OrderedDay, &r.PaidDay,
		&r.OrderStatus, &r.ItemStatus, &r.RefundStatus, &r.State, &r.Carrier, &r.CarrierName, &tmpl, &r.TrackingNo,
		&shipped, &delivered, &confirmed, &r.Recipient, &r.Phone, &r.Zipcode, &r.Address)
	r.TrackingURL = TrackingURL(tmpl, r.TrackingNo)
	r.ShippedAt, r.DeliveredAt, r.ConfirmedAt = nullTime(shipped), nullTime(delivered), nullTime(confirmed)
	return r, err
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

func where(a access.Actor, f Filter) sqldb.Where {
	var w sqldb.Where
	w.Add("i.kind = 'textbook'")
	w.Add("o.status <> 'pending'")
	if scope := a.ReadScope(); scope != nil {
		w.In("o.site", scope)
	}
	if f.OrderedFrom != "" {
		w.Add("o.ordered_day >= ?", f.OrderedFrom)
	}
	if f.OrderedTo != "" {
		w.Add("o.ordered_day <= ?", f.OrderedTo)
	}
	if f.PaidFrom != "" {
		w.Add("o.paid_day >= ?", f.PaidFrom)
	}
	if f.PaidTo != "" {
		w.Add("o.paid_day <= ? AND o.paid_day <> ''", f.PaidTo)
	}
	if f.OrderStatus != "" {
		w.Add("o.status = ?", f.OrderStatus)
	}
	if f.ItemStatus != "" {
		w.Add("i.status = ?", f.ItemStatus)
	}
	if f.State != "" {
		w.Add("i.delivery_status = ?", f.State)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		no, err := strconv.ParseInt(q, 10, 64)
		if err != nil {
			no = -1
		}
		digits := strings.NewReplacer("-", "", " ", "").Replace(q)
		w.Add("(o.order_no = ? OR LOWER(i.name) LIKE ? ESCAPE '\\' OR o.buyer_name = ? OR o.buyer_login = ? OR o.recipient = ? OR d.tracking_no = ?)",
			no, sqldb.Like(q), q, q, q, digits)
	}
	return w
}

// List is 배송관리: one row per textbook item, newest order first and the
// items of an order together.
func (s *Service) List(ctx context.Context, a access.Actor, f Filter) (paging.Page[Row], error) {
	if err := validateFilter(f); err != nil {
		return paging.Page[Row]{Items: []Row{}}, err
	}
	return sqldb.ListPage(ctx, s.DB.Read(), listFrom, where(a, f), listColumns, "o.order_no DESC, i.id", f.Params, scanRow)
}

// ListOrders is 배송관리 as the manual shows it: a page of orders, newest
// first, each with every textbook item of it that matches the filter. Total
// and the page count orders, not items (the manual's "Total: 3 건" over five
// item rows), so an order's items never split across two pages.
func (s *Service) ListOrders(ctx context.Context, a access.Actor, f Filter) (paging.Page[OrderRows], error) {
	p := f.Params.Normalize()
	page := paging.Page[OrderRows]{Page: p.Page, PerPage: p.PerPage, Items: []OrderRows{}}
	if err := validateFilter(f); err != nil {
		return page, err
	}
	db := s.DB.Read()
	w := where(a, f)
	if err := db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT o.id) FROM `+listFrom+w.SQL(), w.Args()...).Scan(&page.Total); err != nil {
		return page, err
	}
	var nos []int64
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT o.order_no FROM `+listFrom+w.SQL()+` ORDER BY o.order_no DESC LIMIT `+
		strconv.Itoa(p.PerPage)+` OFFSET `+strconv.Itoa(p.Offset()), w.Args()...)
	err = sqldb.ScanEach(rows, err, func(row sqldb.Scanner) error {
		var no int64
		err := row.Scan(&no)
		nos = append(nos, no)
		return err
	})
	if err != nil || len(nos) == 0 {
		return page, err
	}
	w = where(a, f)
	w.InInt("o.order_no", nos)
	err = s.each(ctx, w, func(r Row) error {
		if n := len(page.Items); n == 0 || page.Items[n-1].OrderNo != r.OrderNo {
			page.Items = append(page.Items, OrderRows{OrderNo: r.OrderNo})
		}
		last := &page.Items[len(page.Items)-1]
		last.Items = append(last.Items, r)
		return nil
	})
	return page, err
}

// Each streams every row of the filter (for the EXCEL), in the list's order.
func (s *Service) Each(ctx context.Context, a access.Actor, f Filter, fn func(Row) error) error {
	if err := validateFilter(f); err != nil {
		return err
	}
	return s.each(ctx, where(a, f), fn)
}

// each streams the rows of w in the list's order.
func (s *Service) each(ctx context.Context, w sqldb.Where, fn func(Row) error) error {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+listColumns+` FROM `+listFrom+w.SQL()+` ORDER BY o.order_no DESC, i.id`, w.Args()...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Item returns one row of 배송관리.
func (s *Service) Item(ctx context.Context, a access.Actor, itemID int64) (Row, error) {
	var w sqldb.Where
	w.Add("i.id = ?", itemID)
	w.Add("i.kind = 'textbook'")
	r, err := scanRow(s.DB.Read().QueryRowContext(ctx, `SELECT `+listColumns+` FROM `+listFrom+w.SQL(), w.Args()...))
	if err != nil {
		return r, sqldb.NotFound(err, "배송 항목", "delivery item")
	}
	if err := a.CheckRead(r.Site, "배송 항목", "delivery item"); err != nil {
		return Row{}, err
	}
	return r, nil
}

// itemState is an item as a change sees it, read in the change's transaction.
type itemState struct {
	ItemID, OrderID, OrderNo            int64
	Site, Kind, Name                    string
	Qty                                 int
	ItemStatus, OrderStatus, State      string
	Carrier, TrackingNo                 string
	ShippedAt, DeliveredAt, ConfirmedAt *time.Time
	BuyerName, Recipient                string
}

const stateColumns = `i.id, i.order_id, o.order_no, o.site, i.kind, i.name, i.qty, i.status, o.status, i.delivery_status,
	COALESCE(d.carrier, ''), COALESCE(d.tracking_no, ''), d.shipped_at, d.delivered_at, d.confirmed_at, o.buyer_name, o.recipient
	FROM order_items i JOIN orders o ON o.id = i.order_id LEFT JOIN deliveries d ON d.item_id = i.id`

func scanState(s sqldb.Scanner) (itemState, error) {
	var st itemState
	var shipped, delivered, confirmed sql.NullTime
	err := s.Scan(&st.ItemID, &st.OrderID, &st.OrderNo, &st.Site, &st.Kind, &st.Name, &st.Qty, &st.ItemStatus, &st.OrderStatus, &st.State,
		&st.Carrier, &st.TrackingNo, &shipped, &delivered, &confirmed, &st.BuyerName, &st.Recipient)
	st.ShippedAt, st.DeliveredAt, st.ConfirmedAt = nullTime(shipped), nullTime(delivered), nullTime(confirmed)
	return st, err
}

func loadState(ctx context.Context, q sqldb.Querier, a access.Actor, itemID int64) (itemState, error) {
	st, err := scanState(q.QueryRowContext(ctx, `SELECT `+stateColumns+` WHERE i.id = $1`, itemID))
	if err != nil {
		return st, sqldb.NotFound(err, fmt.Sprintf("항목 %d", itemID), fmt.Sprintf("item %d", itemID))
	}
	if err := a.CheckRead(st.Site, fmt.Sprintf("항목 %d", itemID), fmt.Sprintf("item %d", itemID)); err != nil {
		return itemState{}, err
	}
	return st, nil
}

// target is what a change asks of an item; empty fields stay.
type target struct {
	State, Carrier, TrackingNo string
	ShippedOn, DeliveredOn     *time.Time
	// forwardOnly keeps an item whose state is already at or past State
	// where it is (the upload: an old file never moves an item back).
	forwardOnly bool
}

func refuse(ko, en string) error { return apperr.New(apperr.Conflict, ko, en) }

// plan checks a change of one item and returns the item as it will be, and
// whether anything changes. Refusals say why in a clerk's words.
func plan(a access.Actor, cur itemState, carriers map[string]Carrier, want target, now time.Time) (itemState, bool, error) {
	if err := a.CheckWrite(cur.Site, fmt.Sprintf("항목 %d", cur.ItemID), fmt.Sprintf("item %d", cur.ItemID)); err != nil {
		return cur, false, err
	}
	id := cur.ItemID
	switch {
	case cur.Kind != catalog.KindTextbook:
		return cur, false, refuse(fmt.Sprintf("항목 %d은(는) 교재가 아니어서 배송이 없습니다.", id), fmt.Sprintf("Item %d is not a textbook; it has no delivery.", id))
	case cur.ItemStatus == order.ItemCancelled:
		return cur, false, refuse(fmt.Sprintf("항목 %d은(는) 취소된 주문의 항목입니다 (배송취소).", id), fmt.Sprintf("Item %d was cancelled.", id))
	case cur.ItemStatus == order.ItemRefunded:
		return cur, false, refuse(fmt.Sprintf("항목 %d은(는) 전액환불된 항목입니다.", id), fmt.Sprintf("Item %d was fully refunded.", id))
	case cur.State == order.DeliveryCancelled:
		return cur, false, refuse(fmt.Sprintf("항목 %d은(는) 배송취소된 항목입니다.", id), fmt.Sprintf("Item %d's delivery was cancelled.", id))
	case cur.ItemStatus == order.ItemAwaitingDeposit:
		return cur, false, refuse(fmt.Sprintf("항목 %d은(는) 아직 입금되지 않아 배송할 수 없습니다.", id), fmt.Sprintf("Item %d is not paid yet; it cannot be shipped.", id))
	}
	next := cur
	if want.Carrier != "" && want.Carrier != cur.Carrier {
		c, ok := carriers[want.Carrier]
		if !ok {
			return cur, false, &apperr.Error{Code: apperr.Invalid, Message: "없는 배송업체입니다: " + want.Carrier, English: "no such carrier: " + want.Carrier,
				Fields: []apperr.FieldError{{Location: "carrier", Message: "없는 배송업체입니다.", English: "no such carrier"}}}
		}
		if c.Retired {
			return cur, false, &apperr.Error{Code: apperr.Invalid, Message: "더 쓰지 않는 배송업체입니다: " + c.Name, English: "the carrier is retired: " + c.Code,
				Fields: []apperr.FieldError{{Location: "carrier", Message: "더 쓰지 않는 배송업체입니다.", English: "retired"}}}
		}
		next.Carrier = want.Carrier
	}
	if want.TrackingNo != "" {
		if next.Carrier == "" {
			return cur, false, &apperr.Error{Code: apperr.Invalid, Message: "송장번호에는 배송업체가 필요합니다.", English: "a tracking number needs a carrier",
				Fields: []apperr.FieldError{{Location: "carrier", Message: "배송업체를 선택해 주세요.", English: "choose the carrier"}}}
		}
		n, err := NormalizeNumber(carriers[next.Carrier].NumberForm, want.TrackingNo)
		if err != nil {
			return cur, false, err
		}
		next.TrackingNo = n
	}
	if want.State != "" {
		switch {
		case rank(want.State) == 0:
			if want.State == order.DeliveryCancelled {
				return cur, false, &apperr.Error{Code: apperr.Invalid, Message: "배송취소는 주문취소나 환불로만 됩니다.", English: "Delivery is cancelled by cancelling or refunding the item.",
					Fields: []apperr.FieldError{{Location: "state", Message: "배송취소는 고를 수 없습니다.", English: "cannot be chosen"}}}
			}
			return cur, false, &apperr.Error{Code: apperr.Invalid, Message: "알 수 없는 배송상태입니다: " + want.State, English: "unknown state " + want.State,
				Fields: []apperr.FieldError{{Location: "state", Message: "알 수 없는 배송상태입니다.", English: "unknown state"}}}
		case want.forwardOnly && rank(cur.State) >= rank(want.State):
			// already there or past it
		case cur.State == order.DeliveryConfirmed && want.State != order.DeliveryConfirmed:
			return cur, false, refuse(fmt.Sprintf("항목 %d은(는) 구매확정되어 배송상태를 바꿀 수 없습니다.", id), fmt.Sprintf("Item %d is confirmed; its delivery cannot change.", id))
		case want.State == order.DeliveryConfirmed && cur.State != order.DeliveryDelivered && cur.State != order.DeliveryConfirmed:
			return cur, false, refuse(fmt.Sprintf("항목 %d은(는) 배송완료된 뒤에 구매확정할 수 있습니다.", id), fmt.Sprintf("Item %d can be confirmed once delivered.", id))
		default:
			next.State = want.State
		}
	}
	if cur.State == order.DeliveryConfirmed && (next.Carrier != cur.Carrier || next.TrackingNo != cur.TrackingNo) {
		return cur, false, refuse(fmt.Sprintf("항목 %d은(는) 구매확정되어 배송정보를 바꿀 수 없습니다.", id), fmt.Sprintf("Item %d is confirmed; its delivery cannot change.", id))
	}
	if needsTracking(next.State) && (next.Carrier == "" || next.TrackingNo == "") {
		return cur, false, &apperr.Error{Code: apperr.Invalid,
			Message: fmt.Sprintf("항목 %d: %s에는 배송업체와 송장번호가 필요합니다.", id, StateLabel(next.State)),
			English: fmt.Sprintf("item %d: shipping it needs a carrier and a tracking number", id),
			Fields:  []apperr.FieldError{{Location: "tracking_no", Message: "배송업체와 송장번호를 입력해 주세요.", English: "carrier and tracking_no are required"}}}
	}
	// The dates follow the state: entering a state records its date (or
	// the one given); going back before it clears it.
	stamp := func(at **time.Time, r int, given *time.Time) {
		switch {
		case rank(next.State) < r:
			*at = nil
		case given != nil:
			*at = given
		case *at == nil || rank(cur.State) < r:
			t := now
			*at = &t
		}
	}
	stamp(&next.ShippedAt, 3, want.ShippedOn)
	stamp(&next.DeliveredAt, 4, want.DeliveredOn)
	stamp(&next.ConfirmedAt, 5, nil)
	changed := next.State != cur.State || next.Carrier != cur.Carrier || next.TrackingNo != cur.TrackingNo ||
		!sameTime(next.ShippedAt, cur.ShippedAt) || !sameTime(next.DeliveredAt, cur.DeliveredAt) || !sameTime(next.ConfirmedAt, cur.ConfirmedAt)
	return next, changed, nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// apply stores a planned change in the caller's transaction: the state
// through the order package (only if it is still what was read, so that of
// two concurrent changes one wins and the other is told), the delivery row,
// and the audit entry with before and after.
func apply(ctx context.Context, tx *sqldb.Tx, a access.Actor, action string, cur, next itemState, now time.Time) error {
	moved, err := order.MoveDelivery(ctx, tx, cur.ItemID, cur.State, next.State)
	if err != nil {
		return err
	}
	if !moved {
		return refuse(fmt.Sprintf("항목 %d의 배송상태가 방금 바뀌었습니다. 다시 확인해 주세요.", cur.ItemID),
			fmt.Sprintf("Item %d's delivery changed meanwhile; reload it.", cur.ItemID))
	}
	var carrier any
	if next.Carrier != "" {
		carrier = next.Carrier
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (item_id, order_id, carrier, tracking_no, shipped_at, shipped_day, delivered_at, delivered_day, confirmed_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (item_id) DO UPDATE SET carrier = excluded.carrier, tracking_no = excluded.tracking_no, shipped_at = excluded.shipped_at,
		shipped_day = excluded.shipped_day, delivered_at = excluded.delivered_at, delivered_day = excluded.delivered_day,
		confirmed_at = excluded.confirmed_at, updated_at = excluded.updated_at`,
		cur.ItemID, cur.OrderID, carrier, next.TrackingNo, instant(next.ShippedAt), dayOf(next.ShippedAt), instant(next.DeliveredAt), dayOf(next.DeliveredAt),
		instant(next.ConfirmedAt), now); err != nil {
		return fmt.Errorf("delivery row: %w", err)
	}
	return audit.Record(ctx, tx, now, a, audit.Change{Site: cur.Site, Action: action, Entity: "order_item", EntityID: cur.ItemID,
		Before: snapshot(cur), After: snapshot(next)})
}

func instant(t *time.Time) any {
	if t == nil {
		return nil
	}
	return sqldb.Instant(*t)
}

func dayOf(t *time.Time) string {
	if t == nil {
		return ""
	}
	return kst.Day(*t)
}

func snapshot(st itemState) map[string]any {
	return map[string]any{"order_no": st.OrderNo, "state": st.State, "carrier": st.Carrier, "tracking_no": st.TrackingNo,
		"shipped_day": dayOf(st.ShippedAt), "delivered_day": dayOf(st.DeliveredAt)}
}

// Update is PATCH /deliveries/{item_id}: the item's state, courier, number
// and dates, and the order's recipient fields.
func (s *Service) Update(ctx context.Context, a access.Actor, itemID int64, in Change) (Row, error) {
	var want target
	var err error
	if in.State != nil {
		want.State = *in.State
	}
	if in.Carrier != nil {
		want.Carrier = strings.ToUpper(strings.TrimSpace(*in.Carrier))
	}
	if in.TrackingNo != nil {
		want.TrackingNo = *in.TrackingNo
	}
	if in.ShippedOn != nil {
		if want.ShippedOn, err = parseDay("shipped_on", *in.ShippedOn); err != nil {
			return Row{}, err
		}
	}
	if in.DeliveredOn != nil {
		if want.DeliveredOn, err = parseDay("delivered_on", *in.DeliveredOn); err != nil {
			return Row{}, err
		}
	}
	if in.Shipping != nil {
		if err := checkShipping(*in.Shipping); err != nil {
			return Row{}, err
		}
	}
	carriers, err := s.carrierMap(ctx)
	if err != nil {
		return Row{}, err
	}
	now := sqldb.Instant(s.Now())
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		cur, err := loadState(ctx, tx, a, itemID)
		if err != nil {
			return err
		}
		if in.State != nil || in.Carrier != nil || in.TrackingNo != nil || in.ShippedOn != nil || in.DeliveredOn != nil {
			next, changed, err := plan(a, cur, carriers, want, now)
			if err != nil {
				return err
			}
			if changed {
				if err := apply(ctx, tx, a, "delivery.update", cur, next, now); err != nil {
					return err
				}
			}
		} else if cur.Kind != catalog.KindTextbook {
			return apperr.New(apperr.NotFound, fmt.Sprintf("항목 %d은(는) 교재가 아니어서 배송이 없습니다.", itemID), fmt.Sprintf("Item %d is not a textbook.", itemID))
		}
		if in.Shipping != nil {
			return s.setShipping(ctx, tx, a, cur, *in.Shipping, now)
		}
		return nil
	})
	if err != nil {
		return Row{}, err
	}
	return s.Item(ctx, a, itemID)
}

func checkShipping(sh order.Shipping) error {
	var fe apperr.Fields
	for _, f := range []struct{ loc, v, ko string }{{"recipient", sh.Recipient, "수령인"}, {"phone", sh.Phone, "휴대전화"},
		{"zipcode", sh.Zipcode, "우편번호"}, {"address", sh.Address, "주소"}, {"request", sh.Request, "요청사항"}} {
		if len([]rune(f.v)) > 300 {
			fe.Add("shipping."+f.loc, f.ko+"은(는) 300자 이하입니다.", f.loc+" must have at most 300 characters")
		}
	}
	if strings.TrimSpace(sh.Recipient) == "" {
		fe.Add("shipping.recipient", "수령인을 입력해 주세요.", "recipient is required")
	}
	if strings.TrimSpace(sh.Address) == "" {
		fe.Add("shipping.address", "주소를 입력해 주세요.", "address is required")
	}
	if z := strings.TrimSpace(sh.Zipcode); z != "" && (len(z) != 5 || strings.Trim(z, "0123456789") != "") {
		fe.Add("shipping.zipcode", "우편번호는 5자리 숫자입니다.", "zipcode has 5 digits")
	}
	return fe.Err()
}

// setShipping changes the order's recipient fields (through the order
// package) and audits before and after.
func (s *Service) setShipping(ctx context.Context, tx *sqldb.Tx, a access.Actor, cur itemState, sh order.Shipping, now time.Time) error {
	if err := a.CheckWrite(cur.Site, "주문", "order"); err != nil {
		return err
	}
	before, err := order.SetShipping(ctx, tx, cur.OrderID, sh)
	if err != nil {
		return err
	}
	after := order.Shipping{Recipient: strings.TrimSpace(sh.Recipient), Phone: strings.TrimSpace(sh.Phone), Zipcode: strings.TrimSpace(sh.Zipcode),
		Address: strings.TrimSpace(sh.Address), Request: strings.TrimSpace(sh.Request)}
	if before == after {
		return nil
	}
	return audit.Record(ctx, tx, now, a, audit.Change{Site: cur.Site, Action: "delivery.shipping", Entity: "order", EntityID: cur.OrderNo,
		Before: before, After: after})
}

// MaxBulk bounds the items of one bulk change.
const MaxBulk = 1000

// BulkState sets the state (with courier and number where given) of the
// ticked items, all or none, in one transaction.
func (s *Service) BulkState(ctx context.Context, a access.Actor, in Bulk) (BulkResult, error) {
	out := BulkResult{Items: []Row{}}
	var fe apperr.Fields
	if len(in.ItemIDs) == 0 {
		fe.Add("item_ids", "배송상태를 바꿀 항목을 선택해 주세요.", "item_ids must not be empty")
	}
	if len(in.ItemIDs) > MaxBulk {
		fe.Add("item_ids", fmt.Sprintf("한 번에 %d개까지 바꿀 수 있습니다.", MaxBulk), fmt.Sprintf("at most %d items", MaxBulk))
	}
	if in.State == "" {
		fe.Add("state", "바꿀 배송상태를 선택해 주세요.", "state is required")
	}
	if err := fe.Err(); err != nil {
		return out, err
	}
	carriers, err := s.carrierMap(ctx)
	if err != nil {
		return out, err
	}
	want := target{State: in.State, Carrier: strings.ToUpper(strings.TrimSpace(in.Carrier)), TrackingNo: in.TrackingNo}
	now := sqldb.Instant(s.Now())
	var seen map[int64]bool
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		out.Changed, out.Unchanged = 0, 0
		seen = map[int64]bool{} // anew on a retry, or every item would be skipped
		for _, id := range in.ItemIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			cur, err := loadState(ctx, tx, a, id)
			if err != nil {
				return err
			}
			next, changed, err := plan(a, cur, carriers, want, now)
			if err != nil {
				return err
			}
			if !changed {
				out.Unchanged++
				continue
			}
			if err := apply(ctx, tx, a, "delivery.bulk_state", cur, next, now); err != nil {
				return err
			}
			out.Changed++
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	for _, id := range in.ItemIDs {
		if !seen[id] {
			continue
		}
		delete(seen, id)
		r, err := s.Item(ctx, a, id)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, r)
	}
	return out, nil
}

// Order is the 배송정보 page of an order: its payment block and its
// textbook items.
func (s *Service) Order(ctx context.Context, a access.Actor, orderNo int64) (OrderView, error) {
	o, err := s.Orders.Get(ctx, a, orderNo)
	if err != nil {
		return OrderView{}, err
	}
	v := OrderView{Order: o, Items: []ItemView{}}
	var w sqldb.Where
	w.Add("o.order_no = ?", orderNo)
	w.Add("i.kind = 'textbook'")
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+listColumns+`, p.isbn, p.author, p.publisher FROM `+listFrom+
		` JOIN products p ON p.id = i.product_id`+w.SQL()+` ORDER BY i.id`, w.Args()...)
	if err != nil {
		return v, err
	}
	defer rows.Close()
	for rows.Next() {
		var it ItemView
		r, err := scanRow(scanExtra{rows, []any{&it.ISBN, &it.Author, &it.Publisher}})
		if err != nil {
			return v, err
		}
		it.Row = r
		v.Items = append(v.Items, it)
	}
	if err := rows.Err(); err != nil {
		return v, err
	}
	if len(v.Items) > 0 {
		v.State, v.Carrier, v.TrackingNo = v.Items[0].State, v.Items[0].Carrier, v.Items[0].TrackingNo
	}
	return v, nil
}

// scanExtra scans more columns after a row's.
type scanExtra struct {
	s     sqldb.Scanner
	extra []any
}

func (x scanExtra) Scan(dest ...any) error { return x.s.Scan(append(dest, x.extra...)...) }

// settledDelivery says whether an item's delivery can no longer change from
// the 배송정보 form: cancelled, confirmed, or its item cancelled or refunded.
func settledDelivery(cur itemState) bool {
	return cur.State == order.DeliveryCancelled || cur.State == order.DeliveryConfirmed || cur.ItemStatus == order.ItemCancelled || cur.ItemStatus == order.ItemRefunded
}

// UpdateOrder saves the 배송정보 form: the recipient fields, and with All
// the state, courier and number of every textbook item of the order that
// can still change (cancelled and confirmed items are left as they are).
// Without All, the state, courier and number are the order's first textbook
// item's (the form shows that item's): a change of them applies to that item,
// and is refused as that item's change would be; unchanged, they change
// nothing.
func (s *Service) UpdateOrder(ctx context.Context, a access.Actor, orderNo int64, in OrderChange) error {
	if err := checkShipping(in.Shipping); err != nil {
		return err
	}
	carriers, err := s.carrierMap(ctx)
	if err != nil {
		return err
	}
	want := target{State: in.State, Carrier: strings.ToUpper(strings.TrimSpace(in.Carrier)), TrackingNo: in.TrackingNo}
	now := sqldb.Instant(s.Now())
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+stateColumns+` WHERE o.order_no = $1 AND i.kind = 'textbook' ORDER BY i.id`, orderNo)
		if err != nil {
			return err
		}
		var items []itemState
		for rows.Next() {
			st, err := scanState(rows)
			if err != nil {
				rows.Close()
				return err
			}
			items = append(items, st)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(items) == 0 {
			return apperr.New(apperr.NotFound, "교재가 있는 주문이 아닙니다.", "The order has no textbook items.")
		}
		if err := a.CheckRead(items[0].Site, "주문", "order"); err != nil {
			return err
		}
		if err := s.setShipping(ctx, tx, a, items[0], in.Shipping, now); err != nil {
			return err
		}
		if !in.All {
			cur := items[0]
			if settledDelivery(cur) || (want.State == "" || want.State == cur.State) && (want.Carrier == "" || want.Carrier == cur.Carrier) &&
				(strings.TrimSpace(want.TrackingNo) == "" || strings.TrimSpace(want.TrackingNo) == cur.TrackingNo) {
				return nil // an item that can no longer change is left as it is, as with All
			}
			next, changed, err := plan(a, cur, carriers, want, now)
			if err != nil || !changed {
				return err
			}
			return apply(ctx, tx, a, "delivery.update", cur, next, now)
		}
		for _, cur := range items {
			if settledDelivery(cur) {
				continue
			}
			next, changed, err := plan(a, cur, carriers, want, now)
			if err != nil {
				return err
			}
			if changed {
				if err := apply(ctx, tx, a, "delivery.update", cur, next, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
