package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// Create a rule with a misspelt code, see the error under the formula at
// the right place, fix it, save, and see the settlement in the list.
func TestBrowserSettlementRule(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := browser(t)
			a, base := server(t, engine)
			bg := context.Background()
			if _, err := a.Market.CreateMarketplace(bg, access.System(), market.Marketplace{Code: "11st", Name: "11번가"}); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile("../market/testdata/11st.xls")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.Market.Import(bg, access.System(), market.ImportInput{Marketplace: "11st", Filename: "11st.xls", Data: data}); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, login(base, "clerk", "correct horse battery"), chromedp.Navigate(base+"/settlement-rules/edit?marketplace=11st"),
				chromedp.WaitVisible(chromedp.ID("rule-form")),
				chromedp.SendKeys(chromedp.ID("rule-title"), "11번가 기본"),
				chromedp.SendKeys(chromedp.ID("f-sale"), "code11"),
				chromedp.SendKeys(chromedp.ID("f-settle"), "code11 - cde13"))
			submit(t, ctx, chromedp.ID("rule-save"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".formula-error")))
			pos, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#f-settle").parentElement.querySelector(".formula-error").dataset.pos`))
			if err != nil || pos != "10" {
				t.Fatalf("error position = %q (%v), want 10", pos, err)
			}
			if msg := text(t, ctx, ".formula-error"); !strings.Contains(msg, "code13") {
				t.Fatalf("error = %q, want the suggestion code13", msg)
			}
			do(t, ctx, chromedp.SetValue(chromedp.ID("f-settle"), "code11 - code13"))
			submit(t, ctx, chromedp.ID("rule-save"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".flash")), chromedp.Navigate(base+"/settlement-rules"), chromedp.WaitVisible(chromedp.ID("rules")),
				chromedp.SetValue(chromedp.CSS(`input[name="from"][type="date"][required]`), "2025-10-01"),
				chromedp.SetValue(chromedp.CSS(`input[name="to"][type="date"][required]`), "2025-10-31"))
			submit(t, ctx, chromedp.CSS(`form[action="/settlement-rules/recompute"] button`))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("recompute-status")))
			job, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil || !strings.Contains(job, "/settlement-rules/recompute/") {
				t.Fatalf("recompute page = %q %v", job, err)
			}
			for i := 0; i < 50 && !strings.Contains(text(t, ctx, "#recompute-status"), "끝났습니다"); i++ {
				time.Sleep(200 * time.Millisecond)
				do(t, ctx, chromedp.Navigate(job), chromedp.WaitVisible(chromedp.ID("recompute-status")))
			}
			do(t, ctx, chromedp.Navigate(base+"/marketplace-orders?marketplace=11st&q=202510130000157"), chromedp.WaitVisible(chromedp.ID("market-orders")))
			if got := text(t, ctx, "#market-orders td.settle"); got != "39,600" {
				t.Fatalf("settlement shown = %q, want 39,600 (45,000 - 5,400)", got)
			}
		})
	}
}

// A rate-only rule: the 수수료 its preview shows before saving is the 수수료
// the marketplace list shows after saving and recomputing.
func TestBrowserRatePreviewEqualsList(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := browser(t)
			a, base := server(t, engine)
			bg := context.Background()
			if _, err := a.Market.CreateMarketplace(bg, access.System(), market.Marketplace{Code: "11st", Name: "11번가"}); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile("../market/testdata/11st.xls")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.Market.Import(bg, access.System(), market.ImportInput{Marketplace: "11st", Filename: "11st.xls", Data: data}); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, login(base, "clerk", "correct horse battery"), chromedp.Navigate(base+"/settlement-rules/edit?marketplace=11st"),
				chromedp.WaitVisible(chromedp.ID("rule-form")),
				chromedp.SendKeys(chromedp.ID("rule-title"), "11번가 12%"),
				chromedp.SendKeys(chromedp.ID("f-sale"), "code11"),
				chromedp.SendKeys(chromedp.CSS(`input[name="rate"]`), "88"),
				chromedp.SetValue(chromedp.CSS(`input[name="priority"]`), "1"))
			submit(t, ctx, chromedp.ID("rule-preview"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("dry-fee")))
			previewFee := text(t, ctx, "#dry-fee")
			if previewFee == "" || previewFee == "0원" {
				t.Fatalf("preview 수수료 = %q", previewFee)
			}
			submit(t, ctx, chromedp.ID("rule-save"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".flash")), chromedp.Navigate(base+"/settlement-rules"), chromedp.WaitVisible(chromedp.ID("rules")),
				chromedp.SetValue(chromedp.CSS(`input[name="from"][type="date"][required]`), "2025-10-01"),
				chromedp.SetValue(chromedp.CSS(`input[name="to"][type="date"][required]`), "2025-10-31"))
			submit(t, ctx, chromedp.CSS(`form[action="/settlement-rules/recompute"] button`))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("recompute-status")))
			job, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 50 && !strings.Contains(text(t, ctx, "#recompute-status"), "끝났습니다"); i++ {
				time.Sleep(200 * time.Millisecond)
				do(t, ctx, chromedp.Navigate(job), chromedp.WaitVisible(chromedp.ID("recompute-status")))
			}
			do(t, ctx, chromedp.Navigate(base+"/marketplace-orders?marketplace=11st"), chromedp.WaitVisible(chromedp.ID("market-orders")))
			sum, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`[...document.querySelectorAll("#market-orders td.fee")].
				reduce((s, td) => s + Number(td.textContent.replace(/[^0-9-]/g, "") || 0), 0)`))
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.NewReplacer(",", "", "원", "").Replace(previewFee); fmt.Sprint(int64(sum)) != want {
				t.Fatalf("the list's 수수료 add up to %v, the preview showed %s", int64(sum), previewFee)
			}
		})
	}
}
