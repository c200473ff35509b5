package settlement

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/settlement/formula"
)

// matchAgg is what the matched catalogue products of one marketplace
// product code and option add up to, per marketplace unit.
type matchAgg struct {
	count, supply, shop, cost, trans int64
	supplier                         *int64
}

type matchKey struct{ code, option string }

// batch is the lines of one settling transaction with what their formulas
// read. The codes the rules read are kept as texts in one arena (each line
// holds where its own start), not in a map per line.
type batch struct {
	lines     []line
	need      map[string]bool
	codeNums  []int // the code numbers the rules read (codeN or codeN_c)
	codeSlot  [100]int
	codeTexts []string
}

// dayCounts is usertrans_cnt per order day: counted once per day in a
// recompute (inside the first batch that meets the day), or per batch.
type dayCounts map[string]int64

// loadLines reads every line of the order numbers with what its formulas
// read, in one query: the lines of the bundles that hold the order numbers'
// lines (a bundle may hold lines of other order numbers, whose lines count
// for tot_order, tot_products and the bundle's first live line). The
// order-number and bundle counts are computed here from those lines. The
// lines are returned in order of order number and id.
//
// products:supply_price (and shop_price, org_price, trans_fee) is the sum,
// over the catalogue products matched to the line's marketplace product, of
// that price × its count in one marketplace unit; per_products is the number
// of catalogue products in one unit (the sum of the counts); order_products
// is per_products × qty; tot_products is that over the whole bundle. A set
// of three books at 5,000 supply price each therefore has
// products:supply_price 15,000 and per_products 3.
//
// expect, when above 0, is about how many lines the order numbers hold
// (see scanOrderNos); need names the variables to build (see neededVars);
// nil builds them all.
// prepaid caches usertrans_cnt per day across batches (nil: counted here
// for this batch's days); it is counted only when a formula reads it.
func loadLines(ctx context.Context, q sqldb.Querier, marketplaceID int64, orderNos []string, expect int, prepaid dayCounts, need map[string]bool) (*batch, error) {
	b := &batch{need: need}
	for i := range b.codeSlot {
		b.codeSlot[i] = -1
	}
	for n := range need {
		if k, ok := codeNumber(strings.TrimSuffix(n, "_c")); ok && b.codeSlot[k] < 0 {
			b.codeSlot[k] = len(b.codeNums)
			b.codeNums = append(b.codeNums, k)
		}
	}
	slices.Sort(b.codeNums)
	for i, k := range b.codeNums {
		b.codeSlot[k] = i
	}
	matches, err := loadMatches(ctx, q, marketplaceID)
	if err != nil {
		return nil, err
	}
	// The lines of the order numbers asked for, then the other lines of
	// their bundles: a bundle whose line count in the table is above the
	// lines read so far has some elsewhere (rare), and only those bundles'
	// lines are read again. (Reading every line of the bundles in one
	// query looked each line up twice, and PostgreSQL's planner chose to
	// scan the whole table for it on a table of some 200,000 lines.)
	all, err := scanOrderNos(ctx, q, marketplaceID, orderNos, expect, need, len(matches) > 0)
	if err != nil {
		return nil, err
	}
	have := make(map[int64]int64, len(all))
	for _, l := range all {
		have[l.bundleID]++
	}
	ids := make([]int64, 0, len(have))
	for id := range have {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var short []int64
	for start := 0; start < len(ids); start += bundleChunk {
		part := ids[start:min(start+bundleChunk, len(ids))]
		var w sqldb.Where
		w.InInt("bundle_id", part)
		rows, err := q.QueryContext(ctx, `SELECT bundle_id, COUNT(*) FROM market_orders`+w.SQL()+` GROUP BY bundle_id`, w.Args()...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, n int64
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return nil, err
			}
			if n > have[id] {
				short = append(short, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if len(short) > 0 {
		seen := make(map[int64]bool, len(all))
		for _, l := range all {
			seen[l.id] = true
		}
		for start := 0; start < len(short); start += bundleChunk {
			var w sqldb.Where
			w.InInt("bundle_id", short[start:min(start+bundleChunk, len(short))])
			more, err := scanLines(ctx, q, nil, w, "", need, len(matches) > 0)
			if err != nil {
				return nil, err
			}
			for _, l := range more {
				if !seen[l.id] {
					all = append(all, l)
				}
			}
		}
	}
	// Per bundle: lines, first live line, matched products.
	type bundleAgg struct{ lines, first, products int64 }
	bundles := make(map[int64]bundleAgg, len(all)/2+1)
	for i := range all {
		l := &all[i]
		l.m = matches[matchKey{l.code, l.option}]
		l.supplierID = l.m.supplier
		agg := bundles[l.bundleID]
		agg.lines++
		if !l.cancelled && (agg.first == 0 || l.id < agg.first) {
			agg.first = l.id
		}
		agg.products += l.m.count * l.qty
		bundles[l.bundleID] = agg
	}
	// Keep the lines of the order numbers asked for.
	asked := make(map[string]struct{}, len(orderNos))
	for _, n := range orderNos {
		asked[n] = struct{}{}
	}
	lines := all[:0]
	for _, l := range all {
		if _, ok := asked[l.orderNo]; ok {
			lines = append(lines, l)
		}
	}
	// Often in order already (as the key index gives them); a line is
	// large, so the lines are sorted by index and moved once, only when
	// they are not.
	byNoID := func(a, b *line) int {
		if c := strings.Compare(a.orderNo, b.orderNo); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	}
	sorted := true
	for i := 1; i < len(lines) && sorted; i++ {
		sorted = byNoID(&lines[i-1], &lines[i]) <= 0
	}
	if !sorted {
		idx := make([]int32, len(lines))
		for i := range idx {
			idx[i] = int32(i)
		}
		slices.SortFunc(idx, func(a, b int32) int { return byNoID(&lines[a], &lines[b]) })
		in := make([]line, len(lines))
		for i, j := range idx {
			in[i] = lines[j]
		}
		lines = in
	}
	// Per order number, from its lines (adjacent now).
	for start := 0; start < len(lines); {
		end := start + 1
		for end < len(lines) && lines[end].orderNo == lines[start].orderNo {
			end++
		}
		var subs, cancelled, cancelQty int64
		for i := start; i < end; i++ {
			l := &lines[i]
			if !slices.ContainsFunc(lines[start:i], func(o line) bool { return o.sub == l.sub }) {
				subs++
			}
			if l.cancelled {
				cancelled++
				cancelQty += l.qty
			}
		}
		for i := start; i < end; i++ {
			l := &lines[i]
			l.cntOrder, l.cntOrderSeq, l.cancelOrder, l.cancelQty = int64(end-start), subs, cancelled, cancelQty
			agg := bundles[l.bundleID]
			l.firstInBundle, l.totOrder, l.totProducts = agg.first, agg.lines, agg.products
		}
		start = end
	}
	// Prepaid-shipping bundles of the marketplace per day, when read.
	if need == nil || need["usertrans_cnt"] {
		if prepaid == nil {
			prepaid = dayCounts{}
		}
		var days []string
		for _, l := range lines {
			if _, ok := prepaid[l.day]; !ok && !slices.Contains(days, l.day) {
				days = append(days, l.day)
			}
		}
		if len(days) > 0 {
			counts, err := prepaidBundles(ctx, q, marketplaceID, days...)
			if err != nil {
				return nil, err
			}
			for _, d := range days {
				prepaid[d] = counts[d]
			}
		}
		for i := range lines {
			lines[i].usertrans = prepaid[lines[i].day]
		}
	}
	// The codes the formulas read.
	if need == nil || need[anyCode] {
		b.codeTexts = make([]string, 0, len(lines)*len(b.codeNums))
		for i := range lines {
			if err := b.readCodes(&lines[i]); err != nil {
				return nil, err
			}
		}
	}
	b.lines = lines
	return b, nil
}

// scanOrderNos reads the lines of the order numbers, and may read lines of
// other order numbers too (loadLines counts them in their bundles, which
// they are, and keeps only the lines asked for). With expect above 0 (the
// order numbers are a run of the sorted order numbers of a recompute, which
// hold about expect lines) it reads the run's range, first to last order
// number, by the key index: one range instead of looking up each number
// (on PostgreSQL some 6 ms a batch of 5,000 against 1 ms). A range that
// holds more than twice the lines expected (other days' order numbers
// between them) is read again by the list of numbers, and so is any number
// the range did not meet (the database may order texts otherwise than Go).
func scanOrderNos(ctx context.Context, q sqldb.Querier, marketplaceID int64, orderNos []string, expect int, need map[string]bool, matched bool) ([]line, error) {
	all := make([]line, 0, max(len(orderNos)*3, expect))
	missing := orderNos
	if expect > 0 && len(orderNos) > 0 {
		limit := 2*expect + 100
		var w sqldb.Where
		w.Add("marketplace_id = ?", marketplaceID)
		w.Add("order_no >= ? AND order_no <= ?", slices.Min(orderNos), slices.Max(orderNos))
		lim := w.Arg(limit + 1)
		var err error
		all, err = scanLines(ctx, q, all, w, " LIMIT "+lim, need, matched)
		if err != nil {
			return nil, err
		}
		if len(all) > limit {
			all = all[:0]
		} else {
			met := make(map[string]bool, len(orderNos))
			for i := range all {
				met[all[i].orderNo] = true
			}
			missing = nil
			for _, n := range orderNos {
				if !met[n] {
					missing = append(missing, n)
				}
			}
		}
	}
	if len(missing) == 0 {
		return all, nil
	}
	var w sqldb.Where
	w.Add("marketplace_id = ?", marketplaceID)
	w.In("order_no", missing)
	return scanLines(ctx, q, all, w, "", need, matched)
}

// bundleChunk bounds the bundle ids of one query's IN list.
const bundleChunk = 1000

// scanLines appends the lines that w selects, with what their formulas read:
// a column is read only when a formula reads its variable (sub_no for
// cnt_order_seq, the codes' JSON for any codeN, ...; need nil: every
// column), and product_code, option_text and qty also when the marketplace
// has matched catalogue products (matched), whose sums they give. A column
// costs a call or two into the driver per line.
func scanLines(ctx context.Context, q sqldb.Querier, all []line, w sqldb.Where, tail string, need map[string]bool, matched bool) ([]line, error) {
	var l line
	cols := []string{"id", "bundle_id", "order_no", "order_day", "cancelled"}
	dest := []any{&l.id, &l.bundleID, &l.orderNo, &l.day, &l.cancelled}
	for _, c := range [...]struct {
		col     string
		dst     any
		matched bool // read when the marketplace has matched products
		vars    []string
	}{{"product_code", &l.code, true, []string{"product_code"}}, {"option_text", &l.option, true, []string{"option"}},
		{"qty", &l.qty, true, []string{"qty", "cancel_cnt"}}, {"shop_price", &l.shopPrice, false, []string{"shop_price"}},
		{"org_trans_who", &l.orgTrans, false, []string{"org_trans_who"}}, {"sub_no", &l.sub, false, []string{"cnt_order_seq"}},
		{"pay_type", &l.payType, false, []string{"pay_type"}}, {"status", &l.status, false, []string{"order_status"}},
		{"codes", &l.codes, false, []string{anyCode}}} {
		if need == nil || c.matched && matched || slices.ContainsFunc(c.vars, func(v string) bool { return need[v] }) {
			cols, dest = append(cols, c.col), append(dest, c.dst)
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM market_orders`+w.SQL()+tail, w.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		l = line{}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		all = append(all, l)
	}
	return all, rows.Err()
}

// readCodes keeps the texts of the codes the rules read from the line's
// JSON; a line whose JSON is not the plain form the import writes (or that
// holds a codeN_c a formula reads) is left to Eval, through vars.
func (b *batch) readCodes(l *line) error {
	l.codeAt = len(b.codeTexts)
	for range b.codeNums {
		b.codeTexts = append(b.codeTexts, "")
	}
	ok := walkPlainCodes(l.codes, func(name, text string) bool {
		if k, isCode := codeNumber(name); isCode {
			if at := b.codeSlot[k]; at >= 0 {
				b.codeTexts[l.codeAt+at] = text
			}
			return true
		}
		return !b.need[name] // a codeN_c stored as such is read as it is, by Eval
	})
	if !ok {
		l.slow = true
		return eachCode(l.codes, func(string, string) {}) // the same errors as before
	}
	return nil
}

// codeNumber reads "codeN" (N from 1 to 99, no leading zero).
func codeNumber(name string) (int, bool) {
	if len(name) < 5 || len(name) > 6 || name[:4] != "code" || name[4] < '1' || name[4] > '9' {
		return 0, false
	}
	n := int(name[4] - '0')
	if len(name) == 6 {
		if name[5] < '0' || name[5] > '9' {
			return 0, false
		}
		n = n*10 + int(name[5]-'0')
	}
	return n, true
}

// Slots of the formula Row, found once.
var (
	slotShopPrice, slotQty, slotCntOrder, slotCntOrderSeq, slotTotOrder, slotTotProducts, slotOrderProducts, slotCancelOrder,
	slotCancelCnt, slotUsertrans, slotPerProducts, slotSupply, slotShop, slotOrg, slotTrans = numSlot("shop_price"), numSlot("qty"),
		numSlot("cnt_order"), numSlot("cnt_order_seq"), numSlot("tot_order"), numSlot("tot_products"), numSlot("order_products"),
		numSlot("cancel_order"), numSlot("cancel_cnt"), numSlot("usertrans_cnt"), numSlot("per_products"), numSlot("products:supply_price"),
		numSlot("products:shop_price"), numSlot("products:org_price"), numSlot("products:trans_fee")
	slotPayType, slotOrgTrans, slotStatus, slotOption, slotCode = textSlot("pay_type"), textSlot("org_trans_who"), textSlot("order_status"),
		textSlot("option"), textSlot("product_code")
)

func numSlot(n string) int {
	i, ok := formula.NumSlot(n)
	if !ok {
		panic("no slot " + n)
	}
	return i
}

func textSlot(n string) int {
	i, ok := formula.TextSlot(n)
	if !ok {
		panic("no slot " + n)
	}
	return i
}

// fill sets row to the line's variables (every number and text field, and
// the codes the rules read).
func (b *batch) fill(row *formula.Row, l *line) {
	for _, f := range [...]struct {
		slot int
		val  int64
	}{{slotShopPrice, l.shopPrice}, {slotQty, l.qty}, {slotCntOrder, l.cntOrder}, {slotCntOrderSeq, l.cntOrderSeq},
		{slotTotOrder, l.totOrder}, {slotTotProducts, l.totProducts}, {slotOrderProducts, l.m.count * l.qty},
		{slotCancelOrder, l.cancelOrder}, {slotCancelCnt, l.cancelQty}, {slotUsertrans, l.usertrans},
		{slotPerProducts, l.m.count}, {slotSupply, l.m.supply}, {slotShop, l.m.shop}, {slotOrg, l.m.cost}, {slotTrans, l.m.trans}} {
		row.SetNum(f.slot, f.val)
	}
	row.SetText(slotPayType, l.payType)
	row.SetText(slotOrgTrans, l.orgTrans)
	row.SetText(slotStatus, l.status)
	row.SetText(slotOption, l.option)
	row.SetText(slotCode, l.code)
	if len(b.codeNums) > 0 && !l.slow && l.codeAt+len(b.codeNums) <= len(b.codeTexts) {
		for i, k := range b.codeNums {
			row.SetCode(k, b.codeTexts[l.codeAt+i])
		}
	}
}

// vars is the line's variables as Eval reads them; need names the ones to
// build (nil: all).
func (l *line) vars(need map[string]bool) (formula.Vars, error) {
	v := make(formula.Vars, 24)
	for _, f := range [...]struct {
		name string
		val  int64
	}{{"shop_price", l.shopPrice}, {"qty", l.qty}, {"cnt_order", l.cntOrder}, {"cnt_order_seq", l.cntOrderSeq},
		{"tot_order", l.totOrder}, {"tot_products", l.totProducts}, {"order_products", l.m.count * l.qty},
		{"cancel_order", l.cancelOrder}, {"cancel_cnt", l.cancelQty}, {"usertrans_cnt", l.usertrans},
		{"per_products", l.m.count}, {"products:supply_price", l.m.supply}, {"products:shop_price", l.m.shop},
		{"products:org_price", l.m.cost}, {"products:trans_fee", l.m.trans}} {
		if need == nil || need[f.name] {
			v[f.name] = formula.Int(f.val)
		}
	}
	for _, f := range [...]struct{ name, val string }{{"pay_type", l.payType}, {"org_trans_who", l.orgTrans},
		{"order_status", l.status}, {"option", l.option}, {"product_code", l.code}} {
		if need == nil || need[f.name] {
			v[f.name] = formula.Str(f.val)
		}
	}
	if need == nil || need[anyCode] {
		if err := eachCode(l.codes, func(k, val string) {
			if need == nil || need[k] {
				v[k] = formula.Code(val)
			}
		}); err != nil {
			return nil, err
		}
	}
	return v, nil
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
	var out []string
	ok := walkPlainCodes(s, func(k, v string) bool { out = append(out, k, v); return true })
	if !ok {
		return nil, false
	}
	return out, true
}

// walkPlainCodes calls f with each name and text of {"name":"text", ...}
// with no escapes and only strings, and reports whether s is of that form
// and every call returned true (f may be called before a later part of s
// turns out not to be).
func walkPlainCodes(s string, f func(name, text string) bool) bool {
	if !utf8.ValidString(s) {
		return false
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
		return false
	}
	i++
	space()
	if i < len(s) && s[i] == '}' {
		i++
	} else {
		for {
			space()
			k, ok := str()
			if !ok {
				return false
			}
			space()
			if i >= len(s) || s[i] != ':' {
				return false
			}
			i++
			space()
			v, ok := str()
			if !ok || !f(k, v) {
				return false
			}
			space()
			if i < len(s) && s[i] == ',' {
				i++
				continue
			}
			if i < len(s) && s[i] == '}' {
				i++
				break
			}
			return false
		}
	}
	space()
	return i == len(s)
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

func loadMatches(ctx context.Context, q sqldb.Querier, marketplaceID int64) (map[matchKey]matchAgg, error) {
	rows, err := q.QueryContext(ctx, `SELECT pm.product_code, pm.option_text, SUM(pm.count), SUM(pm.count * p.supply_price), SUM(pm.count * p.sale_price),
		SUM(pm.count * p.cost), SUM(pm.count * p.courier_fee), MIN(p.supplier_id)
		FROM product_matches pm JOIN products p ON p.id = pm.product_id WHERE pm.marketplace_id = $1 GROUP BY pm.product_code, pm.option_text`, marketplaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[matchKey]matchAgg{}
	for rows.Next() {
		var k matchKey
		var m matchAgg
		if err := rows.Scan(&k.code, &k.option, &m.count, &m.supply, &m.shop, &m.cost, &m.trans, &m.supplier); err != nil {
			return nil, err
		}
		out[k] = m
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
	b, err := loadLines(ctx, s.DB.Read(), mp, []string{no}, 0, nil, nil)
	if err != nil {
		return nil, err
	}
	for _, l := range b.lines {
		if l.id == id {
			return l.vars(nil)
		}
	}
	return nil, sqldb.NotFound(sql.ErrNoRows, "판매처 주문", "marketplace order")
}
