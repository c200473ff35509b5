package order

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// A page of a filter without a keyword is found from the rollups before any
// order is read (both engines, one code path):
//
//   - The filter's matches by order month come from the rollups (the same
//     parts as its total), and each month's order numbers from order_days.
//     Months whose order numbers overlap (an order placed at 23:59:59 may
//     take its number after one of the next day) are merged into one span,
//     so that a span's order numbers hold every match of its months and no
//     other match. Whole spans before the page are skipped by their counts.
//   - The span where the page starts is cut the same way into days (the day
//     rollup), and whole days before the page are skipped too.
//   - One query then reads the page: the filter between the order numbers of
//     the page's first day and the end of the span where the page ends,
//     newest first (or oldest first past the middle), with an offset smaller
//     than one day's matches. The order-number range is narrow, so each
//     engine walks an order-number index (SQLite is told orders_list, which
//     holds every filter column; PostgreSQL's planner takes orders_list for
//     a narrow range and checks the other columns in the index).
//
// An anchor (the pager's link) cuts the spans at its order number; the day it
// falls in is counted by a COUNT over that day's order numbers when the page
// starts after it. Where the matches between the page's bounds are too sparse
// for the walk (reading more index rows than a sort of all the filter's
// matches), the filter's own index and a sort read the page.

// span is an interval of order numbers that holds every order of some order
// months (or days), n of them matching the filter.
type span struct {
	lo, hi   int64
	n        int
	from, to string // the first and last month (or day) it holds
}

// spans merges the intervals of the months (or days) that have matches where
// they overlap; ascending. A key without bounds (order_days lacks it) makes
// one span of every order number: slow, never wrong.
func spans(bounds map[string][2]int64, counts map[string]int) []span {
	var out []span
	for k, n := range counts {
		if n <= 0 {
			continue
		}
		b, ok := bounds[k]
		if !ok {
			b = [2]int64{math.MinInt64 / 4, math.MaxInt64 / 4} // their difference fits an int64
		}
		out = append(out, span{lo: b[0], hi: b[1], n: n, from: k, to: k})
	}
	slices.SortFunc(out, func(x, y span) int {
		switch {
		case x.lo < y.lo:
			return -1
		case x.lo > y.lo:
			return 1
		}
		return 0
	})
	merged := out[:0]
	for _, s := range out {
		if l := len(merged) - 1; l >= 0 && s.lo <= merged[l].hi {
			m := &merged[l]
			m.hi, m.n = max(m.hi, s.hi), m.n+s.n
			m.from, m.to = min(m.from, s.from), max(m.to, s.to)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// byMonth is the filter's matches by order month, from the rollups: the
// whole months of its day ranges from order_month_counts, the days of the
// months they cut from order_day_counts.
func (s *Service) byMonth(ctx context.Context, q sqldb.Querier, a access.Actor, f Filter) (map[string]int, error) {
	ord, paid := cutRange(f.OrderedFrom, f.OrderedTo), cutRange(f.PaidFrom, f.PaidTo)
	type part struct {
		table, key string
		w          sqldb.Where
	}
	var parts []part
	if ord.hasMonths() && paid.hasMonths() { // whole months × whole months
		var w sqldb.Where
		ord.monthCond(&w, "ordered_month")
		paid.monthCond(&w, "paid_month")
		countConds(&w, a, f)
		parts = append(parts, part{"order_month_counts", "ordered_month", w})
	}
	if len(ord.edges) > 0 { // the cut days of the order range × the whole payment range
		var w sqldb.Where
		ord.edgeCond(&w, "ordered_day")
		paid.dayCond(&w, "paid_day")
		countConds(&w, a, f)
		parts = append(parts, part{"order_day_counts", "SUBSTR(ordered_day, 1, 7)", w})
	}
	if len(paid.edges) > 0 && ord.hasMonths() { // the whole months of the order range × the cut days of the payment range
		var w sqldb.Where
		paid.edgeCond(&w, "paid_day")
		ord.daysOfMonthsCond(&w, "ordered_day")
		countConds(&w, a, f)
		parts = append(parts, part{"order_day_counts", "SUBSTR(ordered_day, 1, 7)", w})
	}
	out := map[string]int{}
	for _, p := range parts {
		if err := s.sumBy(ctx, q, `SELECT `+p.key+`, SUM(n) FROM `+p.table+p.w.SQL()+` GROUP BY `+p.key, p.w.Args(), out); err != nil {
			return nil, fmt.Errorf("주문목록 counts: %w", err)
		}
	}
	return out, nil
}

// byDay is the filter's matches by order day within the months from … to.
func (s *Service) byDay(ctx context.Context, q sqldb.Querier, a access.Actor, f Filter, from, to string) (map[string]int, error) {
	var w sqldb.Where
	w.Add("ordered_day >= ? AND ordered_day <= ?", from+"-01", to+"-31")
	cutRange(f.OrderedFrom, f.OrderedTo).dayCond(&w, "ordered_day")
	cutRange(f.PaidFrom, f.PaidTo).dayCond(&w, "paid_day")
	countConds(&w, a, f)
	out := map[string]int{}
	if err := s.sumBy(ctx, q, `SELECT ordered_day, SUM(n) FROM order_day_counts`+w.SQL()+` GROUP BY ordered_day`, w.Args(), out); err != nil {
		return nil, fmt.Errorf("주문목록 counts by day: %w", err)
	}
	return out, nil
}

func (s *Service) sumBy(ctx context.Context, q sqldb.Querier, query string, args []any, out map[string]int) error {
	rows, err := q.QueryContext(ctx, query, s.DB.Planned(args)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		out[k] += n
	}
	return rows.Err()
}

// dayBounds reads order_days between two days; by month when months is set.
func (s *Service) dayBounds(ctx context.Context, q sqldb.Querier, from, to string, months bool) (map[string][2]int64, error) {
	key := "day"
	if months {
		key = "SUBSTR(day, 1, 7)"
	}
	rows, err := q.QueryContext(ctx, `SELECT `+key+`, MIN(min_no), MAX(max_no) FROM order_days WHERE day >= $1 AND day <= $2 GROUP BY `+key, s.DB.Planned([]any{from, to})...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][2]int64{}
	for rows.Next() {
		var k string
		var b [2]int64
		if err := rows.Scan(&k, &b[0], &b[1]); err != nil {
			return nil, err
		}
		out[k] = b
	}
	return out, rows.Err()
}

// keyRange is the first and last key of counts.
func keyRange(counts map[string]int) (string, string) {
	var lo, hi string
	for k, n := range counts {
		if n <= 0 {
			continue
		}
		if lo == "" || k < lo {
			lo = k
		}
		if k > hi {
			hi = k
		}
	}
	return lo, hi
}

// walkPlan is what the rollups say about a page: read the filter between lo
// and hi (order numbers), skipping skip matches from the walk's start, and
// rows, the matches between lo and hi (a lower bound).
type walkPlan struct {
	lo, hi     int64
	skip, rows int
	empty      bool
}

// planWalk finds the order numbers that hold the page: limit matches after
// skip, walking newest first (desc) or oldest first, among order numbers
// from cutLo to cutHi (an anchor's side).
func (s *Service) planWalk(ctx context.Context, q sqldb.Querier, a access.Actor, f Filter, months map[string]int, desc bool, skip, limit int, cutLo, cutHi int64) (walkPlan, error) {
	mLo, mHi := keyRange(months)
	if mLo == "" {
		return walkPlan{empty: true}, nil
	}
	mb, err := s.dayBounds(ctx, q, mLo+"-01", mHi+"-31", true)
	if err != nil {
		return walkPlan{}, err
	}
	// Every match lies between the order numbers the filter's days can hold
	// (a 결제일 range ends the order days too): the spans shrink to them and
	// keep their counts, so that a walk starts at the day range's last order,
	// not at its month's.
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if f.OrderedFrom != "" || f.OrderedTo != "" || f.PaidTo != "" {
		if lo, hi, err = orderNoBounds(ctx, q, s.DB, f); err != nil {
			return walkPlan{}, err
		}
	}
	ms := within(spans(mb, months), lo, hi)
	if desc {
		slices.Reverse(ms)
	}
	var plan walkPlan
	started := false
	need := limit
	// take adds the matches from c (a span clipped to the cut, n of them
	// known to match; -1 when not known) to the page's range.
	take := func(c span, n int) {
		if !started {
			started, plan.lo, plan.hi, plan.skip = true, c.lo, c.hi, skip
			if n >= 0 {
				n -= skip
			} else {
				need += skip // the offset's rows may lie beyond this span too
			}
			skip = 0
		}
		plan.lo, plan.hi = min(plan.lo, c.lo), max(plan.hi, c.hi)
		if n > 0 {
			need -= n
			plan.rows += n
		}
	}
	for _, m := range ms {
		c, whole := clip(m, cutLo, cutHi)
		if c.lo > c.hi {
			continue
		}
		n := m.n
		if !whole {
			n = -1 // the anchor cuts it: not known
		}
		switch {
		case whole && !started && m.n <= skip:
			skip -= m.n
			continue
		case started:
			take(c, n)
		case whole && float64(skip)*float64(c.hi-c.lo+1)/float64(m.n) <= refineRows,
			!whole && float64(skip) <= refineRows/4:
			// The page starts in this span and the offset's rows cost less
			// to walk than the day rollup of the span to read.
			take(c, n)
		default: // the page starts deep in this span: by day
			days, err := s.byDay(ctx, q, a, f, m.from, m.to)
			if err != nil {
				return walkPlan{}, err
			}
			dLo, dHi := keyRange(days)
			if dLo == "" {
				continue
			}
			db, err := s.dayBounds(ctx, q, dLo, dHi, false)
			if err != nil {
				return walkPlan{}, err
			}
			ds := within(spans(db, days), lo, hi)
			if desc {
				slices.Reverse(ds)
			}
			for _, d := range ds {
				c, whole := clip(d, cutLo, cutHi)
				if c.lo > c.hi {
					continue
				}
				n := d.n
				if !whole {
					if started || skip == 0 {
						take(c, -1)
						continue
					}
					if n, err = s.countBetween(ctx, q, a, f, c.lo, c.hi); err != nil {
						return walkPlan{}, err
					}
				}
				if !started && n <= skip {
					skip -= n
					continue
				}
				take(c, n)
				if need <= 0 {
					break
				}
			}
		}
		if need <= 0 {
			break
		}
	}
	if !started {
		plan.empty = true
	}
	return plan, nil
}

// within shrinks the spans to the order numbers from lo to hi, keeping their
// counts (no match lies outside), and drops those left empty.
func within(ss []span, lo, hi int64) []span {
	out := ss[:0]
	for _, s := range ss {
		s.lo, s.hi = max(s.lo, lo), min(s.hi, hi)
		if s.lo <= s.hi {
			out = append(out, s)
		}
	}
	return out
}

// refineRows is how many index rows an offset may walk before the span it
// falls in is cut into days: reading a month's day rollup (about 1,500 rows of
// order_day_counts here) costs about what walking this many index rows does.
var refineRows = 4096.0

// clip cuts s to the order numbers from lo to hi; whole when nothing is cut.
func clip(s span, lo, hi int64) (span, bool) {
	c := s
	c.lo, c.hi = max(s.lo, lo), min(s.hi, hi)
	return c, c.lo == s.lo && c.hi == s.hi
}

// countBetween counts the filter's orders between two order numbers.
func (s *Service) countBetween(ctx context.Context, q sqldb.Querier, a access.Actor, f Filter, lo, hi int64) (int, error) {
	w := s.where(a, f)
	w.Add("order_no >= ? AND order_no <= ?", lo, hi)
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders`+sqldb.IndexedBy(s.DB, "orders_list")+w.SQL(), s.DB.Planned(w.Args())...).Scan(&n)
	return n, err
}
