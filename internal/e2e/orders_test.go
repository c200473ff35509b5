package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

func TestBrowserConfirmDeposit(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := browser(t)
			a, base := server(t, engine)
			bg := context.Background()
			m, err := a.Members.Create(bg, access.System(), member.Input{Site: "malgn", Login: "depositor", Name: "입금자"})
			if err != nil {
				t.Fatal(err)
			}
			p, err := a.Catalog.Create(bg, access.System(), catalog.Product{Site: "malgn", Kind: "course", Name: "파워포인트 실무과정",
				Delivery: "online", Schedule: "always_open", AccessDays: 30, SalePrice: 15000})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := a.Staff.CreateToken(bg, access.System(), "clerk", "storefront")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(map[string]any{"site": "malgn", "member_id": m.ID, "payment_method": "bank_deposit",
				"items": []map[string]any{{"product_id": p.ID, "qty": 1}}})
			req, _ := http.NewRequest("POST", base+"/api/v1/orders", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "browser-1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var placed struct {
				OrderNo int64  `json:"order_no"`
				Status  string `json:"status"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&placed)
			resp.Body.Close()
			if resp.StatusCode != 201 || placed.Status != "awaiting_deposit" {
				t.Fatalf("place = %d %+v", resp.StatusCode, placed)
			}
			do(t, ctx,
				login(base, "clerk", "correct horse battery"),
				chromedp.Navigate(base+"/orders"),
				chromedp.WaitVisible(chromedp.ID("order-q")),
				chromedp.SendKeys(chromedp.ID("order-q"), "depositor"),
				chromedp.SetValue(chromedp.ID("order-field"), "member_login"),
			)
			submit(t, ctx, chromedp.ID("order-search-submit"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#orders a.order-link")))
			if got := text(t, ctx, ".total strong"); got != "1" {
				t.Fatalf("주문목록 total = %q, want 1", got)
			}
			submit(t, ctx, chromedp.CSS("#orders a.order-link"))
			submit(t, ctx, chromedp.ID("confirm-deposit"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("order-ask")))
			if got := text(t, ctx, "#order-ask .question"); got != "15,000원의 입금을 확인하시겠습니까?" {
				t.Errorf("question = %q", got)
			}
			submit(t, ctx, chromedp.ID("ask-ok"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("order-status")))
			if got := text(t, ctx, "#order-status"); got != "결제완료" {
				t.Fatalf("status after 입금확인 = %q", got)
			}
			o, err := a.Orders.Get(bg, access.System(), placed.OrderNo)
			if err != nil || o.Status != "paid" || o.Collected != 15000 {
				t.Fatalf("stored order = %+v, %v", o, err)
			}
			if strings.Contains(text(t, ctx, "main"), "입금확인 >") {
				t.Errorf("the 입금확인 button is still shown on a paid order")
			}
		})
	}
}
