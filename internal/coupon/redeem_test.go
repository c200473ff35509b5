package coupon_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/site"
)

var sys = access.System()

type fixture struct {
	db              *sqldb.DB
	coupons         *coupon.Service
	orders          *order.Service
	refunds         *refund.Service
	members         *member.Service
	alice, bob, eve int64 // eve is a member of another site
	course, course2 int64 // 30,000원 and 10,000원
	voucher         int64 // 환급과정 18,000원
	book            int64 // 도서 5,000원
	cheap           int64 // 과정 500원
}

func today() time.Time { return time.Date(2020, 8, 20, 3, 0, 0, 0, time.UTC) } // 2020-08-20 12:00 Seoul

func setup(t testing.TB, db *sqldb.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	now := today
	for _, s := range []site.Site{{Code: "malgn", Name: "맑은소프트"}, {Code: "other", Name: "다른사이트"}} {
		if _, err := (&site.Service{DB: db, Now: now}).Create(ctx, sys, s); err != nil {
			t.Fatal(err)
		}
	}
	box, _ := secret.NewBox(bytes.Repeat([]byte{3}, 32))
	f := &fixture{db: db, members: &member.Service{DB: db, Box: box, Now: now}}
	mk := func(site, login, name string) int64 {
		m, err := f.members.Create(ctx, sys, member.Input{Site: site, Login: login, Name: name, Affiliation: "맑은소프트"})
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	f.alice, f.bob, f.eve = mk("malgn", "sample1", "홍길동1"), mk("malgn", "hong29", "홍길동29"), mk("other", "eve", "이브")
	cat := &catalog.Service{DB: db, Now: now}
	prod := func(p catalog.Product) int64 {
		p.Site = "malgn"
		got, err := cat.Create(ctx, sys, p)
		if err != nil {
			t.Fatal(err)
		}
		return got.ID
	}
	course := func(name string, price int64, gov bool) catalog.Product {
		return catalog.Product{Kind: "course", Name: name, Delivery: "online", Schedule: "always_open", AccessDays: 90, SalePrice: price, ListPrice: price, GovRefundable: gov}
	}
	f.course = prod(course("영화이야기", 30000, false))
	f.course2 = prod(course("포토샵 기초", 10000, false))
	f.voucher = prod(course("건축기사 건축계획", 18000, true))
	f.book = prod(catalog.Product{Kind: "textbook", Name: "포토샵 교재", SalePrice: 5000})
	f.cheap = prod(course("맛보기 강좌", 500, false))
	f.coupons = &coupon.Service{DB: db, Now: now, Catalog: cat, Members: f.members}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.orders = &order.Service{DB: db, Box: box, Now: now, Log: log, Gateways: map[string]payment.Gateway{}, Coupons: f.coupons, OpenRefund: refund.OpenRequest}
	f.refunds = &refund.Service{DB: db, Box: box, Now: now, Log: log, Gateways: map[string]payment.Gateway{}, Coupons: f.coupons}
	return f
}

func (f *fixture) create(t testing.TB, in coupon.Input) coupon.Coupon {
	t.Helper()
	if in.Site == "" {
		in.Site = "malgn"
	}
	if in.Name == "" {
		in.Name = "테스트 쿠폰"
	}
	if in.Kind == "" {
		in.Kind, in.Amount = coupon.KindFixed, 2000
	}
	if in.ValidFrom == "" {
		in.ValidFrom, in.ValidTo = "2020-08-01", "2020-08-31"
	}
	if in.Status == "" {
		in.Status = coupon.StatusActive
	}
	c, err := f.coupons.Create(context.Background(), sys, in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) codes(t testing.TB, id int64) []coupon.Code {
	t.Helper()
	page, err := f.coupons.Codes(context.Background(), sys, id, coupon.CodeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func (f *fixture) place(memberID int64, code string, products ...int64) (order.Order, error) {
	in := order.PlaceInput{Site: "malgn", MemberID: memberID, Method: "bank_deposit", CouponCode: code,
		Shipping: &order.Shipping{Recipient: "홍길동1", Phone: "010-0000-0000", Address: "서울시 관악구 인현6길 9"}}
	for _, p := range products {
		in.Items = append(in.Items, order.ItemInput{ProductID: p, Qty: 1})
	}
	return f.orders.Place(context.Background(), sys, in)
}

func count(t testing.TB, db *sqldb.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRefusals: each reason a code does not apply, with the sentence the
// clerk and the learner read; nothing is written.
func TestRefusals(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		code := func(c coupon.Coupon) string { return f.codes(t, c.ID)[0].Code }
		stopped := code(f.create(t, coupon.Input{Count: 1, Status: coupon.StatusStopped}))
		early := code(f.create(t, coupon.Input{Count: 1, ValidFrom: "2020-09-01", ValidTo: "2020-09-30"}))
		late := code(f.create(t, coupon.Input{Count: 1, ValidFrom: "2020-07-01", ValidTo: "2020-08-19"}))
		otherSite := code(f.create(t, coupon.Input{Site: "other", Count: 1}))
		minimum := code(f.create(t, coupon.Input{Count: 1, MinPrice: 1000}))
		plain := f.create(t, coupon.Input{Count: 3})
		course2 := f.course2
		onlyCourse2 := code(f.create(t, coupon.Input{Count: 1, Scope: coupon.ScopeCourse, CourseID: &course2}))
		bookOnly := code(f.create(t, coupon.Input{Count: 1, Scope: coupon.ScopeTextbook}))
		codes := f.codes(t, plain.ID)
		assigned, used := codes[0].Code, codes[1].Code
		if _, err := f.coupons.Assign(ctx, sys, plain.ID, assigned, f.bob); err != nil {
			t.Fatal(err)
		}
		if _, err := f.place(f.alice, used, f.course); err != nil {
			t.Fatal(err)
		}
		shared := f.create(t, coupon.Input{Shared: true})
		sharedCode := f.codes(t, shared.ID)[0].Code
		if _, err := f.place(f.alice, sharedCode, f.course); err != nil {
			t.Fatal(err)
		}
		commonCode := code(f.create(t, coupon.Input{Site: access.CommonSite, Count: 1}))

		for _, tc := range []struct {
			name     string
			code     string
			products []int64
			status   apperr.Code
			want     string
		}{
			{"unknown", "ABCDEFGHJKMN", []int64{f.course}, apperr.Invalid, "없는 쿠폰번호입니다"},
			{"중지", stopped, []int64{f.course}, apperr.Invalid, "사용이 중지된 쿠폰입니다"},
			{"before start", early, []int64{f.course}, apperr.Invalid, "2020.09.01부터 쓸 수 있습니다"},
			{"after end", late, []int64{f.course}, apperr.Invalid, "사용 기간(2020.08.19까지)이 지난 쿠폰입니다"},
			{"other site", otherSite, []int64{f.course}, apperr.Invalid, "이 사이트에서 쓸 수 없는 쿠폰입니다"},
			{"below minimum", minimum, []int64{f.cheap}, apperr.Invalid, "1,000원 이상인 상품에만 쓸 수 있습니다"},
			{"환급과정 only", codes[2].Code, []int64{f.voucher}, apperr.Invalid, "쿠폰은 비환급과정에만 적용됩니다"},
			{"other course", onlyCourse2, []int64{f.course}, apperr.Invalid, "'포토샵 기초' 과정에만 쓸 수 있습니다"},
			{"other scope", bookOnly, []int64{f.course}, apperr.Invalid, "도서에만 쓸 수 있는 쿠폰입니다"},
			{"assigned to someone else", assigned, []int64{f.course}, apperr.Invalid, "다른 회원에게 발급된 쿠폰입니다"},
			{"already used", used, []int64{f.course}, apperr.Conflict, "이미 사용된 쿠폰번호입니다"},
			{"used by this member", sharedCode, []int64{f.course}, apperr.Conflict, "이미 사용한 쿠폰입니다"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ordersBefore := count(t, db, `SELECT COUNT(*) FROM orders`)
				_, err := f.place(f.alice, tc.code, tc.products...)
				if apperr.CodeOf(err) != tc.status || !strings.Contains(ko(err), tc.want) {
					t.Fatalf("Place: %v (%s), want %s %q", err, apperr.CodeOf(err), tc.status, tc.want)
				}
				q, err := f.coupons.Quote(ctx, sys, coupon.QuoteInput{Site: "malgn", MemberID: f.alice, CouponCode: tc.code,
					Items: quoteItems(tc.products...)})
				if apperr.CodeOf(err) != tc.status || !strings.Contains(ko(err), tc.want) {
					t.Fatalf("Quote: %v %+v, want %q", err, q, tc.want)
				}
				if n := count(t, db, `SELECT COUNT(*) FROM orders`); n != ordersBefore {
					t.Errorf("a refused order was written: %d orders, want %d", n, ordersBefore)
				}
			})
		}
		// The same codes do apply where they should.
		if _, err := f.place(f.bob, assigned, f.course); err != nil {
			t.Errorf("bob's own code: %v", err)
		}
		if _, err := f.place(f.bob, sharedCode, f.course); err != nil {
			t.Errorf("shared code by another member: %v", err)
		}
		if _, err := f.place(f.alice, commonCode, f.course); err != nil {
			t.Errorf("공통 code on a site: %v", err)
		}
		if _, err := f.place(f.alice, minimum, f.course, f.cheap); err != nil {
			t.Errorf("minimum met by one item: %v", err)
		}
	})
}

// ko is the Korean sentence of an error, as the clerk and the learner read it.
func ko(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Message
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func quoteItems(products ...int64) []coupon.QuoteItem {
	var out []coupon.QuoteItem
	for _, p := range products {
		out = append(out, coupon.QuoteItem{ProductID: p, Qty: 1})
	}
	return out
}

// TestPlaceSplitsTheDiscount: a 20% coupon capped at 5,000원 on items of
// 30,000원 and 10,000원 gives 3,750원 and 1,250원, the quote says the same,
// the 환급과정 item gets nothing, and the order's total follows.
func TestPlaceSplitsTheDiscount(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		c := f.create(t, coupon.Input{Kind: coupon.KindRate, Rate: 20, MaxDiscount: 5000, Count: 1})
		code := f.codes(t, c.ID)[0].Code
		q, err := f.coupons.Quote(context.Background(), sys, coupon.QuoteInput{Site: "malgn", MemberID: f.alice, CouponCode: code,
			Items: quoteItems(f.course, f.course2)})
		if err != nil {
			t.Fatal(err)
		}
		if q.Discount != 5000 || q.Items[0].Discount != 3750 || q.Items[1].Discount != 1250 {
			t.Fatalf("quote %+v", q)
		}
		in := order.PlaceInput{Site: "malgn", MemberID: f.alice, Method: "voucher_card", CouponCode: strings.ToLower(code),
			Items: []order.ItemInput{{ProductID: f.course, Qty: 1}, {ProductID: f.course2, Qty: 1}, {ProductID: f.voucher, Qty: 1, Subsidy: 10000}}}
		in.VoucherCard = &struct {
			Company string `json:"company"`
			Number  string `json:"number"`
		}{"신한카드", "1111-1111-1111-2222"}
		o, err := f.orders.Place(context.Background(), sys, in)
		if err != nil {
			t.Fatal(err)
		}
		got := []int64{o.Items[0].Discount, o.Items[1].Discount, o.Items[2].Discount}
		if fmt.Sprint(got) != "[3750 1250 0]" || o.DiscountTotal != 5000 || o.Total != 30000+10000+18000-10000-5000 {
			t.Fatalf("order discounts %v, total %d, discount %d", got, o.Total, o.DiscountTotal)
		}
		if o.Items[0].Paid != 26250 {
			t.Errorf("paid %d, want 26250", o.Items[0].Paid)
		}
		rows := f.codes(t, c.ID)
		if !rows[0].Used || rows[0].OrderNo == nil || *rows[0].OrderNo != o.OrderNo || rows[0].MemberName != "홍길동1" {
			t.Errorf("code row %+v", rows[0])
		}
	})
}

// TestConcurrentRedemption: 50 checkouts at once with one 개별 code, and 50
// with one 공용 code by one member: one order each time, 49 clear refusals,
// nothing else written.
func TestConcurrentRedemption(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		single := f.create(t, coupon.Input{Count: 1, Kind: coupon.KindFixed, Amount: 3000})
		shared := f.create(t, coupon.Input{Shared: true, Kind: coupon.KindFixed, Amount: 3000})
		for _, tc := range []struct {
			name string
			c    coupon.Coupon
			used string
		}{{"개별", single, "이미 사용된 쿠폰번호입니다"}, {"공용", shared, "이미 사용한 쿠폰입니다"}} {
			t.Run(tc.name, func(t *testing.T) {
				code := f.codes(t, tc.c.ID)[0].Code
				ordersBefore := count(t, db, `SELECT COUNT(*) FROM orders`)
				auditBefore := count(t, db, `SELECT COUNT(*) FROM audit_log`)
				const n = 50
				var wg sync.WaitGroup
				errs := make([]error, n)
				orders := make([]order.Order, n)
				start := make(chan struct{})
				for i := 0; i < n; i++ {
					wg.Add(1)
					go func(i int) {
						defer wg.Done()
						<-start
						orders[i], errs[i] = f.place(f.alice, code, f.course)
					}(i)
				}
				close(start)
				wg.Wait()
				won := 0
				for i, err := range errs {
					switch {
					case err == nil:
						won++
						if orders[i].DiscountTotal != 3000 || orders[i].Total != 27000 {
							t.Errorf("winning order %+v", orders[i])
						}
					case apperr.CodeOf(err) == apperr.Conflict && strings.Contains(ko(err), tc.used):
					default:
						t.Errorf("checkout %d: %v", i, err)
					}
				}
				if won != 1 {
					t.Fatalf("%d checkouts got the code, want exactly 1", won)
				}
				if got := count(t, db, `SELECT COUNT(*) FROM orders`); got != ordersBefore+1 {
					t.Errorf("%d orders written, want 1", got-ordersBefore)
				}
				if got := count(t, db, `SELECT COUNT(*) FROM coupon_uses WHERE coupon_id = $1`, tc.c.ID); got != 1 {
					t.Errorf("%d uses, want 1", got)
				}
				// order.place, the 입금대기 move and coupon.use of the one order only.
				if got := count(t, db, `SELECT COUNT(*) FROM audit_log`) - auditBefore; got != 2 {
					t.Errorf("%d audit rows written, want 2 (order.place, coupon.use)", got)
				}
			})
		}
	})
}

// TestCodeComesBack: a cancelled order gives its code back; a partial
// refund keeps it used; a full refund of every discounted item gives it back.
// A discounted item's refundable amount is what was paid for it.
func TestCodeComesBack(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		c := f.create(t, coupon.Input{Count: 1, Kind: coupon.KindFixed, Amount: 4000})
		code := f.codes(t, c.ID)[0].Code

		o, err := f.place(f.alice, code, f.course, f.course2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.place(f.bob, code, f.course); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("second use: %v", err)
		}
		if _, err := f.orders.Cancel(ctx, sys, o.OrderNo, "변심"); err != nil {
			t.Fatal(err)
		}
		if rows := f.codes(t, c.ID); rows[0].Used {
			t.Fatalf("after cancel the code is still used: %+v", rows[0])
		}

		o, err = f.place(f.bob, code, f.course, f.course2)
		if err != nil {
			t.Fatalf("the code given back is usable again: %v", err)
		}
		if o.Items[0].Discount != 3000 || o.Items[1].Discount != 1000 {
			t.Fatalf("discounts %d, %d", o.Items[0].Discount, o.Items[1].Discount)
		}
		if _, err := f.orders.ConfirmDeposit(ctx, sys, o.OrderNo); err != nil {
			t.Fatal(err)
		}
		refundItem := func(it order.Item) {
			t.Helper()
			r, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: []int64{it.ID}, Reason: "변심", Method: refund.MethodBankTransfer,
				Bank: &refund.Bank{Name: "국민은행", Account: "123-456-7890", Holder: "홍길동29"}})
			if err != nil {
				t.Fatal(err)
			}
			if r.Refundable != it.Paid {
				t.Fatalf("refundable %d of a discounted item, want its paid amount %d", r.Refundable, it.Paid)
			}
			if _, err := f.refunds.Complete(ctx, sys, r.ID, refund.CompleteInput{Amount: r.Refundable}); err != nil {
				t.Fatal(err)
			}
		}
		refundItem(o.Items[0]) // 27,000 of 30,000: one discounted item still has money
		if rows := f.codes(t, c.ID); !rows[0].Used {
			t.Fatal("a partial refund gave the code back")
		}
		refundItem(o.Items[1]) // 9,000: every discounted item refunded
		if rows := f.codes(t, c.ID); rows[0].Used {
			t.Fatal("a full refund kept the code used")
		}
		if got := count(t, db, `SELECT COUNT(*) FROM coupon_uses WHERE returned_at IS NOT NULL`); got != 2 {
			t.Errorf("%d uses given back, want 2", got)
		}
		if _, err := f.place(f.alice, code, f.course); err != nil {
			t.Errorf("the code given back by the refund is usable again: %v", err)
		}
	})
}

// TestAssignRecall: 회원선택 gives a free code to a member; 쿠폰 회수 takes it
// back unused; a used code cannot be recalled; a member of another site
// cannot get a site's coupon.
func TestAssignRecall(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		c := f.create(t, coupon.Input{Count: 2})
		got, err := f.coupons.Assign(ctx, sys, c.ID, "", f.bob)
		if err != nil {
			t.Fatal(err)
		}
		if got.MemberName != "홍길동29" || got.AssignedAt == nil || got.Used {
			t.Fatalf("assigned %+v", got)
		}
		if _, err := f.coupons.Assign(ctx, sys, c.ID, got.Code, f.alice); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("assigning an assigned code: %v", err)
		}
		if _, err := f.coupons.Assign(ctx, sys, c.ID, "", f.eve); err == nil || !strings.Contains(ko(err), "malgn 사이트의 회원에게만") {
			t.Errorf("member of another site: %v", err)
		}
		back, err := f.coupons.Recall(ctx, sys, c.ID, got.Code)
		if err != nil {
			t.Fatal(err)
		}
		if back.MemberID != nil || back.MemberName != "" || back.Used {
			t.Fatalf("recalled %+v", back)
		}
		if _, err := f.coupons.Recall(ctx, sys, c.ID, got.Code); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("recalling twice: %v", err)
		}
		if _, err := f.coupons.Assign(ctx, sys, c.ID, got.Code, f.bob); err != nil {
			t.Fatal(err)
		}
		if _, err := f.place(f.bob, got.Code, f.course); err != nil {
			t.Fatal(err)
		}
		if _, err := f.coupons.Recall(ctx, sys, c.ID, got.Code); apperr.CodeOf(err) != apperr.Conflict || !strings.Contains(ko(err), "사용된 쿠폰은 회수할 수 없습니다") {
			t.Errorf("recalling a used code: %v", err)
		}
		codes, err := f.coupons.Issue(ctx, sys, c.ID, 3)
		if err != nil || len(codes) != 3 {
			t.Fatalf("issue: %v %v", codes, err)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM coupon_codes WHERE coupon_id = $1`, c.ID); got != 5 {
			t.Errorf("%d codes, want 5", got)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE action IN ('coupon.assign', 'coupon.recall', 'coupon.issue', 'coupon.use')`); got != 5 {
			t.Errorf("%d audit rows for assign, recall, issue, use; want 5", got)
		}
		// Terms of a used coupon stay.
		amount := int64(9000)
		if _, err := f.coupons.Update(ctx, sys, c.ID, coupon.Patch{Amount: &amount}); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("changing the amount of a used coupon: %v", err)
		}
		name := "새 이름"
		if _, err := f.coupons.Update(ctx, sys, c.ID, coupon.Patch{Name: &name}); err != nil {
			t.Errorf("renaming a used coupon: %v", err)
		}
	})
}

// TestConcurrentAssign: 회원선택 clicked for many members at once on a coupon
// with 3 free codes gives 3 codes, each to one member; the rest hear that no
// free code is left.
func TestConcurrentAssign(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		c := f.create(t, coupon.Input{Count: 3})
		const n = 12
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = f.coupons.Assign(context.Background(), sys, c.ID, "", []int64{f.alice, f.bob}[i%2])
			}(i)
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !strings.Contains(ko(err), "남은 쿠폰번호가 없습니다"):
				t.Errorf("assign: %v", err)
			}
		}
		if ok != 3 {
			t.Errorf("%d assignments, want 3", ok)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM coupon_codes WHERE coupon_id = $1 AND member_id IS NOT NULL`, c.ID); got != 3 {
			t.Errorf("%d codes assigned, want 3", got)
		}
	})
}

// TestCodeComesBackWhenCancellingTheCourseEmptiesTheOrder: a coupon that
// makes an order 0원 (무과금) is given back when 수강취소 of its only course
// cancels the order, as any cancelled order gives its code back.
func TestCodeComesBackWhenCancellingTheCourseEmptiesTheOrder(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		c := f.create(t, coupon.Input{Count: 1, Kind: coupon.KindFixed, Amount: 500})
		code := f.codes(t, c.ID)[0].Code
		o, err := f.orders.Place(ctx, sys, order.PlaceInput{Site: "malgn", MemberID: f.alice, Method: "free", CouponCode: code,
			Items: []order.ItemInput{{ProductID: f.cheap, Qty: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if o.Total != 0 || o.Status != order.StatusPaid || o.Items[0].EnrollmentID == 0 {
			t.Fatalf("a 0원 order by coupon: total %d, %s, enrollment %d", o.Total, o.Status, o.Items[0].EnrollmentID)
		}
		if _, err := f.orders.CancelEnrollment(ctx, sys, o.Items[0].EnrollmentID, "수강 포기"); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.orders.Get(ctx, sys, o.OrderNo); got.Status != order.StatusCancelled {
			t.Fatalf("the emptied order is %s, want cancelled", got.Status)
		}
		if rows := f.codes(t, c.ID); rows[0].Used {
			t.Fatalf("the order is cancelled but its code is still used: %+v", rows[0])
		}
		if got := count(t, db, `SELECT COUNT(*) FROM coupon_uses WHERE returned_at IS NOT NULL AND return_reason = '수강취소'`); got != 1 {
			t.Errorf("%d uses given back for 수강취소, want 1", got)
		}
		if _, err := f.orders.Place(ctx, sys, order.PlaceInput{Site: "malgn", MemberID: f.bob, Method: "free", CouponCode: code,
			Items: []order.ItemInput{{ProductID: f.cheap, Qty: 1}}}); err != nil {
			t.Errorf("the code given back is usable again: %v", err)
		}
	})
}
