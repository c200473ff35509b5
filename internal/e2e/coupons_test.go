package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// Register a 개별 coupon, issue 5 codes, give one to a member through 회원선택,
// recall it (미사용, no member); then a storefront order through the API with
// another code shows the discount on the order page.
func TestBrowserCouponAssignRecallAndOrder(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := browser(t)
			a, base := server(t, engine)
			bg := context.Background()
			sys := access.System()
			m, err := a.Members.Create(bg, sys, member.Input{Site: "malgn", Login: "hong29", Name: "홍길동29", Affiliation: "맑은소프트"})
			if err != nil {
				t.Fatal(err)
			}
			p, err := a.Catalog.Create(bg, sys, catalog.Product{Site: "malgn", Kind: "course", Name: "영화이야기", Delivery: "online",
				Schedule: "always_open", AccessDays: 90, SalePrice: 30000})
			if err != nil {
				t.Fatal(err)
			}
			do(t, ctx, login(base, "clerk", "correct horse battery"), chromedp.Navigate(base+"/coupons"), chromedp.WaitVisible(chromedp.ID("coupon-new")))
			if got := text(t, ctx, "#coupon-notice"); got != coupon.Notice {
				t.Fatalf("notice %q", got)
			}
			submit(t, ctx, chromedp.ID("coupon-new"))
			do(t, ctx,
				chromedp.WaitVisible(chromedp.ID("coupon-form")),
				chromedp.SetValue(chromedp.ID("site"), "malgn"),
				chromedp.SendKeys(chromedp.ID("name"), "브라우저 쿠폰"),
				chromedp.SendKeys(chromedp.ID("amount"), "3000"),
				chromedp.Click(chromedp.ID("shared-0")),
				chromedp.SetValue(chromedp.ID("valid_from"), "2020-01-01"),
				chromedp.SetValue(chromedp.ID("valid_to"), "2099-12-31"),
				chromedp.Click(chromedp.ID("status-active")),
			)
			submit(t, ctx, chromedp.ID("coupon-save"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("coupon-issue")), chromedp.SendKeys(chromedp.ID("issue-count"), "5"))
			submit(t, ctx, chromedp.ID("issue-button"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".flash")))
			rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#coupon-codes tbody tr[data-code]").length`))
			if err != nil || rows != 5 {
				t.Fatalf("%d codes on the coupon page, want 5 (%v)", rows, err)
			}
			submit(t, ctx, chromedp.ID("member-pick"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("member-q")), chromedp.SendKeys(chromedp.ID("member-q"), "hong29"))
			submit(t, ctx, chromedp.ID("member-search"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#member-picker tr[data-login="hong29"] button.pick`)))
			submit(t, ctx, chromedp.CSS(`#member-picker tr[data-login="hong29"] button.pick`))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#coupon-codes button.recall")))
			if got := text(t, ctx, "#coupon-codes"); !strings.Contains(got, "홍길동29 (hong29)") {
				t.Fatalf("no code shows the chosen member: %s", got)
			}
			submit(t, ctx, chromedp.CSS("#coupon-codes button.recall"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".flash")))
			got := text(t, ctx, "#coupon-codes")
			if strings.Contains(got, "hong29") || strings.Count(got, "미사용") != 5 {
				t.Fatalf("after 쿠폰 회수 the codes read: %s", got)
			}

			// The storefront checks a code with a quote, then orders with it through the API.
			list, err := a.Coupons.List(bg, sys, coupon.Filter{Q: "브라우저"})
			if err != nil || len(list.Items) != 1 {
				t.Fatalf("coupon list: %v %v", list, err)
			}
			codes, err := a.Coupons.Codes(bg, sys, list.Items[0].ID, coupon.CodeFilter{})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := a.Staff.CreateToken(bg, sys, "clerk", "storefront")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(map[string]any{"site": "malgn", "member_id": m.ID, "payment_method": "bank_deposit",
				"items": []map[string]any{{"product_id": p.ID, "qty": 1}}, "coupon_code": codes.Items[1].Code})
			req, _ := http.NewRequest("POST", base+"/api/v1/orders", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var o struct {
				OrderNo int64 `json:"order_no"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&o)
			resp.Body.Close()
			if resp.StatusCode != 201 {
				t.Fatalf("order with a code = %d", resp.StatusCode)
			}
			do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/orders/%d", base, o.OrderNo)), chromedp.WaitVisible(chromedp.ID("payment-formula")))
			if got := text(t, ctx, "#payment-formula"); !strings.HasPrefix(got, "27,000원 = 30,000원 - 0원 - 3,000원 + 0원") {
				t.Fatalf("order page formula %q", got)
			}
			if got := text(t, ctx, "#order-coupons"); !strings.Contains(got, "브라우저 쿠폰") || !strings.Contains(got, codes.Items[1].Code) || !strings.Contains(got, "할인 3,000원") {
				t.Fatalf("order page coupon row %q, want the coupon's name, the code %s and its discount", got, codes.Items[1].Code)
			}
		})
	}
}
