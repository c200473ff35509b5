package app_test

import (
	"context"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/staff"
)

// The 정산대사 screen shows the demo's 쿠팡 payout file reconciled (one 불일치
// line 100원 short, one 미처리, one 미매칭), a line's page shows our formula
// inputs next to their row and links the rule, the EXCEL downloads, and a
// month closes from the screen.
func TestReconciliationConsole(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if err := e.app.LoadDemo(ctx, io.Discard); err != nil {
			t.Fatal(err)
		}
		if _, err := e.app.Staff.Create(ctx, access.System(), staff.NewStaff{Login: "root", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
			t.Fatal(err)
		}
		c := e.consoleClient("root", "correct horse battery")
		status, body := get(t, c, e.srv.URL+"/reconciliation?marketplace=coupang")
		if status != 200 {
			t.Fatalf("정산대사 = %d", status)
		}
		for _, want := range []string{`<tr data-state="mismatched"><td><a href="/reconciliation?marketplace=coupang&amp;state=mismatched">불일치</a></td><td class="num">1</td>`,
			`<tr data-state="unpaid"><td><a href="/reconciliation?marketplace=coupang&amp;state=unpaid">미처리</a></td><td class="num">1</td>`,
			`<tr data-state="unmatched"><td><a href="/reconciliation?marketplace=coupang&amp;state=unmatched">미매칭</a></td><td class="num">1</td>`, "쿠팡_정산내역.csv", `href="/reconciliation"`} {
			if !strings.Contains(body, want) {
				t.Errorf("정산대사 lacks %s", want)
			}
		}
		status, body = get(t, c, e.srv.URL+"/reconciliation?marketplace=coupang&state=mismatched")
		m := regexp.MustCompile(`<a href="/reconciliation/(\d+)">31000123450003</a>`).FindStringSubmatch(body)
		if status != 200 || m == nil || !strings.Contains(body, `<td class="num diff">100</td>`) || !strings.Contains(body, "수수료 100") {
			t.Fatalf("the 불일치 filter: %d, no line 31000123450003 100원 short by its fee", status)
		}
		status, body = get(t, c, e.srv.URL+"/reconciliation/"+m[1])
		for _, want := range []string{`<td class="num" id="line-difference">100</td>`, `id="line-rule"`, "24,876", "24,976", "3,124", "쿠팡_정산내역.csv"} {
			if status != 200 || !strings.Contains(body, want) {
				t.Errorf("line page (%d) lacks %s", status, want)
			}
		}
		if status, _ := get(t, c, e.srv.URL+"/reconciliation/export.xlsx?marketplace=coupang&state=mismatched"); status != 200 {
			t.Errorf("EXCEL = %d", status)
		}
		resp, err := c.PostForm(e.srv.URL+"/reconciliation/periods", url.Values{"marketplace": {"coupang"}, "month": {"2025-10"}, "reason": {"대사 완료"}, "action": {"close"}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "정산을 마감했습니다") || !strings.Contains(string(b), "<td>2025-10</td><td>마감</td><td>대사 완료</td>") {
			t.Fatalf("close = %d", resp.StatusCode)
		}
		if status, _ := get(t, c, e.srv.URL+"/reconciliation?from=2025-13-01"); status != 422 {
			t.Errorf("a bad day = %d, want 422", status)
		}
	})
}
