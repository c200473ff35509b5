package settlement

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"sync"

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

var cache sync.Map // version id → *compiled: a version is immutable, compiled once

func compile(r Rule) (*compiled, error) {
	if c, ok := cache.Load(r.VersionID); ok {
		return c.(*compiled), nil
	}
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
	if r.Rate != "" {
		c.rate, _ = new(big.Rat).SetString(r.Rate)
	}
	cache.Store(r.VersionID, c)
	return c, nil
}

// line is a marketplace order line with what its formulas read.
type line struct {
	id, marketplaceID, bundleID, firstInBundle int64
	orderNo, day, code, option                 string
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
	sale, settle, prepaid, margin, payment *big.Rat
	reason                                 string
}

// SettleOrderNos settles every line of the given order numbers of one
// marketplace in the caller's transaction. The same inputs always give the
// same rows.
func (s *Service) SettleOrderNos(ctx context.Context, tx *sqldb.Tx, marketplaceID int64, orderNos []string) error {
	if len(orderNos) == 0 {
		return nil
	}
	rules, err := s.rulesOf(ctx, tx, marketplaceID)
	if err != nil {
		return err
	}
	lines, err := loadLines(ctx, tx, marketplaceID, orderNos)
	if err != nil {
		return err
	}
	var results []result
	for _, l := range lines {
		r := result{l: l}
		r.rule, r.reason = choose(rules, l)
		if r.rule != nil {
			if err := evalLine(&r); err != nil {
				r.rule, r.reason = nil, "수식 오류: "+err.Error()
			}
		}
		results = append(results, r)
	}
	shareOrderTotals(results)
	for _, r := range results {
		var ver any
		var sale, settle, prepaid, margin, payment int64
		if r.rule != nil {
			ver = r.rule.VersionID
			mode := r.rule.Rounding
			sale, settle, payment = roundWon(r.sale, mode), roundWon(r.settle, mode), roundWon(r.payment, mode)
			if r.l.firstInBundle == r.l.id { // shipping counts once per bundle and marketplace
				prepaid, margin = roundWon(r.prepaid, mode), roundWon(r.margin, mode)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_settlements (market_order_id, marketplace_id, order_day, rule_version_id, sale, settle, prepaid, margin, payment, unsettled)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (market_order_id) DO UPDATE SET rule_version_id = excluded.rule_version_id,
			sale = excluded.sale, settle = excluded.settle, prepaid = excluded.prepaid, margin = excluded.margin, payment = excluded.payment,
			unsettled = excluded.unsettled, order_day = excluded.order_day`,
			r.l.id, marketplaceID, r.l.day, ver, sale, settle, prepaid, margin, payment, r.reason); err != nil {
			return err
		}
	}
	return nil
}

func zero() *big.Rat { return new(big.Rat) }

func evalLine(r *result) error {
	run := func(p *formula.Program) (*big.Rat, error) {
		if p == nil {
			return zero(), nil
		}
		return p.Eval(r.l.vars)
	}
	var err error
	if r.sale, err = run(r.rule.sale); err != nil {
		return err
	}
	if r.rule.settle != nil {
		if r.settle, err = run(r.rule.settle); err != nil {
			return err
		}
	} else {
		r.settle = new(big.Rat).Mul(r.sale, r.rule.rate)
		r.settle.Quo(r.settle, big.NewRat(100, 1))
	}
	if r.prepaid, err = run(r.rule.prepaid); err != nil {
		return err
	}
	if r.margin, err = run(r.rule.margin); err != nil {
		return err
	}
	r.payment, err = run(r.rule.payment)
	return err
}

// roundWon rounds an exact amount to the won: floor (절사), round (반올림,
// halves away from zero) or ceil (절상).
func roundWon(r *big.Rat, mode string) int64 {
	if r == nil {
		return 0
	}
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).DivMod(num, den, new(big.Int)) // floor for positive den
	switch mode {
	case "ceil":
		if m.Sign() != 0 {
			q.Add(q, big.NewInt(1))
		}
	case "round":
		twice := new(big.Int).Mul(m, big.NewInt(2))
		if c := twice.Cmp(den); c > 0 || (c == 0 && num.Sign() >= 0) {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}

// shareOrderTotals makes the lines of one order number (and rule) add up to
// their rounded total: an amount shared by several rows (shop_price /
// cnt_order) is split by largest remainder, never 9,999 of 10,000.
func shareOrderTotals(results []result) {
	groups := map[string][]int{}
	for i, r := range results {
		if r.rule != nil {
			k := r.l.orderNo + "\x00" + fmt.Sprint(r.rule.VersionID)
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

func distribute(results []result, idx []int, field func(*result) **big.Rat) {
	mode := results[idx[0]].rule.Rounding
	total := new(big.Rat)
	for _, i := range idx {
		total.Add(total, *field(&results[i]))
	}
	want := roundWon(total, mode)
	type part struct {
		i    int
		base int64
		frac *big.Rat
	}
	parts := make([]part, len(idx))
	var sum int64
	for k, i := range idx {
		v := *field(&results[i])
		b := roundWon(v, "floor")
		parts[k] = part{i: i, base: b, frac: new(big.Rat).Sub(v, new(big.Rat).SetInt64(b))}
		sum += b
	}
	sort.SliceStable(parts, func(a, b int) bool {
		if c := parts[a].frac.Cmp(parts[b].frac); c != 0 {
			return c > 0
		}
		return results[parts[a].i].l.id < results[parts[b].i].l.id
	})
	for k := 0; sum < want && k < len(parts)*4; k++ {
		parts[k%len(parts)].base++
		sum++
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
		c, err := compile(r)
		if err != nil {
			continue // a saved rule always compiles; a broken one settles nothing
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// loadLines reads the lines of the order numbers with their variables.
func loadLines(ctx context.Context, q sqldb.Querier, marketplaceID int64, orderNos []string) ([]line, error) {
	var w sqldb.Where
	w.Add("o.marketplace_id = ?", marketplaceID)
	w.In("o.order_no", orderNos)
	rows, err := q.QueryContext(ctx, `SELECT o.id, o.bundle_id, o.order_no, o.order_day, o.product_code, o.option_text, o.qty, o.shop_price,
		o.pay_type, o.org_trans_who, o.status, o.codes,
		(SELECT COUNT(*) FROM market_orders x WHERE x.marketplace_id = o.marketplace_id AND x.order_no = o.order_no),
		(SELECT COUNT(DISTINCT x.sub_no) FROM market_orders x WHERE x.marketplace_id = o.marketplace_id AND x.order_no = o.order_no),
		(SELECT COUNT(*) FROM market_orders x WHERE x.bundle_id = o.bundle_id),
		(SELECT MIN(x.id) FROM market_orders x WHERE x.bundle_id = o.bundle_id),
		(SELECT COALESCE(SUM(pm.count * x.qty), 0) FROM market_orders x JOIN product_matches pm ON pm.marketplace_id = x.marketplace_id
			AND pm.product_code = x.product_code AND pm.option_text = x.option_text WHERE x.bundle_id = o.bundle_id),
		(SELECT COUNT(*) FROM market_orders x WHERE x.marketplace_id = o.marketplace_id AND x.order_no = o.order_no AND x.cancelled = TRUE),
		(SELECT COALESCE(SUM(x.qty), 0) FROM market_orders x WHERE x.marketplace_id = o.marketplace_id AND x.order_no = o.order_no AND x.cancelled = TRUE),
		(SELECT COUNT(DISTINCT x.bundle_id) FROM market_orders x WHERE x.marketplace_id = o.marketplace_id AND x.order_day = o.order_day AND x.org_trans_who LIKE '%선결제%'),
		COALESCE((SELECT SUM(pm.count) FROM product_matches pm WHERE pm.marketplace_id = o.marketplace_id AND pm.product_code = o.product_code AND pm.option_text = o.option_text), 0),
		COALESCE((SELECT SUM(pm.count * p.supply_price) FROM product_matches pm JOIN products p ON p.id = pm.product_id WHERE pm.marketplace_id = o.marketplace_id AND pm.product_code = o.product_code AND pm.option_text = o.option_text), 0),
		COALESCE((SELECT SUM(pm.count * p.sale_price) FROM product_matches pm JOIN products p ON p.id = pm.product_id WHERE pm.marketplace_id = o.marketplace_id AND pm.product_code = o.product_code AND pm.option_text = o.option_text), 0),
		COALESCE((SELECT SUM(pm.count * p.cost) FROM product_matches pm JOIN products p ON p.id = pm.product_id WHERE pm.marketplace_id = o.marketplace_id AND pm.product_code = o.product_code AND pm.option_text = o.option_text), 0),
		COALESCE((SELECT SUM(pm.count * p.courier_fee) FROM product_matches pm JOIN products p ON p.id = pm.product_id WHERE pm.marketplace_id = o.marketplace_id AND pm.product_code = o.product_code AND pm.option_text = o.option_text), 0),
		(SELECT MIN(p.supplier_id) FROM product_matches pm JOIN products p ON p.id = pm.product_id WHERE pm.marketplace_id = o.marketplace_id AND pm.product_code = o.product_code AND pm.option_text = o.option_text)
		FROM market_orders o`+w.SQL()+` ORDER BY o.order_no, o.id`, w.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []line
	for rows.Next() {
		var l line
		var qty, cntOrder, cntSeq, totOrder, totProducts, cancelOrder, cancelCnt, usertrans, perProducts int64
		var shopPrice, supply, shop, org, trans int64
		var payType, orgTrans, status, codesJSON string
		var supplier *int64
		if err := rows.Scan(&l.id, &l.bundleID, &l.orderNo, &l.day, &l.code, &l.option, &qty, &shopPrice, &payType, &orgTrans, &status, &codesJSON,
			&cntOrder, &cntSeq, &totOrder, &l.firstInBundle, &totProducts, &cancelOrder, &cancelCnt, &usertrans, &perProducts,
			&supply, &shop, &org, &trans, &supplier); err != nil {
			return nil, err
		}
		l.marketplaceID, l.supplierID = marketplaceID, supplier
		v := formula.Vars{"shop_price": formula.Int(shopPrice), "qty": formula.Int(qty), "pay_type": formula.Str(payType),
			"org_trans_who": formula.Str(orgTrans), "order_status": formula.Str(status), "option": formula.Str(l.option),
			"product_code": formula.Str(l.code), "cnt_order": formula.Int(cntOrder), "cnt_order_seq": formula.Int(cntSeq),
			"tot_order": formula.Int(totOrder), "tot_products": formula.Int(totProducts), "order_products": formula.Int(perProducts * qty),
			"cancel_order": formula.Int(cancelOrder), "cancel_cnt": formula.Int(cancelCnt), "usertrans_cnt": formula.Int(usertrans),
			"per_products": formula.Int(perProducts), "products:supply_price": formula.Int(supply), "products:shop_price": formula.Int(shop),
			"products:org_price": formula.Int(org), "products:trans_fee": formula.Int(trans)}
		var cs map[string]string
		if err := json.Unmarshal([]byte(codesJSON), &cs); err != nil {
			return nil, err
		}
		for k, val := range cs {
			v[k] = formula.Code(val)
		}
		l.vars = v
		out = append(out, l)
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
	lines, err := loadLines(ctx, s.DB.Read(), mp, []string{no})
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
