package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// Request a refund from the order page, open it in 환불관리, complete half
// of it, and see 부분환불 on the order.
func TestBrowserPartialRefund(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := browser(t)
			a, base := server(t, engine)
			bg := context.Background()
			sys := access.System()
			m, err := a.Members.Create(bg, sys, member.Input{Site: "malgn", Login: "test05", Name: "최고관리자테스트05", Phone: "010-0000-0005"})
			if err != nil {
				t.Fatal(err)
			}
			p, err := a.Catalog.Create(bg, sys, catalog.Product{Site: "malgn", Kind: "course", Name: "한국사능력검정시험", Delivery: "online",
				Schedule: "always_open", AccessDays: 2197, SalePrice: 280000, StudyHours: 30, RefundPolicy: "by_days"})
			if err != nil {
				t.Fatal(err)
			}
			o, err := a.Orders.Place(bg, sys, order.PlaceInput{Site: "malgn", MemberID: m.ID, Method: "card", Items: []order.ItemInput{{ProductID: p.ID, Qty: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Orders.ConfirmPayment(bg, sys, o.OrderNo, "sandbox", "pk-browser-refund", 280000); err != nil {
				t.Fatal(err)
			}
			do(t, ctx,
				login(base, "clerk", "correct horse battery"),
				chromedp.Navigate(fmt.Sprintf("%s/orders/%d", base, o.OrderNo)),
				chromedp.WaitVisible(chromedp.CSS("a.refund-request")),
			)
			submit(t, ctx, chromedp.CSS("a.refund-request"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("refund-form")), chromedp.SendKeys(chromedp.ID("refund-reason"), "단순 변심"))
			submit(t, ctx, chromedp.ID("refund-submit"))
			do(t, ctx,
				chromedp.WaitVisible(chromedp.ID("refund-complete")),
				chromedp.Navigate(base+"/refunds"),
				chromedp.WaitVisible(chromedp.CSS("#refunds a.refund-link")),
			)
			if got := text(t, ctx, "#refunds tbody td:last-child"); got != "환불요청" {
				t.Fatalf("환불관리 status = %q", got)
			}
			submit(t, ctx, chromedp.CSS("#refunds a.refund-link"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("refund-amount")))
			if got := text(t, ctx, "#refundable"); got != "280,000원" {
				t.Fatalf("환불가능금액 = %q", got)
			}
			if start, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("refund-amount"))); err != nil || start != "0" {
				t.Fatalf("환불금액 starts at %q (%v), want 0 as the manual's screen", start, err)
			}
			do(t, ctx, chromedp.SetValue(chromedp.ID("refund-amount"), "140000"))
			submit(t, ctx, chromedp.ID("refund-complete-submit"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := text(t, ctx, "#refund-status"); got == "" || got[:len("환불완료")] != "환불완료" {
				t.Fatalf("refund status = %q", got)
			}
			do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/orders/%d", base, o.OrderNo)), chromedp.WaitVisible(chromedp.ID("order-status")))
			if got := text(t, ctx, "#order-status"); got != "부분환불" {
				t.Fatalf("order status = %q, want 부분환불", got)
			}
			got, err := a.Orders.Get(bg, sys, o.OrderNo)
			if err != nil || got.Refunded != 140000 || got.Status != order.StatusPartiallyRefunded {
				t.Fatalf("stored order: %+v %v", got, err)
			}
		})
	}
}
