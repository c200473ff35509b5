package stats_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/stats"
)

// benchOrders is the benchmark's size: ORDERDESK_BENCH_ORDERS, 5,000,000 by
// default (the goal); smaller sizes are for a busy machine.
func benchOrders(b *testing.B) int {
	if v := os.Getenv("ORDERDESK_BENCH_ORDERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("ORDERDESK_BENCH_ORDERS=%q: want a number ≥ 1000", v)
		}
		return n
	}
	return 5_000_000
}

// BenchmarkSalesReports builds n orders over three years (2018-01-01 to
// 2020-12-31; 200 products, one or two items an order, a tenth of them
// partly refunded) with their rollups, then times a year of 일별매출통계,
// three years of 월별매출통계 and three years of 과정매출통계 beside the plain
// GROUP BY over the orders that answers the same question.
//
//	ORDERDESK_BENCH_ORDERS=5000000 go test ./internal/stats/ -run XXX -bench SalesReports -benchtime 20x -timeout 3h
func BenchmarkSalesReports(b *testing.B) {
	n := benchOrders(b)
	for _, engine := range sqldbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			db := sqldbtest.Open(b, engine)
			w := setup(b, db)
			start := time.Now()
			seedSales(b, db, w.members["malgn"], n)
			b.Logf("%s: seeded %d orders and their rollups in %s", engine, n, time.Since(start).Round(time.Second))
			ctx := context.Background()
			cases := []struct {
				name   string
				report func() (int64, error)
				plain  string
			}{
				{"daily-1y", func() (int64, error) {
					r, err := w.stats.Daily(ctx, sys, stats.Filter{From: "2020-01-01", To: "2020-12-31"})
					return r.Total.Sales, err
				}, `SELECT paid_day, SUM(collected), COUNT(*), SUM(refunded) FROM orders WHERE paid_day >= '2020-01-01' AND paid_day <= '2020-12-31' GROUP BY paid_day`},
				{"monthly-3y", func() (int64, error) {
					r, err := w.stats.Monthly(ctx, sys, stats.Filter{From: "2018-01", To: "2020-12"})
					return r.Total.Sales, err
				}, `SELECT substr(paid_day, 1, 7), SUM(collected), COUNT(*), SUM(refunded) FROM orders WHERE paid_day >= '2018-01-01' AND paid_day <= '2020-12-31' GROUP BY substr(paid_day, 1, 7)`},
				{"courses-3y", func() (int64, error) {
					r, err := w.stats.Courses(ctx, sys, stats.CourseFilter{From: "2018-01-01", To: "2020-12-31"})
					return r.Total.Sales, err
				}, `SELECT i.product_id, SUM(i.paid), COUNT(DISTINCT o.id), SUM(i.refunded) FROM orders o JOIN order_items i ON i.order_id = o.id
					WHERE o.paid_day >= '2018-01-01' AND o.paid_day <= '2020-12-31' GROUP BY i.product_id`},
			}
			for _, c := range cases {
				b.Run(c.name+"/report", func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						if sales, err := c.report(); err != nil || sales <= 0 {
							b.Fatalf("report: %d %v", sales, err)
						}
					}
				})
				b.Run(c.name+"/group-by-orders", func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						rows, err := db.Read().QueryContext(ctx, c.plain)
						if err != nil {
							b.Fatal(err)
						}
						k := 0
						for rows.Next() {
							k++
						}
						rows.Close()
						if k == 0 {
							b.Fatal("no rows")
						}
					}
				})
			}
		})
	}
}

// seedSales writes n paid orders in set-based SQL (the same text on both
// engines), 200 more products, and the two rollups as book() keeps them: a
// capture on the paid day at each item's paid, a refund of 3,000원 of the
// first item of every tenth order on the same day.
func seedSales(b *testing.B, db *sqldb.DB, memberID int64, n int) {
	ctx := context.Background()
	day0 := time.Date(2018, 1, 1, 12, 0, 0, 0, kst.Seoul)
	const days = 1096
	at := sqldb.Instant(day0)
	steps := []struct {
		sql  string
		args []any
	}{
		{`CREATE TABLE bench_days (i INTEGER PRIMARY KEY, day TEXT NOT NULL)`, nil},
		{`INSERT INTO products (id, site, kind, name, list_price, sale_price, category, delivery, schedule, access_days, created_at, updated_at)
			WITH RECURSIVE seq(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM seq WHERE k < 200)
			SELECT 100000 + k, 'malgn', CASE WHEN k % 5 = 0 THEN 'textbook' ELSE 'course' END, '상품 ' || k, 10000, 10000,
				CASE WHEN k % 2 = 0 THEN 'IT' ELSE '어학' END, CASE WHEN k % 5 = 0 THEN '' ELSE 'online' END,
				CASE WHEN k % 5 = 0 THEN '' ELSE 'always_open' END, 90, $1, $1 FROM seq`, []any{at}},
		{`INSERT INTO orders (id, order_no, site, member_id, buyer_name, buyer_login, title, method, status,
			list_total, subsidy_total, discount_total, shipping_fee, total, collected, refunded, ordered_at, ordered_day, paid_at, paid_day, updated_at)
			WITH RECURSIVE seq(n) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT n + 1 FROM seq WHERE n < $1)
			SELECT 1000000 + n, 1000000 + n, 'malgn', $2, '구매자', 'user', '상품', CASE n % 4 WHEN 0 THEN 'card' WHEN 1 THEN 'transfer' WHEN 2 THEN 'bank_deposit' ELSE 'vbank' END,
				CASE WHEN n % 10 = 9 THEN 'partially_refunded' ELSE 'paid' END,
				CASE WHEN n % 3 = 0 THEN 15000 ELSE 10000 END, 0, 0, 0, CASE WHEN n % 3 = 0 THEN 15000 ELSE 10000 END,
				CASE WHEN n % 3 = 0 THEN 15000 ELSE 10000 END, CASE WHEN n % 10 = 9 THEN 3000 ELSE 0 END,
				$3, d.day, $3, d.day, $3
			FROM seq JOIN bench_days d ON d.i = (n * $4 / ($1 + 1))`, []any{n, memberID, at, days}},
		{`INSERT INTO order_items (order_id, product_id, kind, name, qty, unit_price, list_price, paid, refunded, status)
			SELECT id, 100001 + (id % 200), 'course', '상품', 1, 10000, 10000, 10000, CASE WHEN id % 10 = 9 THEN 3000 ELSE 0 END, 'paid'
			FROM orders WHERE id > 1000000`, nil},
		{`INSERT INTO order_items (order_id, product_id, kind, name, qty, unit_price, list_price, paid, status)
			SELECT id, 100001 + ((id * 7) % 200), 'course', '상품', 1, 5000, 5000, 5000, 'paid' FROM orders WHERE id > 1000000 AND id % 3 = 0`, nil},
		{`INSERT INTO sales_daily (site, day, method, captured, returned, orders, refunds)
			SELECT site, paid_day, method, SUM(collected), SUM(refunded), COUNT(*), SUM(CASE WHEN refunded > 0 THEN 1 ELSE 0 END)
			FROM orders WHERE id > 1000000 GROUP BY site, paid_day, method`, nil},
		{`INSERT INTO sales_products (site, day, product_id, captured, returned, orders, refunds)
			SELECT o.site, o.paid_day, i.product_id, SUM(i.paid), SUM(i.refunded), COUNT(*), SUM(CASE WHEN i.refunded > 0 THEN 1 ELSE 0 END)
			FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id > 1000000 GROUP BY o.site, o.paid_day, i.product_id`, nil},
		{`INSERT INTO sales_products_monthly (site, month, product_id, captured, returned, orders, refunds)
			SELECT site, substr(day, 1, 7), product_id, SUM(captured), SUM(returned), SUM(orders), SUM(refunds) FROM sales_products
			GROUP BY site, substr(day, 1, 7), product_id`, nil},
	}
	for i, s := range steps {
		err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			if i == 1 {
				for d := 0; d < days; d++ {
					if _, err := tx.ExecContext(ctx, `INSERT INTO bench_days (i, day) VALUES ($1, $2)`, d, kst.Day(day0.AddDate(0, 0, d))); err != nil {
						return err
					}
				}
			}
			_, err := tx.ExecContext(ctx, s.sql, s.args...)
			return err
		})
		if err != nil {
			b.Fatalf("seed step %d: %v", i, err)
		}
	}
	for _, t := range []string{"orders", "order_items", "sales_daily", "sales_products", "sales_products_monthly"} {
		if db.Engine == sqldb.Postgres {
			_, _ = db.Read().ExecContext(ctx, `ANALYZE `+t)
		} else {
			_, _ = db.Read().ExecContext(ctx, `ANALYZE`)
			break
		}
	}
}
