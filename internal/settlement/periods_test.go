package settlement_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

// A closed month keeps its figures: recompute of its days is refused (409
// naming the month), a return imported later is booked as an adjustment in
// the open month, the closed month's reports are byte-identical before and
// after; close, reopen and recompute are audited.
func TestClosedMonth(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := time.Date(2025, 10, 14, 1, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		st := &settlement.Service{DB: db, Now: clock}
		mk := &market.Service{DB: db, Now: clock, Settle: st.SettleOrderNos, LateCancel: st.LateCancel}
		if _, err := mk.CreateMarketplace(ctx, sys, market.Marketplace{Code: "11st", Name: "11번가"}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "r", Sale: "code11", Rate: "90", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		sheet, err := os.ReadFile("testdata/11st.csv")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := mk.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "11st.csv", Data: sheet}); err != nil {
			t.Fatal(err)
		}
		reports := func() string {
			t.Helper()
			f := settlement.ReportFilter{From: "2025-10-01", To: "2025-10-31"}
			a, err1 := st.ByMarketplace(ctx, f)
			b, err2 := st.ByProduct(ctx, f)
			c, err3 := st.BySupplier(ctx, f)
			d, err4 := st.ByMarketplace(ctx, settlement.ReportFilter{From: "2025-10-13", To: "2025-10-13"})
			for _, err := range []error{err1, err2, err3, err4} {
				if err != nil {
					t.Fatal(err)
				}
			}
			out, _ := json.Marshal([]any{a, b, c, d})
			return string(out)
		}
		before := reports()

		if _, err := st.ClosePeriod(ctx, sys, "11st", "2025-10", ""); err == nil {
			t.Fatal("a close without a reason was accepted")
		}
		if _, err := st.ClosePeriod(ctx, sys, "11st", "2025-10", "10월 대사 완료"); err != nil {
			t.Fatal(err)
		}
		for _, mp := range []string{"11st", ""} {
			_, err := st.Recompute(ctx, sys, "2025-10-13", "2025-11-02", mp, nil)
			if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || !strings.Contains(e.Message, "2025-10") {
				t.Fatalf("recompute of a closed month (marketplace %q): %v", mp, err)
			}
		}
		if _, err := st.Recompute(ctx, sys, "2025-11-01", "2025-11-30", "11st", nil); err != nil {
			t.Fatalf("recompute of an open month: %v", err)
		}
		// A rule changed after the close does not change the closed lines,
		// not even through an import that settles them again.
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "new", Sale: "code11", Rate: "50", Priority: 5, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		// A return of an October line arrives in the sheet of 14 October
		// (the closed month itself): the adjustment lands on 1 November.
		returned := strings.Replace(string(sheet), "1,배송준비중,202510130000101,1,", "1,반품완료,202510130000101,1,", 1)
		_, imp, err := mk.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "return.csv", Data: []byte(returned)})
		if err != nil {
			t.Fatal(err)
		}
		if imp.Updated != 1 {
			t.Fatalf("the return changed %d lines, want 1", imp.Updated)
		}
		if after := reports(); after != before {
			t.Fatalf("the closed month's reports changed:\nbefore %s\nafter  %s", before, after)
		}
		// Importing the return again books nothing more.
		if _, _, err := mk.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "return.csv", Data: []byte(returned)}); err != nil {
			t.Fatal(err)
		}
		adj, err := st.Adjustments(ctx, "2025-11-01", "2025-11-30", "11st")
		if err != nil || len(adj) != 1 || adj[0].Day != "2025-11-01" || adj[0].Sale != -31000 || adj[0].Settle != -27900 {
			t.Fatalf("adjustments %+v, %v", adj, err)
		}
		nov, err := st.ByMarketplace(ctx, settlement.ReportFilter{From: "2025-11-01", To: "2025-11-30"})
		if err != nil || len(nov.Rows) != 1 || nov.Rows[0].Cancelled != 1 || nov.Rows[0].Sale != -31000 || nov.Rows[0].Settle != -27900 {
			t.Fatalf("November report %+v, %v", nov, err)
		}

		novF := settlement.ReportFilter{From: "2025-11-01", To: "2025-11-30"}
		prod, err := st.ByProduct(ctx, novF)
		if err != nil || len(prod.Rows) != 1 || prod.Rows[0].Qty != -1 || prod.Rows[0].Sale != -31000 || prod.Total.Settle != -27900 {
			t.Fatalf("November product report %+v, %v", prod, err)
		}
		sup, err := st.BySupplier(ctx, novF)
		if err != nil || len(sup.Rows) != 1 || sup.Rows[0].Lines != -1 || sup.Total.Sale != -31000 || sup.Total.Settle != -27900 {
			t.Fatalf("November supplier report %+v, %v", sup, err)
		}

		viewer := access.Actor{Login: "v", Role: access.SiteAdmin}
		if _, err := st.ReopenPeriod(ctx, viewer, "11st", "2025-10", "정정"); err == nil {
			t.Fatal("a site admin reopened a month")
		}
		if _, err := st.ReopenPeriod(ctx, sys, "11st", "2025-10", "룰 정정"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "11st", nil); err != nil {
			t.Fatalf("recompute after reopening: %v", err)
		}
		// The month reopened, the same return arrives again: November's
		// adjustment still carries it, so the line is not cancelled as well
		// (its money would leave the reports twice).
		octNov := settlement.ReportFilter{From: "2025-10-01", To: "2025-11-30"}
		was, err := st.ByMarketplace(ctx, octNov)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := mk.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "return-again.csv", Data: []byte(returned)}); err != nil {
			t.Fatal(err)
		}
		if now, err := st.ByMarketplace(ctx, octNov); err != nil || now.Total != was.Total {
			t.Fatalf("October–November after the return again: %+v, was %+v (%v)", now.Total, was.Total, err)
		}
		adj, err = st.Adjustments(ctx, "2025-10-01", "2025-12-31", "11st")
		if err != nil || len(adj) != 1 {
			t.Fatalf("adjustments after the return again: %+v, %v", adj, err)
		}
		// A rule changed and the reopened month settled again: the returned
		// line keeps the row its adjustment reverses (settled anew, it would
		// leave the difference in the reports).
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "newer", Sale: "code11", Rate: "40", Priority: 9, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "11st", nil); err != nil {
			t.Fatal(err)
		}
		if line := settlements(t, mk)["202510130000101-1"]; line.Sale != -adj[0].Sale || line.Settle != -adj[0].Settle {
			t.Fatalf("the returned line settles %+v; its adjustment reverses %+v", line, adj[0])
		}
		for action, n := range map[string]int{"settlement.period.close": 1, "settlement.period.reopen": 1, "settlement.recompute": 3} {
			page, err := (&audit.Service{DB: db}).List(ctx, sys, audit.Filter{Action: action})
			if err != nil || page.Total != n {
				t.Errorf("audit %s: %d entries, %v", action, page.Total, err)
			}
		}
	})
}
