package order

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/idem"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/won"
)

// Service holds the order rules.
type Service struct {
	DB       *sqldb.DB
	Box      *secret.Box
	Now      func() time.Time
	Log      *slog.Logger
	Gateways map[string]payment.Gateway
	// OpenRefund names the open refund request of an order (0 if none), so
	// that 주문취소 can say which request to finish first. Set by the wiring.
	OpenRefund func(ctx context.Context, q sqldb.Querier, orderID int64) (int64, error)
	// Coupons checks, consumes and gives back coupon codes (coupon.go); nil
	// refuses coupon codes.
	Coupons *coupon.Service
}

// MaxItems bounds the lines of one order.
const MaxItems = 100

func (s *Service) gateway(name string) (payment.Gateway, error) {
	g, ok := s.Gateways[name]
	if !ok {
		return nil, apperr.New(apperr.Invalid, fmt.Sprintf("알 수 없는 결제대행사입니다: %q", name), fmt.Sprintf("unknown payment gateway %q", name))
	}
	return g, nil
}

type memberRow struct {
	site, login, name, status string
}

// Place creates an order from the storefront's request. Gateway methods
// start pending (임시주문) until the payment is confirmed; bank deposits wait
// in awaiting_deposit; an order of 0원 (무과금) is paid at once.
func (s *Service) Place(ctx context.Context, a access.Actor, in PlaceInput) (Order, error) {
	var fe apperr.Fields
	in.Site = strings.TrimSpace(in.Site)
	if in.Site == "" {
		fe.Add("site", "사이트를 지정해 주세요.", "site is required.")
	} else if err := a.CheckWrite(in.Site, "사이트", "site"); err != nil {
		return Order{}, err
	}
	if !knownMethod(in.Method) {
		fe.Add("payment_method", fmt.Sprintf("알 수 없는 결제수단입니다: %q", in.Method), fmt.Sprintf("unknown payment_method %q", in.Method))
	}
	if len(in.Items) == 0 {
		fe.Add("items", "주문할 상품이 없습니다.", "items must not be empty.")
	}
	if len(in.Items) > MaxItems {
		fe.Add("items", fmt.Sprintf("한 주문의 상품은 %d개까지입니다.", MaxItems), fmt.Sprintf("at most %d items", MaxItems))
	}
	s.checkCouponInput(in, &fe)
	if in.TaxInvoice && in.Method != "bank_deposit" {
		fe.Add("tax_invoice", "세금계산서(후불)는 자체계좌 주문에만 쓸 수 있습니다.", "tax_invoice goes with bank_deposit only.")
	}
	for i, it := range in.Items {
		loc := fmt.Sprintf("items[%d]", i)
		if it.Qty < 1 || it.Qty > 999 {
			fe.Add(loc+".qty", "수량은 1~999입니다.", "qty must be 1-999.")
		}
		if it.Subsidy < 0 || it.Discount < 0 {
			fe.Add(loc, "환급금액과 할인액은 0원 이상입니다.", "subsidy and discount must not be negative.")
		}
		if it.Subsidy > won.Max {
			fe.Add(loc+".subsidy", "환급금액은 "+won.MaxLabel+" 이하입니다.", "subsidy must be at most 10,000,000,000 won.")
		}
		if it.Discount > won.Max {
			fe.Add(loc+".discount", "할인액은 "+won.MaxLabel+" 이하입니다.", "discount must be at most 10,000,000,000 won.")
		}
	}
	if err := fe.Err(); err != nil {
		return Order{}, err
	}
	var out Order
	now := sqldb.Instant(s.Now())
	base, needsShipping, baseFields, err := s.draft(ctx, s.DB.Read(), in, now)
	if err != nil {
		return Order{}, err
	}
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		o, fe := base, slices.Clone(baseFields)
		o.Items = slices.Clone(base.Items)
		var err error
		var applied *coupon.Applied
		if len(fe) == 0 {
			if applied, err = s.applyCoupon(ctx, tx, &o, in.CouponCode, now); err != nil {
				return err
			}
		}
		if needsShipping {
			if in.Shipping == nil || strings.TrimSpace(in.Shipping.Recipient) == "" || strings.TrimSpace(in.Shipping.Phone) == "" || strings.TrimSpace(in.Shipping.Address) == "" {
				fe.Add("shipping", "교재 주문에는 수령인, 휴대전화, 주소가 필요합니다.", "A textbook order needs shipping recipient, phone and address.")
			} else {
				o.Shipping = *in.Shipping
			}
		}
		o.Total = sum(o.ListTotal, -o.SubsidyTotal, -o.DiscountTotal, o.ShippingFee)
		if o.ListTotal > won.Max || o.SubsidyTotal > won.Max || o.DiscountTotal > won.Max || o.Total > won.Max {
			fe.Add("items", "한 주문의 금액은 "+won.MaxLabel+" 이하입니다.", "An order's amounts must be at most 10,000,000,000 won.")
		}
		switch {
		case o.Total == 0 && in.Method != "free" && len(fe) == 0:
			fe.Add("payment_method", "결제금액이 0원인 주문은 무과금(free)입니다.", "An order of 0 won uses payment_method free.")
		case o.Total > 0 && in.Method == "free":
			fe.Add("payment_method", "무과금은 결제금액이 0원인 주문에만 씁니다.", "free is only for orders of 0 won.")
		}
		if in.Method == "voucher_card" {
			if in.VoucherCard == nil || strings.TrimSpace(in.VoucherCard.Company) == "" || len(secret.Digits(in.VoucherCard.Number)) < 12 {
				fe.Add("voucher_card", "내일배움카드 주문에는 카드사와 카드번호가 필요합니다.", "A voucher_card order needs the card company and number.")
			} else {
				o.VoucherCompany = strings.TrimSpace(in.VoucherCard.Company)
				if o.voucherEnc, err = s.Box.Seal(secret.Digits(in.VoucherCard.Number)); err != nil {
					return err
				}
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		o.Title = o.Items[0].Name
		if len(o.Items) > 1 {
			o.Title += fmt.Sprintf(" 외 %d건", len(o.Items)-1)
		}
		o.Status = StatusPending
		switch {
		case in.Method == "free":
			o.Status = StatusPaid
		case in.Method == "bank_deposit":
			o.Status = StatusAwaitingDeposit
		}
		if o.OrderNo, err = nextOrderNo(ctx, tx); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO orders (order_no, site, member_id, buyer_name, buyer_login, title, method, status, tax_invoice,
			list_total, subsidy_total, discount_total, shipping_fee, total, voucher_company, voucher_card, recipient, phone, zipcode, address, request,
			ordered_at, ordered_day, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $22) RETURNING id`,
			o.OrderNo, o.Site, o.MemberID, o.BuyerName, o.BuyerLogin, o.Title, o.Method, StatusPending, o.TaxInvoice, o.ListTotal, o.SubsidyTotal,
			o.DiscountTotal, o.ShippingFee, o.Total, o.VoucherCompany, o.voucherEnc, o.Shipping.Recipient, o.Shipping.Phone, o.Shipping.Zipcode,
			o.Shipping.Address, o.Shipping.Request, now, kst.Day(now)).Scan(&o.ID)
		if err != nil {
			return err
		}
		if err := countAs(ctx, tx, counted{site: o.Site, orderedDay: kst.Day(now), method: o.Method, title: o.Title, orderNo: o.OrderNo}, "", StatusPending); err != nil {
			return err
		}
		for i := range o.Items {
			it := &o.Items[i]
			it.Status = ItemAwaitingDeposit
			if err := tx.QueryRowContext(ctx, `INSERT INTO order_items (order_id, product_id, kind, name, qty, unit_price, list_price, subsidy, discount,
				paid, status, delivery_status, gov_refundable) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
				o.ID, it.ProductID, it.Kind, it.Name, it.Qty, it.UnitPrice, it.ListPrice, it.Subsidy, it.Discount, it.Paid, it.Status,
				it.DeliveryStatus, it.GovRefundable).Scan(&it.ID); err != nil {
				return err
			}
		}
		if err := s.consumeCoupon(ctx, tx, a, applied, &o, now); err != nil {
			return err
		}
		switch o.Status {
		case StatusAwaitingDeposit:
			if err := s.move(ctx, tx, &o, StatusPending, StatusAwaitingDeposit, now); err != nil {
				return err
			}
		case StatusPaid:
			o.Status = StatusPending
			if err := s.markPaid(ctx, tx, &o, StatusPending, now, "무과금"); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, now, a, audit.Change{Site: o.Site, Action: "order.place", Entity: "order", EntityID: o.OrderNo,
			After: map[string]any{"title": o.Title, "method": o.Method, "total": o.Total, "status": o.Status}}); err != nil {
			return err
		}
		// The answer, read as this transaction leaves the order, commits
		// with it under the request's Idempotency-Key.
		if out, err = s.get(ctx, tx, a, o.OrderNo); err != nil {
			return err
		}
		return idem.Keep(ctx, tx, out)
	})
	if err != nil {
		return Order{}, err
	}
	return out, nil
}

// draft is the order that in asks for, read on q before Place's
// transaction: the member, and each item at its product's price, with what
// is wrong with them. (Read there, not in the transaction: on SQLite's
// single writer every statement of a transaction is time no other checkout
// writes. A price changed meanwhile is the price of a moment before, as on
// PostgreSQL, where reads in the transaction lock nothing either.)
func (s *Service) draft(ctx context.Context, q sqldb.Querier, in PlaceInput, now time.Time) (o row, needsShipping bool, fe apperr.Fields, err error) {
	var m memberRow
	err = q.QueryRowContext(ctx, `SELECT site, login, name, status FROM members WHERE id = $1`, in.MemberID).Scan(&m.site, &m.login, &m.name, &m.status)
	if err != nil || m.site != in.Site {
		return row{}, false, nil, &apperr.Error{Code: apperr.Invalid, Message: "이 사이트의 회원이 아닙니다.", English: "member_id is not a member of this site.",
			Fields: []apperr.FieldError{{Location: "member_id", Message: "없는 회원입니다.", English: "no such member"}}}
	}
	if m.status == "withdrawn" {
		return row{}, false, nil, apperr.New(apperr.Invalid, "탈퇴한 회원은 주문할 수 없습니다.", "A withdrawn member cannot order.")
	}
	o = row{Order: Order{Site: in.Site, MemberID: in.MemberID, BuyerName: m.name, BuyerLogin: m.login, Method: in.Method,
		TaxInvoice: in.TaxInvoice, OrderedAt: now}}
	for i, li := range in.Items {
		loc := fmt.Sprintf("items[%d]", i)
		var p catalog.Product
		err := q.QueryRowContext(ctx, `SELECT id, site, kind, name, display, sale_price, gov_refundable, shipping_fee FROM products WHERE id = $1`, li.ProductID).
			Scan(&p.ID, &p.Site, &p.Kind, &p.Name, &p.Display, &p.SalePrice, &p.GovRefundable, &p.ShippingFee)
		if err != nil || p.Site != in.Site {
			fe.Add(loc+".product_id", fmt.Sprintf("이 사이트에 없는 상품입니다: %d", li.ProductID), fmt.Sprintf("no product %d on this site", li.ProductID))
			continue
		}
		if p.Display == "hidden" {
			fe.Add(loc+".product_id", "숨김 상태의 상품은 주문할 수 없습니다: "+p.Name, "product is hidden: "+p.Name)
		}
		it := Item{ProductID: p.ID, Kind: p.Kind, Name: p.Name, Qty: li.Qty, UnitPrice: p.SalePrice,
			Subsidy: li.Subsidy, Discount: li.Discount, GovRefundable: p.GovRefundable}
		if it.ListPrice, err = won.Mul(p.SalePrice, int64(li.Qty)); err != nil || !won.InRange(it.ListPrice) {
			fe.Add(loc+".qty", "판매가 × 수량이 "+won.MaxLabel+"을 넘습니다.", "sale price times qty exceeds 10,000,000,000 won.")
			continue
		}
		if !won.InRange(p.ShippingFee) {
			fe.Add(loc+".product_id", "상품의 배송비가 "+won.MaxLabel+"을 넘습니다: "+p.Name, "the product's shipping fee exceeds 10,000,000,000 won: "+p.Name)
			continue
		}
		if it.Subsidy > 0 && !(p.GovRefundable && in.Method == "voucher_card") {
			fe.Add(loc+".subsidy", "환급금액은 내일배움카드로 결제하는 환급과정에만 있습니다.", "subsidy applies to government-refundable courses paid by voucher_card only.")
		}
		if it.Subsidy+it.Discount > it.ListPrice {
			fe.Add(loc, "환급금액과 할인액의 합이 정가보다 큽니다.", "subsidy plus discount exceed the price.")
		}
		it.Paid = it.ListPrice - it.Subsidy - it.Discount
		if p.Kind == catalog.KindTextbook {
			needsShipping = true
			it.DeliveryStatus = "waiting"
			o.ShippingFee = max(o.ShippingFee, p.ShippingFee)
		}
		o.ListTotal = sum(o.ListTotal, it.ListPrice)
		o.SubsidyTotal = sum(o.SubsidyTotal, it.Subsidy)
		o.DiscountTotal = sum(o.DiscountTotal, it.Discount)
		o.Items = append(o.Items, it)
	}
	return o, needsShipping, fe, nil
}

// sum adds amounts with overflow checks; an overflow gives a sum beyond
// won.Max, which the caller refuses. (Amounts are bounded before, so it
// does not happen; the check keeps it so.)
func sum(terms ...int64) int64 {
	var total int64
	for _, t := range terms {
		var err error
		if total, err = won.Add(total, t); err != nil {
			return math.MaxInt64
		}
	}
	return total
}

// move changes the order's status from → to, only if it is still from: of
// two concurrent clicks exactly one moves it. Enrollments follow for
// awaiting_deposit.
func (s *Service) move(ctx context.Context, tx *sqldb.Tx, o *row, from, to string, now time.Time) error {
	if err := CheckTransition(from, to); err != nil {
		return err
	}
	k, err := scanCounted(tx.QueryRowContext(ctx, `UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4
		RETURNING `+countedColumns, to, now, o.ID, from))
	if errors.Is(err, sql.ErrNoRows) {
		return s.staleTransition(ctx, tx, o.ID, to)
	}
	if err != nil {
		return err
	}
	if err := countAs(ctx, tx, k, from, to); err != nil {
		return err
	}
	o.Status = to
	if to == StatusAwaitingDeposit {
		return s.createEnrollments(ctx, tx, o, now, EnrollAwaitingDeposit)
	}
	return nil
}

// staleTransition explains why a conditional update found nothing to change.
func (s *Service) staleTransition(ctx context.Context, q sqldb.Querier, id int64, to string) error {
	var cur string
	if err := q.QueryRowContext(ctx, `SELECT status FROM orders WHERE id = $1`, id).Scan(&cur); err != nil {
		return err
	}
	if err := CheckTransition(cur, to); err != nil {
		return err
	}
	return apperr.New(apperr.Conflict, "주문 상태가 방금 바뀌었습니다. 다시 확인해 주세요.", "The order changed meanwhile; reload it.")
}

func (s *Service) createEnrollments(ctx context.Context, tx *sqldb.Tx, o *row, now time.Time, status string) error {
	for _, it := range o.Items {
		if it.Kind != catalog.KindCourse {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO enrollments (order_item_id, order_id, member_id, product_id, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, it.ID, o.ID, o.MemberID, it.ProductID, status, now); err != nil {
			return fmt.Errorf("enrollment: %w", err)
		}
	}
	return nil
}

// markPaid moves the order from → paid: the money is captured, the items are
// paid, course enrollments start (awaiting approval for training-voucher
// courses), and the journal gets its capture row.
func (s *Service) markPaid(ctx context.Context, tx *sqldb.Tx, o *row, from string, now time.Time, note string) error {
	if err := CheckTransition(from, StatusPaid); err != nil {
		return err
	}
	k, err := scanCounted(tx.QueryRowContext(ctx, `UPDATE orders SET status = 'paid', collected = total, paid_at = $1, paid_day = $2, updated_at = $1
		WHERE id = $3 AND status = $4 AND paid_day = '' RETURNING `+countedColumns, now, kst.Day(now), o.ID, from))
	if errors.Is(err, sql.ErrNoRows) {
		return s.staleTransition(ctx, tx, o.ID, StatusPaid)
	}
	if err != nil {
		return err
	}
	if err := countAs(ctx, tx, k, from, StatusPaid); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE order_items SET status = 'paid' WHERE order_id = $1 AND status = 'awaiting_deposit'`, o.ID); err != nil {
		return err
	}
	if len(o.Items) == 0 {
		if o.Items, err = loadItems(ctx, tx, o.ID); err != nil {
			return err
		}
	}
	// Every item is in o.Items now (a caller passes all or none), each with
	// its enrollment if it has one (loadItems reads them; a new order's
	// items have none yet).
	o.allItems = true
	for _, it := range o.Items {
		if it.Kind != catalog.KindCourse {
			continue
		}
		status := EnrollActive
		if it.GovRefundable {
			status = EnrollAwaitingApproval
		}
		if it.EnrollmentID != 0 {
			res, err := tx.ExecContext(ctx, `UPDATE enrollments SET status = $1, updated_at = $2 WHERE order_item_id = $3`, status, now, it.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				continue
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO enrollments (order_item_id, order_id, member_id, product_id, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, it.ID, o.ID, o.MemberID, it.ProductID, status, now); err != nil {
			return err
		}
	}
	o.Status, o.Collected, o.PaidAt = StatusPaid, o.Total, &now
	return book(ctx, tx, *o, nil, "capture", o.Total, now, note)
}

// PreparePayment returns what the storefront's payment window needs for a
// pending order at the gateway, and records the request in 결제내역.
func (s *Service) PreparePayment(ctx context.Context, a access.Actor, orderNo int64, gatewayName string) (payment.Checkout, error) {
	g, err := s.gateway(gatewayName)
	if err != nil {
		return payment.Checkout{}, err
	}
	o, err := s.load(ctx, s.DB.Read(), a, orderNo)
	if err != nil {
		return payment.Checkout{}, err
	}
	if err := a.CheckWrite(o.Site, "주문", "order"); err != nil {
		return payment.Checkout{}, err
	}
	if err := payableAtGateway(o.Status); err != nil {
		return payment.Checkout{}, err
	}
	if !gatewayMethod(o.Method) {
		return payment.Checkout{}, apperr.New(apperr.Invalid, "이 주문의 결제수단은 결제대행사를 거치지 않습니다: "+Label(Methods, o.Method), "This order's payment method does not go through a gateway.")
	}
	c, err := g.Prepare(ctx, payment.PrepareRequest{OrderNo: fmt.Sprint(orderNo), OrderName: o.Title, Amount: o.Total, Method: o.Method})
	if err != nil {
		return c, err
	}
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		_, err := recordTx(ctx, tx, o.ID, gatewayName, "prepare", "", txFields{PaymentKey: c.PaymentKey, Message: "결제 요청", Amount: o.Total,
			Raw: []byte(fmt.Sprintf(`{"orderId":%q,"amount":%d,"orderName":%q}`, c.OrderID, c.Amount, c.OrderName))}, sqldb.Instant(s.Now()))
		if err != nil {
			return err
		}
		return idem.Keep(ctx, tx, c)
	})
	return c, err
}

// ConfirmPayment approves a gateway payment the buyer authorised at
// checkout. The amount must be the order's exact amount. A virtual account
// leaves the order awaiting_deposit until the deposit webhook arrives. The
// order is claimed with the payment key before the gateway is called, so a
// second confirmation with another key is refused before it reaches the
// gateway (confirm.go).
func (s *Service) ConfirmPayment(ctx context.Context, a access.Actor, orderNo int64, gatewayName, paymentKey string, amount int64) (Order, error) {
	g, err := s.gateway(gatewayName)
	if err != nil {
		return Order{}, err
	}
	o, err := s.load(ctx, s.DB.Read(), a, orderNo)
	if err != nil {
		return Order{}, err
	}
	if err := a.CheckWrite(o.Site, "주문", "order"); err != nil {
		return Order{}, err
	}
	if paymentKey == "" || len(paymentKey) > 200 {
		return Order{}, &apperr.Error{Code: apperr.Invalid, Message: "결제키(payment_key)는 1~200자입니다.", English: "payment_key must have 1-200 characters.",
			Fields: []apperr.FieldError{{Location: "payment_key", Message: "1~200자입니다.", English: "1-200 characters"}}}
	}
	if o.PaymentKey == paymentKey && (o.Status == StatusPaid || o.Status == StatusAwaitingDeposit) {
		return s.Get(ctx, a, orderNo) // the same confirmation again: nothing more to do
	}
	if !gatewayMethod(o.Method) {
		return Order{}, apperr.New(apperr.Invalid, "이 주문의 결제수단은 결제대행사를 거치지 않습니다: "+Label(Methods, o.Method), "This order's payment method does not go through a gateway.")
	}
	if err := payableAtGateway(o.Status); err != nil {
		return Order{}, err
	}
	if !won.InRange(amount) {
		return Order{}, &apperr.Error{Code: apperr.Invalid, Message: "결제금액은 0원부터 " + won.MaxLabel + "까지입니다.", English: "amount must be 0 to 10,000,000,000 won.",
			Fields: []apperr.FieldError{{Location: "amount", Message: won.MaxLabel + " 이하입니다.", English: "at most 10,000,000,000"}}}
	}
	if amount != o.Total {
		return Order{}, &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("결제금액이 주문금액(%d원)과 다릅니다: %d원", o.Total, amount),
			English: fmt.Sprintf("amount %d differs from the order's %d", amount, o.Total),
			Fields:  []apperr.FieldError{{Location: "amount", Message: "주문금액과 다릅니다.", English: "differs from the order's amount"}}}
	}
	// claim → call → record (confirm.go).
	done, err := s.claimConfirm(ctx, o, gatewayName, paymentKey)
	if err != nil {
		return Order{}, err
	}
	if done {
		return s.Get(context.WithoutCancel(ctx), a, orderNo)
	}
	c := claim{orderID: o.ID, orderNo: o.OrderNo, key: paymentKey, gateway: gatewayName}
	res, gerr := confirmAtGateway(ctx, g, payment.ConfirmRequest{PaymentKey: paymentKey, OrderNo: fmt.Sprint(orderNo), Amount: amount, Method: o.Method})
	var out *Order
	// The answer, read as the record leaves the order, commits with it
	// under the request's Idempotency-Key. The money has moved at the
	// gateway: an answer that cannot be made must not undo the record, so
	// it is left to the reload below and the key's answer to Finish.
	answer := func(ctx context.Context, tx *sqldb.Tx) error {
		got, err := s.get(ctx, tx, a, orderNo)
		if err == nil {
			err = idem.Keep(ctx, tx, got)
		}
		if err != nil {
			s.Log.WarnContext(ctx, "the confirmed order's answer is made after the record instead", "order_no", orderNo, "err", err)
			return nil
		}
		tx.AfterCommit(func() { out = &got })
		return nil
	}
	if err := s.recordConfirm(ctx, c, res, gerr, answer); err != nil {
		return Order{}, err
	}
	if out == nil { // recorded already (a retry)
		return s.Get(context.WithoutCancel(ctx), a, orderNo)
	}
	return *out, nil
}

// payableAtGateway refuses a gateway payment of an order that is not
// pending any more, saying why.
func payableAtGateway(status string) error {
	if status == StatusPending {
		return nil
	}
	if err := CheckTransition(status, StatusPaid); err != nil {
		return err
	}
	return CheckTransition(status, StatusAwaitingDeposit)
}

func fields(r payment.Result, key string) txFields {
	if r.PaymentKey != "" {
		key = r.PaymentKey
	}
	masked := r.MaskedNumber
	return txFields{PaymentKey: key, Code: r.Code, Message: r.Message, Method: r.Method, Company: r.Company, MaskedNumber: masked,
		Installment: r.Installment, Amount: r.Amount, ApprovedAt: r.ApprovedAt, Raw: r.Raw}
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ConfirmDeposit is 입금확인: staff saw the money arrive in the company's
// own account (자체계좌, with or without 세금계산서). A virtual account waits
// for the gateway's deposit webhook and is refused here (DepositConfirmable).
func (s *Service) ConfirmDeposit(ctx context.Context, a access.Actor, orderNo int64) (Order, error) {
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		o, err := s.load(ctx, tx, a, orderNo)
		if err != nil {
			return err
		}
		if err := a.CheckWrite(o.Site, "주문", "order"); err != nil {
			return err
		}
		if o.Method == "vbank" && (o.Status == StatusPending || o.Status == StatusAwaitingDeposit) {
			return apperr.New(apperr.Conflict, "가상계좌 주문은 결제대행사의 입금 통보로 결제완료됩니다. 입금확인은 자체계좌 주문에만 합니다.",
				"A virtual-account order is paid when the gateway reports the deposit; confirm deposit is for bank_deposit orders only.")
		}
		if o.Method != "bank_deposit" && (o.Status == StatusPending || o.Status == StatusAwaitingDeposit) {
			return apperr.New(apperr.Conflict, "입금확인은 자체계좌 주문에만 합니다. 이 주문의 결제수단은 "+Label(Methods, o.Method)+"입니다.",
				"Confirm deposit is for bank_deposit orders only.")
		}
		if err := s.markPaid(ctx, tx, &o, StatusAwaitingDeposit, now, "입금확인 "+a.Login); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Site: o.Site, Action: "order.confirm_deposit", Entity: "order", EntityID: orderNo,
			Before: map[string]any{"status": StatusAwaitingDeposit}, After: map[string]any{"status": StatusPaid, "collected": o.Total}})
	})
	if err != nil {
		return Order{}, err
	}
	return s.Get(ctx, a, orderNo)
}

// Cancel is 주문취소 of a pending, awaiting-deposit or paid order: a paid
// gateway order is cancelled at the gateway, items and enrollments become
// cancelled, and any money received is booked as returned. Nothing is deleted.
// An order with an open refund request is refused (the request is finished
// first). An order paid through a gateway goes claim → call → record: the
// order is claimed with the idempotency key cancel-<order_no> (of two
// concurrent cancels one claims, the other is refused), the gateway is called
// outside any transaction, and a second transaction records its answer. An
// order without a gateway payment is cancelled in one transaction.
func (s *Service) Cancel(ctx context.Context, a access.Actor, orderNo int64, reason string) (Order, error) {
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) > 500 {
		return Order{}, apperr.New(apperr.Invalid, "취소 사유는 500자 이하입니다.", "reason must have at most 500 characters.")
	}
	now := sqldb.Instant(s.Now())
	var call *Call
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		call = nil
		o, err := s.load(ctx, tx, a, orderNo)
		if err != nil {
			return err
		}
		if err := a.CheckWrite(o.Site, "주문", "order"); err != nil {
			return err
		}
		if err := CheckTransition(o.Status, StatusCancelled); err != nil {
			return err
		}
		if o.Gateway == "" || o.PaymentKey == "" || o.Status == StatusPending {
			return s.cancelTx(ctx, tx, a, &o, reason, now, nil)
		}
		if _, err := s.gateway(o.Gateway); err != nil {
			return err
		}
		c := Call{Key: fmt.Sprintf("cancel-%d", orderNo), Kind: CallCancel, OrderID: o.ID, OrderNo: orderNo, Gateway: o.Gateway,
			PaymentKey: o.PaymentKey, Reason: reason, Actor: access.Actor{StaffID: a.StaffID, Login: a.Login}, ClaimedAt: now}
		if err := ClaimCall(ctx, tx, &c, o.Status); err != nil {
			if errors.Is(err, ErrGatewayBusy) {
				return err
			}
			return s.staleTransition(ctx, tx, o.ID, StatusCancelled)
		}
		if err := s.openRefundRequest(ctx, tx, o.ID); err != nil {
			return err
		}
		call = &c
		return nil
	})
	if err != nil {
		return Order{}, err
	}
	if call != nil {
		if err := s.callCancel(ctx, *call); err != nil {
			return Order{}, err
		}
	}
	return s.Get(ctx, a, orderNo)
}

// cancelTx moves the order to cancelled in the caller's transaction: items
// and enrollments are cancelled, money received is booked as returned, the
// gateway's answer (if any) goes to 결제내역, and the change is audited.
func (s *Service) cancelTx(ctx context.Context, tx *sqldb.Tx, a access.Actor, o *row, reason string, now time.Time, answer *payment.Result) error {
	from := o.Status
	res, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'cancelled', refunded = collected, cancelled_at = $1, cancel_reason = $2, updated_at = $1
		WHERE id = $3 AND status = $4`, now, reason, o.ID, from)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return s.staleTransition(ctx, tx, o.ID, StatusCancelled)
	}
	if answer == nil { // with an answer the money has moved: record it whatever else is open
		if err := s.openRefundRequest(ctx, tx, o.ID); err != nil {
			return err
		}
	}
	if err := count(ctx, tx, o.ID, from, StatusCancelled); err != nil {
		return err
	}
	if answer != nil {
		if _, err := recordTx(ctx, tx, o.ID, o.Gateway, "cancel", "", fields(*answer, o.PaymentKey), now); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE order_items SET status = 'cancelled', refunded = paid * (CASE WHEN $1 > 0 THEN 1 ELSE 0 END) WHERE order_id = $2`, o.Collected, o.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE enrollments SET status = 'cancelled', updated_at = $1 WHERE order_id = $2`, now, o.ID); err != nil {
		return err
	}
	if err := cancelUnshipped(ctx, tx, o.ID); err != nil {
		return err
	}
	if o.Collected > 0 {
		if err := book(ctx, tx, *o, nil, "cancel", -o.Collected, now, "주문취소 "+reason); err != nil {
			return err
		}
	}
	if err := s.giveBackCoupon(ctx, tx, a, o.ID, now, "주문취소"); err != nil {
		return err
	}
	return audit.Record(ctx, tx, now, a, audit.Change{Site: o.Site, Action: "order.cancel", Entity: "order", EntityID: o.OrderNo,
		Before: map[string]any{"status": from}, After: map[string]any{"status": StatusCancelled, "reason": reason, "returned": o.Collected}})
}

// callCancel calls the gateway for a claimed cancel and records its answer.
// Neither the call nor the record stops when the clerk's request goes away.
func (s *Service) callCancel(ctx context.Context, c Call) error {
	ctx = context.WithoutCancel(ctx)
	g, err := s.gateway(c.Gateway)
	if err != nil {
		return err
	}
	gctx, cancel := context.WithTimeout(ctx, GatewayTimeout)
	r, gerr := g.Cancel(gctx, payment.CancelRequest{PaymentKey: c.PaymentKey, Reason: cmp.Or(c.Reason, "주문취소"), IdempotencyKey: c.Key})
	cancel()
	return s.recordCancel(ctx, c, r, gerr)
}

// recordCancel is the record step of a cancel: the order is cancelled with
// the gateway's answer, or the claim is released on a refusal. An answer that
// never came leaves the claim for RecoverCancels.
func (s *Service) recordCancel(ctx context.Context, c Call, r payment.Result, gerr error) error {
	var declined *payment.Declined
	if gerr != nil && !errors.As(gerr, &declined) {
		s.Log.WarnContext(ctx, "gateway cancel without an answer; recovery will ask again", "order_no", c.OrderNo, "key", c.Key, "err", gerr)
		return apperr.Wrap(apperr.Conflict, gerr, "결제대행사의 응답을 받지 못했습니다. 취소 결과를 확인해 곧 자동으로 반영합니다.",
			"The payment gateway did not answer; the outcome will be checked and recorded shortly.")
	}
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := SettleCall(ctx, tx, c.Key, declined == nil, r.Message, now); err != nil {
			return err
		}
		o, err := loadOrder(ctx, tx, c.OrderNo)
		if err != nil {
			return err
		}
		if declined != nil {
			_, err := recordTx(ctx, tx, o.ID, c.Gateway, "cancel", "", fields(r, c.PaymentKey), now)
			return err
		}
		return s.cancelTx(ctx, tx, c.Actor, &o, c.Reason, now, &r)
	})
	switch {
	case errors.Is(err, ErrCallSettled):
		return nil // recorded by the recovery job meanwhile
	case err != nil:
		s.Log.ErrorContext(ctx, "recording a gateway cancel failed; recovery will retry", "order_no", c.OrderNo, "key", c.Key, "err", err)
		return err
	case declined != nil:
		return apperr.Wrap(apperr.Conflict, gerr, "결제대행사에서 취소하지 못했습니다: "+r.Message, "The gateway refused the cancel: "+r.Code)
	}
	return nil
}

// RecoverCancels settles the cancels claimed before before whose answer was
// never recorded: it repeats each at the gateway with the same idempotency
// key (the gateway answers what the first call did, or does it now) and
// records the answer once. It returns how many it settled.
func (s *Service) RecoverCancels(ctx context.Context, before time.Time) (int, error) {
	calls, err := OpenCalls(ctx, s.DB.Read(), CallCancel, before)
	if err != nil {
		return 0, err
	}
	done := 0
	var errs []error
	for _, c := range calls {
		if ctx.Err() != nil { // shutting down: the rest waits for the next start
			break
		}
		err := s.callCancel(ctx, c)
		if err != nil && !isDeclined(err) {
			errs = append(errs, fmt.Errorf("cancel %s: %w", c.Key, err))
			continue
		}
		done++
		s.Log.InfoContext(ctx, "recovered a gateway cancel", "order_no", c.OrderNo, "key", c.Key)
	}
	return done, errors.Join(errs...)
}

func isDeclined(err error) bool {
	var d *payment.Declined
	return errors.As(err, &d)
}

// Webhook handles a gateway callback. A callback that is not the gateway's
// is refused; one that arrives twice changes nothing the second time.
func (s *Service) Webhook(ctx context.Context, gatewayName string, headers map[string]string, body []byte) error {
	g, err := s.gateway(gatewayName)
	if err != nil {
		return err
	}
	ev, err := g.Webhook(headers, body)
	if err != nil {
		s.Log.WarnContext(ctx, "webhook refused", "gateway", gatewayName, "err", err)
		return apperr.Wrap(apperr.Unauthorized, err, "서명이 맞지 않는 웹훅입니다.", "webhook signature does not match")
	}
	var orderNo int64
	if _, err := fmt.Sscan(ev.OrderNo, &orderNo); err != nil {
		return apperr.New(apperr.Invalid, "웹훅의 주문번호를 읽을 수 없습니다.", "webhook order number unreadable")
	}
	now := sqldb.Instant(s.Now())
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		o, err := loadOrder(ctx, tx, orderNo)
		if err != nil {
			return err
		}
		if ev.Secret != "" && subtle.ConstantTimeCompare([]byte(hashSecret(ev.Secret)), []byte(o.depositSecret)) != 1 {
			s.Log.WarnContext(ctx, "webhook refused: secret does not match", "gateway", gatewayName, "order_no", orderNo)
			return apperr.New(apperr.Unauthorized, "서명이 맞지 않는 웹훅입니다.", "webhook secret does not match")
		}
		fresh, err := recordTx(ctx, tx, o.ID, gatewayName, "webhook", gatewayName+":"+ev.ID, txFields{PaymentKey: ev.PaymentKey,
			Code: ev.Status, Message: ev.Type, Raw: ev.Raw}, now)
		if err != nil || !fresh {
			return err // a replay: already handled
		}
		if ev.Status == payment.StatusDone && o.Status == StatusAwaitingDeposit {
			return s.markPaid(ctx, tx, &o, StatusAwaitingDeposit, now, "가상계좌 입금 "+ev.ID)
		}
		return nil
	})
}
