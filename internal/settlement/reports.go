package settlement

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"

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
	// Payout is 정산합계 = 정산예정금액 + 선결제처리: the manual's 정산통계
	// adds the prepaid shipping back ("선결제 금액을 다시 더해줌"). Adjustments
	// count on the day they were booked, as in the other columns (정산대사
	// puts a line's adjustments on the line instead).
	Payout    int64 `json:"payout"`
	Margin    int64 `json:"margin"`    // 배송마진
	Cancelled int64 `json:"cancelled"` // cancelled lines
	Unsettled int64 `json:"unsettled"` // live lines no rule settled (미정산; a cancelled line never is)
}

// ProductRow is one marketplace product's line of 판매처상품매출통계: a
// product code's lines, or, when only some of its options are matched,
// its matched options' lines and, in a row of its own, the others.
type ProductRow struct {
	Marketplace string `json:"marketplace"`
	Name        string `json:"name"` // the marketplace's name
	ProductCode string `json:"product_code"`
	ProductName string `json:"product_name"`
	Matched     bool   `json:"matched"` // matched to catalogue products: cost and margin are known
	Qty         int64  `json:"qty"`
	Sale        int64  `json:"sale"`
	Settle      int64  `json:"settle"`
	Commission  int64  `json:"commission"` // sale - settle
	Cost        int64  `json:"cost"`       // 원가 of the matched products × quantity
	Margin      int64  `json:"margin"`     // settle - cost; 0 for an unmatched product (unknown)
}

// SupplierRow is one supplier's line of 공급처별 정산통계 (unmatched lines
// have no supplier: SupplierID 0, "미매칭").
type SupplierRow struct {
	SupplierID int64  `json:"supplier_id"`
	Name       string `json:"name"`
	Lines      int64  `json:"lines"`
	Qty        int64  `json:"qty"`
	Sale       int64  `json:"sale"`
	Settle     int64  `json:"settle"`
	Commission int64  `json:"commission"`
	Cost       int64  `json:"cost"`
	Margin     int64  `json:"margin"` // settle - cost, of matched lines only
}

// Report is a report's rows and their totals row.
type Report[T any] struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Rows  []T    `json:"rows"`
	Total T      `json:"total"`
}

// ReportFilter narrows a report: Seoul business days from..to, a
// marketplace (code), a supplier (of the line's matched products).
type ReportFilter struct {
	From, To    string
	Marketplace string
	SupplierID  int64
}

func checkRange(from, to string) error {
	var fe apperr.Fields
	for name, v := range map[string]string{"from": from, "to": to} {
		if _, err := kst.ParseDay(v); err != nil {
			fe.Add(name, "날짜는 YYYY-MM-DD 형식의 있는 날짜입니다.", "dates are real days as YYYY-MM-DD")
		}
	}
	if fe == nil && to < from {
		fe.Add("to", "끝 날짜가 시작 날짜보다 앞섭니다.", "to is before from")
	}
	return fe.Err()
}

// matchSQL is, per marketplace product code and option, its matched
// catalogue products' supplier and 원가 of one marketplace unit.
const matchSQL = `(SELECT pm.marketplace_id, pm.product_code, pm.option_text, MIN(p.supplier_id) AS supplier_id, SUM(pm.count * p.cost) AS cost
	FROM product_matches pm JOIN products p ON p.id = pm.product_id GROUP BY pm.marketplace_id, pm.product_code, pm.option_text) mt
	ON mt.marketplace_id = o.marketplace_id AND mt.product_code = o.product_code AND mt.option_text = o.option_text`

// matchedSQL is 1 for a line of reportFrom whose product code and option are
// matched (상품매칭), else 0.
const matchedSQL = `CASE WHEN mt.product_code IS NULL THEN 0 ELSE 1 END`

const reportFrom = ` FROM market_orders o JOIN marketplaces m ON m.id = o.marketplace_id LEFT JOIN market_settlements st ON st.market_order_id = o.id
	LEFT JOIN ` + matchSQL

// where checks the filter (real days in order, a marketplace and a supplier
// that exist) and makes its conditions.
func (s *Service) where(ctx context.Context, f ReportFilter) (sqldb.Where, error) {
	var w sqldb.Where
	if err := checkRange(f.From, f.To); err != nil {
		return w, err
	}
	if err := s.knownMarketplace(ctx, f.Marketplace); err != nil {
		return w, err
	}
	if f.SupplierID != 0 {
		var one int
		if err := s.DB.Read().QueryRowContext(ctx, `SELECT 1 FROM suppliers WHERE id = $1`, f.SupplierID).Scan(&one); err != nil {
			return w, &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("없는 공급처입니다: %d", f.SupplierID), English: "no such supplier",
				Fields: []apperr.FieldError{{Location: "supplier_id", Message: "없는 공급처입니다.", English: "no such supplier"}}}
		}
	}
	w.Add("o.order_day >= ? AND o.order_day <= ?", f.From, f.To)
	if f.Marketplace != "" {
		w.Add("m.code = ?", f.Marketplace)
	}
	if f.SupplierID != 0 {
		w.Add("mt.supplier_id = ?", f.SupplierID)
	}
	return w, nil
}

// knownMarketplace refuses a marketplace code that does not exist ("" is
// every marketplace).
func (s *Service) knownMarketplace(ctx context.Context, code string) error {
	if code == "" {
		return nil
	}
	var one int
	if err := s.DB.Read().QueryRowContext(ctx, `SELECT 1 FROM marketplaces WHERE code = $1`, code).Scan(&one); err != nil {
		return &apperr.Error{Code: apperr.Invalid, Message: "없는 판매처입니다: " + code, English: "no such marketplace: " + code,
			Fields: []apperr.FieldError{{Location: "marketplace", Message: "없는 판매처입니다.", English: "no such marketplace"}}}
	}
	return nil
}

// ByMarketplace is 판매처별 정산통계 over Seoul business days from..to;
// with from == to it is 당일판매분요약표. Cancelled lines count in
// Cancelled only; their amounts are not sales.
func (s *Service) ByMarketplace(ctx context.Context, f ReportFilter) (Report[MarketRow], error) {
	rep := Report[MarketRow]{From: f.From, To: f.To, Rows: []MarketRow{}}
	w, err := s.where(ctx, f)
	if err != nil {
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
		SUM(CASE WHEN o.cancelled = FALSE AND st.rule_version_id IS NULL THEN 1 ELSE 0 END)`+reportFrom+w.SQL()+`
		GROUP BY m.code, m.name ORDER BY m.name`, w.Args()...)
	if err != nil {
		return rep, err
	}
	var list []MarketRow
	for rows.Next() {
		var r MarketRow
		if err := rows.Scan(&r.Marketplace, &r.Name, &r.Orders, &r.Lines, &r.Qty, &r.Sale, &r.Settle, &r.Prepaid, &r.Margin, &r.Cancelled, &r.Unsettled); err != nil {
			rows.Close()
			return rep, err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, err
	}
	// Adjustments booked on these days (a closed month's line cancelled
	// later) count here, as cancellations with their reversed amounts.
	list, err = s.addAdjustments(ctx, f, list)
	if err != nil {
		return rep, err
	}
	for _, r := range list {
		r.Commission = r.Sale - r.Settle
		r.Payout = r.Settle + r.Prepaid
		rep.Rows = append(rep.Rows, r)
		t := &rep.Total
		t.Orders += r.Orders
		t.Lines += r.Lines
		t.Qty += r.Qty
		t.Sale += r.Sale
		t.Settle += r.Settle
		t.Commission += r.Commission
		t.Prepaid += r.Prepaid
		t.Payout += r.Payout
		t.Margin += r.Margin
		t.Cancelled += r.Cancelled
		t.Unsettled += r.Unsettled
	}
	rep.Total.Name = "합계"
	return rep, nil
}

// addAdjustments adds the adjustments booked on the filter's days to the
// marketplaces' rows (a marketplace with only adjustments gets a row).
func (s *Service) addAdjustments(ctx context.Context, f ReportFilter, list []MarketRow) ([]MarketRow, error) {
	var w sqldb.Where
	w.Add("a.day >= ? AND a.day <= ?", f.From, f.To)
	if f.Marketplace != "" {
		w.Add("m.code = ?", f.Marketplace)
	}
	from := ` FROM settlement_adjustments a JOIN marketplaces m ON m.id = a.marketplace_id JOIN market_orders o ON o.id = a.market_order_id`
	if f.SupplierID != 0 {
		from += ` LEFT JOIN ` + matchSQL
		w.Add("mt.supplier_id = ?", f.SupplierID)
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT m.code, m.name, COUNT(*), SUM(a.sale), SUM(a.settle), SUM(a.prepaid), SUM(a.margin)`+from+w.SQL()+
		` GROUP BY m.code, m.name`, w.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	added := false
	for rows.Next() {
		var a MarketRow
		if err := rows.Scan(&a.Marketplace, &a.Name, &a.Cancelled, &a.Sale, &a.Settle, &a.Prepaid, &a.Margin); err != nil {
			return nil, err
		}
		i := slices.IndexFunc(list, func(r MarketRow) bool { return r.Marketplace == a.Marketplace })
		if i < 0 {
			list = append(list, MarketRow{Marketplace: a.Marketplace, Name: a.Name})
			i, added = len(list)-1, true
		}
		r := &list[i]
		r.Cancelled += a.Cancelled
		r.Sale += a.Sale
		r.Settle += a.Settle
		r.Prepaid += a.Prepaid
		r.Margin += a.Margin
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if added {
		sort.SliceStable(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	}
	return list, nil
}

// ByProduct is 판매처상품매출통계: per marketplace product code, with the
// cost of its matched catalogue products (원가 × count × quantity). An
// unmatched product is flagged: its cost is unknown, so it has no margin.
func (s *Service) ByProduct(ctx context.Context, f ReportFilter) (Report[ProductRow], error) {
	rep := Report[ProductRow]{From: f.From, To: f.To, Rows: []ProductRow{}}
	w, err := s.where(ctx, f)
	if err != nil {
		return rep, err
	}
	w.Add("o.cancelled = FALSE")
	// A code whose options are matched in part is two rows: its matched
	// options' lines, with cost and margin, and the others as 미매칭.
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT m.code, m.name, o.product_code, MIN(o.product_name), `+matchedSQL+`,
		SUM(o.qty), SUM(COALESCE(st.sale, 0)), SUM(COALESCE(st.settle, 0)), SUM(o.qty * COALESCE(mt.cost, 0))`+reportFrom+w.SQL()+`
		GROUP BY m.code, m.name, o.product_code, `+matchedSQL+` ORDER BY SUM(COALESCE(st.sale, 0)) DESC, m.code, o.product_code, `+matchedSQL+` DESC`, w.Args()...)
	if err != nil {
		return rep, err
	}
	scan := func(rows *sql.Rows) ([]ProductRow, error) {
		defer rows.Close()
		var list []ProductRow
		for rows.Next() {
			var r ProductRow
			var matched int
			if err := rows.Scan(&r.Marketplace, &r.Name, &r.ProductCode, &r.ProductName, &matched, &r.Qty, &r.Sale, &r.Settle, &r.Cost); err != nil {
				return nil, err
			}
			r.Matched = matched == 1
			list = append(list, r)
		}
		return list, rows.Err()
	}
	list, err := scan(rows)
	if err != nil {
		return rep, err
	}
	// Adjustments booked on these days (a closed month's line cancelled
	// later) take their amounts, quantity and cost off the product.
	aw, from := f.adjustmentWhere()
	rows, err = s.DB.Read().QueryContext(ctx, `SELECT m.code, m.name, o.product_code, MIN(o.product_name), `+matchedSQL+`,
		-SUM(o.qty), SUM(a.sale), SUM(a.settle), -SUM(o.qty * COALESCE(mt.cost, 0))`+from+aw.SQL()+` GROUP BY m.code, m.name, o.product_code, `+matchedSQL, aw.Args()...)
	if err != nil {
		return rep, err
	}
	adj, err := scan(rows)
	if err != nil {
		return rep, err
	}
	for _, a := range adj {
		i := slices.IndexFunc(list, func(r ProductRow) bool {
			return r.Marketplace == a.Marketplace && r.ProductCode == a.ProductCode && r.Matched == a.Matched
		})
		if i < 0 {
			list = append(list, a)
			continue
		}
		r := &list[i]
		r.Qty += a.Qty
		r.Sale += a.Sale
		r.Settle += a.Settle
		r.Cost += a.Cost
	}
	for _, r := range list {
		r.Commission = r.Sale - r.Settle
		if r.Matched {
			r.Margin = r.Settle - r.Cost
		}
		rep.Rows = append(rep.Rows, r)
		t := &rep.Total
		t.Qty += r.Qty
		t.Sale += r.Sale
		t.Settle += r.Settle
		t.Commission += r.Commission
		t.Cost += r.Cost
		t.Margin += r.Margin
	}
	rep.Total.ProductName = "합계"
	return rep, nil
}

// adjustmentWhere is the filter's condition on settlement_adjustments a
// (joined to the line o, its marketplace m and its matched products mt).
func (f ReportFilter) adjustmentWhere() (sqldb.Where, string) {
	var w sqldb.Where
	w.Add("a.day >= ? AND a.day <= ?", f.From, f.To)
	if f.Marketplace != "" {
		w.Add("m.code = ?", f.Marketplace)
	}
	if f.SupplierID != 0 {
		w.Add("mt.supplier_id = ?", f.SupplierID)
	}
	return w, ` FROM settlement_adjustments a JOIN marketplaces m ON m.id = a.marketplace_id JOIN market_orders o ON o.id = a.market_order_id LEFT JOIN ` + matchSQL
}

// BySupplier is 공급처별 정산통계: the live lines by the supplier of their
// matched catalogue products; unmatched lines form one row, 미매칭.
func (s *Service) BySupplier(ctx context.Context, f ReportFilter) (Report[SupplierRow], error) {
	rep := Report[SupplierRow]{From: f.From, To: f.To, Rows: []SupplierRow{}}
	w, err := s.where(ctx, f)
	if err != nil {
		return rep, err
	}
	w.Add("o.cancelled = FALSE")
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT COALESCE(mt.supplier_id, 0), COALESCE(sp.name, ''), COUNT(*), SUM(o.qty), SUM(COALESCE(st.sale, 0)),
		SUM(COALESCE(st.settle, 0)), SUM(o.qty * COALESCE(mt.cost, 0)), SUM(CASE WHEN mt.product_code IS NULL THEN 0 ELSE COALESCE(st.settle, 0) END)`+
		reportFrom+` LEFT JOIN suppliers sp ON sp.id = mt.supplier_id`+w.SQL()+`
		GROUP BY COALESCE(mt.supplier_id, 0), COALESCE(sp.name, '') ORDER BY SUM(COALESCE(st.sale, 0)) DESC, COALESCE(mt.supplier_id, 0)`, w.Args()...)
	if err != nil {
		return rep, err
	}
	type supplierRow struct {
		SupplierRow
		matchedSettle int64
	}
	scan := func(rows *sql.Rows) ([]supplierRow, error) {
		defer rows.Close()
		var list []supplierRow
		for rows.Next() {
			var r supplierRow
			if err := rows.Scan(&r.SupplierID, &r.Name, &r.Lines, &r.Qty, &r.Sale, &r.Settle, &r.Cost, &r.matchedSettle); err != nil {
				return nil, err
			}
			list = append(list, r)
		}
		return list, rows.Err()
	}
	list, err := scan(rows)
	if err != nil {
		return rep, err
	}
	// Adjustments booked on these days take their line, quantity, amounts
	// and cost off the supplier.
	aw, from := f.adjustmentWhere()
	rows, err = s.DB.Read().QueryContext(ctx, `SELECT COALESCE(mt.supplier_id, 0), COALESCE(sp.name, ''), -COUNT(*), -SUM(o.qty), SUM(a.sale), SUM(a.settle),
		-SUM(o.qty * COALESCE(mt.cost, 0)), SUM(CASE WHEN mt.product_code IS NULL THEN 0 ELSE a.settle END)`+from+
		` LEFT JOIN suppliers sp ON sp.id = mt.supplier_id`+aw.SQL()+` GROUP BY COALESCE(mt.supplier_id, 0), COALESCE(sp.name, '')`, aw.Args()...)
	if err != nil {
		return rep, err
	}
	adj, err := scan(rows)
	if err != nil {
		return rep, err
	}
	for _, a := range adj {
		i := slices.IndexFunc(list, func(r supplierRow) bool { return r.SupplierID == a.SupplierID })
		if i < 0 {
			list = append(list, a)
			continue
		}
		r := &list[i]
		r.Lines += a.Lines
		r.Qty += a.Qty
		r.Sale += a.Sale
		r.Settle += a.Settle
		r.Cost += a.Cost
		r.matchedSettle += a.matchedSettle
	}
	for _, sr := range list {
		r, matchedSettle := sr.SupplierRow, sr.matchedSettle
		switch {
		case r.Name == "" && r.SupplierID == 0:
			r.Name = "미매칭"
		case r.Name == "":
			r.Name = "(공급처 없음)"
		}
		r.Commission = r.Sale - r.Settle
		r.Margin = matchedSettle - r.Cost
		rep.Rows = append(rep.Rows, r)
		t := &rep.Total
		t.Lines += r.Lines
		t.Qty += r.Qty
		t.Sale += r.Sale
		t.Settle += r.Settle
		t.Commission += r.Commission
		t.Cost += r.Cost
		t.Margin += r.Margin
	}
	rep.Total.Name = "합계"
	return rep, nil
}
