package settlement_test

import (
	"context"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/settlement"
	"github.com/orderdesk/orderdesk/internal/settlement/formula"
)

func fieldOf(t *testing.T, err error) string {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.Invalid || len(e.Fields) == 0 {
		t.Fatalf("want a refusal naming a field, got %v", err)
	}
	return e.Fields[0].Location
}

func TestRuleInputChecks(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setup(t, db)
		ctx := context.Background()
		// 정산요율 and a 정산예정금액 formula together are refused, naming the rate.
		_, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "둘 다", Sale: "code11", Settle: "code14", Rate: "88", Enabled: true})
		if f := fieldOf(t, err); f != "rate" {
			t.Fatalf("rate and formula: field %s", f)
		}
		// A supplier that does not exist.
		ghost := int64(4242)
		_, err = st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "공급처", Sale: "code11", Rate: "88", SupplierID: &ghost, Enabled: true})
		if f := fieldOf(t, err); f != "supplier_id" {
			t.Fatalf("ghost supplier: field %s", f)
		}
		// Recompute: reversed range, unknown marketplace, impossible day.
		for _, c := range [][3]string{{"2025-10-31", "2025-10-01", ""}, {"2025-10-01", "2025-10-31", "nowhere"}, {"2025-02-30", "2025-03-01", ""}} {
			if _, err := st.Recompute(ctx, sys, c[0], c[1], c[2], nil); err == nil {
				t.Fatalf("recompute %v accepted", c)
			} else {
				fieldOf(t, err)
			}
		}
		// A value beyond int64 is refused with the rule named, never wrapped.
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "큰 수", Sale: "10000000000*10000000000", Rate: "88", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		importSample(t, mk)
		page, err := mk.List(ctx, sys, market.Filter{Marketplace: "11st"})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Items {
			s := o.Settlement
			if s.RuleVersion != nil || !strings.Contains(s.Unsettled, `정산룰 "큰 수"(v1) 총판매금액`) || !strings.Contains(s.Unsettled, "너무 큽니다") {
				t.Fatalf("line %d: %+v", o.ID, s)
			}
		}
	})
}

// A tie warning only when two enabled rules can really match the same line.
func TestTieWarnings(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		_, st := setup(t, db)
		ctx := context.Background()
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "교재 A", ProductCodes: "A1,A2", Sale: "code11", Rate: "88", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "봄", PeriodTo: "2025-03-31", Sale: "code11", Rate: "88", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			r         settlement.Rule
			off, warn bool
		}{
			{r: settlement.Rule{ProductCodes: "B1"}},                    // disjoint codes
			{r: settlement.Rule{ProductCodes: "B1, A2"}, warn: true},    // a shared code
			{r: settlement.Rule{PeriodFrom: "2025-04-01"}},              // after 봄
			{r: settlement.Rule{PeriodFrom: "2025-03-01"}, warn: true},  // overlaps 봄
			{r: settlement.Rule{PeriodFrom: "2025-03-01", Priority: 1}}, // another priority
			{r: settlement.Rule{PeriodFrom: "2025-03-01"}, off: true},   // the draft itself is off
		} {
			r := c.r
			r.Marketplace, r.Title, r.Sale, r.Rate, r.Enabled = "11st", "새 룰", "code11", "90", !c.off
			w, err := st.Warnings(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			var tie bool
			for _, x := range w {
				tie = tie || strings.Contains(x, "같은 우선순위")
			}
			if tie != c.warn {
				t.Errorf("%+v: warnings %v, want a tie warning %v", c.r, w, c.warn)
			}
		}
	})
}

func TestPlaygroundVariableErrorsInKorean(t *testing.T) {
	for _, in := range []string{`[1]`, `{"cod11": "1"}`, `{"qty": "많이"}`, `{"qty": true}`} {
		_, err := formula.VarsFromJSON([]byte(in))
		if err == nil || !strings.ContainsAny(err.Error(), "가나다라마바사아자차카타파하변수알숫객") {
			t.Errorf("%s: %v, want a Korean message", in, err)
		}
	}
}

// The reports take a marketplace and a supplier; 판매처상품매출통계 flags
// unmatched products (no cost, no margin) and names the marketplace; 공급처별
// 정산통계 groups by the matched products' supplier.
func TestReportFilters(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setup(t, db)
		ctx := context.Background()
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "r", Sale: "code11", Rate: "90", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		importSample(t, mk)
		sup, err := mk.CreateSupplier(ctx, sys, market.Supplier{Code: "books", Name: "도서공급"})
		if err != nil {
			t.Fatal(err)
		}
		var pid int64
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sites (code, name, created_at) VALUES ('malgn', 'm', $1)`, sqldb.Instant(st.Now())); err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, `INSERT INTO products (site, kind, name, created_at, updated_at, supply_price, cost, supplier_id)
				VALUES ('malgn', 'textbook', 'book', $1, $1, 5000, 2000, $2) RETURNING id`, sqldb.Instant(st.Now()), sup.ID).Scan(&pid)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := mk.SetMatch(ctx, sys, market.Match{Marketplace: "11st", ProductCode: "BK-EM-03", Items: []market.MatchItem{{ProductID: pid, Count: 1}}}); err != nil {
			t.Fatal(err)
		}
		// One of BK-PS-2025's two options is matched: its lines have a cost
		// and a margin, the other option's lines are a 미매칭 row of their own.
		if err := mk.SetMatch(ctx, sys, market.Match{Marketplace: "11st", ProductCode: "BK-PS-2025", Option: "구성:교재 단품", Items: []market.MatchItem{{ProductID: pid, Count: 2}}}); err != nil {
			t.Fatal(err)
		}
		all := settlement.ReportFilter{From: "2025-10-01", To: "2025-10-31"}
		only := all
		only.SupplierID = sup.ID
		prod, err := st.ByProduct(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		var matchedQty, cost, margin int64
		ps := map[bool]int{}
		for _, r := range prod.Rows {
			if r.Name != "11번가" || r.Marketplace != "11st" || r.Commission != r.Sale-r.Settle {
				t.Fatalf("product row %+v", r)
			}
			cost, margin = cost+r.Cost, margin+r.Margin
			switch {
			case r.ProductCode == "BK-EM-03" || r.ProductCode == "BK-PS-2025" && r.Matched:
				unit := int64(2000)
				if r.ProductCode == "BK-PS-2025" {
					unit = 4000 // two books a unit
				}
				if !r.Matched || r.Qty == 0 || r.Cost != unit*r.Qty || r.Margin != r.Settle-r.Cost {
					t.Fatalf("matched row %+v", r)
				}
				matchedQty += r.Qty
			case r.Matched || r.Cost != 0 || r.Margin != 0:
				t.Fatalf("an unmatched product shows a cost or a margin: %+v", r)
			}
			if r.ProductCode == "BK-PS-2025" {
				ps[r.Matched]++
			}
		}
		if ps[true] != 1 || ps[false] != 1 {
			t.Fatalf("BK-PS-2025, one option matched: %v rows (matched: count); want one of each", ps)
		}
		if prod.Total.Cost != cost || prod.Total.Margin != margin {
			t.Fatalf("totals: cost %d, margin %d; the rows add up to %d, %d", prod.Total.Cost, prod.Total.Margin, cost, margin)
		}
		fp, err := st.ByProduct(ctx, only)
		if err != nil || len(fp.Rows) != 2 || fp.Rows[0].ProductCode == fp.Rows[1].ProductCode || !fp.Rows[0].Matched || !fp.Rows[1].Matched {
			t.Fatalf("by product of the supplier: %+v %v", fp.Rows, err)
		}
		fm, err := st.ByMarketplace(ctx, only)
		if err != nil || fm.Total.Qty != matchedQty || fm.Total.Sale != fp.Total.Sale {
			t.Fatalf("by marketplace of the supplier: %+v %v", fm.Total, err)
		}
		bs, err := st.BySupplier(ctx, all)
		if err != nil || len(bs.Rows) != 2 {
			t.Fatalf("by supplier: %+v %v", bs.Rows, err)
		}
		for _, r := range bs.Rows {
			if r.SupplierID == sup.ID && (r.Name != "도서공급" || r.Qty != matchedQty || r.Sale != fp.Total.Sale || r.Cost != fp.Total.Cost) {
				t.Fatalf("supplier row %+v", r)
			}
			if r.SupplierID == 0 && (r.Name != "미매칭" || r.Margin != 0) {
				t.Fatalf("unmatched row %+v", r)
			}
		}
		if bs.Total.Sale != prod.Total.Sale {
			t.Fatalf("by supplier total %d, by product %d", bs.Total.Sale, prod.Total.Sale)
		}
		for _, f := range []settlement.ReportFilter{{From: "2025-10-01", To: "2025-10-31", SupplierID: 999}, {From: "2025-10-01", To: "2025-10-31", Marketplace: "nowhere"}} {
			if _, err := st.ByProduct(ctx, f); err == nil {
				t.Fatalf("%+v accepted", f)
			} else {
				fieldOf(t, err)
			}
		}
	})
}

// A code sent as a JSON number is the code of that text: code11_c reads its
// digits and code11 == "2500" holds, as for "2500" sent as text.
func TestPlaygroundCodeAsNumber(t *testing.T) {
	for _, in := range []string{`{"code11": 2500}`, `{"code11": "2500"}`} {
		v, err := formula.VarsFromJSON([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		for src, want := range map[string]int64{"code11_c + 1": 2501, `code11 == "2500" ? 1 : 0`: 1, "code11 * 2": 5000} {
			if got, err := formula.Evaluate(src, v); err != nil || got.Value != want {
				t.Errorf("%s with %s = %d (%v), want %d", src, in, got.Value, err, want)
			}
		}
	}
	for mode, want := range map[string]int64{formula.Floor: -2, formula.Round: -3, formula.Ceil: -3} {
		if got, err := formula.EvaluateIn("-5 / 2", formula.Vars{}, mode); err != nil || got.Value != want || got.Exact != "-5/2" {
			t.Errorf("-5/2 %s = %+v (%v), want %d", mode, got, err, want)
		}
	}
}
