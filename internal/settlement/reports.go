package settlement

import (
	"context"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// MarketRow is one marketplace's line of 당일판매분요약표 and 판매처별 정산통계.
type MarketRow struct {
	Marketplace string `json:"marketplace"`
	Name        string `json:"name"`
	Orders      int64  `json:"orders"`     // distinct order numbers
	Lines       int64  `json:"lines"`      // order lines
	Qty         int64  `json:"qty"`        // quantity
	Sale        int64  `json:"sale"`       // 총판매금액
	Settle      int64  `json:"settle"`     // 정산예정금액
	Commission  int64  `json:"commission"` // sale - settle
	Prepaid     int64  `json:"prepaid"`    // 선결제 배송비
	Margin      int64  `json:"margin"`     // 배송마진
	Cancelled   int64  `json:"cancelled"`  // cancelled lines
	Unsettled   int64  `json:"unsettled"`  // live lines no rule settled (미정산; a cancelled line never is)
}

// ProductRow is one marketplace product's line of 판매처상품매출통계.
type ProductRow struct {
	Marketplace string `json:"marketplace"`
	ProductCode string `json:"product_code"`
	ProductName string `json:"product_name"`
	Qty         int64  `json:"qty"`
	Sale        int64  `json:"sale"`
	Settle      int64  `json:"settle"`
	Cost        int64  `json:"cost"`   // 원가 of the matched products × quantity
	Margin      int64  `json:"margin"` // settle - cost
}

// Report is a report's rows and their totals row.
type Report[T any] struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Rows  []T    `json:"rows"`
	Total T      `json:"total"`
}

func checkRange(from, to string) error {
	var fe apperr.Fields
	for name, v := range map[string]string{"from": from, "to": to} {
		if _, err := kst.ParseDay(v); err != nil {
			fe.Add(name, "날짜는 YYYY-MM-DD 형식입니다.", "dates are YYYY-MM-DD")
		}
	}
	if fe == nil && to < from {
		fe.Add("to", "끝 날짜가 시작 날짜보다 앞섭니다.", "to is before from")
	}
	return fe.Err()
}

// ByMarketplace is 판매처별 정산통계 over Seoul business days from..to;
// with from == to it is 당일판매분요약표. Cancelled lines count in
// Cancelled only; their amounts are not sales.
func (s *Service) ByMarketplace(ctx context.Context, from, to string) (Report[MarketRow], error) {
	rep := Report[MarketRow]{From: from, To: to, Rows: []MarketRow{}}
	if err := checkRange(from, to); err != nil {
		return rep, err
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT m.code, m.name,
		COUNT(DISTINCT CASE WHEN o.cancelled = FALSE THEN o.order_no END),
		SUM(CASE WHEN o.cancelled = FALSE THEN 1 ELSE 0 END),
		SUM(CASE WHEN o.cancelled = FALSE THEN o.qty ELSE 0 END),
		SUM(CASE WHEN o.cancelled = FALSE THEN COALESCE(st.sale, 0) ELSE 0 END),
		SUM(CASE WHEN o.cancelled = FALSE THEN COALESCE(st.settle, 0) ELSE 0 END),
		SUM(CASE WHEN o.cancelled = FALSE THEN COALESCE(st.prepaid, 0) ELSE 0 END),
		SUM(CASE WHEN o.cancelled = FALSE THEN COALESCE(st.margin, 0) ELSE 0 END),
		SUM(CASE WHEN o.cancelled = TRUE THEN 1 ELSE 0 END),
		SUM(CASE WHEN o.cancelled = FALSE AND st.rule_version_id IS NULL THEN 1 ELSE 0 END)
		FROM market_orders o JOIN marketplaces m ON m.id = o.marketplace_id LEFT JOIN market_settlements st ON st.market_order_id = o.id
		WHERE o.order_day >= $1 AND o.order_day <= $2 GROUP BY m.code, m.name ORDER BY m.name`, from, to)
	if err != nil {
		return rep, err
	}
	defer rows.Close()
	for rows.Next() {
		var r MarketRow
		if err := rows.Scan(&r.Marketplace, &r.Name, &r.Orders, &r.Lines, &r.Qty, &r.Sale, &r.Settle, &r.Prepaid, &r.Margin, &r.Cancelled, &r.Unsettled); err != nil {
			return rep, err
		}
		r.Commission = r.Sale - r.Settle
		rep.Rows = append(rep.Rows, r)
		t := &rep.Total
		t.Orders += r.Orders
		t.Lines += r.Lines
		t.Qty += r.Qty
		t.Sale += r.Sale
		t.Settle += r.Settle
		t.Commission += r.Commission
		t.Prepaid += r.Prepaid
		t.Margin += r.Margin
		t.Cancelled += r.Cancelled
		t.Unsettled += r.Unsettled
	}
	rep.Total.Name = "합계"
	return rep, rows.Err()
}

// ByProduct is 판매처상품매출통계: per marketplace product code, with the
// cost of its matched catalogue products (원가 × count × quantity).
func (s *Service) ByProduct(ctx context.Context, from, to, marketplace string) (Report[ProductRow], error) {
	rep := Report[ProductRow]{From: from, To: to, Rows: []ProductRow{}}
	if err := checkRange(from, to); err != nil {
		return rep, err
	}
	var w sqldb.Where
	w.Add("o.order_day >= ? AND o.order_day <= ?", from, to)
	w.Add("o.cancelled = FALSE")
	if marketplace != "" {
		w.Add("m.code = ?", marketplace)
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT m.code, o.product_code, MIN(o.product_name), SUM(o.qty), SUM(COALESCE(st.sale, 0)),
		SUM(COALESCE(st.settle, 0)),
		SUM(o.qty * COALESCE((SELECT SUM(pm.count * p.cost) FROM product_matches pm JOIN products p ON p.id = pm.product_id
			WHERE pm.marketplace_id = o.marketplace_id AND pm.product_code = o.product_code AND pm.option_text = o.option_text), 0))
		FROM market_orders o JOIN marketplaces m ON m.id = o.marketplace_id LEFT JOIN market_settlements st ON st.market_order_id = o.id`+w.SQL()+`
		GROUP BY m.code, o.product_code ORDER BY SUM(COALESCE(st.sale, 0)) DESC, m.code, o.product_code`, w.Args()...)
	if err != nil {
		return rep, err
	}
	defer rows.Close()
	for rows.Next() {
		var r ProductRow
		if err := rows.Scan(&r.Marketplace, &r.ProductCode, &r.ProductName, &r.Qty, &r.Sale, &r.Settle, &r.Cost); err != nil {
			return rep, err
		}
		r.Margin = r.Settle - r.Cost
		rep.Rows = append(rep.Rows, r)
		t := &rep.Total
		t.Qty += r.Qty
		t.Sale += r.Sale
		t.Settle += r.Settle
		t.Cost += r.Cost
		t.Margin += r.Margin
	}
	rep.Total.ProductName = "합계"
	return rep, rows.Err()
}
