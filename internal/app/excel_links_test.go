package app_test

import (
	"bytes"
	"html"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/sheet"
)

var (
	excelLink = regexp.MustCompile(`<a class="button[^"]*"[^>]*href="([^"]*)"[^>]*>EXCEL`)
	pageTotal = regexp.MustCompile(`Total : <strong>([0-9,]+)</strong>`)
)

// Each list screen's EXCEL button downloads the rows the screen lists: its
// link keeps the screen's filters (근로자카드주문's once lost them to
// escaping and exported every order), checked on a filter that leaves
// fewer rows than the unfiltered list.
func TestConsoleExcelKeepsTheFilters(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		c := e.demoConsole()
		for _, tc := range []struct{ list, filter string }{
			{"/voucher-orders", "cohort=2019-07&enrollment_status=active"},
			{"/voucher-orders", "status=paid&enrollment_status=awaiting_approval"},
			{"/orders", "method=card&status=paid"},
			{"/refunds", "status=completed"},
		} {
			total := func(path string) (int, string) {
				status, body := get(t, c, e.srv.URL+path)
				m := pageTotal.FindStringSubmatch(body)
				if status != 200 || m == nil {
					t.Fatalf("%s = %d without a total", path, status)
				}
				n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
				return n, body
			}
			all, _ := total(tc.list)
			n, body := total(tc.list + "?" + tc.filter)
			if n == 0 || n >= all {
				t.Fatalf("%s?%s lists %d of %d: not a filter that tells", tc.list, tc.filter, n, all)
			}
			link := excelLink.FindStringSubmatch(body)
			if link == nil {
				t.Fatalf("%s?%s has no EXCEL button", tc.list, tc.filter)
			}
			href := html.UnescapeString(link[1])
			u, err := url.Parse(href)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := url.ParseQuery(tc.filter)
			for k := range want {
				if u.Query().Get(k) != want.Get(k) {
					t.Errorf("%s?%s: EXCEL link %s lacks %s=%s", tc.list, tc.filter, href, k, want.Get(k))
				}
			}
			resp, err := c.Get(e.srv.URL + href)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			rows, err := sheet.ReadAll(bytes.NewReader(data))
			if resp.StatusCode != 200 || err != nil {
				t.Fatalf("%s = %d, %v", href, resp.StatusCode, err)
			}
			if len(rows)-1 != n {
				t.Errorf("%s?%s lists %d rows; its EXCEL %s holds %d", tc.list, tc.filter, n, href, len(rows)-1)
			}
		}
	})
}

// 매출통계's EXCEL files are named by their report, as the other screens'
// are (일별/월별 once came out as "_2026-…xlsx"), and its site choice shows
// the sites' names, not their codes.
func TestStatsExcelNamesAndSiteChoice(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		c := e.demoConsole()
		for path, title := range map[string]string{"/stats/daily": "일별매출통계", "/stats/monthly": "월별매출통계", "/stats/courses": "과정매출통계"} {
			status, body := get(t, c, e.srv.URL+path)
			if status != 200 || !strings.Contains(body, `<option value="malgn" >맑은소프트</option>`) || strings.Contains(body, `>malgn</option>`) {
				t.Errorf("%s = %d: the site choice does not show 맑은소프트 by name", path, status)
			}
			link := regexp.MustCompile(`id="stats-excel" href="([^"]*)"`).FindStringSubmatch(body)
			if link == nil {
				t.Fatalf("%s has no EXCEL button", path)
			}
			resp, err := c.Get(e.srv.URL + html.UnescapeString(link[1]))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			cd := resp.Header.Get("Content-Disposition")
			if resp.StatusCode != 200 || !strings.Contains(cd, "filename*=UTF-8''"+url.PathEscape(title)+"_") {
				t.Errorf("%s EXCEL = %d, %q: not named %s_…", path, resp.StatusCode, cd, title)
			}
		}
	})
}
