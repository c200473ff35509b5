package order_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// BenchmarkPlaceAndPay places a card order and confirms it at the sandbox,
// through the service layer: two transactions and a gateway call each.
func BenchmarkPlaceAndPay(b *testing.B) {
	for _, engine := range sqldbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			db := sqldbtest.Open(b, engine)
			f := setupB(b, db)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				o, err := f.svc.Place(ctx, sys, order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: "card",
					Items: []order.ItemInput{{ProductID: f.course, Qty: 1}}})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.svc.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", fmt.Sprintf("bench-%d", i), o.Total); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListFilteredPage lists one filtered page of 주문목록 (with its
// total) over 1,000,000 orders.
func BenchmarkListFilteredPage(b *testing.B) {
	const n = 1_000_000
	for _, engine := range sqldbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			db := sqldbtest.Open(b, engine)
			f := setupB(b, db)
			start := time.Now()
			seedOrders(b, db, f.memberID, n)
			b.Logf("%s: seeded %d orders in %s", engine, n, time.Since(start).Round(time.Millisecond))
			ctx := context.Background()
			filters := map[string]order.Filter{
				"default":      {},
				"card-paid-q3": {Method: "card", Status: order.StatusPaid, OrderedFrom: "2020-07-01", OrderedTo: "2020-09-30"},
				"member-login": {Q: "user1234", Field: "member_login", IncludePending: true},
				"paid-day-p5":  {PaidFrom: "2020-08-01", PaidTo: "2020-08-31", Params: paging.Params{Page: 5}},
			}
			for name, flt := range filters {
				b.Run(name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						page, err := f.svc.List(ctx, sys, flt)
						if err != nil {
							b.Fatal(err)
						}
						if page.Total == 0 || len(page.Items) == 0 {
							b.Fatalf("%s: empty page", name)
						}
					}
				})
			}
		})
	}
}

// seedOrders writes n orders quickly in SQL: a numbers table joined to a
// table of 1,000 business days, so that the same SQL runs on both engines.
func seedOrders(b *testing.B, db *sqldb.DB, memberID int64, n int) {
	ctx := context.Background()
	day0 := time.Date(2018, 1, 1, 12, 0, 0, 0, kst.Seoul)
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE bench_days (i INTEGER PRIMARY KEY, day TEXT NOT NULL)`); err != nil {
			return err
		}
		for i := 0; i < 1000; i++ {
			if _, err := tx.ExecContext(ctx, `INSERT INTO bench_days (i, day) VALUES ($1, $2)`, i, kst.Day(day0.AddDate(0, 0, i))); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO orders (order_no, site, member_id, buyer_name, buyer_login, title, method, status,
			list_total, subsidy_total, discount_total, shipping_fee, total, collected, ordered_at, ordered_day, paid_day, updated_at)
			WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $1)
			SELECT n + 1000, 'malgn', $2, '구매자' || (n % 5000), 'user' || (n % 5000), '과정 ' || (n % 300),
				CASE n % 8 WHEN 0 THEN 'card' WHEN 1 THEN 'transfer' WHEN 2 THEN 'vbank' WHEN 3 THEN 'mobile' WHEN 4 THEN 'foreign_card'
					WHEN 5 THEN 'bank_deposit' WHEN 6 THEN 'voucher_card' ELSE 'card' END,
				CASE WHEN n % 10 < 6 THEN 'paid' WHEN n % 10 = 6 THEN 'awaiting_deposit' WHEN n % 10 = 7 THEN 'pending'
					WHEN n % 10 = 8 THEN 'cancelled' ELSE 'partially_refunded' END,
				10000, 0, 0, 0, 10000, CASE WHEN n % 10 < 6 OR n % 10 = 9 THEN 10000 ELSE 0 END,
				$3, d.day, CASE WHEN n % 10 < 6 OR n % 10 = 9 THEN d.day ELSE '' END, $3
			FROM seq JOIN bench_days d ON d.i = (n * 1000 / ($1 + 1))`, n, memberID, sqldb.Instant(day0))
		if err != nil {
			return err
		}
		for _, q := range []string{`INSERT INTO order_day_counts (ordered_day, paid_day, site, status, method, n)
			SELECT ordered_day, paid_day, site, status, method, COUNT(*) FROM orders GROUP BY ordered_day, paid_day, site, status, method`,
			`INSERT INTO order_month_counts (ordered_month, paid_month, site, status, method, n)
			SELECT SUBSTR(ordered_day, 1, 7), SUBSTR(paid_day, 1, 7), site, status, method, SUM(n) FROM order_day_counts
			GROUP BY SUBSTR(ordered_day, 1, 7), SUBSTR(paid_day, 1, 7), site, status, method`,
			`INSERT INTO order_days (day, min_no, max_no) SELECT ordered_day, MIN(order_no), MAX(order_no) FROM orders GROUP BY ordered_day`,
			`INSERT INTO order_titles (title) SELECT DISTINCT title FROM orders`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if db.Engine == sqldb.Postgres {
		_, _ = db.Read().ExecContext(ctx, `ANALYZE orders`)
	} else {
		_, _ = db.Read().ExecContext(ctx, `SELECT 1`)
	}
}
