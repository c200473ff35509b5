package settlement_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orderdesk/orderdesk/internal/platform/meter"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

// seedMarketOrders writes n order lines of marketplace 11st (three lines an
// order number and a bundle) in SQL, the same on both engines.
func seedMarketOrders(b testing.TB, db *sqldb.DB, n int) {
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

// benchLines is the benchmarks' size: 1,000,000 lines, or ORDERDESK_BENCH_LINES.
func benchLines() int {
	if v, err := strconv.Atoi(os.Getenv("ORDERDESK_BENCH_LINES")); err == nil && v > 0 {
		return v
	}
	return 1_000_000
}

// ceiling measures the engine's plain-insert ceiling in this run: n rows of
// market_settlements' width and key (ten columns, a primary key, no other
// index or foreign key) inserted into an empty table in transactions of
// 5,000 rows, the fastest plain way each engine offers: on SQLite one
// prepared INSERT per row, on PostgreSQL COPY (pgx CopyFrom) straight into
// the table. It returns rows per second.
func ceiling(b *testing.B, db *sqldb.DB, dsn string, n int) float64 {
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE bench_ceiling (market_order_id BIGINT PRIMARY KEY, marketplace_id BIGINT NOT NULL,
			order_day TEXT NOT NULL, rule_version_id BIGINT, sale BIGINT NOT NULL, settle BIGINT NOT NULL, prepaid BIGINT NOT NULL,
			margin BIGINT NOT NULL, payment BIGINT NOT NULL, unsettled TEXT NOT NULL)`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	cols := []string{"market_order_id", "marketplace_id", "order_day", "rule_version_id", "sale", "settle", "prepaid", "margin", "payment", "unsettled"}
	row := func(i int) []any {
		return []any{int64(i + 1), int64(1), "2025-10-13", int64(1), int64(31000), int64(26226), int64(2500), int64(800), int64(10333), ""}
	}
	const per = 5000
	start := time.Now()
	if db.Engine == sqldb.Postgres {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		for s := 0; s < n; s += per {
			m := min(per, n-s)
			err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				_, err := tx.CopyFrom(ctx, pgx.Identifier{"bench_ceiling"}, cols, pgx.CopyFromSlice(m, func(i int) ([]any, error) { return row(s + i), nil }))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	} else {
		for s := 0; s < n; s += per {
			err := db.InTx(ctx, func(tx *sqldb.Tx) error {
				st, err := tx.PrepareContext(ctx, `INSERT INTO bench_ceiling (market_order_id, marketplace_id, order_day, rule_version_id, sale, settle,
					prepaid, margin, payment, unsettled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
				if err != nil {
					return err
				}
				defer st.Close()
				for i := s; i < min(s+per, n); i++ {
					if _, err := st.ExecContext(ctx, row(i)...); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	rate := float64(n) / time.Since(start).Seconds()
	if err := db.InTx(ctx, func(tx *sqldb.Tx) error { _, err := tx.ExecContext(ctx, `DROP TABLE bench_ceiling`); return err }); err != nil {
		b.Fatal(err)
	}
	return rate
}

// openBench opens a fresh database of the engine and returns its address too.
func openBench(b *testing.B, engine sqldb.Engine) (*sqldb.DB, string) {
	dsn := sqldbtest.DSN(b, engine)
	db, err := sqldb.Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return db, dsn
}

// measure runs f once and reports its lines/s, its CPU seconds (the whole
// process: the database's own work on SQLite, only the client's on
// PostgreSQL) and its ratio to the plain-insert ceiling.
func measure(b *testing.B, name string, n int, ceil float64, f func() error) {
	t0, c0 := time.Now(), meter.CPU()
	if err := f(); err != nil {
		b.Fatal(err)
	}
	wall, cpu := time.Since(t0), meter.CPU()-c0
	rate := float64(n) / wall.Seconds()
	b.ReportMetric(rate, name+"-lines/s")
	b.ReportMetric(wall.Seconds(), name+"-s")
	b.ReportMetric(cpu.Seconds(), name+"-cpu-s")
	b.ReportMetric(rate/ceil, name+"/ceiling")
	fmt.Printf("%s: %s %d lines in %.2f s (%.0f lines/s, %.2f s of CPU here), %.1f %% of the plain-insert ceiling (%.0f rows/s)\n",
		b.Name(), name, n, wall.Seconds(), rate, cpu.Seconds(), 100*rate/ceil, ceil)
}

// BenchmarkSettle1M settles n imported lines (1,000,000 by default;
// ORDERDESK_BENCH_LINES to change) from the database with a rule of six
// formulas, writes the results into an empty settlements table, and
// reports the ratio to the engine's plain-insert ceiling measured in the
// same run.
func BenchmarkSettle1M(b *testing.B) {
	n := benchLines()
	for _, engine := range sqldbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			db, dsn := openBench(b, engine)
			_, st := setup(&testing.T{}, db)
			start := time.Now()
			seedMarketOrders(b, db, n)
			b.Logf("%s: seeded %d lines in %s", engine, n, time.Since(start).Round(time.Millisecond))
			ctx := context.Background()
			if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "6 formulas", Sale: "code11", Settle: "code11*(100-15.4)/100",
				Prepaid: `org_trans_who=="선결제"?code18:0`, Margin: "code18 - 1700", Payment: "shop_price / cnt_order", Rate: "", Enabled: true}); err != nil {
				b.Fatal(err)
			}
			ceil := ceiling(b, db, dsn, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i > 0 {
					emptySettlements(b, db)
				}
				measure(b, "settle", n, ceil, func() error {
					_, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", nil)
					return err
				})
			}
		})
	}
}

// sqlRule is a rule SQL can express over the columns (no codes, whole-won
// shares), and sqlSettle computes what Recompute stores for it, in one
// INSERT … SELECT: 총판매금액 shop_price × qty, 정산예정금액 88 % of it,
// 선결제처리 2,500 on a bundle's first live line when the buyer prepaid,
// 배송마진 800 on that line, 결제금액 shop_price / cnt_order cut to the won.
var sqlRule = settlement.Rule{Marketplace: "11st", Title: "SQL로 쓸 수 있는 룰", Sale: "shop_price * qty", Settle: "shop_price * qty * 88 / 100",
	Prepaid: `org_trans_who == "선결제" ? 2500 : 0`, Margin: "800", Payment: "shop_price / cnt_order", Enabled: true}

const sqlSettle = `INSERT INTO market_settlements (market_order_id, marketplace_id, order_day, rule_version_id, sale, settle, prepaid, margin, payment, unsettled)
	SELECT o.id, o.marketplace_id, o.order_day, $1, o.shop_price * o.qty, o.shop_price * o.qty * 88 / 100,
		CASE WHEN o.id = f.first AND o.org_trans_who = '선결제' THEN 2500 ELSE 0 END, CASE WHEN o.id = f.first THEN 800 ELSE 0 END,
		o.shop_price / c.n, ''
	FROM market_orders o
	JOIN (SELECT order_no, COUNT(*) AS n FROM market_orders WHERE marketplace_id = $2 GROUP BY order_no) c ON c.order_no = o.order_no
	JOIN (SELECT bundle_id, MIN(CASE WHEN cancelled THEN NULL ELSE id END) AS first FROM market_orders WHERE marketplace_id = $2 GROUP BY bundle_id) f
		ON f.bundle_id = o.bundle_id
	WHERE o.marketplace_id = $2
	ON CONFLICT (market_order_id) DO UPDATE SET rule_version_id = excluded.rule_version_id, sale = excluded.sale, settle = excluded.settle,
		prepaid = excluded.prepaid, margin = excluded.margin, payment = excluded.payment, unsettled = excluded.unsettled, order_day = excluded.order_day`

// settleInSQL stores what sqlRule settles, in one statement.
func settleInSQL(ctx context.Context, db *sqldb.DB, version int64) error {
	return db.InTx(ctx, func(tx *sqldb.Tx) error {
		var mp int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM marketplaces WHERE code = '11st'`).Scan(&mp); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, sqlSettle, version, mp)
		return err
	})
}

func emptySettlements(b testing.TB, db *sqldb.DB) {
	err := db.InTx(context.Background(), func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(context.Background(), `DELETE FROM market_settlements`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSettle1MSQL is the lower bound to compare with: the same lines
// settled by one INSERT … SELECT for sqlRule (a rule SQL can express), and
// then by Recompute with that rule, each into an empty settlements table,
// beside the plain-insert ceiling of the same run.
// TestSQLSettleEqualsRecompute checks that both store the same rows.
func BenchmarkSettle1MSQL(b *testing.B) {
	n := benchLines()
	for _, engine := range sqldbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			db, dsn := openBench(b, engine)
			_, st := setup(&testing.T{}, db)
			seedMarketOrders(b, db, n)
			ctx := context.Background()
			rule, err := st.Save(ctx, sys, 0, sqlRule)
			if err != nil {
				b.Fatal(err)
			}
			ceil := ceiling(b, db, dsn, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				emptySettlements(b, db)
				measure(b, "sql", n, ceil, func() error { return settleInSQL(ctx, db, rule.VersionID) })
				emptySettlements(b, db)
				measure(b, "settle", n, ceil, func() error {
					_, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", nil)
					return err
				})
			}
		})
	}
}

// The lower-bound statement stores exactly the rows Recompute stores for
// its rule.
func TestSQLSettleEqualsRecompute(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		_, st := setup(t, db)
		seedMarketOrders(t, db, 3000)
		ctx := context.Background()
		// A cancelled first line moves a bundle's shipping to its next line.
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE market_orders SET cancelled = TRUE WHERE id IN (SELECT MIN(id) FROM market_orders GROUP BY bundle_id HAVING MIN(id) % 4 = 0)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		rule, err := st.Save(ctx, sys, 0, sqlRule)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", nil); err != nil {
			t.Fatal(err)
		}
		byGo := dumpRows(t, db)
		emptySettlements(t, db)
		if err := settleInSQL(ctx, db, rule.VersionID); err != nil {
			t.Fatal(err)
		}
		if bySQL := dumpRows(t, db); bySQL != byGo || len(byGo) < 3000*20 {
			t.Fatalf("SQL and Recompute differ (%d and %d bytes)", len(bySQL), len(byGo))
		}
	})
}
