package settlement

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/settlement/formula"
)

// compiled is a rule version ready to run.
type compiled struct {
	Rule
	sale, settle, prepaid, margin, payment *formula.Program
	rate                                   *big.Rat
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
	return c, nil
}

// line is a marketplace order line with what its formulas read.
type line struct {
	id, marketplaceID, bundleID, firstInBundle int64
	orderNo, day, code, option                 string
	cancelled                                  bool
	supplierID                                 *int64
	vars                                       formula.Vars
}

// Choose picks the rule of a line: enabled rules of its marketplace whose
// period holds the order day, whose supplier (if any) is the line's and whose
// product codes (if any) hold its code. The highest priority wins; on a tie
// a rule with product codes beats one with only a supplier, which beats one
// with neither; then the newest. It returns why no rule covers the line.
func choose(rules []*compiled, l line) (*compiled, string) {
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
	l                                      line
	rule                                   *compiled
	failed                                 *compiled // the rule whose formula failed on this line
	sale, settle, prepaid, margin, payment *big.Rat
	reason                                 string
}

// SettleOrderNos settles every line of the given order numbers of one
// marketplace in the caller's transaction. The same inputs always give the
// same rows.
func (s *Service) SettleOrderNos(ctx context.Context, tx *sqldb.Tx, marketplaceID int64, orderNos []string) error {
	orderNos, err := bundleOrderNos(ctx, tx, marketplaceID, orderNos)
	if err != nil {
		return err
	}
	_, err = s.settleOrderNos(ctx, tx, marketplaceID, orderNos, nil)
	return err
}

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
// recompute counts them once for its whole range), or counted here. It
// returns how many lines' settlement changed.
func (s *Service) settleOrderNos(ctx context.Context, tx *sqldb.Tx, marketplaceID int64, orderNos []string, usertrans map[string]int64) (int, error) {
	if len(orderNos) == 0 {
		return 0, nil
	}
	rules, err := s.rulesOf(ctx, tx, marketplaceID)
	if err != nil {
		return 0, err
	}
	lines, err := loadLines(ctx, tx, marketplaceID, orderNos, usertrans, neededVars(rules))
	if err != nil {
		return 0, err
	}
	rows := finalRows(settleLines(rules, lines))
	// The lines of a closed month keep their stored rows (정산마감).
	closed, err := ClosedMonths(ctx, tx, marketplaceID)
	if err != nil {
		return 0, err
	}
	if len(closed) > 0 {
		rows = slices.DeleteFunc(rows, func(r row) bool { return len(r.day) >= 7 && closed[r.day[:7]] })
	}
	changed, err := changedRows(ctx, tx, rows)
	if err != nil {
		return 0, err
	}
	return changed, writeResults(ctx, tx, marketplaceID, rows)
}

// changedRows counts the rows that differ from what is stored (a line not
// settled before counts as changed). The stored rows are read by primary key
// in their own queries: joined to the lines' query, PostgreSQL's cached plan
// scanned the growing settlements table (a 1,000,000-line recompute took
// twice as long).
func changedRows(ctx context.Context, q sqldb.Querier, rows []row) (int, error) {
	stored := make(map[int64]row, len(rows))
	for start := 0; start < len(rows); start += 1000 {
		ids := make([]string, 0, 1000)
		for _, r := range rows[start:min(start+1000, len(rows))] {
			ids = append(ids, strconv.FormatInt(r.id, 10))
		}
		var w sqldb.Where
		w.In("market_order_id", ids)
		res, err := q.QueryContext(ctx, `SELECT market_order_id, COALESCE(rule_version_id, 0), sale, settle, prepaid, margin, payment, unsettled
			FROM market_settlements`+w.SQL(), w.Args()...)
		if err != nil {
			return 0, err
		}
		for res.Next() {
			var r row
			var ver int64
			if err := res.Scan(&r.id, &ver, &r.sale, &r.settle, &r.prepaid, &r.margin, &r.payment, &r.reason); err != nil {
				res.Close()
				return 0, err
			}
			r.ver = ver
			stored[r.id] = r
		}
		res.Close()
		if err := res.Err(); err != nil {
			return 0, err
		}
	}
	n := 0
	for _, r := range rows {
		old, ok := stored[r.id]
		ver := int64(0)
		if v, isInt := r.ver.(int64); isInt {
			ver = v
		}
		if !ok || old.ver.(int64) != ver || old.sale != r.sale || old.settle != r.settle || old.prepaid != r.prepaid || old.margin != r.margin ||
			old.payment != r.payment || old.reason != r.reason {
			n++
		}
	}
	return n, nil
}

// settleLines is the one settlement calculation: each line's rule, its
// formulas' exact values, and the shares of an order number's lines. Settling,
// recompute and the rule screen's preview all go through it.
func settleLines(rules []*compiled, lines []line) []result {
	results := make([]result, 0, len(lines))
	for _, l := range lines {
		r := result{l: l}
		r.rule, r.reason = choose(rules, l)
		if r.rule != nil {
			if err := evalLine(&r); err != nil {
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

const upsertTail = ` ON CONFLICT (market_order_id) DO UPDATE SET rule_version_id = excluded.rule_version_id,
	sale = excluded.sale, settle = excluded.settle, prepaid = excluded.prepaid, margin = excluded.margin, payment = excluded.payment,
	unsettled = excluded.unsettled, order_day = excluded.order_day`

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
			w.sale, w.settle, w.payment = roundWon(r.sale, mode), roundWon(r.settle, mode), roundWon(r.payment, mode)
			if r.l.firstInBundle == r.l.id {
				w.prepaid, w.margin = roundWon(r.prepaid, mode), roundWon(r.margin, mode)
			}
		}
		rows = append(rows, w)
	}
	return rows
}

// writeResults stores the settlement rows: on PostgreSQL multi-row
// statements of 500 rows, on SQLite one prepared statement reused.
func writeResults(ctx context.Context, tx *sqldb.Tx, marketplaceID int64, rows []row) error {
	if tx.Engine == sqldb.Postgres {
		// Multi-row statements (a round trip each), in the portable SQL subset
		// (no arrays or casts: CONVENTIONS.md).
		const per = 500
		for start := 0; start < len(rows); start += per {
			chunk := rows[start:min(start+per, len(rows))]
			var b strings.Builder
			args := make([]any, 0, len(chunk)*10)
			b.WriteString(`INSERT INTO market_settlements (market_order_id, marketplace_id, order_day, rule_version_id, sale, settle, prepaid, margin, payment, unsettled) VALUES `)
			for i, w := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				n := len(args)
				fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10)
				args = append(args, w.id, marketplaceID, w.day, w.ver, w.sale, w.settle, w.prepaid, w.margin, w.payment, w.reason)
			}
			b.WriteString(upsertTail)
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return err
			}
		}
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO market_settlements (market_order_id, marketplace_id, order_day, rule_version_id, sale, settle, prepaid, margin, payment, unsettled)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`+upsertTail)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, w := range rows {
		if _, err := stmt.ExecContext(ctx, w.id, marketplaceID, w.day, w.ver, w.sale, w.settle, w.prepaid, w.margin, w.payment, w.reason); err != nil {
			return err
		}
	}
	return nil
}

func zero() *big.Rat { return new(big.Rat) }

// evalLine computes the line's amounts by its rule. An error names the rule,
// its version and the formula (the line is stored unsettled with it).
func evalLine(r *result) error {
	run := func(label string, p *formula.Program) (*big.Rat, error) {
		if p == nil {
			return zero(), nil
		}
		v, err := p.Eval(r.l.vars)
		if err == nil {
			_, err = formula.Won(v, r.rule.Rounding)
		}
		if err != nil {
			return nil, fmt.Errorf("정산룰 %q(v%d) %s: %w", r.rule.Title, r.rule.Version, label, err)
		}
		return v, nil
	}
	var err error
	if r.sale, err = run("총판매금액", r.rule.sale); err != nil {
		return err
	}
	if r.rule.settle != nil {
		if r.settle, err = run("정산예정금액", r.rule.settle); err != nil {
			return err
		}
	} else {
		r.settle = new(big.Rat).Mul(r.sale, r.rule.rate)
		r.settle.Quo(r.settle, big.NewRat(100, 1))
		if _, err := formula.Won(r.settle, r.rule.Rounding); err != nil {
			return fmt.Errorf("정산룰 %q(v%d) 정산예정금액: %w", r.rule.Title, r.rule.Version, err)
		}
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
// cnt_order) is never 9,999 of 10,000.
func shareOrderTotals(results []result) {
	type key struct {
		orderNo string
		version int64
	}
	groups := map[key][]int{}
	for i, r := range results {
		if r.rule != nil {
			k := key{r.l.orderNo, r.rule.VersionID}
			groups[k] = append(groups[k], i)
		}
	}
	for _, idx := range groups {
		if len(idx) < 2 {
			continue
		}
		for _, field := range []func(*result) **big.Rat{func(r *result) **big.Rat { return &r.sale }, func(r *result) **big.Rat { return &r.settle }} {
			distribute(results, idx, field)
		}
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
func distribute(results []result, idx []int, field func(*result) **big.Rat) {
	mode := results[idx[0]].rule.Rounding
	whole := true
	for _, i := range idx {
		if !(*field(&results[i])).IsInt() {
			whole = false
			break
		}
	}
	if whole {
		return // whole won already add up to their total, in every mode
	}
	total := new(big.Rat)
	for _, i := range idx {
		total.Add(total, *field(&results[i]))
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
		v := *field(&results[i])
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
		*field(&results[p.i]) = new(big.Rat).SetInt64(p.base)
	}
}

func (s *Service) rulesOf(ctx context.Context, q sqldb.Querier, marketplaceID int64) ([]*compiled, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ruleColumns+ruleFrom+` WHERE r.deleted = FALSE AND r.marketplace_id = $1`, marketplaceID)
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
	var out []*compiled
	for _, r := range list {
		c, err := s.compile(r)
		if err != nil {
			continue // a saved rule always compiles; a broken one settles nothing
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// anyCode is the key of neededVars that says some settlement code is read.
const anyCode = "\x00code"

// neededVars names the variables the rules' formulas read (a line's other
// variables are never looked at, so they are not built): codeN_c also needs
// codeN, whose text it falls back to.
func neededVars(rules []*compiled) map[string]bool {
	need := map[string]bool{}
	for _, c := range rules {
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

// matchAgg is what the matched catalogue products of one marketplace
// product code and option add up to, per marketplace unit.
type matchAgg struct {
	count, supply, shop, cost, trans int64
	supplier                         *int64
}

// loadLines reads every line of the order numbers with the variables its
// formulas see. The counts come from a few grouped queries per batch (not a
// query per line), so settling scales to millions of lines.
//
// products:supply_price (and shop_price, org_price, trans_fee) is the sum,
// over the catalogue products matched to the line's marketplace product, of
// that price × its count in one marketplace unit; per_products is the number
// of catalogue products in one unit (the sum of the counts); order_products
// is per_products × qty; tot_products is that over the whole bundle. A set
// of three books at 5,000 supply price each therefore has
// products:supply_price 15,000 and per_products 3.
//
// need names the variables to build (see neededVars); nil builds them all.
func loadLines(ctx context.Context, q sqldb.Querier, marketplaceID int64, orderNos []string, usertrans map[string]int64, need map[string]bool) ([]line, error) {
	matches, err := loadMatches(ctx, q, marketplaceID)
	if err != nil {
		return nil, err
	}
	var w sqldb.Where
	w.Add("marketplace_id = ?", marketplaceID)
	w.In("order_no", orderNos)
	rows, err := q.QueryContext(ctx, `SELECT id, bundle_id, order_no, sub_no, order_day, product_code, option_text, qty, shop_price,
		pay_type, org_trans_who, status, codes, cancelled FROM market_orders`+w.SQL()+` ORDER BY order_no, id`, w.Args()...)
	if err != nil {
		return nil, err
	}
	type raw struct {
		line
		sub, payType, orgTrans, status, codes string
		qty, shopPrice                        int64
		cancelled                             bool
	}
	var all []raw
	for rows.Next() {
		var r raw
		if err := rows.Scan(&r.id, &r.bundleID, &r.orderNo, &r.sub, &r.day, &r.code, &r.option, &r.qty, &r.shopPrice, &r.payType, &r.orgTrans,
			&r.status, &r.codes, &r.cancelled); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Per order number, from the lines themselves.
	type orderAgg struct {
		lines, cancelled, cancelQty int64
		subs                        map[string]bool
	}
	orders := map[string]*orderAgg{}
	bundleSet := map[int64]bool{}
	daySet := map[string]bool{}
	for _, r := range all {
		o := orders[r.orderNo]
		if o == nil {
			o = &orderAgg{subs: map[string]bool{}}
			orders[r.orderNo] = o
		}
		o.lines++
		o.subs[r.sub] = true
		if r.cancelled {
			o.cancelled++
			o.cancelQty += r.qty
		}
		bundleSet[r.bundleID] = true
		daySet[r.day] = true
	}
	// Per bundle: lines, first line, matched products (a bundle may hold lines of other order numbers).
	type bundleAgg struct{ lines, first, products int64 }
	bundles := map[int64]*bundleAgg{}
	ids := make([]string, 0, len(bundleSet))
	for b := range bundleSet {
		ids = append(ids, fmt.Sprint(b))
	}
	for start := 0; start < len(ids); start += 500 {
		var bw sqldb.Where
		bw.In("bundle_id", ids[start:min(start+500, len(ids))])
		rows, err := q.QueryContext(ctx, `SELECT bundle_id, product_code, option_text, COUNT(*), MIN(CASE WHEN cancelled THEN NULL ELSE id END), SUM(qty)
			FROM market_orders`+bw.SQL()+` GROUP BY bundle_id, product_code, option_text`, bw.Args()...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var b, n, qty int64
			var first sql.NullInt64 // the first live line; none when all are cancelled
			var code, opt string
			if err := rows.Scan(&b, &code, &opt, &n, &first, &qty); err != nil {
				rows.Close()
				return nil, err
			}
			agg := bundles[b]
			if agg == nil {
				agg = &bundleAgg{}
				bundles[b] = agg
			}
			agg.lines += n
			if first.Valid && (agg.first == 0 || first.Int64 < agg.first) {
				agg.first = first.Int64
			}
			if m, ok := matches[code+"\x00"+opt]; ok {
				agg.products += m.count * qty
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	// Prepaid-shipping bundles of the marketplace per day.
	if usertrans == nil {
		days := make([]string, 0, len(daySet))
		for d := range daySet {
			days = append(days, d)
		}
		if usertrans, err = prepaidBundles(ctx, q, marketplaceID, days...); err != nil {
			return nil, err
		}
	}
	out := make([]line, 0, len(all))
	for _, r := range all {
		l := r.line
		l.marketplaceID, l.cancelled = marketplaceID, r.cancelled
		o, b := orders[r.orderNo], bundles[r.bundleID]
		m := matches[r.code+"\x00"+r.option]
		l.supplierID = m.supplier
		if b != nil {
			l.firstInBundle = b.first
		}
		v := make(formula.Vars, min(len(need), 24))
		for _, f := range []struct {
			name string
			val  int64
		}{{"shop_price", r.shopPrice}, {"qty", r.qty}, {"cnt_order", o.lines}, {"cnt_order_seq", int64(len(o.subs))},
			{"tot_order", b.lines}, {"tot_products", b.products}, {"order_products", m.count * r.qty},
			{"cancel_order", o.cancelled}, {"cancel_cnt", o.cancelQty}, {"usertrans_cnt", usertrans[r.day]},
			{"per_products", m.count}, {"products:supply_price", m.supply}, {"products:shop_price", m.shop},
			{"products:org_price", m.cost}, {"products:trans_fee", m.trans}} {
			if need == nil || need[f.name] {
				v[f.name] = formula.Int(f.val)
			}
		}
		for _, f := range [...]struct{ name, val string }{{"pay_type", r.payType}, {"org_trans_who", r.orgTrans},
			{"order_status", r.status}, {"option", r.option}, {"product_code", r.code}} {
			if need == nil || need[f.name] {
				v[f.name] = formula.Str(f.val)
			}
		}
		if need == nil || need[anyCode] {
			if err := eachCode(r.codes, func(k, val string) {
				if need == nil || need[k] {
					v[k] = formula.Code(val)
				}
			}); err != nil {
				return nil, err
			}
		}
		l.vars = v
		out = append(out, l)
	}
	return out, nil
}

// eachCode calls f with each name and text of a line's codes, a JSON object
// of strings as the import stores it ({"code11":"31,000"}), in order (a
// repeated name ends with its last text, as json.Unmarshal into a map). The
// plain form is read by hand; anything else (escapes, other values, bad
// UTF-8) goes through encoding/json, which also gives the errors.
func eachCode(codes string, f func(name, text string)) error {
	if pairs, ok := plainCodes(codes); ok {
		for i := 0; i < len(pairs); i += 2 {
			f(pairs[i], pairs[i+1])
		}
		return nil
	}
	var cs map[string]string
	if err := json.Unmarshal([]byte(codes), &cs); err != nil {
		return err
	}
	for k, v := range cs {
		f(k, v)
	}
	return nil
}

// plainCodes reads {"name":"text", ...} with no escapes and only strings,
// returning name, text, name, text...; false for any other form.
func plainCodes(s string) ([]string, bool) {
	if !utf8.ValidString(s) {
		return nil, false
	}
	i := 0
	space := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	str := func() (string, bool) {
		if i >= len(s) || s[i] != '"' {
			return "", false
		}
		i++
		start := i
		for i < len(s) && s[i] != '"' {
			if s[i] == '\\' || s[i] < 0x20 {
				return "", false
			}
			i++
		}
		if i >= len(s) {
			return "", false
		}
		i++
		return s[start : i-1], true
	}
	space()
	if i >= len(s) || s[i] != '{' {
		return nil, false
	}
	i++
	space()
	var out []string
	if i < len(s) && s[i] == '}' {
		i++
	} else {
		for {
			space()
			k, ok := str()
			if !ok {
				return nil, false
			}
			space()
			if i >= len(s) || s[i] != ':' {
				return nil, false
			}
			i++
			space()
			v, ok := str()
			if !ok {
				return nil, false
			}
			out = append(out, k, v)
			space()
			if i < len(s) && s[i] == ',' {
				i++
				continue
			}
			if i < len(s) && s[i] == '}' {
				i++
				break
			}
			return nil, false
		}
	}
	space()
	return out, i == len(s)
}

// prepaidBundles counts, per order day, the bundles of a marketplace whose
// shipping was prepaid (usertrans_cnt: org_trans_who holds one of the sheet
// format's prepaid words); with no days, every day.
func prepaidBundles(ctx context.Context, q sqldb.Querier, marketplaceID int64, days ...string) (map[string]int64, error) {
	var w sqldb.Where
	w.Add("marketplace_id = ?", marketplaceID)
	if len(days) > 0 {
		w.In("order_day", days)
	}
	words, err := market.PrepaidWords(ctx, q, marketplaceID)
	if err != nil {
		return nil, err
	}
	likes := make([]string, len(words))
	for i, wd := range words {
		likes[i] = "LOWER(org_trans_who) LIKE " + w.Arg(sqldb.Like(wd)) + ` ESCAPE '\'`
	}
	w.Add("(" + strings.Join(likes, " OR ") + ")")
	rows, err := q.QueryContext(ctx, `SELECT order_day, COUNT(DISTINCT bundle_id) FROM market_orders`+w.SQL()+` GROUP BY order_day`, w.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var d string
		var n int64
		if err := rows.Scan(&d, &n); err != nil {
			return nil, err
		}
		out[d] = n
	}
	return out, rows.Err()
}

func loadMatches(ctx context.Context, q sqldb.Querier, marketplaceID int64) (map[string]matchAgg, error) {
	rows, err := q.QueryContext(ctx, `SELECT pm.product_code, pm.option_text, SUM(pm.count), SUM(pm.count * p.supply_price), SUM(pm.count * p.sale_price),
		SUM(pm.count * p.cost), SUM(pm.count * p.courier_fee), MIN(p.supplier_id)
		FROM product_matches pm JOIN products p ON p.id = pm.product_id WHERE pm.marketplace_id = $1 GROUP BY pm.product_code, pm.option_text`, marketplaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]matchAgg{}
	for rows.Next() {
		var code, opt string
		var m matchAgg
		if err := rows.Scan(&code, &opt, &m.count, &m.supply, &m.shop, &m.cost, &m.trans, &m.supplier); err != nil {
			return nil, err
		}
		out[code+"\x00"+opt] = m
	}
	return out, rows.Err()
}

// LineVars returns the variables a formula sees for one marketplace order
// line (the playground shows them).
func (s *Service) LineVars(ctx context.Context, id int64) (formula.Vars, error) {
	var mp int64
	var no string
	if err := s.DB.Read().QueryRowContext(ctx, `SELECT marketplace_id, order_no FROM market_orders WHERE id = $1`, id).Scan(&mp, &no); err != nil {
		return nil, sqldb.NotFound(err, "판매처 주문", "marketplace order")
	}
	lines, err := loadLines(ctx, s.DB.Read(), mp, []string{no}, nil, nil)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		if l.id == id {
			return l.vars, nil
		}
	}
	return nil, sqldb.NotFound(sql.ErrNoRows, "판매처 주문", "marketplace order")
}
