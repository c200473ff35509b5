package order

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// How 주문목록 stays fast over millions of orders (README, "Benchmarks"):
//
//   - The total of a filter without a keyword is a sum over the rollups
//     order_month_counts (the whole months of its day ranges) and
//     order_day_counts (the days of the months its ranges cut), never a count
//     of orders. With a keyword it counts the orders (by their indexes).
//   - A page is read one of two ways, whichever reads fewer rows by the
//     counts: walking the covering index orders_list newest first from the
//     highest order number the day range can hold (order_days), skipping
//     rows that do not match, when matches are dense; or by the filter's own
//     index and a sort of its few matches. A page past the middle walks from
//     the other end. That choice is made on SQLite, which is told the index
//     (INDEXED BY); PostgreSQL gets the plain query and its planner chooses.
//   - The screen's pager links carry an anchor (the first order number of the
//     page it is on and that page's number), so a page near it is read from
//     the anchor, not from the first row: deep pages cost as much as the first.

// rangeAxis is one day range of a filter cut into the whole months it covers
// and the days of the months it cuts.
type rangeAxis struct {
	on       bool   // the filter constrains this day
	lo, hi   string // days, both included
	mLo, mHi string // whole months, both included; mLo > mHi when none
	edges    []string
}

func cutRange(from, to string) rangeAxis {
	ax := rangeAxis{on: from != "" || to != "", lo: from, hi: to}
	if !ax.on {
		return ax
	}
	if ax.lo == "" {
		ax.lo = "0000-01-01"
	}
	if ax.hi == "" {
		ax.hi = "9999-12-31"
	}
	lo, errLo := kst.ParseDay(ax.lo)
	hi, errHi := kst.ParseDay(ax.hi)
	if errLo != nil || errHi != nil || hi.Before(lo) {
		ax.mLo, ax.mHi = "1", "0" // nothing: the conditions on days say so too
		return ax
	}
	first := time.Date(lo.Year(), lo.Month(), 1, 0, 0, 0, 0, kst.Seoul)
	if lo.Day() != 1 {
		first = first.AddDate(0, 1, 0)
	}
	last := time.Date(hi.Year(), hi.Month(), 1, 0, 0, 0, 0, kst.Seoul) // first day of hi's month
	if hi.AddDate(0, 0, 1).Month() == hi.Month() {                     // hi is not the month's last day
		last = last.AddDate(0, -1, 0)
	}
	ax.mLo, ax.mHi = first.Format("2006-01"), last.Format("2006-01")
	if last.Before(first) { // no whole month: every day is an edge
		for d := lo; !d.After(hi); d = d.AddDate(0, 0, 1) {
			ax.edges = append(ax.edges, kst.Day(d))
		}
		return ax
	}
	for d := lo; d.Before(first); d = d.AddDate(0, 0, 1) {
		ax.edges = append(ax.edges, kst.Day(d))
	}
	for d := last.AddDate(0, 1, 0); !d.After(hi); d = d.AddDate(0, 0, 1) {
		ax.edges = append(ax.edges, kst.Day(d))
	}
	return ax
}

func (ax rangeAxis) hasMonths() bool { return !ax.on || ax.mLo <= ax.mHi }

// monthCond limits col (a YYYY-MM column) to the whole months.
func (ax rangeAxis) monthCond(w *sqldb.Where, col string) {
	if ax.on {
		w.Add(col+" >= ? AND "+col+" <= ?", ax.mLo, ax.mHi)
	}
}

// daysOfMonthsCond limits col (a day column) to the days of the whole months.
func (ax rangeAxis) daysOfMonthsCond(w *sqldb.Where, col string) {
	if ax.on {
		w.Add(col+" >= ? AND "+col+" <= ?", ax.mLo+"-01", ax.mHi+"-31")
	}
}

// dayCond limits col to the whole range.
func (ax rangeAxis) dayCond(w *sqldb.Where, col string) {
	if ax.on {
		w.Add(col+" >= ? AND "+col+" <= ?", ax.lo, ax.hi)
	}
}

// edgeCond limits col to the edge days; an IN list, so that the engine reads
// the rollup by the index that leads with col.
func (ax rangeAxis) edgeCond(w *sqldb.Where, col string) {
	ph := make([]string, len(ax.edges))
	for i, d := range ax.edges {
		ph[i] = w.Arg(d)
	}
	w.Add(col + " IN (" + strings.Join(ph, ", ") + ")")
}

// countConds adds a filter's site, status and method to the conditions on a
// counting rollup (order_counts has no method: it serves filters without one).
func countConds(w *sqldb.Where, a access.Actor, f Filter) {
	if scope := a.ReadScope(); scope != nil {
		w.In("site", scope)
	}
	if f.Site != "" {
		w.Add("site = ?", f.Site)
	}
	switch {
	case f.Status != "":
		w.Add("status = ?", f.Status)
	case !f.IncludePending:
		w.Add("status <> 'pending'")
	}
	if f.Method != "" {
		w.Add("method = ?", f.Method)
	}
}

// rollupTotal sums the rollups for a filter without a keyword.
func (s *Service) rollupTotal(ctx context.Context, q sqldb.Querier, a access.Actor, f Filter) (int, error) {
	ord, paid := cutRange(f.OrderedFrom, f.OrderedTo), cutRange(f.PaidFrom, f.PaidTo)
	var parts []sqldb.Where
	var tables []string
	if ord.hasMonths() && paid.hasMonths() { // whole months × whole months
		var w sqldb.Where
		ord.monthCond(&w, "ordered_month")
		paid.monthCond(&w, "paid_month")
		countConds(&w, a, f)
		parts, tables = append(parts, w), append(tables, "order_month_counts")
	}
	if len(ord.edges) > 0 { // the cut days of the order range × the whole payment range
		var w sqldb.Where
		ord.edgeCond(&w, "ordered_day")
		paid.dayCond(&w, "paid_day")
		countConds(&w, a, f)
		parts, tables = append(parts, w), append(tables, "order_day_counts")
	}
	if len(paid.edges) > 0 && ord.hasMonths() { // the whole months of the order range × the cut days of the payment range
		var w sqldb.Where
		paid.edgeCond(&w, "paid_day")
		ord.daysOfMonthsCond(&w, "ordered_day")
		countConds(&w, a, f)
		parts, tables = append(parts, w), append(tables, "order_day_counts")
	}
	total := 0
	for i, w := range parts {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM `+tables[i]+w.SQL(), w.Args()...).Scan(&n); err != nil {
			return 0, fmt.Errorf("주문목록 total: %w", err)
		}
		total += n
	}
	return total, nil
}

// orderNoBounds are the lowest and highest order numbers that the filter's
// day ranges can hold (order_days); an order is paid on or after the day it
// is ordered, so a payment range ends the order days too.
func orderNoBounds(ctx context.Context, q sqldb.Querier, f Filter) (lo, hi int64, err error) {
	var w sqldb.Where
	if f.OrderedFrom != "" {
		w.Add("day >= ?", f.OrderedFrom)
	}
	to := f.OrderedTo
	if f.PaidTo != "" && (to == "" || f.PaidTo < to) {
		to = f.PaidTo
	}
	if to != "" {
		w.Add("day <= ?", to)
	}
	err = q.QueryRowContext(ctx, `SELECT COALESCE(MIN(min_no), 0), COALESCE(MAX(max_no), -1) FROM order_days`+w.SQL(), w.Args()...).Scan(&lo, &hi)
	return lo, hi, err
}

// readPage reads the page of f whose total is total.
func (s *Service) readPage(ctx context.Context, q sqldb.Querier, a access.Actor, f Filter, w sqldb.Where, total int, keyword bool) ([]ListRow, error) {
	per := f.PerPage
	// skip rows newest first (desc) or oldest first, after the bound.
	desc, skip, limit := true, f.Offset(), per
	var bound string
	switch {
	case f.Anchor > 0 && f.Page >= f.AnchorPage:
		bound, skip = "order_no <= ?", (f.Page-f.AnchorPage)*per
	case f.Anchor > 0:
		bound, desc, skip = "order_no > ?", false, (f.AnchorPage-f.Page-1)*per
	default:
		if skip >= total {
			return nil, nil
		}
		// Past the middle, read from the oldest: the page's rows are the
		// last ones of the list read oldest first.
		if n := min(per, total-skip); total-skip-n < skip {
			desc, skip, limit = false, total-skip-n, n
		}
	}
	if total == 0 {
		return nil, nil
	}
	lo, hi, err := orderNoBounds(ctx, q, f)
	if err != nil {
		return nil, err
	}
	if hi < lo {
		return nil, nil
	}
	// Rows the walk reads: (skip + limit) matches at the density of matches
	// among the orders the bounds hold; the sort reads every match, each
	// from the table.
	region := total
	if !keyword {
		rf := Filter{OrderedFrom: f.OrderedFrom, OrderedTo: f.OrderedTo, Site: f.Site, IncludePending: true}
		if f.PaidTo != "" && (rf.OrderedTo == "" || f.PaidTo < rf.OrderedTo) {
			rf.OrderedTo = f.PaidTo
		}
		if region, err = s.rollupTotal(ctx, q, a, rf); err != nil {
			return nil, err
		}
	} else if region, err = s.rollupTotal(ctx, q, a, Filter{Site: f.Site, IncludePending: true}); err != nil {
		return nil, err
	}
	walk := (skip + limit) * max(region, 1) / max(total, 1)
	sorted := total * 4
	if bound != "" {
		w.Add(bound, f.Anchor)
	}
	var from, order string
	hint := sqldb.IndexedBy(s.DB, "orders_list")
	switch {
	case hint == "":
		// PostgreSQL cannot be told which index to take. Given the sort's +
		// its planner chose whole-table reads (1.6 s for 결제완료 over a year,
		// measured), and given the order-number bounds of a 결제일 range it
		// walked the primary key (결제일 one year 39 → 253 ms p95); the bounds
		// of a 주문일 range alone help it (주문일 one day 46 → 2 ms p95).
		if (f.OrderedFrom != "" || f.OrderedTo != "") && f.PaidFrom == "" && f.PaidTo == "" {
			w.Add("order_no >= ? AND order_no <= ?", lo, hi)
		}
		from, order = "orders", "order_no"
	case walk <= sorted:
		w.Add("order_no >= ? AND order_no <= ?", lo, hi)
		from, order = "orders"+hint, "order_no"
	default:
		// The filter's own index and a sort: + keeps the engine off the
		// order-number indexes, and so do the missing bounds.
		from, order = "orders", "+order_no"
	}
	if desc {
		order += " DESC"
	}
	rows, err := s.scanList(ctx, q, `SELECT `+listColumns+` FROM `+from+w.SQL()+` ORDER BY `+order+fmt.Sprintf(` LIMIT %d OFFSET %d`, limit, skip), w.Args())
	if err != nil || desc {
		return rows, err
	}
	slices.Reverse(rows)
	return rows, nil
}

const listColumns = `order_no, site, title, method, total, buyer_name, buyer_login, ordered_day, paid_day, status, tax_invoice, refunded, gateway <> ''`

func (s *Service) scanList(ctx context.Context, q sqldb.Querier, query string, args []any) ([]ListRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ListRow
	for rows.Next() {
		var r ListRow
		if err := rows.Scan(&r.OrderNo, &r.Site, &r.Title, &r.Method, &r.Total, &r.BuyerName, &r.BuyerLogin, &r.OrderedDay, &r.PaidDay,
			&r.Status, &r.TaxInvoice, &r.Refunded, &r.HasTx); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
