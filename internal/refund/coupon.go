package refund

import (
	"context"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// couponBack applies the coupon's refund rule after money was returned
// (completeTx): once every discounted item is fully refunded the code is
// given back; a partial refund keeps it used.
func (s *Service) couponBack(ctx context.Context, tx *sqldb.Tx, a access.Actor, orderID int64, now time.Time) error {
	if s.Coupons == nil {
		return nil
	}
	ref, err := order.LoadRefundable(ctx, tx, orderID)
	if err != nil {
		return err
	}
	items := make([]coupon.ItemState, len(ref.Items))
	for i, it := range ref.Items {
		items[i] = coupon.ItemState{Discount: it.Discount, Left: it.Left(), Cancelled: it.Status == order.ItemCancelled}
	}
	return s.Coupons.GiveBackIfRefunded(ctx, tx, a, orderID, items, now)
}
