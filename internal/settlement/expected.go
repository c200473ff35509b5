package settlement

import (
	"context"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Expected is what settlement expects a marketplace to pay for one line
// (정산대사 reads it): the line's 정산예정금액 and, on the line that carries
// its bundle's shipping, 선결제처리, with any adjustment booked later.
type Expected struct {
	ID          int64  `json:"market_order_id"`
	OrderNo     string `json:"order_no"`
	SubNo       string `json:"sub_no"`
	OrderDay    string `json:"order_day"`
	ProductCode string `json:"product_code"`
	ProductName string `json:"product_name"`
	Cancelled   bool   `json:"cancelled"`
	Settled     bool   `json:"settled"` // a rule settled it
	Sale        int64  `json:"sale"`
	Settle      int64  `json:"settle"`
	Prepaid     int64  `json:"prepaid"`
	AdjSale     int64  `json:"adjustment_sale"`   // adjustments booked in an open month (a closed month's line cancelled later)
	AdjSettle   int64  `json:"adjustment_settle"` // (settle and prepaid together)
	RuleID      int64  `json:"rule_id"`
	RuleTitle   string `json:"rule_title"`
	RuleVersion int    `json:"rule_version_no"`
	Unsettled   string `json:"unsettled"`
}

// Amount is the line's expected payout: nothing for a cancelled line,
// otherwise 정산예정금액 + 선결제처리 + adjustments.
func (e Expected) Amount() int64 {
	if e.Cancelled {
		return 0
	}
	return e.Settle + e.Prepaid + e.AdjSettle
}

const expectedSelect = `SELECT o.id, o.order_no, o.sub_no, o.order_day, o.product_code, o.product_name, o.cancelled,
	CASE WHEN st.rule_version_id IS NULL THEN 0 ELSE 1 END, COALESCE(st.sale, 0), COALESCE(st.settle, 0), COALESCE(st.prepaid, 0),
	COALESCE(adj.sale, 0), COALESCE(adj.settle, 0), COALESCE(rv.rule_id, 0), COALESCE(rv.title, ''), COALESCE(rv.version, 0), COALESCE(st.unsettled, '')
	FROM market_orders o LEFT JOIN market_settlements st ON st.market_order_id = o.id
	LEFT JOIN settlement_rule_versions rv ON rv.id = st.rule_version_id
	LEFT JOIN (SELECT market_order_id, SUM(sale) AS sale, SUM(settle + prepaid) AS settle FROM settlement_adjustments GROUP BY market_order_id) adj
	ON adj.market_order_id = o.id`

func scanExpected(rows interface{ Scan(...any) error }) (Expected, error) {
	var e Expected
	var settled int
	err := rows.Scan(&e.ID, &e.OrderNo, &e.SubNo, &e.OrderDay, &e.ProductCode, &e.ProductName, &e.Cancelled, &settled, &e.Sale, &e.Settle, &e.Prepaid,
		&e.AdjSale, &e.AdjSettle, &e.RuleID, &e.RuleTitle, &e.RuleVersion, &e.Unsettled)
	e.Settled = settled == 1
	return e, err
}

// ExpectedLines streams the lines of a marketplace ordered on the Seoul days
// from..to, by id, with what settlement expects for each.
func ExpectedLines(ctx context.Context, q sqldb.Querier, marketplaceID int64, from, to string, fn func(Expected) error) error {
	rows, err := q.QueryContext(ctx, expectedSelect+` WHERE o.marketplace_id = $1 AND o.order_day >= $2 AND o.order_day <= $3 ORDER BY o.id`, marketplaceID, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanExpected(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ExpectedLine returns what settlement expects for one line.
func ExpectedLine(ctx context.Context, q sqldb.Querier, id int64) (Expected, error) {
	e, err := scanExpected(q.QueryRowContext(ctx, expectedSelect+` WHERE o.id = $1`, id))
	if err != nil {
		return e, sqldb.NotFound(err, "판매처 주문", "marketplace order")
	}
	return e, nil
}
