package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/sheet"
)

// 일별매출통계: [이전 달] moves to last month, whose chart has a bar per day,
// and the EXCEL downloaded from there has the 합계 the screen shows.
func TestBrowserDailySalesPreviousMonth(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := browser(t)
			a, base := server(t, engine)
			bg := context.Background()
			sys := access.System()
			m, err := a.Members.Create(bg, sys, member.Input{Site: "malgn", Login: "buyer", Name: "구매자"})
			if err != nil {
				t.Fatal(err)
			}
			p, err := a.Catalog.Create(bg, sys, catalog.Product{Site: "malgn", Kind: "course", Name: "파워포인트 실무과정",
				Delivery: "online", Schedule: "always_open", AccessDays: 30, SalePrice: 15000})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().In(kst.Seoul)
			lastMonth := time.Date(now.Year(), now.Month()-1, 15, 10, 0, 0, 0, kst.Seoul)
			// Two deposit orders confirmed on the 15th of last month, one today.
			for i, at := range []time.Time{lastMonth, lastMonth.Add(time.Hour), now} {
				svc := *a.Orders
				svc.Now = func() time.Time { return at }
				o, err := svc.Place(bg, sys, order.PlaceInput{Site: "malgn", MemberID: m.ID, Method: "bank_deposit",
					Items: []order.ItemInput{{ProductID: p.ID, Qty: 1 + i}}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := svc.ConfirmDeposit(bg, sys, o.OrderNo); err != nil {
					t.Fatal(err)
				}
			}
			dir := t.TempDir()
			do(t, ctx, login(base, "clerk", "correct horse battery"),
				chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := cdp.Call(ctx, tg, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
					return err
				}),
				chromedp.Navigate(base+"/stats/daily"), chromedp.WaitVisible(chromedp.ID("stats")))
			if got := text(t, ctx, "#stats-total"); !strings.Contains(got, "45,000원") {
				t.Fatalf("this month's total = %q, want 45,000원 (today's order)", got)
			}
			submit(t, ctx, chromedp.CSS(`a[data-period="이전 달"]`))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("sales-chart")))
			first := time.Date(lastMonth.Year(), lastMonth.Month(), 1, 0, 0, 0, 0, kst.Seoul)
			end := first.AddDate(0, 1, -1)
			wantPeriod := "통계 기간 : " + first.Format("2006.01.02") + " 부터 " + end.Format("2006.01.02") + " 까지"
			if got := text(t, ctx, "#stats-period"); got != wantPeriod {
				t.Fatalf("period = %q, want %q", got, wantPeriod)
			}
			bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#sales-chart rect.bar").length`))
			if err != nil || bars != end.Day() {
				t.Fatalf("chart has %d bars (%v), want one per day: %d", bars, err, end.Day())
			}
			tall, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#sales-chart rect.bar[data-period="`+lastMonth.Format(kst.DayLayout)+`"]').dataset.sales`))
			if err != nil || tall != "45000" {
				t.Fatalf("the 15th's bar = %q (%v), want 45000", tall, err)
			}
			total := text(t, ctx, "#stats-total")
			cells := strings.Fields(total) // 합계 45,000원 45,000원 2건 0원 0건
			if len(cells) != 6 || cells[1] != "45,000원" || cells[3] != "2건" {
				t.Fatalf("last month's total row = %q", total)
			}
			do(t, ctx, chromedp.Click(chromedp.ID("stats-excel")))
			var data []byte
			for i := 0; i < 100 && data == nil; i++ {
				time.Sleep(100 * time.Millisecond)
				files, _ := filepath.Glob(filepath.Join(dir, "*.xlsx"))
				if len(files) == 1 {
					data, _ = os.ReadFile(files[0])
				}
			}
			if data == nil {
				t.Fatal("EXCEL was not downloaded")
			}
			rows, err := sheet.ReadAll(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			last := rows[len(rows)-1]
			num := func(s string) string {
				return strings.TrimSuffix(strings.TrimSuffix(strings.ReplaceAll(s, ",", ""), "원"), "건")
			}
			for i, want := range cells[1:] {
				if last[i+1] != num(want) {
					t.Errorf("EXCEL 합계 column %d = %q, screen %q", i+1, last[i+1], want)
				}
			}
			if len(rows) != end.Day()+2 || last[0] != "합계" {
				t.Errorf("EXCEL has %d rows (last %q), want a header, %d days and 합계", len(rows), last, end.Day())
			}
		})
	}
}
