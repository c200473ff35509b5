package payout

import (
	"context"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

// paidAgg is what the payout rows of one line add up to.
type paidAgg struct {
	net, base, fee, coupon, ship int64
	sale                         bool // a sale, cancel or adjustment row (not only shipping)
	day                          string
}

// classify is the one reconciliation rule of a line: its state, its
// difference (입금차액 = 정산예정액 − 입금액) and, for a mismatch, the
// difference split into sale (our 총판매금액 − their 정산기준금액, when the
// file has one), coupon (what they deducted as coupons and benefits),
// shipping (our 선결제처리 − their 배송비 rows) and fee (the rest: their fees −
// ours, and any other deduction), so that the parts add up to the difference.
// listed is false for a line with nothing expected and nothing paid.
func classify(e settlement.Expected, p *paidAgg, f Format, hasBase bool) (l Line, listed bool) {
	l.Expected = e.Amount()
	if p == nil {
		if l.Expected == 0 {
			return l, false
		}
		l.State, l.Difference = Unpaid, l.Expected
		return l, true
	}
	l.Paid, l.SettleDay = p.net, p.day
	l.Difference = l.Expected - l.Paid
	abs := l.Difference
	if abs < 0 {
		abs = -abs
	}
	switch {
	case abs <= f.Tolerance:
		l.State = Matched
	case f.HoldbackPercent > 0 && l.Paid > 0 && within(l.Paid, l.Expected*(100-f.HoldbackPercent)/100, 1+f.Tolerance):
		l.State = Held
	default:
		l.State = Mismatched
		if hasBase && p.sale && !e.Cancelled {
			l.DiffSale = e.Sale + e.AdjSale - p.base
		}
		l.DiffCoupon = p.coupon
		if !e.Cancelled {
			l.DiffShipping = e.Prepaid - p.ship
		}
		l.DiffFee = l.Difference - l.DiffSale - l.DiffCoupon - l.DiffShipping
	}
	return l, true
}

func within(a, b, tol int64) bool {
	d := a - b
	return d <= tol && -d <= tol
}

func monthRange(month string) (string, string, error) {
	t, err := kst.ParseDay(month + "-01")
	if err != nil {
		return "", "", apperr.New(apperr.Invalid, "달은 YYYY-MM 형식입니다.", "month is YYYY-MM")
	}
	return month + "-01", kst.Day(t.AddDate(0, 1, -1)), nil
}

// Reconcile rebuilds the reconciled lines of a marketplace's month (by order
// day) from the stored payout rows and what settlement expects now: one
// transaction replaces them, so a list never sees half a month.
func (s *Service) Reconcile(ctx context.Context, marketplaceID int64, month string) error {
	from, to, err := monthRange(month)
	if err != nil {
		return err
	}
	_, f, err := s.formatByID(ctx, marketplaceID)
	if err != nil {
		return err
	}
	hasBase := f.Fields["base"] != ""
	return s.DB.InTx(sqldb.Alone(ctx), func(tx *sqldb.Tx) error {
		paid := map[int64]*paidAgg{}
		rows, err := tx.QueryContext(ctx, `SELECT market_order_id, kind, net, base, fee, coupon, settle_day FROM payout_rows
			WHERE marketplace_id = $1 AND line_day >= $2 AND line_day <= $3 AND market_order_id IS NOT NULL`, marketplaceID, from, to)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, net, base, fee, coupon int64
			var kind, day string
			if err := rows.Scan(&id, &kind, &net, &base, &fee, &coupon, &day); err != nil {
				rows.Close()
				return err
			}
			p := paid[id]
			if p == nil {
				p = &paidAgg{}
				paid[id] = p
			}
			p.net += net
			p.coupon += coupon
			if kind == KindShipping {
				p.ship += net
			} else {
				p.base += base
				p.fee += fee
				p.sale = true
			}
			if day > p.day {
				p.day = day
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM payout_lines WHERE marketplace_id = $1 AND market_order_id IS NOT NULL AND order_day >= $2 AND order_day <= $3`,
			marketplaceID, from, to); err != nil {
			return err
		}
		w := newLineWriter(ctx, tx)
		// The expected lines stream on a reader: PostgreSQL runs one statement
		// at a time on a connection, and this one writes while they stream.
		err = settlement.ExpectedLines(ctx, s.DB.Read(), marketplaceID, from, to, func(e settlement.Expected) error {
			l, listed := classify(e, paid[e.ID], f, hasBase)
			if !listed {
				return nil
			}
			id := e.ID
			l.MarketOrderID, l.OrderNo, l.SubNo, l.OrderDay, l.ProductCode, l.ProductName = &id, e.OrderNo, e.SubNo, e.OrderDay, e.ProductCode, e.ProductName
			if e.RuleID != 0 {
				r := e.RuleID
				l.RuleID = &r
			}
			return w.add(marketplaceID, l)
		})
		if err != nil {
			return err
		}
		return w.flush()
	})
}

// lineWriter inserts reconciled lines in batches of 1,000 (sqldb's bulk write).
type lineWriter struct {
	ctx  context.Context
	tx   *sqldb.Tx
	rows [][]any
}

// reconciledLines are payout_lines' columns as the reconciliation writes them.
var reconciledLines = sqldb.Bulk{Table: "payout_lines", Columns: []string{"marketplace_id", "market_order_id", "order_no", "sub_no", "order_day",
	"settle_day", "product_code", "product_name", "rule_id", "state", "expected", "paid", "difference", "diff_sale", "diff_fee", "diff_coupon",
	"diff_shipping"}}

func newLineWriter(ctx context.Context, tx *sqldb.Tx) *lineWriter {
	return &lineWriter{ctx: ctx, tx: tx}
}

func (w *lineWriter) add(marketplaceID int64, l Line) error {
	var rule any
	if l.RuleID != nil {
		rule = *l.RuleID
	}
	w.rows = append(w.rows, []any{marketplaceID, *l.MarketOrderID, l.OrderNo, l.SubNo, l.OrderDay, l.SettleDay, l.ProductCode, l.ProductName, rule,
		l.State, l.Expected, l.Paid, l.Difference, l.DiffSale, l.DiffFee, l.DiffCoupon, l.DiffShipping})
	if len(w.rows) >= 1000 {
		return w.flush()
	}
	return nil
}

func (w *lineWriter) flush() error {
	if len(w.rows) == 0 {
		return nil
	}
	err := w.tx.WriteRows(w.ctx, reconciledLines, w.rows)
	clear(w.rows)
	w.rows = w.rows[:0]
	return err
}

func (s *Service) formatByID(ctx context.Context, marketplaceID int64) (market.Marketplace, Format, error) {
	mps, err := (&market.Service{DB: s.DB}).Marketplaces(ctx)
	if err != nil {
		return market.Marketplace{}, Format{}, err
	}
	for _, m := range mps {
		if m.ID == marketplaceID {
			f, _, err := s.format(ctx, s.DB.Read(), m)
			return m, f, err
		}
	}
	return market.Marketplace{}, Format{}, apperr.New(apperr.NotFound, "판매처가 없습니다.", "no such marketplace")
}

// Refresh reconciles again a marketplace's months from..to (YYYY-MM) with
// what settlement expects now (after a recompute, a later order import).
func (s *Service) Refresh(ctx context.Context, marketplace, fromMonth, toMonth string) (int, error) {
	m, err := s.marketplace(ctx, marketplace)
	if err != nil {
		return 0, err
	}
	if _, _, err := monthRange(fromMonth); err != nil {
		return 0, err
	}
	if _, _, err := monthRange(toMonth); err != nil {
		return 0, err
	}
	if toMonth < fromMonth {
		return 0, apperr.New(apperr.Invalid, "끝 달이 시작 달보다 앞섭니다.", "to is before from")
	}
	if months(fromMonth, toMonth) > 36 {
		return 0, apperr.New(apperr.Invalid, "한 번에 36개월까지 다시 맞춥니다.", "at most 36 months at a time")
	}
	return s.refresh(ctx, m.ID, fromMonth, toMonth)
}

func months(from, to string) int {
	a, _ := kst.ParseDay(from + "-01")
	b, _ := kst.ParseDay(to + "-01")
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month()) + 1
}

func (s *Service) refresh(ctx context.Context, marketplaceID int64, fromMonth, toMonth string) (int, error) {
	n := 0
	for mo := fromMonth; mo <= toMonth; n++ {
		if err := s.Reconcile(ctx, marketplaceID, mo); err != nil {
			return n, err
		}
		t, _ := kst.ParseDay(mo + "-01")
		mo = kst.Day(t.AddDate(0, 1, 0))[:7]
	}
	return n, nil
}

// AfterRecompute reconciles again the months from..to of the marketplace
// (every marketplace when ""), of those that have payout statements: the
// expected amounts may have changed.
func (s *Service) AfterRecompute(ctx context.Context, from, to, marketplace string) error {
	var w sqldb.Where
	w.Add("m.id IN (SELECT marketplace_id FROM payout_statements)")
	if marketplace != "" {
		w.Add("m.code = ?", marketplace)
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT m.id FROM marketplaces m`+w.SQL(), w.Args()...)
	if err != nil {
		return err
	}
	var codes []int64
	for rows.Next() {
		var c int64
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		codes = append(codes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range codes {
		if _, err := s.refresh(ctx, c, from[:7], to[:7]); err != nil {
			return err
		}
	}
	return nil
}
