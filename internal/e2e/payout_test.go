package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// Upload a payout file on the 정산대사 screen, see its one 불일치 line with
// its difference, open it, and close the month.
func TestBrowserReconciliation(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := browser(t)
			a, base := server(t, engine)
			bg := context.Background()
			if _, err := a.Market.CreateMarketplace(bg, access.System(), market.Marketplace{Code: "coupang", Name: "쿠팡"}); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile("../market/testdata/coupang_cp949.csv")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.Market.Import(bg, access.System(), market.ImportInput{Marketplace: "coupang", Filename: "coupang.csv", Data: data}); err != nil {
				t.Fatal(err)
			}
			file, err := filepath.Abs("../app/demodata/coupang_payout.csv")
			if err != nil {
				t.Fatal(err)
			}
			do(t, ctx, login(base, "clerk", "correct horse battery"), chromedp.Navigate(base+"/reconciliation"),
				chromedp.WaitVisible(chromedp.ID("payout-form")),
				chromedp.SetValue(chromedp.CSS(`#payout-form select[name="marketplace"]`), "coupang"),
				chromedp.SetUploadFiles(chromedp.CSS(`#payout-form input[type="file"]`), []string{file}))
			submit(t, ctx, chromedp.ID("payout-commit"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("payout-result")))
			if msg := text(t, ctx, "#payout-result"); !strings.Contains(msg, "매칭 10, 미매칭 1") {
				t.Fatalf("import result %q", msg)
			}
			do(t, ctx, chromedp.Navigate(base+"/reconciliation?marketplace=coupang&state=mismatched"), chromedp.WaitVisible(chromedp.ID("recon-lines")))
			if n := text(t, ctx, `#recon-totals tr[data-state="mismatched"] td.num`); n != "1" {
				t.Fatalf("불일치 lines = %q, want 1", n)
			}
			if d := text(t, ctx, `#recon-lines tr[data-state="mismatched"] td.diff`); d != "100" {
				t.Fatalf("the 불일치 line's 입금차액 = %q, want 100", d)
			}
			submit(t, ctx, chromedp.CSS(`#recon-lines tr[data-state="mismatched"] a[href^="/reconciliation/"]`))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("line-amounts")))
			if d, s := text(t, ctx, "#line-difference"), text(t, ctx, "#line-state"); d != "100" || s != "불일치" {
				t.Fatalf("line page: difference %q, state %q", d, s)
			}
			do(t, ctx, chromedp.Navigate(base+"/reconciliation?marketplace=coupang&from=2025-10-01&to=2025-10-31"), chromedp.WaitVisible(chromedp.ID("period-form")),
				chromedp.SendKeys(chromedp.CSS(`#period-form input[name="reason"]`), "10월 대사 완료"))
			submit(t, ctx, chromedp.ID("period-close"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("periods")))
			if msg := text(t, ctx, ".flash"); !strings.Contains(msg, "coupang 2025-10 정산을 마감했습니다") {
				t.Fatalf("flash %q", msg)
			}
			if _, err := a.Settle.Recompute(bg, access.System(), "2025-10-01", "2025-10-31", "coupang", nil); err == nil || !strings.Contains(err.Error(), "2025-10") {
				t.Fatalf("recompute of the closed month: %v", err)
			}
		})
	}
}
