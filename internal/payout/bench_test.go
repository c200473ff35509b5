package payout_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/meter"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/sheet"
)

// seedLines writes n settled order lines of marketplace shop (three lines an
// order number and a bundle, all in October 2025) in SQL, the same on both
// engines: each line expects 27,280원.
func seedLines(b *testing.B, db *sqldb.DB, marketplaceID int64, n int) {
	ctx := context.Background()
	now := time.Now().UTC()
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		var imp int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO market_imports (marketplace_id, filename, kind, status, started_at) VALUES ($1, 'seed', 'csv', 'done', $2) RETURNING id`,
			marketplaceID, now).Scan(&imp); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_bundles (id, marketplace_id, bundle_key)
			WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < $1)
			SELECT n + 1000000, $2, 'b' || n FROM seq`, n/3+1, marketplaceID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_orders (id, marketplace_id, order_no, sub_no, order_day, ordered_at, product_code, product_name,
			qty, shop_price, status, codes, raw, bundle_id, import_id, created_at, updated_at)
			WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < $1)
			SELECT n + 1, $2, 'O' || (n / 3), '' || (n % 3), CASE WHEN n % 28 < 9 THEN '2025-10-0' || (n % 28 + 1) ELSE '2025-10-' || (n % 28 + 1) END,
				'2025-10-13 09:00:00', 'BK-' || (n % 500), '교재', 1, 31000, '배송중', '{}', '{}', 1000000 + n / 3, $3, $4, $4
			FROM seq`, n-1, marketplaceID, imp, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO market_settlements (market_order_id, marketplace_id, order_day, sale, settle)
			SELECT id, marketplace_id, order_day, 31000, 27280 FROM market_orders WHERE marketplace_id = $1`, marketplaceID)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if db.Engine == sqldb.Postgres {
		_, _ = db.Read().ExecContext(ctx, `ANALYZE market_orders`)
		_, _ = db.Read().ExecContext(ctx, `ANALYZE market_settlements`)
	}
}

// payoutFile is a CSV of n payout rows against those lines: one line in a
// hundred paid 100원 short, one in a hundred not paid (its row pays an
// order that is not ours instead).
func payoutFile(n int) []byte {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	w.WriteString("주문번호,라인,구분,기준금액,수수료,입금액,정산일\n")
	for i := 0; i < n; i++ {
		no, sub, net := "O"+strconv.Itoa(i/3), strconv.Itoa(i%3), 27280
		switch i % 100 {
		case 7:
			net -= 100
		case 8:
			no = "X" + strconv.Itoa(i)
		}
		fmt.Fprintf(w, "%s,%s,상품,31000,%d,%d,2025-11-%02d\n", no, sub, 31000-net, net, 1+i%28)
	}
	w.Flush()
	return buf.Bytes()
}

// BenchmarkReconcile1M imports a payout file of n rows (1,000,000 by
// default; ORDERDESK_BENCH_LINES to change) against n settled lines:
// parse, match, store, and reconcile the month; it reports rows/s and the
// peak Go heap.
func BenchmarkReconcile1M(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("ORDERDESK_BENCH_LINES")); err == nil && v > 0 {
		n = v
	}
	for _, engine := range sqldbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			db := sqldbtest.Open(b, engine)
			e := setup(&testing.T{}, db)
			shop(&testing.T{}, e)
			m, err := e.mk.Marketplace(context.Background(), "shop")
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			seedLines(b, db, m.ID, n)
			b.Logf("%s: seeded %d settled lines in %s", engine, n, time.Since(t0).Round(time.Millisecond))
			file := payoutFile(n)
			e.po.Limits = sheet.Limits{MaxBytes: 1 << 30, MaxRows: 2 * n, MaxUncompressed: 1 << 30}
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				runtime.GC()
				stop := meter.PeakHeap(50 * time.Millisecond)
				t1 := time.Now()
				_, st, err := e.po.Import(ctx, sys, payout.ImportInput{Marketplace: "shop", Filename: fmt.Sprintf("p%d.csv", i), Data: file})
				if err != nil {
					b.Fatal(err)
				}
				took := time.Since(t1)
				peak := stop()
				b.ReportMetric(float64(n)/took.Seconds(), "rows/s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				res, err := e.po.List(ctx, payout.Filter{Marketplace: "shop", Params: paging.Params{PerPage: 1}})
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("%s: %d rows in %s (%.0f rows/s), peak heap %d MiB; statement %d matched %d unmatched; states %s", engine, n, took.Round(time.Millisecond),
					float64(n)/took.Seconds(), peak>>20, st.Matched, st.Unmatched, states(res))
			}
		})
	}
}

func states(r payout.Result) string {
	var parts []string
	for _, t := range r.Totals {
		parts = append(parts, fmt.Sprintf("%s %d", t.State, t.Lines))
	}
	return strings.Join(parts, ", ")
}
