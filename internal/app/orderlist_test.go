package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/app"
	"github.com/orderdesk/orderdesk/internal/staff"
)

var orderLink = regexp.MustCompile(`href="/orders/(\d+)" class="order-link"`)

// 주문목록's pager links carry the anchor of the page they are on, and a page
// read through an anchor, on the screen and in the API, is the page read by
// its offset.
func TestOrderListPagerAnchors(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		if _, err := e.app.Staff.Create(context.Background(), access.System(), staff.NewStaff{Login: "clerk", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
			t.Fatal(err)
		}
		c := e.consoleClient("clerk", "correct horse battery")
		screen := func(query string) ([]string, string) {
			status, body := get(t, c, e.srv.URL+"/orders?include_pending=1&per_page=2"+query)
			if status != 200 {
				t.Fatalf("/orders%s = %d", query, status)
			}
			var nos []string
			for _, m := range orderLink.FindAllStringSubmatch(body, -1) {
				nos = append(nos, m[1])
			}
			return nos, body
		}
		api := func(query string) []string {
			r := e.do("GET", "/api/v1/orders?include_pending=1&per_page=2"+query, tok, nil)
			if r.Status != 200 {
				t.Fatalf("%s: %d %s", query, r.Status, r.Body)
			}
			var nos []string
			for _, it := range r.json(t)["items"].([]any) {
				nos = append(nos, fmt.Sprint(int64(it.(map[string]any)["order_no"].(float64))))
			}
			return nos
		}
		first, body := screen("")
		pages := 0
		for p := 1; len(api(fmt.Sprintf("&page=%d", p))) > 0; p++ {
			pages = p
		}
		if len(first) != 2 || pages < 4 {
			t.Fatalf("demo orders: first page %v, %d pages", first, pages)
		}
		link := regexp.MustCompile(`href="(\?[^"]*page=3[^"]*)"`).FindStringSubmatch(body)
		if link == nil || !strings.Contains(html.UnescapeString(link[1]), "anchor="+first[0]+"&anchor_page=1") {
			t.Fatalf("page 1's link to page 3 = %v, want the anchor %s of page 1", link, first[0])
		}
		status, linked := get(t, c, e.srv.URL+"/orders"+html.UnescapeString(link[1]))
		var got []string
		for _, m := range orderLink.FindAllStringSubmatch(linked, -1) {
			got = append(got, m[1])
		}
		if want, _ := screen("&page=3"); status != 200 || !slices.Equal(got, want) {
			t.Fatalf("page 3 through page 1's link = %d %v, by offset %v", status, got, want)
		}
		for p := 1; p <= pages; p++ {
			anchor := api(fmt.Sprintf("&page=%d", p))[0]
			for q := max(1, p-5); q <= pages+1; q++ {
				want, got := api(fmt.Sprintf("&page=%d", q)), api(fmt.Sprintf("&page=%d&anchor=%s&anchor_page=%d", q, anchor, p))
				if !slices.Equal(want, got) {
					t.Fatalf("page %d from the anchor of page %d = %v, by offset %v", q, p, got, want)
				}
			}
		}
		for _, bad := range []string{"&anchor=0&anchor_page=1", "&anchor=x&anchor_page=1", "&anchor=5", "&anchor_page=2", "&anchor=5&anchor_page=0"} {
			if r := e.do("GET", "/api/v1/orders?page=2"+bad, tok, nil); r.Status != 422 || !strings.Contains(string(r.Body), "anchor") {
				t.Errorf("%s = %d %s, want 422 naming the anchor", bad, r.Status, r.Body)
			}
		}
	})
}

// verify holds on the demo's orders, and names each of 주문목록's rollups
// that no longer agrees with the orders.
func TestVerifyChecksOrderListRollups(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if err := e.app.LoadDemo(ctx, io.Discard); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := e.app.Verify(ctx, &out); err != nil {
			t.Fatalf("verify of the demo: %v\n%s", err, out.String())
		}
		for _, c := range []struct{ tamper, want string }{
			{`UPDATE order_day_counts SET n = n + 1 WHERE status = 'paid' AND ordered_day = (SELECT ordered_day FROM orders WHERE order_no = 283)`,
				"2020-01-16 paid 2020-01-16 malgn paid bank_deposit: rollup 2, orders 1"},
			{`UPDATE order_month_counts SET n = n - 1 WHERE status = 'cancelled'`, ": rollup 0, orders 1"},
			{`UPDATE order_days SET max_no = max_no - 1 WHERE day = (SELECT ordered_day FROM orders WHERE order_no = 290)`, "order 290 of 2020-08-08: bounds 290-289"},
			{`DELETE FROM order_titles WHERE title = (SELECT title FROM orders WHERE order_no = 283)`, "order 283: title 영화이야기 is not in order_titles"},
		} {
			tamper(t, e, c.tamper)
			out.Reset()
			if err := e.app.Verify(ctx, &out); !errors.Is(err, app.ErrVerifyFailed) || !strings.Contains(out.String(), c.want) {
				t.Errorf("after %s verify said %v\n%s\nwant %q", c.tamper, err, out.String(), c.want)
			}
		}
	})
}
