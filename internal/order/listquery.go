package order

import (
	"context"
	"fmt"
	"math"
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
//   - A page of such a filter is found from the same rollups (listwalk.go):
//     whole months and days before it are skipped by their counts, and one
//     query reads it between the order numbers of its days, walking the
//     covering index orders_list, on both engines; where matches are too
//     sparse there, the filter's own index and a sort. A page past the
//     middle walks from the other end.
//   - A keyword's page walks orders_list newest first from the highest
//     order number the day range can hold when that reads fewer rows than
//     a sort of its matches (SQLite, told the index by INDEXED BY); on
//     PostgreSQL its planner chooses.
//   - On PostgreSQL every query of the list is planned for its values
//     (sqldb's Planned), never by a generic plan.
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
// counting rollup (order_day_counts, order_month_counts).
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

// rollupTotal sums the rollups for a filter without a keyword: its matches
// by order month (byMonth), added up.
func (s *Service) rollupTotal(ctx context.Context, q sqldb.Querier, a access.Actor, f Filter) (int, error) {
	months, err := s.byMonth(ctx, q, a, f)
	if err != nil {
		return 0, fmt.Errorf("주문목록 total: %w", err)
	}
	total := 0
	for _, n := range months {
		total += n
	}
	return total, nil
}

// orderNoBounds are the lowest and highest order numbers that the filter's
// day ranges can hold (order_days); an order is paid on or after the day it
// is ordered, so a payment range ends the order days too.
func orderNoBounds(ctx context.Context, q sqldb.Querier, db *sqldb.DB, f Filter) (lo, hi int64, err error) {
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
	err = q.QueryRowContext(ctx, `SELECT COALESCE(MIN(min_no), 0), COALESCE(MAX(max_no), -1) FROM order_days`+w.SQL(), db.Planned(w.Args())...).Scan(&lo, &hi)
	return lo, hi, err
}

// readPage reads the page of f whose total is total; months are its matches
// by order month (nil for a keyword, which the rollups do not count).
func (s *Service) readPage(ctx context.Context, q sqldb.Querier, a access.Actor, f Filter, w sqldb.Where, total int, months map[string]int) ([]ListRow, error) {
	per := f.PerPage
	// skip rows newest first (desc) or oldest first, after the bound.
	desc, skip, limit := true, f.Offset(), per
	var bound string
	cutLo, cutHi := int64(math.MinInt64), int64(math.MaxInt64)
	switch {
	case f.Anchor > 0 && f.Page >= f.AnchorPage:
		bound, skip, cutHi = "order_no <= ?", (f.Page-f.AnchorPage)*per, f.Anchor
	case f.Anchor > 0:
		bound, desc, skip, cutLo = "order_no > ?", false, (f.AnchorPage-f.Page-1)*per, f.Anchor+1
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
	dir := ""
	if desc {
		dir = " DESC"
	}
	read := func(from, order string, skip int) ([]ListRow, error) {
		rows, err := s.scanList(ctx, q, `SELECT `+listColumns+` FROM `+from+w.SQL()+` ORDER BY `+order+dir+fmt.Sprintf(` LIMIT %d OFFSET %d`, limit, skip), w.Args())
		if err != nil || desc {
			return rows, err
		}
		slices.Reverse(rows)
		return rows, nil
	}
	hint := sqldb.IndexedBy(s.DB, "orders_list")
	// The sort reads every match, each from the table.
	sorted := float64(total) * 4
	if months != nil {
		plan, err := s.planWalk(ctx, q, a, f, months, desc, skip, limit, cutLo, cutHi)
		if err != nil || plan.empty {
			return nil, err
		}
		// Index rows the walk reads: the bounds' order numbers, in the
		// share of the matches between them that the page needs.
		walk := float64(plan.hi-plan.lo+1) * min(1, float64(plan.skip+limit)/float64(max(plan.rows, 1)))
		if walk <= sorted {
			w.Add("order_no >= ? AND order_no <= ?", plan.lo, plan.hi)
			return read("orders"+hint, "order_no", plan.skip)
		}
		// Sparse matches: the filter's own index and a sort; + keeps the
		// engine off the order-number indexes.
		if bound != "" {
			w.Add(bound, f.Anchor)
		}
		return read("orders", "+order_no", skip)
	}
	lo, hi, err := orderNoBounds(ctx, q, s.DB, f)
	if err != nil {
		return nil, err
	}
	if hi < lo {
		return nil, nil
	}
	// Rows the walk reads: (skip + limit) matches at the density of matches
	// among the orders the bounds hold.
	region, err := s.rollupTotal(ctx, q, a, Filter{Site: f.Site, IncludePending: true})
	if err != nil {
		return nil, err
	}
	walk := float64(skip+limit) * float64(max(region, 1)) / float64(max(total, 1))
	if bound != "" {
		w.Add(bound, f.Anchor)
	}
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
		return read("orders", "order_no", skip)
	case walk <= sorted:
		w.Add("order_no >= ? AND order_no <= ?", lo, hi)
		return read("orders"+hint, "order_no", skip)
	default:
		// The filter's own index and a sort: + keeps the engine off the
		// order-number indexes, and so do the missing bounds.
		return read("orders", "+order_no", skip)
	}
}

const listColumns = `order_no, site, title, method, total, buyer_name, buyer_login, ordered_day, paid_day, status, tax_invoice, refunded, gateway <> ''`

func (s *Service) scanList(ctx context.Context, q sqldb.Querier, query string, args []any) ([]ListRow, error) {
	rows, err := q.QueryContext(ctx, query, s.DB.Planned(args)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ListRow
	for rows.Next() {
		r, err := scanListRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
