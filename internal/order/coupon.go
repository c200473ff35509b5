package order

import (
	"context"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// checkCouponInput refuses a coupon code when no coupon service is wired,
// and item discounts sent along with a code (the coupon computes them).
func (s *Service) checkCouponInput(in PlaceInput, fe *apperr.Fields) {
	if in.CouponCode == "" {
		return
	}
	if s.Coupons == nil {
		fe.Add("coupon_code", "쿠폰은 아직 쓸 수 없습니다.", "Coupons are not available yet.")
		return
	}
	for _, it := range in.Items {
		if it.Discount != 0 {
			fe.Add("items", "쿠폰을 쓰는 주문의 할인액은 쿠폰이 정합니다. 할인액을 보내지 마세요.", "With a coupon_code the coupon sets the discounts; send none.")
			return
		}
	}
}

// applyCoupon checks the order's coupon code in the order's transaction and
// fills the items' 할인액 with the coupon's split (package coupon computes
// it, as for a quote); paid amounts and totals follow.
func (s *Service) applyCoupon(ctx context.Context, tx *sqldb.Tx, o *row, code string, now time.Time) (*coupon.Applied, error) {
	if code == "" {
		return nil, nil
	}
	cart := coupon.Cart{Site: o.Site, MemberID: o.MemberID, Code: code, Lines: make([]coupon.Line, len(o.Items))}
	for i, it := range o.Items {
		cart.Lines[i] = coupon.Line{ProductID: it.ProductID, Kind: it.Kind, Name: it.Name, Qty: it.Qty, UnitPrice: it.UnitPrice,
			ListPrice: it.ListPrice, GovRefundable: it.GovRefundable}
	}
	ap, err := s.Coupons.Apply(ctx, tx, cart, now)
	if err != nil {
		return nil, err
	}
	for i := range o.Items {
		it := &o.Items[i]
		it.Discount = ap.Discounts[i]
		it.Paid = it.ListPrice - it.Subsidy - it.Discount
		o.DiscountTotal = sum(o.DiscountTotal, it.Discount)
	}
	return &ap, nil
}

// consumeCoupon uses the applied code for the new order, in its transaction.
func (s *Service) consumeCoupon(ctx context.Context, tx *sqldb.Tx, a access.Actor, ap *coupon.Applied, o *row, now time.Time) error {
	if ap == nil {
		return nil
	}
	h := coupon.Holder{ID: o.MemberID, Site: o.Site, Login: o.BuyerLogin, Name: o.BuyerName}
	if err := tx.QueryRowContext(ctx, `SELECT affiliation FROM members WHERE id = $1`, o.MemberID).Scan(&h.Affiliation); err != nil {
		return err
	}
	return s.Coupons.Consume(ctx, tx, a, *ap, h, o.ID, o.OrderNo, now)
}

// giveBackCoupon returns the code of a cancelled order (cancelTx, and an
// order cancelled because 수강취소 left it nothing); why says which.
func (s *Service) giveBackCoupon(ctx context.Context, tx *sqldb.Tx, a access.Actor, orderID int64, now time.Time, why string) error {
	if s.Coupons == nil {
		return nil
	}
	return s.Coupons.GiveBack(ctx, tx, a, orderID, now, why)
}
