package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/app"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/staff"
)

// The demo has the manual's four coupons, order 250 uses one, the coupon
// screens render with the manual's texts, and verify catches a discount that
// is not the coupon's or a code used by a cancelled order.
func TestDemoCouponsScreensAndVerify(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if err := e.app.LoadDemo(ctx, io.Discard); err != nil {
			t.Fatal(err)
		}
		if _, err := e.app.Staff.Create(ctx, access.System(), staff.NewStaff{Login: "root", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
			t.Fatal(err)
		}
		o, err := e.app.Orders.Get(ctx, access.System(), 250)
		if err != nil {
			t.Fatal(err)
		}
		if o.DiscountTotal != 2000 || o.Items[0].Discount != 1429 || o.Items[1].Discount != 571 {
			t.Fatalf("order 250 discounts: total %d, items %d and %d", o.DiscountTotal, o.Items[0].Discount, o.Items[1].Discount)
		}
		var out bytes.Buffer
		if err := e.app.Verify(ctx, &out); err != nil {
			t.Fatalf("verify of the demo: %v\n%s", err, out.String())
		}
		c := e.consoleClient("root", "correct horse battery")
		status, body := get(t, c, e.srv.URL+"/coupons")
		for _, want := range []string{"쿠폰은 비환급과정에만 적용됩니다.", "B2B TEST [1,000원 이상의 전체 과정/도서]", "과정 도서 쿠폰 [10,000원 이상의 전체 과정/도서]",
			"맑은소프트 쿠폰 [전체 과정/도서]", "테스트 쿠폰 [전체 과정/도서]", "20,000원", "2020.08.07 - 2020.08.31", "Total : <strong>4</strong> 건", "7 건", "공용", "개별"} {
			if !strings.Contains(body, want) {
				t.Errorf("/coupons (%d) lacks %q", status, want)
			}
		}
		for _, p := range []string{"/coupons?site=common&scope=all&kind=fixed&shared=individual&status=active&from=2019-01-01&to=2019-12-31&q=과정",
			"/coupons/new", "/coupons/1", "/coupons/3?used=used", "/coupons/4?used=unused&q=sample", "/coupons/4/members", "/coupons/4/members?q=홍&field=name",
			"/coupons/export.xlsx", "/coupons/3/codes/export.xlsx"} {
			if status, _ := get(t, c, e.srv.URL+p); status != 200 {
				t.Errorf("%s = %d", p, status)
			}
		}
		// 회원 선택 as the manual's: 사이트명 is the site's name, then 소속, 유형.
		_, body = get(t, c, e.srv.URL+"/coupons/4/members?q=sample1&field=login")
		if !strings.Contains(body, "<th>사이트명</th><th>소속</th><th>유형</th><th>회원명</th>") || !strings.Contains(body, "<td>맑은소프트</td>") || strings.Contains(body, "<td>malgn</td>") {
			t.Errorf("회원 선택 lacks the manual's columns or names the site by its code")
		}
		_, body = get(t, c, e.srv.URL+"/coupons/3?used=used")
		if !strings.Contains(body, "주문 250") || !strings.Contains(body, "terms-locked") {
			t.Errorf("coupon 3 page lacks its use by order 250 or why its terms stay")
		}
		_, body = get(t, c, e.srv.URL+"/coupons/4")
		if !strings.Contains(body, "홍길동1 (sample1)") || !strings.Contains(body, "쿠폰 회수") {
			t.Errorf("coupon 4 page lacks the assigned code with 쿠폰 회수")
		}

		// A discount that is not the coupon's, then a use whose order is cancelled.
		tamper(t, e, `UPDATE order_items SET discount = discount + 1, paid = paid - 1
			WHERE order_id = (SELECT id FROM orders WHERE order_no = 250) AND discount = 571`)
		out.Reset()
		if err := e.app.Verify(ctx, &out); !errors.Is(err, app.ErrVerifyFailed) || !strings.Contains(out.String(), "discount 572, coupon 3 computes 571") {
			t.Errorf("verify missed a wrong coupon discount: %v\n%s", err, out.String())
		}
		tamper(t, e, `UPDATE orders SET status = 'cancelled' WHERE order_no = 250`)
		out.Reset()
		if err := e.app.Verify(ctx, &out); !errors.Is(err, app.ErrVerifyFailed) || !strings.Contains(out.String(), "coupon use of order 250: the order is cancelled") {
			t.Errorf("verify missed a code used by a cancelled order: %v\n%s", err, out.String())
		}
	})
}

func tamper(t *testing.T, e *env, query string) {
	t.Helper()
	if err := e.app.DB.InTx(context.Background(), func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(context.Background(), query)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
