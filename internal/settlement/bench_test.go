package settlement_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

// seedMarketOrders writes n order lines of marketplace 11st (three lines an
// order number and a bundle) in SQL, the same on both engines.
func seedMarketOrders(b *testing.B, db *sqldb.DB, n int) {
	ctx := context.Background()
	now := time.Now().UTC()
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		var mp int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM marketplaces WHERE code = '11st'`).Scan(&mp); err != nil {
			return err
		}
		var imp int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO market_imports (marketplace_id, filename, kind, status, started_at) VALUES ($1, 'seed', 'csv', 'done', $2) RETURNING id`, mp, now).Scan(&imp); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_bundles (id, marketplace_id, bundle_key)
			WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < $1)
			SELECT n + 1000000, $2, 'b' || n FROM seq`, n/3+1, mp); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO market_orders (marketplace_id, order_no, sub_no, order_day, ordered_at, product_code, product_name,
			qty, shop_price, pay_type, org_trans_who, status, codes, raw, bundle_id, import_id, created_at, updated_at)
			WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < $1)
			SELECT $2, 'O' || (n / 3), '' || (n % 3), CASE WHEN n % 28 < 9 THEN '2025-10-0' || (n % 28 + 1) ELSE '2025-10-' || (n % 28 + 1) END,
				'2025-10-13 09:00:00', 'BK-' || (n % 500), '교재', 1 + n % 3, 31000, CASE WHEN n % 2 = 0 THEN 'C' ELSE 'B' END,
				CASE WHEN n % 5 = 0 THEN '선결제' ELSE '착불' END, '배송준비중',
				'{"code11":"31,000","code13":"3,720","code14":"27,280","code18":"2,500"}', '{}', 1000000 + n / 3, $3, $4, $4
			FROM seq`, n-1, mp, imp, now)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if db.Engine == sqldb.Postgres {
		_, _ = db.Read().ExecContext(ctx, `ANALYZE market_orders`)
	}
}

// BenchmarkSettle1M settles n imported lines (1,000,000 by default;
// ORDERDESK_BENCH_LINES to change) from the database with a rule of six
// formulas and writes the results back.
func BenchmarkSettle1M(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("ORDERDESK_BENCH_LINES")); err == nil && v > 0 {
		n = v
	}
	for _, engine := range sqldbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			db := sqldbtest.Open(b, engine)
			mk, st := setup(&testing.T{}, db)
			_ = mk
			start := time.Now()
			seedMarketOrders(b, db, n)
			b.Logf("%s: seeded %d lines in %s", engine, n, time.Since(start).Round(time.Millisecond))
			ctx := context.Background()
			if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "6 formulas", Sale: "code11", Settle: "code11*(100-15.4)/100",
				Prepaid: `org_trans_who=="선결제"?code18:0`, Margin: "code18 - 1700", Payment: "shop_price / cnt_order", Rate: "", Enabled: true}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", nil); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(n)/time.Since(t0).Seconds(), "lines/s")
			}
		})
	}
}
