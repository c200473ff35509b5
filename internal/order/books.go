package order

import (
	"context"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Booked is what the journal moved on one Seoul business day for one order
// paid through a gateway: captures less cancels and refunds.
type Booked struct {
	OrderNo    int64
	PaymentKey string
	Net        int64
}

// GatewayBooks lists, for the reconciliation with a gateway's own list, the
// journal's net money per order of that gateway on a Seoul business day.
func (s *Service) GatewayBooks(ctx context.Context, gateway, day string) ([]Booked, error) {
	return gatewayBooks(ctx, s.DB.Read(), gateway, day)
}

func gatewayBooks(ctx context.Context, q sqldb.Querier, gateway, day string) ([]Booked, error) {
	rows, err := q.QueryContext(ctx, `SELECT o.order_no, o.payment_key, SUM(j.amount) FROM journal j JOIN orders o ON o.id = j.order_id
		WHERE j.business_day = $1 AND o.gateway = $2 GROUP BY o.order_no, o.payment_key ORDER BY o.order_no`, day, gateway)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Booked
	for rows.Next() {
		var b Booked
		if err := rows.Scan(&b.OrderNo, &b.PaymentKey, &b.Net); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
