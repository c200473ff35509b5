package settlement

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/settlement/formula"
)

// compiled is a rule version ready to run.
type compiled struct {
	Rule
	sale, settle, prepaid, margin, payment *formula.Program
	rate                                   *big.Rat
	rateQ                                  formula.Q // rate / 100, when it fits (rateOK)
	rateOK                                 bool
	codes                                  []string
}

// compile returns the rule version ready to run; a version is immutable, so
// it is compiled once per service (one database).
func (s *Service) compile(r Rule) (*compiled, error) {
	if c, ok := s.cache.Load(r.VersionID); ok {
		return c.(*compiled), nil
	}
	c, err := compileRule(r)
	if err != nil {
		return nil, err
	}
	s.cache.Store(r.VersionID, c)
	return c, nil
}

// compileRule compiles a rule's formulas (a draft is compiled without the cache).
func compileRule(r Rule) (*compiled, error) {
	c := &compiled{Rule: r, codes: codes(r.ProductCodes)}
	var err error
	for _, f := range []struct {
		src string
		dst **formula.Program
	}{{r.Sale, &c.sale}, {r.Settle, &c.settle}, {r.Prepaid, &c.prepaid}, {r.Margin, &c.margin}, {r.Payment, &c.payment}} {
		if strings.TrimSpace(f.src) == "" {
			continue
		}
		if *f.dst, err = formula.Compile(f.src); err != nil {
			return nil, err
		}
	}
	c.rate = new(big.Rat)
	if r.Rate != "" {
		if _, ok := c.rate.SetString(r.Rate); !ok {
			return nil, fmt.Errorf("정산요율을 읽을 수 없습니다: %q", r.Rate)
		}
	}
	c.rateQ, c.rateOK = formula.QOf(new(big.Rat).Quo(c.rate, big.NewRat(100, 1)))
	return c, nil
}

// line is a marketplace order line with what its formulas read.
type line struct {
	id, bundleID, firstInBundle                   int64
	orderNo, sub, day, code, option               string
	payType, orgTrans, status, codes              string
	qty, shopPrice                                int64
	cancelled                                     bool
	supplierID                                    *int64
	m                                             matchAgg // its matched catalogue products, per marketplace unit
	cntOrder, cntOrderSeq, cancelOrder, cancelQty int64
	totOrder, totProducts, usertrans              int64
	codeAt                                        int  // where its codes' texts start in the batch's code arena
	slow                                          bool // its codes are read through encoding/json: evaluated by Eval
}

// Choose picks the rule of a line: enabled rules of its marketplace whose
// period holds the order day, whose supplier (if any) is the line's and whose
// product codes (if any) hold its code. The highest priority wins; on a tie
// a rule with product codes beats one with only a supplier, which beats one
// with neither; then the newest. It returns why no rule covers the line.
func choose(rules []*compiled, l *line) (*compiled, string) {
	var best *compiled
	specific := func(c *compiled) int {
		switch {
		case len(c.codes) > 0:
			return 2
		case c.SupplierID != nil:
			return 1
		}
		return 0
	}
	for _, c := range rules {
		if !c.Enabled || (c.PeriodFrom != "" && l.day < c.PeriodFrom) || (c.PeriodTo != "" && l.day > c.PeriodTo) {
			continue
		}
		if c.SupplierID != nil && (l.supplierID == nil || *l.supplierID != *c.SupplierID) {
			continue
		}
		if len(c.codes) > 0 && !slices.Contains(c.codes, l.code) {
			continue
		}
		if best == nil || c.Priority > best.Priority ||
			c.Priority == best.Priority && (specific(c) > specific(best) || specific(c) == specific(best) && c.ID > best.ID) {
			best = c
		}
	}
	if best == nil {
		if len(rules) == 0 {
			return nil, "이 판매처의 정산룰이 없습니다"
		}
		return nil, "기간·공급처·상품코드가 맞는 정산룰이 없습니다"
	}
	return best, ""
}

// result is one line's settlement before writing.
type result struct {
	l                                      *line // in the batch's lines
	rule                                   *compiled
	failed                                 *compiled // the rule whose formula failed on this line
	sale, settle, prepaid, margin, payment amount
	reason                                 string
}

// amount is an exact amount: an int64 fraction, or a big.Rat when it does
// not fit in one.
type amount struct {
	q   formula.Q
	big *big.Rat
}

func (a amount) rat() *big.Rat {
	switch {
	case a.big != nil:
		return a.big
	case a.q.D == 0:
		return new(big.Rat)
	}
	return a.q.Rat()
}

func (a amount) isInt() bool {
	switch {
	case a.big != nil:
		return a.big.IsInt()
	case a.q.D == 0:
		return true
	}
	return a.q.IsInt()
}

// round rounds the amount to the won by the rule's mode.
func (a amount) round(mode string) int64 {
	switch {
	case a.big != nil:
		return roundWon(a.big, mode)
	case a.q.D == 0:
		return 0
	}
	return a.q.Round(mode)
}

// SettleOrderNos settles every line of the given order numbers of one
// marketplace in the caller's transaction. The same inputs always give the
// same rows; a line keeps the rule version that settled it (see keptRules).
func (s *Service) SettleOrderNos(ctx context.Context, tx *sqldb.Tx, marketplaceID int64, orderNos []string) error {
	orderNos, err := bundleOrderNos(ctx, tx, marketplaceID, orderNos)
	if err != nil {
		return err
	}
	_, err = s.settleOrderNos(ctx, tx, marketplaceID, orderNos, 0, nil, true)
	return err
}

// SettleDays settles again every line of the marketplace on the given order
// days, when one of its rules reads usertrans_cnt (the day's prepaid
// bundles). An import settles batch by batch, so a line settled before the
// rest of its day was stored counted only the bundles stored then, and the
// lines of an earlier import of the same day were not settled at all; after
// the import every line of those days counts the whole day, as a recompute
// counts it. Each line keeps the rule version that settled it (keptRules), so
// the rules that count are those in force and the versions the days' lines
// keep; when none of them reads usertrans_cnt it does nothing.
func (s *Service) SettleDays(ctx context.Context, tx *sqldb.Tx, marketplaceID int64, days []string) error {
	if len(days) == 0 {
		return nil
	}
	rules, err := s.rulesOf(ctx, tx, marketplaceID)
	if err != nil {
		return err
	}
	if !neededVars(rules)["usertrans_cnt"] {
		var w sqldb.Where
		w.In("order_day", days)
		w.Add("marketplace_id = ?", marketplaceID)
		w.Add("rule_version_id IS NOT NULL")
		var ids []int64
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT rule_version_id FROM market_settlements`+w.SQL(), w.Args()...)
		err = sqldb.ScanEach(rows, err, func(row sqldb.Scanner) error {
			var id int64
			err := row.Scan(&id)
			ids = append(ids, id)
			return err
		})
		if err != nil {
			return err
		}
		kept, err := s.versionsByID(ctx, tx, marketplaceID, ids)
		if err != nil || !neededVars(slices.Collect(maps.Values(kept)))["usertrans_cnt"] {
			return err
		}
	}
	var w sqldb.Where
	w.Add("marketplace_id = ?", marketplaceID)
	w.In("order_day", days)
	var nos []string
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT order_no FROM market_orders`+w.SQL()+` ORDER BY order_no`, w.Args()...)
	err = sqldb.ScanEach(rows, err, func(row sqldb.Scanner) error {
		var no string
		err := row.Scan(&no)
		nos = append(nos, no)
		return err
	})
	if err != nil {
		return err
	}
	prepaid := dayCounts{} // each day counted once, now that it is whole
	for start := 0; start < len(nos); start += settleDaysBatch {
		part, err := bundleOrderNos(ctx, tx, marketplaceID, nos[start:min(start+settleDaysBatch, len(nos))])
		if err != nil {
			return err
		}
		if _, err := s.settleOrderNos(ctx, tx, marketplaceID, part, 0, prepaid, true); err != nil {
			return err
		}
	}
	return nil
}

// settleDaysBatch is how many order numbers SettleDays settles at a time.
const settleDaysBatch = 5000

// bundleOrderNos adds to orderNos the other order numbers that share a
// bundle with them: a bundle's shipping sits on its first live line, which
// may belong to another order number (a cancelled line moves it).
func bundleOrderNos(ctx context.Context, q sqldb.Querier, marketplaceID int64, orderNos []string) ([]string, error) {
	seen := make(map[string]bool, len(orderNos))
	out := make([]string, 0, len(orderNos))
	for _, n := range orderNos {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for start := 0; start < len(orderNos); start += 500 {
		var w sqldb.Where
		w.Add("marketplace_id = ?", marketplaceID)
		w.In("order_no", orderNos[start:min(start+500, len(orderNos))])
		mp := w.Arg(marketplaceID)
		rows, err := q.QueryContext(ctx, `SELECT DISTINCT order_no FROM market_orders WHERE marketplace_id = `+mp+` AND bundle_id IN (SELECT bundle_id FROM market_orders`+
			w.SQL()+`)`, w.Args()...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, err
			}
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// settleOrderNos settles with the prepaid-bundle counts per day given (a
// recompute counts them once for its whole range), or counted here; expect
// is as loadLines reads it (0 for order numbers that are not a run). With
// keep, a line settled by a rule keeps that rule's version (keptRules);
// without, every line gets the rules in force (정산 재생성). It returns how
// many lines' settlement changed.
func (s *Service) settleOrderNos(ctx context.Context, tx *sqldb.Tx, marketplaceID int64, orderNos []string, expect int, prepaid dayCounts, keep bool) (int, error) {
	if len(orderNos) == 0 {
		return 0, nil
	}
	rules, err := s.rulesOf(ctx, tx, marketplaceID)
	if err != nil {
		return 0, err
	}
	need := neededVars(rules)
	b, err := loadLines(ctx, tx, marketplaceID, orderNos, expect, prepaid, need)
	if err != nil {
		return 0, err
	}
	var kept map[int64]*compiled
	if keep {
		if kept, err = s.keptRules(ctx, tx, marketplaceID, b.lines, rules); err != nil {
			return 0, err
		}
		// A kept version may read what the rules in force do not: the
		// lines are read again with it (rare: an old version's variable).
		more := false
		for _, c := range kept {
			for n := range neededVars([]*compiled{c}) {
				if !need[n] {
					need[n], more = true, true
				}
			}
		}
		if more {
			if b, err = loadLines(ctx, tx, marketplaceID, orderNos, expect, prepaid, need); err != nil {
				return 0, err
			}
		}
	}
	rows := finalRows(settleLines(rules, b, kept))
	// The lines of a closed month keep their stored rows (정산마감).
	closed, err := ClosedMonths(ctx, tx, marketplaceID)
	if err != nil {
		return 0, err
	}
	if len(closed) > 0 {
		rows = slices.DeleteFunc(rows, func(r row) bool { return len(r.day) >= 7 && closed[r.day[:7]] })
	}
	// A line whose cancellation a closed month booked as an adjustment keeps
	// its stored row after the month reopens: the adjustment reverses exactly
	// that row (LateCancel), and settling it anew would leave the difference.
	adjusted, err := cancelAdjusted(ctx, tx, marketplaceID, rows)
	if err != nil {
		return 0, err
	}
	if len(adjusted) > 0 {
		rows = slices.DeleteFunc(rows, func(r row) bool { return adjusted[r.id] })
	}
	if err := checkVersions(ctx, tx, marketplaceID, rows); err != nil {
		return 0, err
	}
	return writeResults(ctx, tx, marketplaceID, rows)
}

// cancelAdjusted returns which of the rows' lines carry a cancellation
// booked as an adjustment; one small query when the marketplace has none.
func cancelAdjusted(ctx context.Context, q sqldb.Querier, marketplaceID int64, rows []row) (map[int64]bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM settlement_adjustments WHERE marketplace_id = $1 AND kind = 'cancel' LIMIT 1`, marketplaceID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) || len(rows) == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for start := 0; start < len(rows); start += lineChunk {
		ids := make([]int64, 0, lineChunk)
		for _, r := range rows[start:min(start+lineChunk, len(rows))] {
			ids = append(ids, r.id)
		}
		var w sqldb.Where
		w.Add("kind = 'cancel'")
		w.InInt("market_order_id", ids)
		rs, err := q.QueryContext(ctx, `SELECT market_order_id FROM settlement_adjustments`+w.SQL(), w.Args()...)
		err = sqldb.ScanEach(rs, err, func(row sqldb.Scanner) error {
			var id int64
			err := row.Scan(&id)
			out[id] = true
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// settleLines is the one settlement calculation: each line's rule, its
// formulas' exact values, and the shares of an order number's lines. Settling,
// recompute and the rule screen's preview all go through it. The lines are
// in order of order number (loadLines gives them so). A line in kept (by
// line id) is settled by the version given; the others choose among rules,
// and take the version of the chosen rule that another line of their order
// number keeps, so that an order's lines share one version of a rule (their
// amounts add up to the order's total, see shareOrderTotals).
func settleLines(rules []*compiled, b *batch, kept map[int64]*compiled) []result {
	var orderKept map[string]map[int64]*compiled // order number → rule id → the version its lines keep
	for i := range b.lines {
		if c := kept[b.lines[i].id]; c != nil {
			if orderKept == nil {
				orderKept = map[string]map[int64]*compiled{}
			}
			no := b.lines[i].orderNo
			if orderKept[no] == nil {
				orderKept[no] = map[int64]*compiled{}
			}
			if orderKept[no][c.ID] == nil {
				orderKept[no][c.ID] = c
			}
		}
	}
	results := make([]result, 0, len(b.lines))
	row := new(formula.Row)
	for i := range b.lines {
		l := &b.lines[i]
		r := result{l: l}
		if c := kept[l.id]; c != nil {
			r.rule = c
		} else if r.rule, r.reason = choose(rules, l); r.rule != nil {
			if c := orderKept[l.orderNo][r.rule.ID]; c != nil {
				r.rule = c
			}
		}
		if r.rule != nil {
			b.fill(row, l)
			if err := evalLine(&r, row, b.need); err != nil {
				r.failed, r.rule, r.reason = r.rule, nil, "수식 오류: "+err.Error()
			}
		}
		results = append(results, r)
	}
	shareOrderTotals(results)
	return results
}

type row struct {
	id                                     int64
	day                                    string
	ver                                    any
	sale, settle, prepaid, margin, payment int64
	reason                                 string
}

// finalRows rounds the results to the won by each rule's mode, as stored. The
// bundle-level amounts (선결제처리, 배송마진) count once per bundle, on its
// first line that is not cancelled; a bundle whose lines are all cancelled
// has none.
func finalRows(results []result) []row {
	rows := make([]row, 0, len(results))
	for _, r := range results {
		w := row{id: r.l.id, day: r.l.day, reason: r.reason}
		if r.rule != nil {
			w.ver = r.rule.VersionID
			mode := r.rule.Rounding
			w.sale, w.settle, w.payment = r.sale.round(mode), r.settle.round(mode), r.payment.round(mode)
			if r.l.firstInBundle == r.l.id {
				w.prepaid, w.margin = r.prepaid.round(mode), r.margin.round(mode)
			}
		}
		rows = append(rows, w)
	}
	return rows
}

// settlementsBulk writes settlement rows: a line settled before is updated
// only when its settlement changed.
var settlementsBulk = sqldb.Bulk{Table: "market_settlements",
	Columns:  []string{"market_order_id", "marketplace_id", "order_day", "rule_version_id", "sale", "settle", "prepaid", "margin", "payment", "unsettled"},
	Conflict: []string{"market_order_id"}, Replace: true, Changed: true}

// writeResults stores the settlement rows in bulk (sqldb.WriteRows) and
// returns how many lines' settlement changed (a line not settled before
// counts as changed); an unchanged row is not written again.
func writeResults(ctx context.Context, tx *sqldb.Tx, marketplaceID int64, rows []row) (int, error) {
	const per = 5000
	vals := make([][]any, 0, min(len(rows), per))
	cells := make([]any, 0, min(len(rows), per)*10)
	changed := 0
	for start := 0; start < len(rows); start += per {
		vals, cells = vals[:0], cells[:0]
		for _, w := range rows[start:min(start+per, len(rows))] {
			n := len(cells)
			cells = append(cells, w.id, marketplaceID, w.day, w.ver, w.sale, w.settle, w.prepaid, w.margin, w.payment, w.reason)
			vals = append(vals, cells[n:len(cells):len(cells)])
		}
		n, err := tx.WriteRowsCount(ctx, settlementsBulk, vals)
		if err != nil {
			return changed, err
		}
		changed += int(n)
	}
	return changed, nil
}

// evalLine computes the line's amounts by its rule: on the formula Row
// (int64 fractions, no allocation) when it can, else by Eval on the line's
// variables, which gives the same value or the error. An error names the
// rule, its version and the formula (the line is stored unsettled with it).
func evalLine(r *result, row *formula.Row, need map[string]bool) error {
	var vars formula.Vars
	run := func(label string, p *formula.Program) (amount, error) {
		if p == nil {
			return amount{q: formula.QInt(0)}, nil
		}
		if !r.l.slow {
			if q, ok := p.EvalRow(row); ok {
				if w := q.Round(r.rule.Rounding); w <= formula.MaxAmount && w >= -formula.MaxAmount {
					return amount{q: q}, nil
				}
			}
		}
		if vars == nil {
			var err error
			if vars, err = r.l.vars(need); err != nil {
				return amount{}, err
			}
		}
		v, err := p.Eval(vars)
		if err == nil {
			_, err = formula.Won(v, r.rule.Rounding)
		}
		if err != nil {
			return amount{}, fmt.Errorf("정산룰 %q(v%d) %s: %w", r.rule.Title, r.rule.Version, label, err)
		}
		if q, ok := formula.QOf(v); ok {
			return amount{q: q}, nil
		}
		return amount{big: v}, nil
	}
	var err error
	if r.sale, err = run("총판매금액", r.rule.sale); err != nil {
		return err
	}
	if r.rule.settle != nil {
		if r.settle, err = run("정산예정금액", r.rule.settle); err != nil {
			return err
		}
	} else if q, ok := formula.MulQ(r.sale.q, r.rule.rateQ); ok && r.sale.big == nil && r.rule.rateOK &&
		q.Round(r.rule.Rounding) <= formula.MaxAmount && q.Round(r.rule.Rounding) >= -formula.MaxAmount {
		r.settle = amount{q: q}
	} else {
		v := new(big.Rat).Mul(r.sale.rat(), r.rule.rate)
		v.Quo(v, big.NewRat(100, 1))
		if _, err := formula.Won(v, r.rule.Rounding); err != nil {
			return fmt.Errorf("정산룰 %q(v%d) 정산예정금액: %w", r.rule.Title, r.rule.Version, err)
		}
		r.settle = amount{big: v}
	}
	if r.prepaid, err = run("선결제처리", r.rule.prepaid); err != nil {
		return err
	}
	if r.margin, err = run("배송마진", r.rule.margin); err != nil {
		return err
	}
	r.payment, err = run("결제금액", r.rule.payment)
	return err
}

// roundWon rounds an exact amount to the won by the rule's mode. evalLine
// has refused amounts beyond formula.MaxAmount, so the sums of an order's
// lines fit in int64.
func roundWon(r *big.Rat, mode string) int64 {
	if r == nil {
		return 0
	}
	return formula.RoundInt(r, mode).Int64()
}

// shareOrderTotals makes the lines of one order number (and rule) add up to
// their rounded total: an amount shared by several rows (shop_price /
// cnt_order) is never 9,999 of 10,000. The results are in order of order
// number.
func shareOrderTotals(results []result) {
	var idx []int
	for start := 0; start < len(results); {
		end := start + 1
		for end < len(results) && results[end].l.orderNo == results[start].l.orderNo {
			end++
		}
		for i := start; i < end && end-start > 1; i++ {
			r := &results[i]
			if r.rule == nil || slices.ContainsFunc(results[start:i], func(o result) bool { return o.rule != nil && o.rule.VersionID == r.rule.VersionID }) {
				continue // no rule, or its rule's lines were shared already
			}
			idx = idx[:0]
			for j := i; j < end; j++ {
				if results[j].rule != nil && results[j].rule.VersionID == r.rule.VersionID {
					idx = append(idx, j)
				}
			}
			if len(idx) < 2 {
				continue
			}
			distribute(results, idx, func(r *result) *amount { return &r.sale })
			distribute(results, idx, func(r *result) *amount { return &r.settle })
		}
		start = end
	}
}

// distribute is the sharing rule, the same for every rounding mode: the
// order's exact total is rounded by the rule's mode; each line starts at its
// own value rounded by that mode; the difference (at most one won a line) is
// taken from or given to the lines that rounding moved furthest: a won more
// to the lines rounded furthest down, a won less to those rounded furthest
// up; on a tie the earlier line ends further from zero. So the lines add up to the rounded total and
// each is within one won of its own rounded value: under 절상 three lines of
// 3,333⅓ (total 10,000) become 3,334 / 3,333 / 3,333.
func distribute(results []result, idx []int, field func(*result) *amount) {
	mode := results[idx[0]].rule.Rounding
	whole := true
	for _, i := range idx {
		if !field(&results[i]).isInt() {
			whole = false
			break
		}
	}
	if whole {
		return // whole won already add up to their total, in every mode
	}
	total := new(big.Rat)
	for _, i := range idx {
		total.Add(total, field(&results[i]).rat())
	}
	want := roundWon(total, mode)
	type part struct {
		i    int
		base int64
		frac *big.Rat // exact − rounded: > 0 when rounded down
	}
	parts := make([]part, len(idx))
	var sum int64
	for k, i := range idx {
		v := field(&results[i]).rat()
		b := roundWon(v, mode)
		parts[k] = part{i: i, base: b, frac: new(big.Rat).Sub(v, new(big.Rat).SetInt64(b))}
		sum += b
	}
	step := int64(1)
	if sum > want {
		step = -1
	}
	away := (step > 0) == (total.Sign() >= 0) // the adjustment moves lines away from zero

	sort.SliceStable(parts, func(a, b int) bool {
		if c := parts[a].frac.Cmp(parts[b].frac); c != 0 {
			return c*int(step) > 0
		}
		return (results[parts[a].i].l.id < results[parts[b].i].l.id) == away
	})
	for k := 0; sum != want; k++ {
		parts[k%len(parts)].base += step
		sum += step
	}
	for _, p := range parts {
		*field(&results[p.i]) = amount{q: formula.QInt(p.base)}
	}
}

func (s *Service) rulesOf(ctx context.Context, q sqldb.Querier, marketplaceID int64) ([]*compiled, error) {
	return s.compiledRules(ctx, q, `SELECT `+ruleColumns+ruleFrom+` WHERE r.deleted = FALSE AND r.marketplace_id = $1`, marketplaceID)
}

// compiledRules reads rule versions (rows of ruleColumns) and compiles them;
// a saved version always compiles, and one that does not settles nothing.
func (s *Service) compiledRules(ctx context.Context, q sqldb.Querier, query string, args ...any) ([]*compiled, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var list []Rule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*compiled
	for _, r := range list {
		if c, err := s.compile(r); err == nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// versionsByID compiles the marketplace's rule versions ids (deleted
// rules' too: versions lines keep), by version id.
func (s *Service) versionsByID(ctx context.Context, q sqldb.Querier, marketplaceID int64, ids []int64) (map[int64]*compiled, error) {
	out := make(map[int64]*compiled, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var w sqldb.Where
	w.Add("r.marketplace_id = ?", marketplaceID)
	w.InInt("v.id", ids)
	list, err := s.compiledRules(ctx, q, `SELECT `+ruleColumns+` FROM settlement_rules r JOIN settlement_rule_versions v ON v.rule_id = r.id
		JOIN marketplaces m ON m.id = r.marketplace_id`+w.SQL(), w.Args()...)
	for _, c := range list {
		out[c.VersionID] = c
	}
	return out, err
}

// Which rule settles a line.
//
// A line is settled by the rules in force when a rule first settles it, and
// keeps that rule's version from then on: settling it again because an import
// stored or cancelled lines of its order number, bundle or day, or a split or
// join moved its bundle, recomputes its amounts with the inputs as they are
// now and the same version. Only 정산 재생성 (Recompute) applies the rules in
// force to lines settled before, as the manual has a saved rule apply to the
// orders after it ("저장한 시점 이후 주문들에 정산룰이 적용됩니다"). A line no
// rule has settled (none covered it, or a formula failed on it) is settled by
// the rules in force whenever it is settled.

// lineChunk is how many line ids keptRules and cancelAdjusted ask about in
// one query.
const lineChunk = 1000

// keptRules returns, by line id, the rule version each of lines was settled
// by: one of rules (those in force), or an earlier version.
func (s *Service) keptRules(ctx context.Context, q sqldb.Querier, marketplaceID int64, lines []line, rules []*compiled) (map[int64]*compiled, error) {
	ids := make([]int64, len(lines))
	for i := range lines {
		ids[i] = lines[i].id
	}
	byLine := map[int64]int64{}
	for start := 0; start < len(ids); start += lineChunk {
		var w sqldb.Where
		w.Add("rule_version_id IS NOT NULL")
		w.InInt("market_order_id", ids[start:min(start+lineChunk, len(ids))])
		rows, err := q.QueryContext(ctx, `SELECT market_order_id, rule_version_id FROM market_settlements`+w.SQL(), w.Args()...)
		err = sqldb.ScanEach(rows, err, func(row sqldb.Scanner) error {
			var id, ver int64
			err := row.Scan(&id, &ver)
			byLine[id] = ver
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	versions := make(map[int64]*compiled, len(rules))
	for _, c := range rules {
		versions[c.VersionID] = c
	}
	var older []int64
	for _, ver := range byLine {
		if versions[ver] == nil && !slices.Contains(older, ver) {
			older = append(older, ver)
		}
	}
	more, err := s.versionsByID(ctx, q, marketplaceID, older)
	if err != nil {
		return nil, err
	}
	maps.Copy(versions, more)
	kept := make(map[int64]*compiled, len(byLine))
	for id, ver := range byLine {
		if c := versions[ver]; c != nil {
			kept[id] = c
		}
	}
	return kept, nil
}

// anyCode is the key of neededVars that says some settlement code is read.
const anyCode = "\x00code"

// neededVars names the variables the rules' formulas read (a line's other
// variables are never looked at, so they are not built): codeN_c also needs
// codeN, whose text it falls back to; a rule of some product codes needs
// product_code to be chosen.
func neededVars(rules []*compiled) map[string]bool {
	need := map[string]bool{}
	for _, c := range rules {
		if len(c.codes) > 0 {
			need["product_code"] = true // choose reads it
		}
		for _, p := range []*formula.Program{c.sale, c.settle, c.prepaid, c.margin, c.payment} {
			if p == nil {
				continue
			}
			for _, n := range p.Names {
				need[n] = true
				if strings.HasPrefix(n, "code") {
					need[anyCode] = true
					need[strings.TrimSuffix(n, "_c")] = true
				}
			}
		}
	}
	return need
}
