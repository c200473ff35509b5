package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/app"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/sheet"
)

// The demo's 2018.08 and 2020.01 rows of 일별매출통계 are the orders the demo
// holds, by the day their money came in (read from 주문목록, not the journal),
// and the EXCEL download has the same rows and 합계.
func TestDemoDailySalesMatchTheOrders(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		for _, m := range []struct{ from, to string }{{"2018-08-01", "2018-08-31"}, {"2020-01-01", "2020-01-31"}} {
			want := map[string][2]int64{} // paid day → amount, orders
			list := e.do("GET", "/api/v1/orders?per_page=500&paid_from="+m.from+"&paid_to="+m.to, tok, nil).json(t)
			for _, it := range list["items"].([]any) {
				o := it.(map[string]any)
				d := o["paid_day"].(string)
				w := want[d]
				want[d] = [2]int64{w[0] + int64(o["total"].(float64)), w[1] + 1}
			}
			if len(want) == 0 {
				t.Fatalf("the demo has no order paid in %s..%s", m.from, m.to)
			}
			r := e.do("GET", "/api/v1/stats/daily?from="+m.from+"&to="+m.to, tok, nil)
			if r.Status != 200 {
				t.Fatalf("daily: %d %s", r.Status, r.Body)
			}
			rep := r.json(t)
			rows := rep["rows"].([]any)
			if len(rows) != 31 {
				t.Fatalf("%s: %d rows, want 31 (days with nothing included)", m.from, len(rows))
			}
			var sum [2]int64
			for _, x := range rows {
				row := x.(map[string]any)
				got := [2]int64{int64(row["order_amount"].(float64)), int64(row["orders"].(float64))}
				if got != want[row["period"].(string)] {
					t.Errorf("%s: report %v, orders %v", row["period"], got, want[row["period"].(string)])
				}
				if row["refunds"].(float64) != 0 || row["sales"].(float64) != row["order_amount"].(float64) {
					t.Errorf("%s: refunds in the demo's month: %v", row["period"], row)
				}
				sum[0] += got[0]
				sum[1] += got[1]
			}
			total := rep["total"].(map[string]any)
			if int64(total["order_amount"].(float64)) != sum[0] || int64(total["orders"].(float64)) != sum[1] {
				t.Errorf("total %v, rows %v", total, sum)
			}
			x := e.do("GET", "/api/v1/stats/daily.xlsx?from="+m.from+"&to="+m.to, tok, nil)
			cells, err := sheet.ReadAll(bytes.NewReader(x.Body))
			if err != nil {
				t.Fatal(err)
			}
			last := cells[len(cells)-1]
			if len(cells) != 33 || last[0] != "합계" || last[2] != fmt.Sprint(sum[0]) || last[3] != fmt.Sprint(sum[1]) {
				t.Errorf("EXCEL: %d rows, last %q; want 33 rows and 합계 %d / %d", len(cells), last, sum[0], sum[1])
			}
		}
	})
}

// verify checks both sales rollups against the journal and the order items:
// a won moved between two products of one day, a won added to a product, and
// a refund count changed are each reported.
func TestVerifyChecksTheSalesRollups(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		demoEnv(t, e)
		ctx := context.Background()
		var out bytes.Buffer
		if err := e.app.Verify(ctx, &out); err != nil {
			t.Fatalf("verify of the demo: %v\n%s", err, out.String())
		}
		exec := func(q string) {
			t.Helper()
			if err := e.app.DB.InTx(ctx, func(tx *sqldb.Tx) error { _, err := tx.ExecContext(ctx, q); return err }); err != nil {
				t.Fatal(err)
			}
		}
		first := `(SELECT MIN(product_id) FROM sales_products WHERE day = '2018-08-23' AND product_id <> 0)`
		for _, c := range []struct {
			name, sql, undo, want string
		}{
			{"a won added", `UPDATE sales_products SET captured = captured + 1 WHERE day = '2018-08-23' AND product_id = ` + first,
				`UPDATE sales_products SET captured = captured - 1 WHERE day = '2018-08-23' AND product_id = ` + first,
				regexp.QuoteMeta("malgn 2018-08-23: products 37501/0, journal 37500/0")},
			{"a won moved from 배송비 to a product", `UPDATE sales_products SET captured = captured + CASE WHEN product_id = 0 THEN -1 ELSE 1 END
				WHERE day = '2018-08-23' AND product_id IN (0, ` + first + `)`,
				`UPDATE sales_products SET captured = captured - CASE WHEN product_id = 0 THEN -1 ELSE 1 END
				WHERE day = '2018-08-23' AND product_id IN (0, ` + first + `)`,
				`the sales rollup by product holds each product's items\s+BROKEN \(1\)\s+malgn product \d+: rollup (\d+)/`},
			{"a month's order counted", `UPDATE sales_products_monthly SET orders = orders + 1 WHERE month = '2018-08' AND product_id = ` + first,
				`UPDATE sales_products_monthly SET orders = orders - 1 WHERE month = '2018-08' AND product_id = ` + first, regexp.QuoteMeta("/0/2/0, days")},
			{"a refund counted", `UPDATE sales_daily SET refunds = refunds + 1 WHERE day = '2018-08-23'`,
				`UPDATE sales_daily SET refunds = refunds - 1 WHERE day = '2018-08-23'`, regexp.QuoteMeta("rollup 1 orders/1 refunds, journal 1/0")},
		} {
			exec(c.sql)
			out.Reset()
			err := e.app.Verify(ctx, &out)
			if !errors.Is(err, app.ErrVerifyFailed) || !regexp.MustCompile(c.want).MatchString(out.String()) {
				t.Errorf("%s: verify %v\n%s", c.name, err, out.String())
			}
			exec(c.undo)
			out.Reset()
			if err := e.app.Verify(ctx, &out); err != nil {
				t.Fatalf("verify after undoing %s: %v\n%s", c.name, err, out.String())
			}
		}
	})
}

// Every 매출통계 route answers bad parameters with 4xx (never 5xx), each
// answer as the OpenAPI document describes it, and a site admin sees only
// his own sites.
func TestSalesStatsParameters(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		clerk := e.staffToken("clerk", access.SiteAdmin, "malgn")
		cases := []struct {
			query string
			want  int
		}{
			{"daily", 200}, {"daily?from=2018-08-15&to=2018-08-31", 200}, {"daily?from=&to=", 200},
			{"daily?from=2026-02-30&to=2026-03-01", 422}, {"daily?from=2018-08-31&to=2018-08-01", 422},
			{"daily?from=0001-01-01&to=9999-12-31", 422}, {"daily?from=abc", 422}, {"daily?site=%ED%95%9C", 200},
			{"monthly", 200}, {"monthly?from=2018-01&to=2020-12", 200}, {"monthly?from=2020-13", 422},
			{"monthly?from=2020-12&to=2020-01", 422}, {"monthly?from=0001-01&to=9999-12", 422}, {"monthly?from=2020-01-01", 200},
			{"monthly?from=2020-01-01&to=2020-12-31", 200}, {"monthly?from=2020-02-30", 422}, {"monthly?to=2020-12-31&from=2021-01-01", 422},
			{"courses", 200}, {"courses?from=2018-08-15", 200}, {"courses?to=2020-01-31&category=IT", 200},
			{"courses?delivery=everywhere", 422}, {"courses?schedule=x", 422}, {"courses?display=x", 422},
			{"courses?from=2020-01-31&to=2020-01-01", 422}, {"courses?from=2020-02-30", 422},
		}
		for _, c := range cases {
			name, args, _ := strings.Cut(c.query, "?")
			for _, path := range []string{"/api/v1/stats/" + name + "?" + args, "/api/v1/stats/" + name + ".xlsx?" + args} {
				if r := e.do("GET", path, tok, nil); r.Status != c.want {
					t.Errorf("%s = %d, want %d: %s", path, r.Status, c.want, r.Body)
				}
			}
		}
		if r := e.do("GET", "/api/v1/stats/daily?site=other", clerk, nil); r.Status != 404 {
			t.Errorf("another site's statistics = %d, want 404", r.Status)
		}
		mine := e.do("GET", "/api/v1/stats/monthly?from=2018-01&to=2020-12&site=malgn", clerk, nil).json(t)
		all := e.do("GET", "/api/v1/stats/monthly?from=2018-01&to=2020-12", tok, nil).json(t)
		if fmt.Sprint(mine["total"]) != fmt.Sprint(all["total"]) {
			t.Errorf("the demo site's total %v, every site's %v", mine["total"], all["total"])
		}
	})
}

// The console's 매출통계 screens and home page over the demo: the manual's
// period line, the chart above the table, the 배송비 and 도서 lines, and the
// day's work, each figure linking to its filtered list.
func TestConsoleStatsAndHome(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		demoEnv(t, e)
		c := e.consoleClient("root", "correct horse battery")
		status, body := get(t, c, e.srv.URL+"/stats/daily?from=2018-08-01&to=2018-08-31")
		for _, want := range []string{"통계 기간 : 2018.08.01 부터 2018.08.31 까지", `<svg class="chart" id="sales-chart"`, `data-period="2018-08-23" data-sales="37500"`,
			"<td>2018.08.23</td><td class=\"num\">37,500원</td><td class=\"num\">37,500원</td><td class=\"num\">1건</td>", "매출 금액 = 주문 금액 − 환불 금액", "이전 달"} {
			if status != 200 || !strings.Contains(body, want) {
				t.Errorf("일별매출통계 (%d) lacks %q", status, want)
			}
		}
		if n := strings.Count(body, `<rect class="bar"`); n != 31 {
			t.Errorf("daily chart has %d bars, want 31", n)
		}
		if strings.Index(body, `id="sales-chart"`) > strings.Index(body, `id="stats"`) {
			t.Errorf("the chart is not above the table")
		}
		status, body = get(t, c, e.srv.URL+"/stats/monthly?from=2020-01&to=2020-12")
		if status != 200 || strings.Count(body, `<rect class="bar"`) != 12 || !strings.Contains(body, "<td>2020.01</td>") {
			t.Errorf("월별매출통계 = %d, 12 bars and a 2020.01 row wanted", status)
		}
		status, body = get(t, c, e.srv.URL+"/stats/courses")
		for _, want := range []string{"<td>도서</td>", "<td>배송비</td>", "통계 기간 : 전체", `id="stats-total"`} {
			if status != 200 || !strings.Contains(body, want) {
				t.Errorf("과정매출통계 (%d) lacks %q", status, want)
			}
		}
		status, body = get(t, c, e.srv.URL+"/stats/daily?from=2018-08-31&to=2018-08-01")
		if status != 422 || !strings.Contains(body, "앞섭니다") {
			t.Errorf("a reversed period = %d", status)
		}
		status, body = get(t, c, e.srv.URL+"/")
		var approvals int
		if err := e.app.DB.Read().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM enrollments WHERE status = 'awaiting_approval'`).Scan(&approvals); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`href="/orders?status=awaiting_deposit">2건</a>`, `href="/orders/287">287</a>`, `href="/refunds?status=requested">1건</a>`,
			fmt.Sprintf(`id="home-approval" href="/voucher-orders?enrollment_status=awaiting_approval">%d건</a>`, approvals),
			`id="home-ship" href="/deliveries?item_status=paid&amp;state=waiting">`, `id="home-today" href="/stats/daily?from=`, `id="sales-chart"`} {
			if status != 200 || !strings.Contains(body, want) {
				t.Errorf("home page (%d) lacks %q", status, want)
			}
		}
		// Each figure opens its list (the 배송대기 link once sent 배송관리 a
		// 결제상태 it refused).
		links := regexp.MustCompile(`id="home-[a-z]+" href="([^"]+)"`).FindAllStringSubmatch(body, -1)
		if len(links) != 6 {
			t.Errorf("home page has %d figure links, want 6", len(links))
		}
		for _, l := range links {
			if st, page := get(t, c, e.srv.URL+html.UnescapeString(l[1])); st != 200 || !strings.Contains(page, "Total") && !strings.Contains(page, "합계") {
				t.Errorf("home link %s answers %d", l[1], st)
			}
		}
		// 배송대기 counts orders, as the 배송관리 it opens does.
		ship := regexp.MustCompile(`id="home-ship" href="([^"]+)">(\d+)건`).FindStringSubmatch(body)
		if ship == nil {
			t.Fatalf("home page lacks the 배송대기 figure")
		}
		if _, page := get(t, c, e.srv.URL+html.UnescapeString(ship[1])); !strings.Contains(page, "Total : <strong>"+ship[2]+"</strong> 건") {
			t.Errorf("home shows %s건 to ship, the list it opens another total", ship[2])
		}
		if n := strings.Count(body, `<rect class="bar"`); n != 14 {
			t.Errorf("home chart has %d bars, want the last 14 days", n)
		}
	})
}
