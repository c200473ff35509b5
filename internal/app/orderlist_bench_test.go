package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/app"
	"github.com/orderdesk/orderdesk/internal/config"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/site"
	"github.com/orderdesk/orderdesk/internal/staff"
)

// orderListCases are the searches 주문목록 offers, as the screen and the API
// send them: every filter alone, the common pairs, broad ranges of a year and
// deep pages. The seeded orders span 2018-01-01 to 2020-09-26 (1,000 days).
var orderListCases = []struct{ name, query string }{
	{"default", ""},
	{"include-pending", "include_pending=1"},
	{"status-paid", "status=paid"},
	{"status-awaiting", "status=awaiting_deposit"},
	{"status-cancelled", "status=cancelled"},
	{"status-partial", "status=partially_refunded"},
	{"status-refunded", "status=refunded"},
	{"method-card", "method=card"},
	{"method-vbank", "method=vbank"},
	{"method-bank-deposit", "method=bank_deposit"},
	{"method-voucher", "method=voucher_card"},
	{"method-free", "method=free"},
	{"site", "site=second"},
	{"ordered-day", "ordered_from=2019-05-01&ordered_to=2019-05-01"},
	{"ordered-month", "ordered_from=2019-05-01&ordered_to=2019-05-31"},
	{"ordered-year", "ordered_from=2019-01-01&ordered_to=2019-12-31"},
	{"ordered-all", "ordered_from=2018-01-01&ordered_to=2020-12-31"},
	{"ordered-from-only", "ordered_from=2019-01-01"},
	{"ordered-to-only", "ordered_to=2018-06-30"},
	{"paid-day", "paid_from=2019-05-01&paid_to=2019-05-01"},
	{"paid-month", "paid_from=2019-05-01&paid_to=2019-05-31"},
	{"paid-year", "paid_from=2019-01-01&paid_to=2019-12-31"},
	{"paid-from-only", "paid_from=2019-01-01"},
	{"both-dates-year", "ordered_from=2019-01-01&ordered_to=2019-12-31&paid_from=2019-01-01&paid_to=2019-12-31"},
	{"card-paid", "method=card&status=paid"},
	{"card-paid-year", "method=card&status=paid&ordered_from=2019-01-01&ordered_to=2019-12-31"},
	{"paid-status-year", "status=paid&ordered_from=2019-01-01&ordered_to=2019-12-31"},
	{"card-paidday-year", "method=card&paid_from=2019-01-01&paid_to=2019-12-31"},
	{"paid-status-paidday-year", "status=paid&paid_from=2019-01-01&paid_to=2019-12-31"},
	{"vbank-awaiting", "method=vbank&status=awaiting_deposit"},
	{"free-refunded-year", "method=free&status=refunded&ordered_from=2019-01-01&ordered_to=2019-12-31"},
	{"voucher-cancelled-month", "method=voucher_card&status=cancelled&ordered_from=2019-05-01&ordered_to=2019-05-31"},
	{"site-card-year", "site=second&method=card&ordered_from=2019-01-01&ordered_to=2019-12-31"},
	{"pending-year", "include_pending=1&ordered_from=2019-01-01&ordered_to=2019-12-31"},
	{"member-login", "field=member_login&q=user1234"},
	{"member-login-year", "field=member_login&q=user1234&ordered_from=2019-01-01&ordered_to=2019-12-31"},
	{"buyer-name", "field=buyer_name&q=구매자777"},
	{"order-no", "field=order_no&q=150000"},
	{"title", "field=title&q=과정 17"},
	{"title-year", "field=title&q=과정 17&ordered_from=2019-01-01&ordered_to=2019-12-31"},
	{"title-rare", "field=title&q=없는 과정"},
	{"keyword-all", "q=user1234"},
	{"per-page-500-year", "status=paid&ordered_from=2019-01-01&ordered_to=2019-12-31&per_page=500"},
	{"page-5", "page=5"},
	{"last-page-by-offset", "page=45000"},
	{"card-paid-year-last-page-by-offset", "method=card&status=paid&ordered_from=2019-01-01&ordered_to=2019-12-31&per_page=50&page=1000"},
	{"paid-month-page-5", "paid_from=2019-05-01&paid_to=2019-05-31&page=5"},
}

// orderListDeep are deep pages reached as the screen reaches them: from a
// page's pager (its links go at most five pages away), and the last page.
var orderListDeep = []struct {
	name, query string
	page        int
}{
	{"deep-default-p2000", "", 2000},
	{"deep-card-paid-year-p500", "method=card&status=paid&ordered_from=2019-01-01&ordered_to=2019-12-31", 500},
	{"deep-paidday-year-p1000", "paid_from=2019-01-01&paid_to=2019-12-31", 1000},
	{"deep-site-paid-p1500", "site=second&status=paid", 1500},
}

// BenchmarkOrderListHTTP asks GET /api/v1/orders of a server over HTTP for
// each search of 주문목록 over ORDERDESK_BENCH_ORDERS orders (1,000,000 by
// default) and reports each one's p50 and p95 in milliseconds.
func BenchmarkOrderListHTTP(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("ORDERDESK_BENCH_ORDERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10_000 {
			b.Fatalf("ORDERDESK_BENCH_ORDERS=%q: a whole number from 10000", v)
		}
	}
	for _, engine := range sqldbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			srv, token, scoped := orderListServer(b, engine, n)
			get := func(b *testing.B, tok, query string) orderListAnswer {
				v, err := url.ParseQuery(query)
				if err != nil {
					b.Fatal(err)
				}
				req, _ := http.NewRequest("GET", srv.URL+"/api/v1/orders?"+v.Encode(), nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 {
					b.Fatalf("%s: %d %s", query, resp.StatusCode, body)
				}
				var a orderListAnswer
				if err := json.Unmarshal(body, &a); err != nil {
					b.Fatal(err)
				}
				return a
			}
			measure := func(b *testing.B, tok, query string) {
				first := get(b, tok, query)
				b.Logf("%s: total %d, %d rows", query, first.Total, len(first.Items))
				times := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					start := time.Now()
					a := get(b, tok, query)
					times = append(times, time.Since(start))
					if a.Total != first.Total || len(a.Items) != len(first.Items) {
						b.Fatalf("%s: answers differ", query)
					}
				}
				b.StopTimer()
				reportPercentiles(b, times)
			}
			for _, c := range orderListCases {
				b.Run(c.name, func(b *testing.B) { measure(b, token, c.query) })
			}
			b.Run("scoped-site-admin", func(b *testing.B) { measure(b, scoped, "") })
			b.Run("scoped-site-admin-card-year", func(b *testing.B) {
				measure(b, scoped, "method=card&ordered_from=2019-01-01&ordered_to=2019-12-31")
			})
			for _, c := range orderListDeep {
				b.Run(c.name, func(b *testing.B) {
					q := c.query
					if q != "" {
						q += "&"
					}
					measure(b, token, deepPageQuery(b, func(query string) orderListAnswer { return get(b, token, query) }, q, c.page))
				})
			}
		})
	}
}

// deepPageQuery is the query of page as the pager of the page five before
// it links to it (a page's links reach five pages away, through the first
// order of the page they are on). The page five before is read once by its
// offset, outside the measure.
func deepPageQuery(b *testing.B, get func(string) orderListAnswer, q string, page int) string {
	from := max(1, page-5)
	a := get(q + "page=" + strconv.Itoa(from))
	if len(a.Items) == 0 {
		b.Fatalf("%spage=%d is empty", q, from)
	}
	return fmt.Sprintf("%spage=%d&anchor=%d&anchor_page=%d", q, page, a.Items[0].OrderNo, from)
}

type orderListAnswer struct {
	Total int `json:"total"`
	Page  int `json:"page"`
	Items []struct {
		OrderNo int64 `json:"order_no"`
	} `json:"items"`
}

func reportPercentiles(b *testing.B, times []time.Duration) {
	slices.Sort(times)
	at := func(p float64) float64 {
		i := int(float64(len(times))*p+0.5) - 1
		i = max(0, min(i, len(times)-1))
		return float64(times[i].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
	b.ReportMetric(0, "ns/op")
}

// orderListServer serves the app over httptest with n orders seeded in SQL,
// and answers a super_admin token and a site_admin token of the site malgn.
func orderListServer(b *testing.B, engine sqldb.Engine, n int) (*httptest.Server, string, string) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.DB = sqldbtest.DSN(b, engine)
	cfg.SecretKey = testKey
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	sys := access.System()
	var memberID int64
	for _, code := range []string{"malgn", "second"} {
		if _, err := a.Sites.Create(ctx, sys, site.Site{Code: code, Name: code}); err != nil {
			b.Fatal(err)
		}
		m, err := a.Members.Create(ctx, sys, member.Input{Site: code, Login: "buyer-" + code, Name: "구매자"})
		if err != nil {
			b.Fatal(err)
		}
		memberID = m.ID
	}
	token := func(login string, role access.Role, sites ...string) string {
		if _, err := a.Staff.Create(ctx, sys, staff.NewStaff{Login: login, Password: "correct horse battery", Role: role, Sites: sites}); err != nil {
			b.Fatal(err)
		}
		tok, err := a.Staff.CreateToken(ctx, sys, login, "bench")
		if err != nil {
			b.Fatal(err)
		}
		return tok
	}
	root, scoped := token("root", access.SuperAdmin), token("clerk", access.SiteAdmin, "malgn")
	start := time.Now()
	seedOrderList(b, a.DB, memberID, n)
	b.Logf("%s: seeded %d orders in %s", engine, n, time.Since(start).Round(time.Millisecond))
	h, err := a.Handler()
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return srv, root, scoped
}

// benchDays makes the seeding table bench_days: n Seoul business days from
// day0's, numbered from 0, for set-based SQL to join orders to.
func benchDays(ctx context.Context, tx *sqldb.Tx, day0 time.Time, n int) error {
	if _, err := tx.ExecContext(ctx, `CREATE TABLE bench_days (i INTEGER PRIMARY KEY, day TEXT NOT NULL)`); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if _, err := tx.ExecContext(ctx, `INSERT INTO bench_days (i, day) VALUES ($1, $2)`, i, kst.Day(day0.AddDate(0, 0, i))); err != nil {
			return err
		}
	}
	return nil
}

// seedOrderList writes n orders in SQL over 1,000 Seoul days from
// 2018-01-01, order numbers rising with the day: two sites (7:3), the eight
// methods (card the most), every status (pending one in ten), and payment on
// the day of the order or, for 가상계좌 and 자체계좌, up to six days later.
// The rollups are built from the orders as the migrations build them.
func seedOrderList(b *testing.B, db *sqldb.DB, memberID int64, n int) {
	ctx := context.Background()
	day0 := time.Date(2018, 1, 1, 12, 0, 0, 0, kst.Seoul)
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := benchDays(ctx, tx, day0, 1010); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO orders (order_no, site, member_id, buyer_name, buyer_login, title, method, status,
			list_total, subsidy_total, discount_total, shipping_fee, total, collected, refunded, tax_invoice, ordered_at, ordered_day, paid_day, updated_at)
			WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $1)
			SELECT o.n + 1000, o.site, $2, '구매자' || (o.n % 40000), 'user' || (o.n % 50000), '과정 ' || (o.n % 300), o.method, o.status,
				10000, 0, 0, 0, 10000, CASE WHEN o.status IN ('paid', 'partially_refunded', 'refunded') THEN 10000 ELSE 0 END,
				CASE o.status WHEN 'partially_refunded' THEN 3000 WHEN 'refunded' THEN 10000 ELSE 0 END,
				(o.method = 'bank_deposit' AND o.n % 3 = 0),
				$3, d.day, CASE WHEN o.status IN ('paid', 'partially_refunded', 'refunded') THEN p.day ELSE '' END, $3
			FROM (SELECT n, CASE WHEN n % 10 < 7 THEN 'malgn' ELSE 'second' END AS site,
				CASE n % 16 WHEN 0 THEN 'transfer' WHEN 1 THEN 'vbank' WHEN 2 THEN 'vbank' WHEN 3 THEN 'mobile' WHEN 4 THEN 'foreign_card'
					WHEN 5 THEN 'bank_deposit' WHEN 6 THEN 'voucher_card' WHEN 7 THEN 'voucher_card' WHEN 8 THEN 'free' ELSE 'card' END AS method,
				CASE WHEN n % 20 < 12 THEN 'paid' WHEN n % 20 < 14 THEN 'pending' WHEN n % 20 < 16 THEN 'awaiting_deposit'
					WHEN n % 20 < 18 THEN 'cancelled' WHEN n % 20 = 18 THEN 'partially_refunded' ELSE 'refunded' END AS status,
				n * 1000 / ($1 + 1) AS di
				FROM seq) o
			JOIN bench_days d ON d.i = o.di
			JOIN bench_days p ON p.i = o.di + CASE WHEN o.method IN ('vbank', 'bank_deposit') THEN o.n % 7 ELSE 0 END`,
			n, memberID, sqldb.Instant(day0))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DROP TABLE bench_days`); err != nil {
			return err
		}
		return seedOrderListRollups(ctx, tx)
	})
	if err != nil {
		b.Fatal(err)
	}
	if db.Engine == sqldb.Postgres {
		if _, err := db.Read().ExecContext(ctx, `VACUUM ANALYZE orders, order_day_counts, order_month_counts, order_days, order_titles`); err != nil {
			b.Fatal(err)
		}
	}
}

// seedOrderListRollups builds the rollups of 주문목록 from the orders, as the
// migration 0017 does.
func seedOrderListRollups(ctx context.Context, tx *sqldb.Tx) error {
	for _, q := range []string{`INSERT INTO order_day_counts (ordered_day, paid_day, site, status, method, n)
			SELECT ordered_day, paid_day, site, status, method, COUNT(*) FROM orders GROUP BY ordered_day, paid_day, site, status, method`,
		`INSERT INTO order_month_counts (ordered_month, paid_month, site, status, method, n)
			SELECT SUBSTR(ordered_day, 1, 7), SUBSTR(paid_day, 1, 7), site, status, method, SUM(n) FROM order_day_counts
			GROUP BY SUBSTR(ordered_day, 1, 7), SUBSTR(paid_day, 1, 7), site, status, method`,
		`INSERT INTO order_days (day, min_no, max_no) SELECT ordered_day, MIN(order_no), MAX(order_no) FROM orders GROUP BY ordered_day`,
		`INSERT INTO order_titles (title) SELECT DISTINCT title FROM orders`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rollups of 주문목록: %w", err)
		}
	}
	return nil
}
