package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// 배송관리: tick three items and set 발송완료 in bulk, open one tracking
// link, open 배송정보 from the order page, change the address with "전체
// 상품의 배송정보를 같이 수정합니다" ticked, and see the audit entry.
func TestBrowserDeliveries(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := browser(t)
			a, base := server(t, engine)
			bg := context.Background()
			sys := access.System()
			m, err := a.Members.Create(bg, sys, member.Input{Site: "malgn", Login: "sample1", Name: "홍길동1", Phone: "010-0000-0000"})
			if err != nil {
				t.Fatal(err)
			}
			var books []int64
			for _, name := range []string{"포토샵 교재", "전자기학"} {
				p, err := a.Catalog.Create(bg, sys, catalog.Product{Site: "malgn", Kind: "textbook", Name: name, SalePrice: 10000})
				if err != nil {
					t.Fatal(err)
				}
				books = append(books, p.ID)
			}
			var items []int64
			var orders []order.Order
			for _, products := range [][]int64{{books[0]}, {books[0], books[1]}} {
				var lines []order.ItemInput
				for _, p := range products {
					lines = append(lines, order.ItemInput{ProductID: p, Qty: 1})
				}
				o, err := a.Orders.Place(bg, sys, order.PlaceInput{Site: "malgn", MemberID: m.ID, Method: "bank_deposit", Items: lines,
					Shipping: &order.Shipping{Recipient: "홍길동1", Phone: "010-0000-0000", Zipcode: "08797", Address: "서울시 관악구 인현6길 9 1층"}})
				if err != nil {
					t.Fatal(err)
				}
				if o, err = a.Orders.ConfirmDeposit(bg, sys, o.OrderNo); err != nil {
					t.Fatal(err)
				}
				orders = append(orders, o)
				for _, it := range o.Items {
					items = append(items, it.ID)
				}
			}
			row := func(id int64) string { return fmt.Sprintf(`#deliveries tr[data-item="%d"]`, id) }
			do(t, ctx,
				login(base, "clerk", "correct horse battery"),
				chromedp.Navigate(base+"/deliveries"),
				chromedp.WaitVisible(chromedp.ID("deliveries")),
			)
			for _, id := range items {
				do(t, ctx, chromedp.Click(chromedp.CSS(row(id)+" input.tick")))
			}
			do(t, ctx,
				chromedp.SetValue(chromedp.ID("bulk-state"), "shipped"),
				chromedp.SetValue(chromedp.ID("bulk-carrier"), "CJ"),
				chromedp.SendKeys(chromedp.ID("bulk-tracking"), "6012-3456-7890"),
			)
			submit(t, ctx, chromedp.ID("bulk-submit"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".flash")))
			for _, id := range items {
				if got := text(t, ctx, row(id)+" td.state"); got != "발송완료" {
					t.Errorf("item %d shows %q, want 발송완료", id, got)
				}
			}
			const want = "https://trace.cjlogistics.com/next/tracking.html?wblNo=601234567890"
			href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(row(items[0])+" a.track"), "href"))
			if err != nil || href.Value != want {
				t.Fatalf("tracking link %q (%v), want %s", href.Value, err, want)
			}
			target, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(row(items[0])+" a.track"), "target"))
			if err != nil || target.Value != "_blank" {
				t.Fatalf("the tracking link opens in %q, want a new tab", target.Value)
			}
			do(t, ctx, chromedp.Click(chromedp.CSS(row(items[0])+" a.track")))
			opened := false
			for deadline := time.Now().Add(10 * time.Second); !opened && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				infos, err := chromedp.Targets(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, in := range infos {
					if in.Type == "page" && strings.Contains(in.URL, "wblNo=601234567890") {
						opened = true
					}
				}
			}
			if !opened {
				t.Errorf("clicking the tracking number opened no tab at %s", want)
			}

			// 배송정보 from the order page; the new address for every item of the order.
			no := orders[1].OrderNo
			do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/orders/%d", base, no)), chromedp.WaitVisible(chromedp.ID("delivery-info-link")))
			submit(t, ctx, chromedp.ID("delivery-info-link"))
			do(t, ctx,
				chromedp.WaitVisible(chromedp.ID("delivery-form")),
				chromedp.SetValue(chromedp.ID("zipcode"), "08798"),
				chromedp.SetValue(chromedp.ID("address"), "서울시 관악구 인현7길 1"),
				chromedp.SetValue(chromedp.ID("order-state"), "delivered"),
				chromedp.Click(chromedp.ID("apply-all")),
			)
			submit(t, ctx, chromedp.ID("delivery-save"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := text(t, ctx, ".flash"); !strings.Contains(got, "전체 상품") {
				t.Errorf("flash %q", got)
			}
			o, err := a.Orders.Get(bg, sys, no)
			if err != nil || o.Shipping.Address != "서울시 관악구 인현7길 1" || o.Shipping.Zipcode != "08798" {
				t.Fatalf("stored address %+v %v", o.Shipping, err)
			}
			for _, it := range o.Items {
				if it.DeliveryStatus != "delivered" {
					t.Errorf("item %d of the order is %q after 전체 상품, want delivered", it.ID, it.DeliveryStatus)
				}
			}
			do(t, ctx, chromedp.Navigate(base+"/audit?action=delivery.shipping"), chromedp.WaitVisible(chromedp.ID("audit")))
			if got := text(t, ctx, "#audit tbody tr"); !strings.Contains(got, "delivery.shipping") || !strings.Contains(got, "인현6길") || !strings.Contains(got, "인현7길") {
				t.Errorf("audit row %q lacks the change of address", got)
			}
			page, err := a.Audit.List(bg, sys, audit.Filter{Action: "delivery.shipping"})
			if err != nil || page.Total != 1 || page.Items[0].ActorLogin != "clerk" {
				t.Errorf("audit of the address: %+v %v", page, err)
			}
		})
	}
}
