package settlement_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

// A settled line keeps the rule version that settled it until 정산 재생성:
//   - a line of the same order number imported after a new version joins
//     its order's version, so that the order's lines share one version and
//     add up to the order's total (two lines of 31,000 and 64,000 ÷ 7 under
//     절사: 13,571 for the order, where each line cut on its own would
//     give 4,428 + 9,142 = 13,570);
//   - a kept version that reads usertrans_cnt has the day settled again
//     after an import, though the version in force no longer reads it: a
//     new prepaid shipment adds a won to each of the two lines.
func TestKeptVersions(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setupPresets(t, db, "esm")
		ctx := context.Background()
		rule, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "esm", Title: "칠분의 일", Priority: 10, Sale: "code11",
			Settle: "code11 / 7 + usertrans_cnt", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile("../market/testdata/esm_utf8.csv")
		if err != nil {
			t.Fatal(err)
		}
		rows := strings.SplitAfter(string(data), "\n")
		if !strings.Contains(rows[1], "3981234501") || !strings.Contains(rows[2], "3981234502") {
			t.Fatalf("the sample's first rows changed: %s%s", rows[1], rows[2])
		}
		imp := func(name string, lines ...string) {
			t.Helper()
			if _, _, err := mk.Import(ctx, sys, market.ImportInput{Marketplace: "esm", Filename: name, Data: []byte(rows[0] + strings.Join(lines, ""))}); err != nil {
				t.Fatal(err)
			}
		}
		read := func() map[string]market.Settlement { return lineSettlements(t, mk, "esm") }
		imp("first.csv", rows[1])
		rule.Settle = "code11 / 8"
		if rule, err = st.Save(ctx, sys, rule.ID, rule); err != nil {
			t.Fatal(err)
		}
		imp("second.csv", rows[2])
		got := read()
		a, b := got["5012345678-3981234501"], got["5012345678-3981234502"]
		if a.RuleVersionNo != 1 || b.RuleVersionNo != 1 || a.RuleID != rule.ID || b.RuleID != rule.ID {
			t.Fatalf("the order's lines: %+v, %+v; want both on version 1 of rule %d", a, b, rule.ID)
		}
		if a.Settle+b.Settle != (a.Sale+b.Sale)/7 || (a.Sale+b.Sale)/7 == a.Sale/7+b.Sale/7 {
			t.Fatalf("the order's lines settle %d + %d of %d + %d: want the order's total ÷ 7, cut once", a.Settle, b.Settle, a.Sale, b.Sale)
		}
		// The version in force reads no usertrans_cnt; the kept one does,
		// so a new prepaid shipment of the day settles the day again.
		rule.Settle = "5000"
		if _, err = st.Save(ctx, sys, rule.ID, rule); err != nil {
			t.Fatal(err)
		}
		imp("prepaid.csv", rows[4])
		after := read()
		if after["5012349001-3981239001"].RuleVersionNo != 3 || after["5012349001-3981239001"].Settle != 5000 {
			t.Fatalf("the new line: %+v; want the version in force (v3, 5,000)", after["5012349001-3981239001"])
		}
		a, b = after["5012345678-3981234501"], after["5012345678-3981234502"]
		if a.RuleVersionNo != 1 || b.RuleVersionNo != 1 || a.Settle+b.Settle != (a.Sale+b.Sale)/7+2 {
			t.Errorf("the first order after a prepaid shipment of its day: %+v, %+v; want version 1 with the day's one prepaid bundle on each line", a, b)
		}
		if _, err := st.Recompute(ctx, sys, "2025-01-01", "2025-12-31", "esm", nil); err != nil {
			t.Fatal(err)
		}
		for sub, s := range read() {
			if s.RuleVersionNo != 3 || s.Settle != 5000 {
				t.Errorf("after 정산 재생성: line %s %+v; want the version in force", sub, s)
			}
		}
	})
}
