package order

import (
	"context"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Waiting is the work the home page counts that only orders know: course
// enrollments awaiting approval (수강 승인대기) and the orders with a paid
// textbook still to ship (배송대기, counted by order as 배송관리 counts
// them), in the staff member's sites.
type Waiting struct {
	AwaitingApproval int64
	ToShip           int64
}

// CountWaiting counts the home page's waiting work.
func (s *Service) CountWaiting(ctx context.Context, a access.Actor) (Waiting, error) {
	var w sqldb.Where
	if scope := a.ReadScope(); scope != nil {
		w.In("o.site", scope)
	}
	var out Waiting
	cond := w.SQL()
	and := " WHERE "
	if cond != "" {
		and = cond + " AND "
	}
	if err := s.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM enrollments e JOIN orders o ON o.id = e.order_id`+and+
		`e.status = 'awaiting_approval'`, w.Args()...).Scan(&out.AwaitingApproval); err != nil {
		return out, err
	}
	err := s.DB.Read().QueryRowContext(ctx, `SELECT COUNT(DISTINCT o.id) FROM order_items i JOIN orders o ON o.id = i.order_id`+and+
		`i.kind = 'textbook' AND i.status = 'paid' AND i.delivery_status = 'waiting'`, w.Args()...).Scan(&out.ToShip)
	return out, err
}
