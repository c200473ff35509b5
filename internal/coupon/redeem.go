package coupon

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/won"
)

// ErrUsed is the refusal of a code that was used (the loser of concurrent
// checkouts gets it too).
func errUsed(shared bool) error {
	if shared {
		return refuse(apperr.Conflict, "이미 사용한 쿠폰입니다. 공용 쿠폰은 한 회원이 한 번만 쓸 수 있습니다.",
			"You have already used this coupon; a shared coupon is used once per member.")
	}
	return refuse(apperr.Conflict, "이미 사용된 쿠폰번호입니다.", "This coupon code has already been used.")
}

// Apply checks code against the cart, read through q (the order's
// transaction, or the read pool for a quote): the code exists, belongs to
// the cart's site or to 공통, the coupon is 정상 and within its dates, the
// code is this member's when assigned and unused (by this member for a
// 공용 code); then Split gives each line its discount. Nothing is written.
func (s *Service) Apply(ctx context.Context, q sqldb.Querier, cart Cart, now time.Time) (Applied, error) {
	code := NormalizeCode(cart.Code)
	if code == "" {
		return Applied{}, refuse(apperr.Invalid, "쿠폰번호를 입력해 주세요.", "Enter a coupon code.")
	}
	if !plausibleCode(code) {
		return Applied{}, refuse(apperr.Invalid, "없는 쿠폰번호입니다. 번호를 다시 확인해 주세요.", "No such coupon code.")
	}
	var c Coupon
	var course, holder sql.NullInt64
	var used sql.NullTime
	var codeID int64
	err := q.QueryRowContext(ctx, `SELECT k.id, k.member_id, k.used_at, c.id, c.site, c.name, c.scope, c.course_id, c.course_name, c.min_price,
		c.kind, c.amount, c.rate, c.max_discount, c.shared, c.valid_from, c.valid_to, c.status
		FROM coupon_codes k JOIN coupons c ON c.id = k.coupon_id WHERE k.code = $1`, code).
		Scan(&codeID, &holder, &used, &c.ID, &c.Site, &c.Name, &c.Scope, &course, &c.CourseName, &c.MinPrice, &c.Kind, &c.Amount, &c.Rate,
			&c.MaxDiscount, &c.Shared, &c.ValidFrom, &c.ValidTo, &c.Status)
	if err == sql.ErrNoRows {
		return Applied{}, refuse(apperr.Invalid, "없는 쿠폰번호입니다. 번호를 다시 확인해 주세요.", "No such coupon code.")
	}
	if err != nil {
		return Applied{}, err
	}
	if course.Valid {
		id := course.Int64
		c.CourseID = &id
	}
	today := kst.Day(now)
	switch {
	case c.Site != cart.Site && c.Site != access.CommonSite:
		return Applied{}, refuse(apperr.Invalid, "이 사이트에서 쓸 수 없는 쿠폰입니다.", "This coupon belongs to another site.")
	case c.Status != StatusActive:
		return Applied{}, refuse(apperr.Invalid, "사용이 중지된 쿠폰입니다.", "This coupon has been stopped.")
	case today < c.ValidFrom:
		return Applied{}, refuse(apperr.Invalid, fmt.Sprintf("아직 쓸 수 없는 쿠폰입니다. %s부터 쓸 수 있습니다.", dotted(c.ValidFrom)),
			"This coupon is valid from "+c.ValidFrom+".")
	case today > c.ValidTo:
		return Applied{}, refuse(apperr.Invalid, fmt.Sprintf("사용 기간(%s까지)이 지난 쿠폰입니다.", dotted(c.ValidTo)),
			"This coupon expired on "+c.ValidTo+".")
	case holder.Valid && holder.Int64 != cart.MemberID:
		return Applied{}, refuse(apperr.Invalid, "다른 회원에게 발급된 쿠폰입니다. 본인에게 발급된 쿠폰만 쓸 수 있습니다.", "This coupon was given to another member.")
	case !c.Shared && used.Valid:
		return Applied{}, errUsed(false)
	}
	if c.Shared {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM coupon_uses WHERE code_id = $1 AND slot = $2 AND returned_at IS NULL`, codeID, cart.MemberID).Scan(&n); err != nil {
			return Applied{}, err
		}
		if n > 0 {
			return Applied{}, errUsed(true)
		}
	}
	d, err := Split(c, cart.Lines)
	if err != nil {
		return Applied{}, err
	}
	ap := Applied{CouponID: c.ID, Name: c.Name, Code: code, Discounts: d, codeID: codeID, shared: c.Shared}
	for _, v := range d {
		ap.Discount += v
	}
	return ap, nil
}

func dotted(day string) string {
	if t, err := kst.ParseDay(day); err == nil {
		return kst.DisplayDate(t)
	}
	return day
}

// Consume uses the applied code for order orderID in the order's own
// transaction: a 개별 code by a conditional update of its row (still unused,
// still this member's or no one's), every code by a live use that is unique
// per code and slot. Of concurrent checkouts with one code exactly one
// consumes it; the others get errUsed and their transaction rolls back.
func (s *Service) Consume(ctx context.Context, tx *sqldb.Tx, a access.Actor, ap Applied, m Holder, orderID, orderNo int64, now time.Time) error {
	slot := int64(0)
	if ap.shared {
		slot = m.ID
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE coupon_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND (member_id IS NULL OR member_id = $3)`,
			now, ap.codeID, m.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errUsed(false)
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO coupon_uses (coupon_id, code_id, slot, member_id, member_site, member_login, member_name,
		member_affiliation, order_id, order_no, discount, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING`,
		ap.CouponID, ap.codeID, slot, m.ID, m.Site, m.Login, m.Name, m.Affiliation, orderID, orderNo, ap.Discount, now)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errUsed(ap.shared)
	}
	return audit.Record(ctx, tx, now, a, audit.Change{Site: m.Site, Action: "coupon.use", Entity: "coupon_code", EntityID: ap.Code,
		After: map[string]any{"coupon_id": ap.CouponID, "order_no": orderNo, "member_id": m.ID, "discount": ap.Discount}})
}

// GiveBack returns the codes used by order orderID (a cancelled order, or a
// full refund of its discounted items), in the caller's transaction: the
// use is kept with returned_at, and a 개별 code is unused again.
func (s *Service) GiveBack(ctx context.Context, tx *sqldb.Tx, a access.Actor, orderID int64, now time.Time, reason string) error {
	rows, err := tx.QueryContext(ctx, `UPDATE coupon_uses SET returned_at = $1, return_reason = $2 WHERE order_id = $3 AND returned_at IS NULL
		RETURNING code_id, coupon_id, slot, order_no, member_site`, now, reason, orderID)
	if err != nil {
		return err
	}
	type back struct {
		codeID, couponID, slot, orderNo int64
		site                            string
	}
	var all []back
	for rows.Next() {
		var b back
		if err := rows.Scan(&b.codeID, &b.couponID, &b.slot, &b.orderNo, &b.site); err != nil {
			rows.Close()
			return err
		}
		all = append(all, b)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	rows.Close()
	for _, b := range all {
		if b.slot == 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE coupon_codes SET used_at = NULL WHERE id = $1`, b.codeID); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, now, a, audit.Change{Site: b.site, Action: "coupon.return", Entity: "coupon", EntityID: b.couponID,
			After: map[string]any{"order_no": b.orderNo, "code_id": b.codeID, "reason": reason}}); err != nil {
			return err
		}
	}
	return nil
}

// ItemState is what the refund rule reads of an order's item.
type ItemState struct {
	Discount  int64
	Left      int64 // paid less refunded
	Cancelled bool
}

// GiveBackIfRefunded is the refund rule: once every item that carries part
// of the coupon's discount has nothing left to refund, the code is given
// back; while any of them keeps money (a partial refund), it stays used.
func (s *Service) GiveBackIfRefunded(ctx context.Context, tx *sqldb.Tx, a access.Actor, orderID int64, items []ItemState, now time.Time) error {
	discounted := 0
	for _, it := range items {
		if it.Discount <= 0 {
			continue
		}
		discounted++
		if it.Left > 0 && !it.Cancelled {
			return nil
		}
	}
	if discounted == 0 {
		return nil
	}
	return s.GiveBack(ctx, tx, a, orderID, now, "전액환불")
}

// QuoteItem is one line of a quote's cart.
type QuoteItem struct {
	ProductID int64 `json:"product_id"`
	Qty       int   `json:"qty"`
}

// QuoteInput is what a storefront asks before checkout.
type QuoteInput struct {
	Site       string      `json:"site"`
	MemberID   int64       `json:"member_id"`
	Items      []QuoteItem `json:"items"`
	CouponCode string      `json:"coupon_code"`
}

// Quote is the discount of a code on a cart, per line.
type Quote struct {
	Applied
	Items []QuoteLine `json:"items"`
}

// QuoteLine is one line of a quote.
type QuoteLine struct {
	ProductID int64  `json:"product_id"`
	Name      string `json:"name"`
	Qty       int    `json:"qty"`
	ListPrice int64  `json:"list_price"`
	Discount  int64  `json:"discount"`
}

// Quote tells a storefront what a code takes off a cart, or why it does not
// apply, with the same checks and computation as order placement.
func (s *Service) Quote(ctx context.Context, a access.Actor, in QuoteInput) (Quote, error) {
	var fe apperr.Fields
	if in.Site == "" {
		fe.Add("site", "사이트를 지정해 주세요.", "site is required.")
	}
	if len(in.Items) == 0 || len(in.Items) > 100 {
		fe.Add("items", "상품은 1~100개입니다.", "items must have 1-100 lines.")
	}
	if err := fe.Err(); err != nil {
		return Quote{}, err
	}
	if err := a.CheckRead(in.Site, "사이트", "site"); err != nil {
		return Quote{}, err
	}
	m, err := s.Members.Get(ctx, a, in.MemberID)
	if err != nil || m.Site != in.Site {
		return Quote{}, &apperr.Error{Code: apperr.Invalid, Message: "이 사이트의 회원이 아닙니다.", English: "member_id is not a member of this site.",
			Fields: []apperr.FieldError{{Location: "member_id", Message: "없는 회원입니다.", English: "no such member"}}}
	}
	lines := make([]Line, 0, len(in.Items))
	for i, it := range in.Items {
		loc := fmt.Sprintf("items[%d]", i)
		p, err := s.Catalog.Get(ctx, a, it.ProductID)
		if err != nil || p.Site != in.Site {
			fe.Add(loc+".product_id", fmt.Sprintf("이 사이트에 없는 상품입니다: %d", it.ProductID), fmt.Sprintf("no product %d on this site", it.ProductID))
			continue
		}
		if it.Qty < 1 || it.Qty > 999 {
			fe.Add(loc+".qty", "수량은 1~999입니다.", "qty must be 1-999.")
			continue
		}
		lp, err := won.Mul(p.SalePrice, int64(it.Qty))
		if err != nil || !won.InRange(lp) {
			fe.Add(loc+".qty", "판매가 × 수량이 "+won.MaxLabel+"을 넘습니다.", "sale price times qty exceeds 10,000,000,000 won.")
			continue
		}
		lines = append(lines, Line{ProductID: p.ID, Kind: p.Kind, Name: p.Name, Qty: it.Qty, UnitPrice: p.SalePrice, ListPrice: lp, GovRefundable: p.GovRefundable})
	}
	if err := fe.Err(); err != nil {
		return Quote{}, err
	}
	ap, err := s.Apply(ctx, s.DB.Read(), Cart{Site: in.Site, MemberID: m.ID, Code: in.CouponCode, Lines: lines}, s.Now())
	if err != nil {
		return Quote{}, err
	}
	q := Quote{Applied: ap, Items: make([]QuoteLine, len(lines))}
	for i, l := range lines {
		q.Items[i] = QuoteLine{ProductID: l.ProductID, Name: l.Name, Qty: l.Qty, ListPrice: l.ListPrice, Discount: ap.Discounts[i]}
	}
	return q, nil
}

// Use is a live use of a code by an order (for orderdesk verify).
type Use struct {
	CouponID int64
	Code     string
	OrderID  int64
	OrderNo  int64
	Discount int64
}

// LiveUses lists the uses that were not given back, oldest first.
func (s *Service) LiveUses(ctx context.Context) ([]Use, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT u.coupon_id, k.code, u.order_id, u.order_no, u.discount FROM coupon_uses u
		JOIN coupon_codes k ON k.id = u.code_id WHERE u.returned_at IS NULL ORDER BY u.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Use
	for rows.Next() {
		var u Use
		if err := rows.Scan(&u.CouponID, &u.Code, &u.OrderID, &u.OrderNo, &u.Discount); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// OrderUse is a code an order used: what the order page shows beside its
// 할인액, given back or not.
type OrderUse struct {
	CouponID     int64
	Name         string
	Code         string
	Discount     int64
	ReturnedAt   *time.Time
	ReturnReason string
}

// OrderUses lists the codes the order used, in the order they were used.
// The caller has already checked that the actor may read the order.
func (s *Service) OrderUses(ctx context.Context, orderID int64) ([]OrderUse, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT u.coupon_id, c.name, k.code, u.discount, u.returned_at, u.return_reason FROM coupon_uses u
		JOIN coupon_codes k ON k.id = u.code_id JOIN coupons c ON c.id = u.coupon_id WHERE u.order_id = $1 ORDER BY u.id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OrderUse
	for rows.Next() {
		var u OrderUse
		var returned sql.NullTime
		if err := rows.Scan(&u.CouponID, &u.Name, &u.Code, &u.Discount, &returned, &u.ReturnReason); err != nil {
			return nil, err
		}
		if returned.Valid {
			t := returned.Time
			u.ReturnedAt = &t
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UseMismatches lists the 개별 codes whose used mark disagrees with their
// live uses (used without a use, or a use without the mark).
func (s *Service) UseMismatches(ctx context.Context) ([]string, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT k.code FROM coupon_codes k JOIN coupons c ON c.id = k.coupon_id
		WHERE c.shared = $1 AND ((k.used_at IS NULL) <> (NOT EXISTS (SELECT 1 FROM coupon_uses u WHERE u.code_id = k.id AND u.returned_at IS NULL)))
		ORDER BY k.id`, false)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			return nil, err
		}
		out = append(out, "code "+code+": its used mark disagrees with its uses")
	}
	return out, rows.Err()
}
