package settlement_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

var sys = access.System()

func setup(t *testing.T, db *sqldb.DB) (*market.Service, *settlement.Service) {
	t.Helper()
	now := func() time.Time { return time.Date(2025, 10, 14, 1, 0, 0, 0, time.UTC) }
	st := &settlement.Service{DB: db, Now: now}
	mk := &market.Service{DB: db, Now: now, Settle: st.SettleOrderNos, SettleDays: st.SettleDays}
	if _, err := mk.CreateMarketplace(context.Background(), sys, market.Marketplace{Code: "11st", Name: "11번가"}); err != nil {
		t.Fatal(err)
	}
	return mk, st
}

func importSample(t *testing.T, mk *market.Service) {
	t.Helper()
	data, err := os.ReadFile("../market/testdata/11st.xls")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := mk.Import(context.Background(), sys, market.ImportInput{Marketplace: "11st", Filename: "11st.xls", Data: data}); err != nil {
		t.Fatal(err)
	}
}

func settlements(t *testing.T, mk *market.Service) map[string]market.Settlement {
	t.Helper()
	return lineSettlements(t, mk, "11st")
}

// lineSettlements are the settlements of a marketplace's lines by
// "order number-sub-order number"; every line must have one.
func lineSettlements(t *testing.T, mk *market.Service, marketplace string) map[string]market.Settlement {
	t.Helper()
	page, err := mk.List(context.Background(), sys, market.Filter{Marketplace: marketplace})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]market.Settlement{}
	for _, o := range page.Items {
		if o.Settlement == nil {
			t.Fatalf("line %s-%s has no settlement row", o.OrderNo, o.SubNo)
		}
		out[o.OrderNo+"-"+o.SubNo] = *o.Settlement
	}
	return out
}

func TestRulesSettleAtImportAndRecompute(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setup(t, db)
		ctx := context.Background()
		// A misspelt code is refused at its place, with the nearest name.
		_, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "11번가 기본", Sale: "code11", Settle: "cde14", Enabled: true})
		e, ok := apperr.As(err)
		if !ok || len(e.Fields) != 1 || e.Fields[0].Location != "settle:1" || !strings.Contains(e.Fields[0].Message, "code14") {
			t.Fatalf("misspelt rule: %+v", err)
		}
		base, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "11번가 기본", Sale: "code11", Settle: "code14",
			Prepaid: `org_trans_who=="선결제"?code18:0`, Margin: "800", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		importSample(t, mk)
		got := settlements(t, mk)
		if s := got["202510130000101-1"]; s.Sale != 31000 || s.Settle != 27280 || s.RuleVersion == nil {
			t.Fatalf("settled at import: %+v", s)
		}
		// Margin counts once per bundle: the two lines of order ...0101 share one.
		if a, b := got["202510130000101-1"], got["202510130000101-2"]; a.Margin+b.Margin != 800 {
			t.Fatalf("margin per bundle: %d + %d", a.Margin, b.Margin)
		}
		// A more specific rule of the same priority wins for its product code: 8% commission.
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "교재 8%", ProductCodes: "BK-EM-03", Sale: "code11",
			Settle: "code11*0.92", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "11st", nil); err != nil {
			t.Fatal(err)
		}
		first := settlements(t, mk)
		if s := first["202510130000101-2"]; s.Settle != 58880 {
			t.Fatalf("product-code rule: %+v", s)
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", nil); err != nil {
			t.Fatal(err)
		}
		dumpBefore := dumpRows(t, db)
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", nil); err != nil {
			t.Fatal(err)
		}
		if second := settlements(t, mk); !reflect.DeepEqual(first, second) {
			t.Fatalf("recompute changed rows:\n%v\n%v", first, second)
		}
		if after := dumpRows(t, db); after != dumpBefore {
			t.Fatalf("recompute is not byte-identical:\n%s\n%s", dumpBefore, after)
		}
		// Sharing an order's amount over its lines adds up to the whole.
		if _, err := st.Save(ctx, sys, base.ID, settlement.Rule{Marketplace: "11st", Title: "나눠 담기", Sale: "10000 / cnt_order", Rate: "89.5",
			Priority: 5, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "11st", nil); err != nil {
			t.Fatal(err)
		}
		page, _ := mk.List(ctx, sys, market.Filter{Marketplace: "11st"})
		totals := map[string]int64{}
		for _, o := range page.Items {
			totals[o.OrderNo] += o.Settlement.Sale
		}
		for no, sum := range totals {
			if sum != 10000 {
				t.Errorf("order %s lines add to %d, want 10000", no, sum)
			}
		}
	})
}

// 선결제처리 counts once per shipment. In the 11번가 sample 최지우's orders
// ...0202 and ...0233 go to one address on one day but are two shipments
// (배송번호 7000012401 and 7000012433), each with its 3,000원 paid by the
// buyer and paid on by the marketplace: two bundles, two 선결제처리, and
// usertrans_cnt counts both. A format that maps no 배송번호 bundles them by
// address, as one.
func TestPrepaidShippingPerShipment(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setup(t, db)
		ctx := context.Background()
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "11번가 기본", Sale: "code11", Settle: "code14",
			Prepaid: `org_trans_who=="선결제"?code18:0`, Margin: "usertrans_cnt", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		importSample(t, mk)
		got := settlements(t, mk)
		a, b := got["202510130000202-1"], got["202510130000233-1"]
		if a.Prepaid != 3000 || b.Prepaid != 3000 {
			t.Fatalf("선결제처리 of two shipments to one address: %d and %d, want 3,000 each", a.Prepaid, b.Prepaid)
		}
		// Prepaid shipments of the day: ...0101 (0원, 선결제), 0202, 0233,
		// 0318 (cancelled) and 0402; each bundle's margin is its own.
		if a.Margin != 5 || b.Margin != 5 {
			t.Fatalf("usertrans_cnt = %d and %d, want 5 shipments", a.Margin, b.Margin)
		}

		// Without 배송번호 in the format, the two are one bundle by address.
		f, err := mk.Format(ctx, "11st")
		if err != nil || f.Fields["ship_no"] != "배송번호" {
			t.Fatalf("preset format: %v, ship_no %q", err, f.Fields["ship_no"])
		}
		delete(f.Fields, "ship_no")
		if _, err := mk.SaveFormat(ctx, sys, "11st", f); err != nil {
			t.Fatal(err)
		}
		if _, err := mk.CreateMarketplace(ctx, sys, market.Marketplace{Code: "11st-old", Name: "11번가 (주소 합포)"}); err != nil {
			t.Fatal(err)
		}
		if _, err := mk.SaveFormat(ctx, sys, "11st-old", f); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st-old", Title: "주소 합포", Sale: "code11", Settle: "code14",
			Prepaid: `org_trans_who=="선결제"?code18:0`, Margin: "usertrans_cnt", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile("../market/testdata/11st.xls")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := mk.Import(ctx, sys, market.ImportInput{Marketplace: "11st-old", Filename: "11st.xls", Data: data}); err != nil {
			t.Fatal(err)
		}
		page, err := mk.List(ctx, sys, market.Filter{Marketplace: "11st-old"})
		if err != nil {
			t.Fatal(err)
		}
		var prepaid, bundles = int64(0), map[int64]bool{}
		for _, o := range page.Items {
			if o.OrderNo == "202510130000202" || o.OrderNo == "202510130000233" {
				prepaid += o.Settlement.Prepaid
				bundles[o.BundleID] = true
				// The bundle's amounts sit on its first line.
				if o.OrderNo == "202510130000202" && o.Settlement.Margin != 4 {
					t.Errorf("usertrans_cnt by address = %d, want 4", o.Settlement.Margin)
				}
			}
		}
		if prepaid != 3000 || len(bundles) != 1 {
			t.Fatalf("by address: 선결제처리 %d in %d bundles, want 3,000 in one", prepaid, len(bundles))
		}
	})
}

// Splitting a line out of its bundle, or joining lines, settles them again
// at once: the bundle's amounts (tot_order here) move with the lines, and
// the day's count of prepaid bundles (usertrans_cnt) changes for every line
// of the day.
func TestSplitAndJoinSettleAgain(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setup(t, db)
		ctx := context.Background()
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "11번가 기본", Sale: "code11", Settle: "code14",
			Margin: "tot_order * 100 + usertrans_cnt", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		importSample(t, mk)
		page, err := mk.List(ctx, sys, market.Filter{Marketplace: "11st", Q: "202510130000101"})
		if err != nil || page.Total != 2 {
			t.Fatalf("order ...0101: %d lines, %v", page.Total, err)
		}
		ids := map[string]int64{}
		for _, o := range page.Items {
			ids[o.SubNo] = o.ID
		}
		margins := func(want map[string]int64) {
			t.Helper()
			got := settlements(t, mk)
			for k, w := range want {
				if got[k].Margin != w {
					t.Errorf("%s: margin %d, want %d", k, got[k].Margin, w)
				}
			}
		}
		// One bundle of two lines; five prepaid bundles that day.
		margins(map[string]int64{"202510130000101-1": 205, "202510130000101-2": 0, "202510130000202-1": 105})
		if _, err := mk.SplitBundle(ctx, sys, ids["2"]); err != nil {
			t.Fatal(err)
		}
		margins(map[string]int64{"202510130000101-1": 106, "202510130000101-2": 106, "202510130000202-1": 106})
		if _, err := mk.JoinBundle(ctx, sys, []int64{ids["1"], ids["2"]}); err != nil {
			t.Fatal(err)
		}
		margins(map[string]int64{"202510130000101-1": 205, "202510130000101-2": 0, "202510130000202-1": 105})
	})
}

func TestUnsettledReason(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, _ := setup(t, db)
		importSample(t, mk)
		for k, s := range settlements(t, mk) {
			if s.RuleVersion != nil || s.Unsettled == "" {
				t.Fatalf("%s without a rule: %+v", k, s)
			}
		}
	})
}

// The totals row of every report is the sum of its rows, on any data.
func TestReportTotalsAreSums(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setup(t, db)
		ctx := context.Background()
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "r", Sale: "shop_price / cnt_order", Rate: "87.7",
			Prepaid: `org_trans_who=="선결제"?1000:0`, Margin: "300", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		importSample(t, mk)
		for _, day := range [][2]string{{"2025-10-13", "2025-10-13"}, {"2025-10-01", "2025-10-31"}, {"2024-01-01", "2024-01-31"}} {
			rep, err := st.ByMarketplace(ctx, settlement.ReportFilter{From: day[0], To: day[1]})
			if err != nil {
				t.Fatal(err)
			}
			var sum settlement.MarketRow
			for _, r := range rep.Rows {
				sum.Orders += r.Orders
				sum.Lines += r.Lines
				sum.Qty += r.Qty
				sum.Sale += r.Sale
				sum.Settle += r.Settle
				sum.Commission += r.Commission
				sum.Prepaid += r.Prepaid
				sum.Payout += r.Payout
				sum.Margin += r.Margin
				sum.Cancelled += r.Cancelled
				sum.Unsettled += r.Unsettled
				if r.Payout != r.Settle+r.Prepaid {
					t.Errorf("%s: 정산합계 %d != %d + %d", r.Marketplace, r.Payout, r.Settle, r.Prepaid)
				}
				if r.Commission != r.Sale-r.Settle {
					t.Errorf("%s: commission %d != %d - %d", r.Marketplace, r.Commission, r.Sale, r.Settle)
				}
			}
			sum.Name = rep.Total.Name
			if sum != rep.Total {
				t.Errorf("%v: total %+v, sum of rows %+v", day, rep.Total, sum)
			}
			prod, err := st.ByProduct(ctx, settlement.ReportFilter{From: day[0], To: day[1]})
			if err != nil {
				t.Fatal(err)
			}
			var ps settlement.ProductRow
			for _, r := range prod.Rows {
				ps.Qty += r.Qty
				ps.Sale += r.Sale
				ps.Settle += r.Settle
				ps.Commission += r.Commission
				ps.Cost += r.Cost
				ps.Margin += r.Margin
			}
			ps.ProductName = prod.Total.ProductName
			if ps != prod.Total {
				t.Errorf("%v: product total %+v, sum %+v", day, prod.Total, ps)
			}
			if day[0] == "2025-10-13" && (rep.Total.Sale == 0 || rep.Total.Sale != prod.Total.Sale) {
				t.Errorf("day sale %d, by product %d", rep.Total.Sale, prod.Total.Sale)
			}
		}
	})
}

// products:… of a line matched to a set is the sum over the set's products
// of price × count in one marketplace unit; per_products is the set's size.
func TestProductsMacrosOfASet(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setup(t, db)
		ctx := context.Background()
		importSample(t, mk)
		err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sites (code, name, created_at) VALUES ('malgn', 'm', $1)`, time.Now().UTC()); err != nil {
				return err
			}
			for i, supply := range []int64{5000, 6000} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO products (site, kind, name, created_at, updated_at, supply_price, cost, courier_fee)
					VALUES ('malgn', 'textbook', $1, $2, $2, $3, $4, 1700)`, fmt.Sprint("book", i), time.Now().UTC(), supply, supply/2); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		rows, _ := db.Read().QueryContext(ctx, `SELECT id FROM products ORDER BY id`)
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		if err := mk.SetMatch(ctx, sys, market.Match{Marketplace: "11st", ProductCode: "BK-EM-03", Items: []market.MatchItem{{ProductID: ids[0], Count: 2}, {ProductID: ids[1], Count: 1}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "set", Sale: "products:supply_price * qty", Settle: "per_products * 1000 + order_products",
			Margin: "products:trans_fee", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "11st", nil); err != nil {
			t.Fatal(err)
		}
		s := settlements(t, mk)["202510130000101-2"] // BK-EM-03, qty 2
		// supply: 2×5,000 + 1×6,000 = 16,000 per unit × qty 2; per_products 3; order_products 3 × 2.
		if s.Sale != 32000 || s.Settle != 3006 {
			t.Fatalf("set line: %+v", s)
		}
	})
}

// dumpRows writes every settlement row as text, to compare byte for byte.
func dumpRows(t *testing.T, db *sqldb.DB) string {
	t.Helper()
	rows, err := db.Read().QueryContext(context.Background(), `SELECT market_order_id, order_day, COALESCE(rule_version_id, 0), sale, settle, prepaid, margin, payment, unsettled
		FROM market_settlements ORDER BY market_order_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, ver, sale, settle, prepaid, margin, payment int64
		var day, reason string
		if err := rows.Scan(&id, &day, &ver, &sale, &settle, &prepaid, &margin, &payment, &reason); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d|%s|%d|%d|%d|%d|%d|%d|%s\n", id, day, ver, sale, settle, prepaid, margin, payment, reason)
	}
	return b.String()
}

// TestImportAgainKeepsTheSettlement: importing the same sheet again after a
// rule changed leaves its lines as they were settled (the manual: a rule
// applies to the orders after it is saved; earlier ones by 정산 재생성), so
// the rows keep the version that settled them; 정산 재생성 then applies it.
func TestImportAgainKeepsTheSettlement(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setup(t, db)
		ctx := context.Background()
		r, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "11번가", Sale: "code11", Settle: "code14", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		importSample(t, mk)
		before := settlements(t, mk)
		r.Settle = "code11"
		if _, err := st.Save(ctx, sys, r.ID, r); err != nil {
			t.Fatal(err)
		}
		importSample(t, mk)
		after := settlements(t, mk)
		if len(after) != len(before) || len(before) == 0 {
			t.Fatalf("%d lines before, %d after", len(before), len(after))
		}
		for k, b := range before {
			if a := after[k]; a.Settle != b.Settle || a.RuleVersionNo != b.RuleVersionNo {
				t.Errorf("line %s: settled %d by v%d, after importing again %d by v%d", k, b.Settle, b.RuleVersionNo, a.Settle, a.RuleVersionNo)
			}
		}
		if _, err := st.Recompute(ctx, sys, "2025-01-01", "2025-12-31", "11st", nil); err != nil {
			t.Fatal(err)
		}
		for k, a := range settlements(t, mk) {
			if a.Settle != a.Sale || a.RuleVersionNo != 2 {
				t.Errorf("line %s after 정산 재생성: settle %d of sale %d by v%d, want the new rule", k, a.Settle, a.Sale, a.RuleVersionNo)
			}
		}
	})
}
