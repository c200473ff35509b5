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
