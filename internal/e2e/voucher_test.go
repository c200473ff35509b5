package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// 근로자카드주문: the clerk filters 2019 / 07, ticks two 승인대기 rows and an
// unpaid one, and approves them with [선택 수강승인]: the two become 정상,
// the unpaid one is refused with its reason.
func TestBrowserVoucherApprove(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := browser(t)
			a, base := server(t, engine)
			bg := context.Background()
			sys := access.System()
			course := func(name string, round int) int64 {
				p, err := a.Catalog.Create(bg, sys, catalog.Product{Site: "malgn", Kind: "course", Name: name, Delivery: "online", Schedule: "always_open",
					AccessDays: 60, SalePrice: 300000, GovRefundable: true, CohortYear: 2019, CohortRound: round})
				if err != nil {
					t.Fatal(err)
				}
				return p.ID
			}
			july, september := course("전자상거래 근로자카드", 7), course("전자상거래 근로자카드 2", 9)
			place := func(login, rrn, method string, product int64) order.Order {
				m, err := a.Members.Create(bg, sys, member.Input{Site: "malgn", Login: login, Name: "수강생 " + login, RRN: rrn, Affiliation: "맑은소프트"})
				if err != nil {
					t.Fatal(err)
				}
				discount := int64(0)
				if method == "free" {
					discount = 300000
				}
				o, err := a.Orders.Place(bg, sys, order.PlaceInput{Site: "malgn", MemberID: m.ID, Method: method,
					Items: []order.ItemInput{{ProductID: product, Qty: 1, Discount: discount}}})
				if err != nil {
					t.Fatal(err)
				}
				return o
			}
			first := place("hong041", "900101-1234567", "free", july)
			second := place("hong042", "910202-2345678", "free", july)
			unpaid := place("hong043", "920303-1456789", "bank_deposit", july)
			other := place("hong044", "930404-2567890", "free", september)

			do(t, ctx,
				login(base, "clerk", "correct horse battery"),
				chromedp.Navigate(base+"/voucher-orders"),
				chromedp.WaitVisible(chromedp.ID("voucher-cohort")),
			)
			option := func(css string) string {
				t.Helper()
				v, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(css)))
				if err != nil {
					t.Fatalf("text of %s: %v", css, err)
				}
				return strings.TrimSpace(v)
			}
			if got := option("#voucher-cohort option:first-child"); got != "- 전체 차수 (4 건) -" {
				t.Errorf("전체 차수 option = %q", got)
			}
			do(t, ctx, chromedp.SetValue(chromedp.ID("voucher-cohort"), "2019-07"))
			submit(t, ctx, chromedp.ID("voucher-search-submit"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("voucher-orders")))
			if got := text(t, ctx, ".total strong"); got != "3" {
				t.Fatalf("2019 / 07 total = %q, want 3", got)
			}
			if got := option("#voucher-cohort option:checked"); got != "2019 / 07 (3 건)" {
				t.Errorf("chosen round = %q", got)
			}
			row := func(o order.Order) string { return fmt.Sprintf(`#voucher-orders tr[data-order="%d"]`, o.OrderNo) }
			if got := text(t, ctx, row(first)+" .rrn"); got != "900101-1******" {
				t.Errorf("resident number shown = %q", got)
			}
			listed, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('#voucher-orders tr[data-order="%d"]').length`, other.OrderNo)))
			if err != nil || listed != 0 {
				t.Errorf("a 2019 / 09 row is listed under 2019 / 07")
			}
			for _, o := range []order.Order{first, second} {
				if got := text(t, ctx, row(o)+" .enroll-status"); got != "승인대기" {
					t.Fatalf("order %d before = %q", o.OrderNo, got)
				}
			}
			do(t, ctx,
				chromedp.Click(chromedp.CSS(row(first)+" .voucher-check")),
				chromedp.Click(chromedp.CSS(row(second)+" .voucher-check")),
				chromedp.Click(chromedp.CSS(row(unpaid)+" .voucher-check")),
			)
			submit(t, ctx, chromedp.ID("voucher-approve"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("voucher-orders")))
			flash := text(t, ctx, ".flash")
			if !strings.Contains(flash, "2명을 수강승인했습니다.") || !strings.Contains(flash, fmt.Sprintf("주문 %d은(는) 아직 결제(입금)되지 않았습니다", unpaid.OrderNo)) {
				t.Errorf("flash = %q", flash)
			}
			for _, c := range []struct {
				o    order.Order
				want string
			}{{first, "정상"}, {second, "정상"}, {unpaid, "입금대기"}} {
				if got := text(t, ctx, row(c.o)+" .enroll-status"); got != c.want {
					t.Errorf("order %d after = %q, want %q", c.o.OrderNo, got, c.want)
				}
			}
			if got := text(t, ctx, ".total strong"); got != "3" {
				t.Errorf("the list lost its filter: total %q", got)
			}
			for _, c := range []struct {
				o    order.Order
				want string
			}{{first, order.EnrollActive}, {second, order.EnrollActive}, {unpaid, order.EnrollAwaitingDeposit}} {
				got, err := a.Orders.Get(bg, sys, c.o.OrderNo)
				if err != nil || got.Items[0].EnrollmentStatus != c.want {
					t.Errorf("stored enrollment of %d = %+v, want %q (%v)", c.o.OrderNo, got.Items, c.want, err)
				}
			}
		})
	}
}
