package settlement_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

// setupPresets wires the market service as the app does: a marketplace
// created from a preset gets its default rule.
func setupPresets(t *testing.T, db *sqldb.DB, codes ...string) (*market.Service, *settlement.Service) {
	t.Helper()
	now := func() time.Time { return time.Date(2025, 10, 14, 1, 0, 0, 0, time.UTC) }
	st := &settlement.Service{DB: db, Now: now}
	mk := &market.Service{DB: db, Now: now, Settle: st.SettleOrderNos, SettleDays: st.SettleDays, Preset: st.AddDefaultRule}
	for _, c := range codes {
		if _, err := mk.CreateMarketplace(context.Background(), sys, market.Marketplace{Code: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	return mk, st
}

func TestPresetMarketplacesGetADefaultRule(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		_, st := setupPresets(t, db, "smartstore", "coupang", "esm", "11st", "myshop")
		rules, err := st.List(context.Background(), settlement.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]settlement.Rule{}
		for _, r := range rules.Items {
			got[r.Marketplace] = r
		}
		want := map[string][3]string{ // sale, settle, rate
			"smartstore": {"code11", "code14", ""}, "esm": {"code11", "code14", ""}, "11st": {"code11", "code14", ""}, "coupang": {"code11", "", "89.2"},
		}
		for code, w := range want {
			r, ok := got[code]
			if !ok {
				t.Fatalf("%s has no default rule", code)
			}
			if r.Title != settlement.DefaultTitle || !r.Enabled || r.Priority != 0 || r.PeriodFrom != "" || r.PeriodTo != "" ||
				r.Sale != w[0] || r.Settle != w[1] || r.Rate != w[2] || r.Prepaid == "" {
				t.Errorf("%s default rule %+v, want sale %s settle %q rate %q", code, r, w[0], w[1], w[2])
			}
		}
		if _, ok := got["myshop"]; ok {
			t.Error("a marketplace without a preset got a default rule")
		}
	})
}

// 쿠팡 marks prepaid shipping "유료" (not 선결제): its bundles count in
// usertrans_cnt and its default rule's 선결제처리 takes their 배송비.
func TestPrepaidWordsPerMarketplace(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setupPresets(t, db, "coupang")
		ctx := context.Background()
		data, err := os.ReadFile("../market/testdata/coupang_cp949.csv")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := mk.Import(ctx, sys, market.ImportInput{Marketplace: "coupang", Filename: "coupang.csv", Data: data}); err != nil {
			t.Fatal(err)
		}
		page, err := mk.List(ctx, sys, market.Filter{Marketplace: "coupang"})
		if err != nil {
			t.Fatal(err)
		}
		var prepaid int64
		var paidBundles = map[int64]bool{}
		for _, o := range page.Items {
			if o.Settlement == nil || o.Settlement.RuleVersion == nil {
				t.Fatalf("line %d not settled by the default rule: %+v", o.ID, o.Settlement)
			}
			prepaid += o.Settlement.Prepaid
			if o.OrgTransWho == "유료" && !o.Cancelled {
				paidBundles[o.BundleID] = true
			}
			vars, err := st.LineVars(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n := vars["usertrans_cnt"].Num; n == nil || n.Sign() == 0 {
				t.Fatalf("usertrans_cnt of line %d is 0: 유료 not counted", o.ID)
			}
		}
		if len(paidBundles) == 0 || prepaid != 3000*int64(len(paidBundles)) {
			t.Fatalf("prepaid %d, want 3,000 for each of %d paid bundles", prepaid, len(paidBundles))
		}
	})
}

// A day settled through import → default rule → recompute: the three reports
// equal sums computed here from the stored lines, with the bundle-level
// amounts once per live bundle.
func TestReportsEqualTheStoredLines(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setupPresets(t, db, "11st")
		ctx := context.Background()
		importSample(t, mk)
		// Cancel the first line of a bundle of several, then re-settle the month.
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE market_orders SET cancelled = TRUE WHERE id = (SELECT MIN(id) FROM market_orders WHERE bundle_id IN
				(SELECT bundle_id FROM market_orders GROUP BY bundle_id HAVING COUNT(*) > 1))`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", nil); err != nil {
			t.Fatal(err)
		}
		page, err := mk.List(ctx, sys, market.Filter{Marketplace: "11st"})
		if err != nil {
			t.Fatal(err)
		}
		type sums struct {
			orders                                            map[string]bool
			lines, qty, sale, settle, prepaid, margin, cancel int64
			unsettled                                         int64
		}
		days := map[string]*sums{}
		all := &sums{orders: map[string]bool{}}
		products := map[string]*settlement.ProductRow{}
		firstLive := map[int64]int64{}
		for _, o := range page.Items {
			if !o.Cancelled && (firstLive[o.BundleID] == 0 || o.ID < firstLive[o.BundleID]) {
				firstLive[o.BundleID] = o.ID
			}
		}
		bundleAmounts := 0
		for _, o := range page.Items {
			d := days[o.OrderDay]
			if d == nil {
				d = &sums{orders: map[string]bool{}}
				days[o.OrderDay] = d
			}
			s := o.Settlement
			if (s.Prepaid != 0 || s.Margin != 0) && o.ID != firstLive[o.BundleID] {
				t.Fatalf("line %d carries bundle amounts but is not its bundle's first live line", o.ID)
			}
			if o.ID == firstLive[o.BundleID] && s.Prepaid != 0 {
				bundleAmounts++
			}
			for _, x := range []*sums{d, all} {
				if o.Cancelled {
					x.cancel++
					continue
				}
				x.orders[o.OrderNo] = true
				x.lines++
				x.qty += int64(o.Qty)
				x.sale += s.Sale
				x.settle += s.Settle
				x.prepaid += s.Prepaid
				x.margin += s.Margin
				if s.RuleVersion == nil {
					x.unsettled++
				}
			}
			if !o.Cancelled {
				p := products[o.ProductCode]
				if p == nil {
					p = &settlement.ProductRow{Marketplace: "11st", ProductCode: o.ProductCode}
					products[o.ProductCode] = p
				}
				p.Qty += int64(o.Qty)
				p.Sale += s.Sale
				p.Settle += s.Settle
			}
		}
		if bundleAmounts == 0 || all.sale == 0 || all.cancel == 0 {
			t.Fatalf("the sample settles nothing to compare: %d bundles with prepaid, sale %d, %d cancelled", bundleAmounts, all.sale, all.cancel)
		}
		check := func(name string, got settlement.MarketRow, want *sums) {
			t.Helper()
			if got.Orders != int64(len(want.orders)) || got.Lines != want.lines || got.Qty != want.qty || got.Sale != want.sale ||
				got.Settle != want.settle || got.Commission != want.sale-want.settle || got.Prepaid != want.prepaid || got.Margin != want.margin ||
				got.Cancelled != want.cancel || got.Unsettled != want.unsettled || got.Payout != want.settle+want.prepaid {
				t.Fatalf("%s: report %+v, stored lines give orders %d lines %d qty %d sale %d settle %d prepaid %d margin %d cancelled %d unsettled %d",
					name, got, len(want.orders), want.lines, want.qty, want.sale, want.settle, want.prepaid, want.margin, want.cancel, want.unsettled)
			}
		}
		for day, want := range days {
			rep, err := st.ByMarketplace(ctx, settlement.ReportFilter{From: day, To: day}) // 당일판매분요약표
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Rows) != 1 {
				t.Fatalf("%s: %d rows", day, len(rep.Rows))
			}
			check("당일판매분요약표 "+day, rep.Rows[0], want)
		}
		rep, err := st.ByMarketplace(ctx, settlement.ReportFilter{From: "2025-10-01", To: "2025-10-31"})
		if err != nil {
			t.Fatal(err)
		}
		check("판매처별 정산통계", rep.Total, all)
		prod, err := st.ByProduct(ctx, settlement.ReportFilter{From: "2025-10-01", To: "2025-10-31"})
		if err != nil {
			t.Fatal(err)
		}
		if len(prod.Rows) != len(products) {
			t.Fatalf("판매처상품매출통계: %d rows, %d product codes", len(prod.Rows), len(products))
		}
		for _, r := range prod.Rows {
			w := products[r.ProductCode]
			if w == nil || r.Qty != w.Qty || r.Sale != w.Sale || r.Settle != w.Settle {
				t.Fatalf("판매처상품매출통계 %s: %+v, stored lines %+v", r.ProductCode, r, w)
			}
		}
	})
}

// TestRuleSearchByProductCode: 판매처 상품 search ignores case on both engines
// (marketplace codes are upper case; PostgreSQL's LIKE is case-sensitive)
// and matches a whole code of the list, not a part of one.
func TestRuleSearchByProductCode(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		_, st := setupPresets(t, db, "11st")
		ctx := context.Background()
		r, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "교재 묶음", ProductCodes: "BK-PS-2025,BK-EM-2025", Sale: "code11", Settle: "code14", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int{"BK-PS-2025": 1, "bk-em-2025": 1, " Bk-Ps-2025 ": 1, "BK-PS": 0, "2025": 0} {
			page, err := st.List(ctx, settlement.Filter{Field: "product_code", Q: q})
			if err != nil || page.Total != want || want == 1 && page.Items[0].ID != r.ID {
				t.Errorf("판매처 상품 %q: %d rules (%v), want %d", q, page.Total, err, want)
			}
		}
	})
}

// TestUsertransCountsTheWholeDay: usertrans_cnt is the marketplace's prepaid
// bundles of the whole order day. A sheet imported in two parts (or in
// batches) settles its first lines before the rest of the day is stored;
// once the import ends every line of the day counts the whole day, exactly
// as a recompute counts it.
func TestUsertransCountsTheWholeDay(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setupPresets(t, db, "esm")
		ctx := context.Background()
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "esm", Title: "선결제 묶음 수", Priority: 10, Sale: "code11",
			Settle: "usertrans_cnt * 1000", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile("../market/testdata/esm_utf8.csv")
		if err != nil {
			t.Fatal(err)
		}
		rows := strings.SplitAfter(string(data), "\n")
		for i, part := range [][]string{rows[1:4], rows[4:]} {
			sheet := rows[0] + strings.Join(part, "")
			if _, _, err := mk.Import(ctx, sys, market.ImportInput{Marketplace: "esm", Filename: fmt.Sprintf("esm-%d.csv", i), Data: []byte(sheet)}); err != nil {
				t.Fatal(err)
			}
		}
		read := func() map[string]int64 {
			out := map[string]int64{}
			for k, st := range lineSettlements(t, mk, "esm") {
				out[k] = st.Settle
			}
			return out
		}
		imported := read()
		most := int64(0)
		for _, v := range imported {
			most = max(most, v)
		}
		if len(imported) != 7 || most < 2000 {
			t.Fatalf("imported %v: want 7 lines, a day of two or more prepaid bundles", imported)
		}
		if _, err := st.Recompute(ctx, sys, "2025-01-01", "2025-12-31", "esm", nil); err != nil {
			t.Fatal(err)
		}
		if again := read(); !maps.Equal(again, imported) {
			t.Fatalf("import settled %v, recompute %v", imported, again)
		}
		// A rule saved since: importing the first part again stores nothing
		// and changes nothing; a new line on the day changes every line's
		// count, so the day is settled again, each earlier line with the
		// version that settled it (a saved rule applies to the orders after
		// it) and the new line with the rule in force. 정산 재생성 then
		// applies the rule in force to every line.
		rules, err := st.List(ctx, settlement.Filter{Q: "선결제 묶음 수"})
		if err != nil || rules.Total != 1 {
			t.Fatalf("the rule: %v %v", rules, err)
		}
		r := rules.Items[0]
		r.Settle = "usertrans_cnt * 2000"
		if _, err := st.Save(ctx, sys, r.ID, r); err != nil {
			t.Fatal(err)
		}
		if _, _, err := mk.Import(ctx, sys, market.ImportInput{Marketplace: "esm", Filename: "esm-again.csv", Data: []byte(rows[0] + strings.Join(rows[1:4], ""))}); err != nil {
			t.Fatal(err)
		}
		if again := read(); !maps.Equal(again, imported) {
			t.Fatalf("importing a part again changed %v into %v", imported, again)
		}
		// A new prepaid shipment of the day (최지우's row as another order,
		// line and 배송번호): one bundle more for every line's count.
		newLine := strings.NewReplacer("3981239001", "3981299999", "5012349001", "5012399999", "1204569001", "1204599999").Replace(rows[4])
		if strings.Count(newLine, "99999") != 3 || !strings.Contains(newLine, "선결제") {
			t.Fatalf("the sample's fifth row changed: %s", rows[4])
		}
		if _, _, err := mk.Import(ctx, sys, market.ImportInput{Marketplace: "esm", Filename: "esm-new.csv", Data: []byte(rows[0] + newLine)}); err != nil {
			t.Fatal(err)
		}
		after := read()
		if len(after) != 8 {
			t.Fatalf("%d lines after the new one", len(after))
		}
		const added = "5012399999-3981299999"
		bundles := after[added] / 2000 // the day's prepaid bundles, as the new line counts them
		if bundles*2000 != after[added] || bundles*1000 <= most {
			t.Fatalf("the new line settles %d (lines %v): want the new rule's 2,000 a bundle, more bundles than before (%d won)", after[added], after, most)
		}
		for k, v := range after {
			if k != added && v != bundles*1000 {
				t.Errorf("after a new line on the day: %s settles %d, lines %v; want the first version's 1,000 × %d bundles", k, v, after, bundles)
			}
		}
		if _, err := st.Recompute(ctx, sys, "2025-01-01", "2025-12-31", "esm", nil); err != nil {
			t.Fatal(err)
		}
		for k, v := range read() {
			if v != bundles*2000 {
				t.Errorf("after 정산 재생성: %s settles %d; want the rule in force, 2,000 × %d", k, v, bundles)
			}
		}
	})
}
