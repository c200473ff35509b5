package app

import (
	"context"
	"fmt"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/order"
)

func init() { checks = append(checks, couponChecks...) }

// couponChecks: every used code points at a live order, and every order
// with a code carries exactly the discount its coupon computes.
var couponChecks = []check{
	{"each used coupon code points at a live order", func(ctx context.Context, a *App) ([]string, error) {
		out, err := lines(ctx, a, `SELECT 'coupon use of order ' || u.order_no || ': the order is ' || COALESCE(o.status, 'missing')
			FROM coupon_uses u LEFT JOIN orders o ON o.id = u.order_id
			WHERE u.returned_at IS NULL AND (o.id IS NULL OR o.status IN ('cancelled', 'refunded') OR o.order_no <> u.order_no) ORDER BY u.id`)
		if err != nil {
			return nil, err
		}
		more, err := a.Coupons.UseMismatches(ctx)
		return append(out, more...), err
	}},
	{"each order's coupon discount equals its coupon's computed value", func(ctx context.Context, a *App) ([]string, error) {
		uses, err := a.Coupons.LiveUses(ctx)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, u := range uses {
			c, err := a.Coupons.Get(ctx, access.System(), u.CouponID)
			if err != nil {
				return nil, err
			}
			ref, err := order.LoadRefundable(ctx, a.DB.Read(), u.OrderID)
			if err != nil {
				return nil, err
			}
			lines := make([]coupon.Line, len(ref.Items))
			for i, it := range ref.Items {
				lines[i] = coupon.Line{ProductID: it.ProductID, Kind: it.Kind, Qty: it.Qty, UnitPrice: it.UnitPrice, ListPrice: it.ListPrice, GovRefundable: it.GovRefundable}
			}
			want, err := coupon.Split(c, lines)
			if err != nil {
				out = append(out, fmt.Sprintf("order %d: code %s does not apply to its items any more: %v", u.OrderNo, u.Code, err))
				continue
			}
			var total int64
			for i, it := range ref.Items {
				total += want[i]
				if it.Discount != want[i] {
					out = append(out, fmt.Sprintf("order %d item %d: discount %d, coupon %d computes %d", u.OrderNo, it.ID, it.Discount, c.ID, want[i]))
				}
			}
			if total != u.Discount {
				out = append(out, fmt.Sprintf("order %d: the use of code %s records %d, the coupon computes %d", u.OrderNo, u.Code, u.Discount, total))
			}
		}
		return out, nil
	}},
}
