package settlement_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

var update = flag.Bool("update", false, "rewrite testdata/recompute.golden")

// seedVaried writes n lines of 11st in SQL with every kind of input the
// settling code reads: orders of one to four lines, some on two days,
// bundles of several order numbers and split lines, cancelled lines,
// matched product sets with suppliers, prepaid words, codes with thousands
// separators, decimals, text, 원, digits in brackets, and escaped JSON.
func seedVaried(t *testing.T, db *sqldb.DB, mk *market.Service, n int) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2025, 10, 14, 1, 0, 0, 0, time.UTC)
	var sup []int64
	for i, code := range []string{"s1", "s2"} {
		s, err := mk.CreateSupplier(ctx, sys, market.Supplier{Code: code, Name: fmt.Sprint("공급처", i)})
		if err != nil {
			t.Fatal(err)
		}
		sup = append(sup, s.ID)
	}
	r := rand.New(rand.NewSource(42))
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sites (code, name, created_at) VALUES ('malgn', 'm', $1)`, now); err != nil {
			return err
		}
		for i := range 4 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO products (site, kind, name, sale_price, supply_price, cost, courier_fee, supplier_id, created_at, updated_at)
				VALUES ('malgn', 'textbook', $1, $2, $3, $4, $5, $6, $7, $7)`, fmt.Sprint("book", i), 10000+i*1111, 5000+i*777, 3000+i*333, 1700+i*100, sup[i%2], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []market.Match{
		{Marketplace: "11st", ProductCode: "P-1", Items: []market.MatchItem{{ProductID: 1, Count: 2}, {ProductID: 2, Count: 1}}},
		{Marketplace: "11st", ProductCode: "P-2", Option: "세트", Items: []market.MatchItem{{ProductID: 2, Count: 3}}},
		{Marketplace: "11st", ProductCode: "P-3", Items: []market.MatchItem{{ProductID: 3, Count: 1}, {ProductID: 4, Count: 1}}},
		{Marketplace: "11st", ProductCode: "P-4", Items: []market.MatchItem{{ProductID: 4, Count: 1}}},
	} {
		if err := mk.SetMatch(ctx, sys, m); err != nil {
			t.Fatal(err)
		}
	}
	err = db.InTx(ctx, func(tx *sqldb.Tx) error {
		var mp, imp int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM marketplaces WHERE code = '11st'`).Scan(&mp); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO market_imports (marketplace_id, filename, kind, status, started_at) VALUES ($1, 'seed', 'csv', 'done', $2) RETURNING id`, mp, now).Scan(&imp); err != nil {
			return err
		}
		bundle := int64(0)
		newBundle := func() (int64, error) {
			bundle++
			_, err := tx.ExecContext(ctx, `INSERT INTO market_bundles (id, marketplace_id, bundle_key) VALUES ($1, $2, $3)`, bundle, mp, fmt.Sprint("b", bundle))
			return bundle, err
		}
		pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
		won := func(v int64) string {
			s := fmt.Sprint(v)
			var b strings.Builder
			for i, c := range s {
				if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
					b.WriteByte(',')
				}
				b.WriteRune(c)
			}
			return b.String()
		}
		lines, order := 0, 0
		var shared int64 // a bundle the next order may join
		for lines < n {
			order++
			no := fmt.Sprintf("G%05d", order*7%100003)
			day := 1 + r.Intn(31)
			b, err := newBundle()
			if err != nil {
				return err
			}
			if shared != 0 && r.Intn(4) == 0 {
				b = shared // two order numbers in one bundle
			}
			shared = b
			for sub := 1; sub <= 1+r.Intn(4) && lines < n; sub++ {
				lb := b
				if r.Intn(12) == 0 {
					if lb, err = newBundle(); err != nil { // a line split out
						return err
					}
				}
				d := day
				if r.Intn(15) == 0 {
					d = 1 + (day+1)%31 // a line of the order on another day
				}
				qty := int64(1 + r.Intn(3))
				price := []int64{9900, 31000, 12345, 28000, 45000, 7}[r.Intn(6)]
				codes := fmt.Sprintf(`{"code11":%q,"code13":%q,"code14":%q,"code18":%q,"code20":%q,"code21":%q,"code22":%q}`,
					won(price*qty), won(price*qty*12/100), won(price*qty-price*qty*12/100), pick("2,500", "", "0", "3,000원", "-500"),
					pick("[2500] 할인쿠폰", "쿠폰 없음", "12,000원"), pick("12.5", "0.333", "-1,053", "7"), pick("x", "3", "", " 41 "))
				if r.Intn(20) == 0 {
					codes = `{"code11":"1\u002C000","code18":"2,500","code22":"a\"b"}` // escapes: read through encoding/json
				}
				cancelled := r.Intn(10) == 0
				_, err := tx.ExecContext(ctx, `INSERT INTO market_orders (marketplace_id, order_no, sub_no, order_day, ordered_at, product_code, product_name,
					option_text, qty, shop_price, pay_type, org_trans_who, status, cancelled, codes, raw, bundle_id, import_id, created_at, updated_at)
					VALUES ($1, $2, $3, $4, '2025-10-13 09:00:00', $5, '교재', $6, $7, $8, $9, $10, $11, $12, $13, '{}', $14, $15, $16, $16)`,
					mp, no, fmt.Sprint(sub), fmt.Sprintf("2025-10-%02d", d), pick("P-1", "P-2", "P-3", "P-4", "P-5", "P-6", "P-7"), pick("", "세트"),
					qty, price, pick("C", "B", "A"), pick("선결제", "착불", "선불", " 선결제 ", "유료"), pick("배송준비중", "배송중"), cancelled, codes, lb, imp, now)
				if err != nil {
					return err
				}
				lines++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRecomputeGolden settles a varied month under rules that use every
// variable, rounding mode, filter and failure, and compares every stored row
// byte for byte with testdata/recompute.golden (written by the settling code
// before it was rewritten for speed; -update rewrites it). Settling again
// changes nothing.
func TestRecomputeGolden(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setup(t, db)
		ctx := context.Background()
		seedVaried(t, db, mk, 3000)
		s1, s2 := int64(1), int64(2)
		for _, r := range []settlement.Rule{
			{Title: "기본", Sale: "code11", Settle: "code14", Prepaid: `org_trans_who=="선결제"?code18:0`, Margin: "code18 - products:trans_fee",
				Payment: "shop_price / cnt_order"},
			{Title: "상품코드", ProductCodes: "P-2, P-3", Sale: "shop_price*qty", Rate: "87.7", Rounding: "round"},
			{Title: "공급처", SupplierID: &s1, Sale: "products:supply_price * qty + products:shop_price - products:org_price",
				Settle: "order_products * 1000 + tot_products + per_products", Rounding: "ceil"},
			{Title: "공급처2", SupplierID: &s2, Sale: "code11 / 3", Settle: "code11 * 2 / 3", Prepaid: "code18_c", Margin: "code13 / 7"},
			{Title: "기간", Priority: 2, PeriodFrom: "2025-10-20", PeriodTo: "2025-10-25", Sale: "10000 / cnt_order",
				Settle: "-code11 / 3 + cancel_cnt + cancel_order", Prepaid: "usertrans_cnt", Margin: "tot_order * 100 + cnt_order_seq", Rounding: "ceil"},
			{Title: "코드", Priority: 3, ProductCodes: "P-5", Sale: "code20_c + code21", Settle: "code22 * 2", Payment: "code11 / (qty - 1)"},
			{Title: "카드", Priority: 1, PeriodFrom: "2025-10-28", Sale: `code11 * (pay_type=="C" ? 0.95 : 1) / 7`, Rate: "33.3", Rounding: "round",
				Prepaid: `option == "세트" && order_status != "배송중" ? 100 : product_code == "P-1" ? 7 : 0`},
			{Title: "꺼짐", Priority: 9, Sale: "1", Rate: "50"},
			{Title: "너무 큼", Priority: 4, ProductCodes: "P-6", Sale: "code11 * 100000000000", Rate: "90", Margin: "-(code18)"},
		} {
			r.Marketplace, r.Enabled = "11st", r.Title != "꺼짐"
			if _, err := st.Save(ctx, sys, 0, r); err != nil {
				t.Fatalf("%s: %v", r.Title, err)
			}
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", nil); err != nil {
			t.Fatal(err)
		}
		got := dumpRows(t, db)
		if *update && db.Engine == sqldb.SQLite {
			if err := os.WriteFile("testdata/recompute.golden", []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile("testdata/recompute.golden")
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("row %d differs from testdata/recompute.golden:\n got %s\nwant %s", i+1, gl[i], wl[i])
				}
			}
			t.Fatalf("%d rows, golden has %d", len(gl), len(wl))
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "11st", nil); err != nil {
			t.Fatal(err)
		}
		if again := dumpRows(t, db); again != got {
			t.Fatal("settling again changed the rows")
		}
		// Every line was new to the first job; none changed in the second.
		var changed []int64
		rows, err := db.Read().QueryContext(ctx, `SELECT changed FROM settlement_jobs ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c int64
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			changed = append(changed, c)
		}
		rows.Close()
		if fmt.Sprint(changed) != "[3000 0]" {
			t.Fatalf("lines changed by the two jobs: %v, want [3000 0]", changed)
		}
		// One order number a batch: every bundle of several order numbers
		// is read in a batch that holds only some of its lines.
		emptySettlements(t, db)
		st.Batch = 1
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", nil); err != nil {
			t.Fatal(err)
		}
		if again := dumpRows(t, db); again != got {
			t.Fatal("settling one order number a batch gave other rows")
		}
	})
}
