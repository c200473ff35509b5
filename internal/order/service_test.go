package order_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/site"
)

type fixture struct {
	db       *sqldb.DB
	svc      *order.Service
	sandbox  *payment.Sandbox
	memberID int64
	course   int64 // 영화이야기 300,000원
	voucher  int64 // government-refundable course 18,000원
	book     int64 // textbook 10,000원, shipping 2,500원
}

var sys = access.System()

func setup(t *testing.T, db *sqldb.DB) *fixture { return setupB(t, db) }

func setupB(t testing.TB, db *sqldb.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	now := func() time.Time { return time.Date(2020, 1, 16, 9, 4, 54, 0, time.UTC) }
	if _, err := (&site.Service{DB: db, Now: now}).Create(ctx, sys, site.Site{Code: "malgn", Name: "맑은소프트"}); err != nil {
		t.Fatal(err)
	}
	box, _ := secret.NewBox(bytes.Repeat([]byte{3}, 32))
	m, err := (&member.Service{DB: db, Box: box, Now: now}).Create(ctx, sys, member.Input{Site: "malgn", Login: "sample2122", Name: "홍길금2"})
	if err != nil {
		t.Fatal(err)
	}
	cat := &catalog.Service{DB: db, Now: now}
	mk := func(p catalog.Product) int64 {
		p.Site = "malgn"
		got, err := cat.Create(ctx, sys, p)
		if err != nil {
			t.Fatal(err)
		}
		return got.ID
	}
	f := &fixture{db: db, memberID: m.ID}
	f.course = mk(catalog.Product{Kind: "course", Name: "영화이야기", Delivery: "online", Schedule: "always_open", AccessDays: 90, SalePrice: 300000, ListPrice: 300000})
	f.voucher = mk(catalog.Product{Kind: "course", Name: "건축기사 건축계획", Delivery: "online", Schedule: "always_open", AccessDays: 60, SalePrice: 8000, GovRefundable: true})
	f.book = mk(catalog.Product{Kind: "textbook", Name: "포토샵 교재", SalePrice: 10000, ShippingFee: 2500})
	f.sandbox = payment.NewSandbox(db, []byte("hook"), now)
	f.svc = &order.Service{DB: db, Box: box, Now: now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Gateways: map[string]payment.Gateway{"sandbox": f.sandbox}}
	return f
}

func (f *fixture) place(t *testing.T, method string, items ...order.ItemInput) order.Order {
	t.Helper()
	in := order.PlaceInput{Site: "malgn", MemberID: f.memberID, Items: items, Method: method,
		Shipping: &order.Shipping{Recipient: "홍길동1", Phone: "010-0000-0000", Zipcode: "08797", Address: "서울시 관악구 인현6길 9 1층"}}
	if method == "voucher_card" {
		in.VoucherCard = &struct {
			Company string `json:"company"`
			Number  string `json:"number"`
		}{"신한카드", "1111-1111-1111-2222"}
	}
	o, err := f.svc.Place(context.Background(), sys, in)
	if err != nil {
		t.Fatalf("place %s: %v", method, err)
	}
	return o
}

func journalCount(t *testing.T, db *sqldb.DB, orderNo int64) (int, int64) {
	t.Helper()
	var n int
	var sum int64
	err := db.Read().QueryRowContext(context.Background(), `SELECT COUNT(*), COALESCE(SUM(j.amount), 0) FROM journal j JOIN orders o ON o.id = j.order_id WHERE o.order_no = $1`, orderNo).Scan(&n, &sum)
	if err != nil {
		t.Fatal(err)
	}
	return n, sum
}

func TestAmountsFollowTheSeedFormula(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		// Order 202 of the manual: 10,000원 = 18,000원 - 8,000원 - 0원 + 0원 (here with 2,500원 shipping).
		o := f.place(t, "voucher_card", order.ItemInput{ProductID: f.voucher, Qty: 1, Subsidy: 8000}, order.ItemInput{ProductID: f.book, Qty: 1})
		if o.ListTotal != 18000 || o.SubsidyTotal != 8000 || o.DiscountTotal != 0 || o.ShippingFee != 2500 || o.Total != 12500 {
			t.Fatalf("amounts = %+v", o)
		}
		if o.Title != "건축기사 건축계획 외 1건" || o.Status != order.StatusPending || o.VoucherCard != "1111-****-****-2222" {
			t.Fatalf("order = %q %s %q", o.Title, o.Status, o.VoucherCard)
		}
		if o.Items[0].Paid != 0 || o.Items[1].Paid != 10000 || o.Items[1].DeliveryStatus != "waiting" {
			t.Fatalf("items = %+v", o.Items)
		}
		next := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
		if next.OrderNo != o.OrderNo+1 {
			t.Fatalf("order numbers %d then %d", o.OrderNo, next.OrderNo)
		}
	})
}

// SetNextOrderNo moves the numbering forward, never back, on both engines
// (PostgreSQL numbers from a sequence, SQLite from the counters row).
func TestSetNextOrderNo(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		first := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
		if err := f.svc.SetNextOrderNo(ctx, first.OrderNo+100); err != nil {
			t.Fatal(err)
		}
		if o := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1}); o.OrderNo != first.OrderNo+100 {
			t.Fatalf("after SetNextOrderNo(%d): order %d", first.OrderNo+100, o.OrderNo)
		}
		if err := f.svc.SetNextOrderNo(ctx, first.OrderNo+1); err != nil {
			t.Fatal(err)
		}
		if o := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1}); o.OrderNo != first.OrderNo+101 {
			t.Fatalf("SetNextOrderNo lower than the last number: next order %d, want %d", o.OrderNo, first.OrderNo+101)
		}
		if err := f.svc.SetNextOrderNo(ctx, first.OrderNo+102); err != nil { // exactly the next one: no change
			t.Fatal(err)
		}
		if o := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1}); o.OrderNo != first.OrderNo+102 {
			t.Fatalf("SetNextOrderNo(next): order %d, want %d", o.OrderNo, first.OrderNo+102)
		}
	})
}

func TestPlaceRefusesBadInput(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		tests := []struct {
			name  string
			in    order.PlaceInput
			field string
		}{
			{"no items", order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: "card"}, "items"},
			{"unknown method", order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: "bitcoin", Items: []order.ItemInput{{ProductID: f.course, Qty: 1}}}, "payment_method"},
			{"unknown product", order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: "card", Items: []order.ItemInput{{ProductID: 999, Qty: 1}}}, "items[0].product_id"},
			{"zero qty", order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: "card", Items: []order.ItemInput{{ProductID: f.course}}}, "items[0].qty"},
			{"subsidy on card", order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: "card", Items: []order.ItemInput{{ProductID: f.voucher, Qty: 1, Subsidy: 100}}}, "items[0].subsidy"},
			{"textbook without address", order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: "card", Items: []order.ItemInput{{ProductID: f.book, Qty: 1}}}, "shipping"},
			{"free with amount", order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: "free", Items: []order.ItemInput{{ProductID: f.course, Qty: 1}}}, "payment_method"},
			{"unknown member", order.PlaceInput{Site: "malgn", MemberID: 12345, Method: "card", Items: []order.ItemInput{{ProductID: f.course, Qty: 1}}}, "member_id"},
		}
		for _, tt := range tests {
			_, err := f.svc.Place(ctx, sys, tt.in)
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid || len(e.Fields) == 0 || e.Fields[0].Location != tt.field {
				t.Errorf("%s: %v, want invalid %s", tt.name, err, tt.field)
			}
		}
		page, err := f.svc.List(ctx, sys, order.Filter{IncludePending: true})
		if err != nil || page.Total != 0 {
			t.Fatalf("refused orders were stored: %d %v", page.Total, err)
		}
	})
}

// Every status transition of DESIGN.md, and the illegal ones refused with both states named.
func TestStatusTransitions(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// pending → paid (gateway), then paid → cancelled.
		card := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
		paid, err := f.svc.ConfirmPayment(ctx, sys, card.OrderNo, "sandbox", "pk-card", 300000)
		if err != nil || paid.Status != order.StatusPaid || paid.Collected != 300000 || paid.PaidAt == nil {
			t.Fatalf("confirm = %+v, %v", paid, err)
		}
		if _, err := f.svc.ConfirmDeposit(ctx, sys, card.OrderNo); func() bool {
			e, ok := apperr.As(err)
			return !ok || e.Message != "이미 결제완료된 주문입니다."
		}() {
			t.Fatalf("confirm deposit of a paid order: %v", err)
		}
		cancelled, err := f.svc.Cancel(ctx, sys, card.OrderNo, "고객 요청")
		if err != nil || cancelled.Status != order.StatusCancelled || cancelled.Refunded != 300000 || cancelled.Items[0].Status != order.ItemCancelled {
			t.Fatalf("cancel paid = %+v, %v", cancelled, err)
		}
		if r, _ := f.sandbox.Lookup(ctx, "pk-card"); r.Status != payment.StatusCanceled {
			t.Fatalf("sandbox status after cancel = %s", r.Status)
		}
		if n, sum := journalCount(t, db, card.OrderNo); n != 2 || sum != 0 {
			t.Fatalf("journal rows %d sum %d, want 2 and 0", n, sum)
		}
		_, err = f.svc.Cancel(ctx, sys, card.OrderNo, "again")
		if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || e.Message != "이미 취소된 주문입니다." {
			t.Fatalf("cancel cancelled: %v", err)
		}
		// pending → awaiting_deposit (bank deposit) → paid (입금확인).
		dep := f.place(t, "bank_deposit", order.ItemInput{ProductID: f.course, Qty: 1})
		if dep.Status != order.StatusAwaitingDeposit {
			t.Fatalf("bank deposit starts %s", dep.Status)
		}
		got, err := f.svc.ConfirmDeposit(ctx, sys, dep.OrderNo)
		if err != nil || got.Status != order.StatusPaid {
			t.Fatalf("confirm deposit = %v, %v", got.Status, err)
		}
		// awaiting_deposit → cancelled; pending → cancelled.
		dep2 := f.place(t, "bank_deposit", order.ItemInput{ProductID: f.course, Qty: 1})
		if c, err := f.svc.Cancel(ctx, sys, dep2.OrderNo, ""); err != nil || c.Status != order.StatusCancelled || c.Refunded != 0 {
			t.Fatalf("cancel awaiting = %+v %v", c, err)
		}
		pend := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
		if c, err := f.svc.Cancel(ctx, sys, pend.OrderNo, ""); err != nil || c.Status != order.StatusCancelled {
			t.Fatalf("cancel pending = %v", err)
		}
		if _, err := f.svc.ConfirmPayment(ctx, sys, pend.OrderNo, "sandbox", "pk-late", 300000); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("confirm a cancelled order: %v", err)
		}
		// free → paid at once; voucher course waits for approval.
		free := f.place(t, "free", order.ItemInput{ProductID: f.voucher, Qty: 1, Discount: 8000})
		if free.Status != order.StatusPaid {
			t.Fatalf("free order = %s", free.Status)
		}
		var enroll string
		if err := db.Read().QueryRowContext(ctx, `SELECT e.status FROM enrollments e JOIN orders o ON o.id = e.order_id WHERE o.order_no = $1`, free.OrderNo).Scan(&enroll); err != nil || enroll != order.EnrollAwaitingApproval {
			t.Fatalf("voucher course enrollment = %q %v", enroll, err)
		}
		// The table itself.
		for _, tt := range []struct {
			from, to string
			ok       bool
		}{
			{"pending", "awaiting_deposit", true}, {"pending", "paid", true}, {"pending", "cancelled", true},
			{"awaiting_deposit", "paid", true}, {"awaiting_deposit", "cancelled", true}, {"paid", "partially_refunded", true},
			{"paid", "refunded", true}, {"paid", "cancelled", true}, {"partially_refunded", "refunded", true},
			{"paid", "pending", false}, {"refunded", "paid", false}, {"cancelled", "paid", false}, {"partially_refunded", "cancelled", false},
			{"awaiting_deposit", "refunded", false},
		} {
			err := order.CheckTransition(tt.from, tt.to)
			if (err == nil) != tt.ok {
				t.Errorf("%s → %s: %v", tt.from, tt.to, err)
			}

		}
	})
}

func TestDeclinedPaymentLeavesOrderPending(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
		if _, err := f.svc.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", "pk", 299000); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("wrong amount: %v", err)
		}
		_, err := f.svc.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", "decline-1", 300000)
		if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "REJECT_CARD_COMPANY") {
			t.Fatalf("declined: %v", err)
		}
		got, _ := f.svc.Get(ctx, sys, o.OrderNo)
		txs, _ := f.svc.Transactions(ctx, sys, o.OrderNo)
		if got.Status != order.StatusPending || len(txs) != 1 || txs[0].Code != "REJECT_CARD_COMPANY" {
			t.Fatalf("after decline: %s, %+v", got.Status, txs)
		}
	})
}

func TestVirtualAccountWebhook(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.place(t, "vbank", order.ItemInput{ProductID: f.course, Qty: 1})
		got, err := f.svc.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", "vb-1", 300000)
		if err != nil || got.Status != order.StatusAwaitingDeposit || got.VBankAccount == "" {
			t.Fatalf("vbank issue = %+v %v", got, err)
		}
		body, headers, err := f.sandbox.Deposit(ctx, "vb-1")
		if err != nil {
			t.Fatal(err)
		}
		forged := map[string]string{"x-sandbox-signature": strings.Repeat("ab", 32)}
		if err := f.svc.Webhook(ctx, "sandbox", forged, body); apperr.CodeOf(err) != apperr.Unauthorized {
			t.Fatalf("forged webhook: %v", err)
		}
		for i := 0; i < 2; i++ {
			if err := f.svc.Webhook(ctx, "sandbox", headers, body); err != nil {
				t.Fatalf("webhook %d: %v", i, err)
			}
		}
		got, _ = f.svc.Get(ctx, sys, o.OrderNo)
		if got.Status != order.StatusPaid {
			t.Fatalf("after deposit webhook: %s", got.Status)
		}
		if n, sum := journalCount(t, db, o.OrderNo); n != 1 || sum != 300000 {
			t.Fatalf("journal %d rows, %d won; want 1 row of 300000", n, sum)
		}
		txs, _ := f.svc.Transactions(ctx, sys, o.OrderNo)
		if len(txs) != 2 {
			t.Fatalf("결제내역 has %d rows, want confirm + one webhook", len(txs))
		}
	})
}

// Two concurrent 입금확인 or 주문취소: exactly one succeeds, one journal row.
func TestConcurrentClicks(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		race := func(fn func() error) (ok, failed int) {
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() { defer wg.Done(); errs <- fn() }()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err == nil {
					ok++
				} else if apperr.CodeOf(err) == apperr.Conflict {
					failed++
				} else {
					t.Errorf("unexpected error: %v", err)
				}
			}
			return
		}
		dep := f.place(t, "bank_deposit", order.ItemInput{ProductID: f.course, Qty: 1})
		ok, failed := race(func() error { _, err := f.svc.ConfirmDeposit(ctx, sys, dep.OrderNo); return err })
		if ok != 1 || failed != 7 {
			t.Fatalf("confirm deposit: %d succeeded, %d refused", ok, failed)
		}
		if n, sum := journalCount(t, db, dep.OrderNo); n != 1 || sum != 300000 {
			t.Fatalf("journal after concurrent confirms: %d rows, %d", n, sum)
		}
		ok, failed = race(func() error { _, err := f.svc.Cancel(ctx, sys, dep.OrderNo, "x"); return err })
		if ok != 1 || failed != 7 {
			t.Fatalf("cancel: %d succeeded, %d refused", ok, failed)
		}
		if n, sum := journalCount(t, db, dep.OrderNo); n != 2 || sum != 0 {
			t.Fatalf("journal after concurrent cancels: %d rows, %d", n, sum)
		}
	})
}

// get reads an order and its items (with their enrollments) in one query;
// it gives what reading the order and then its items gives, for orders of
// one and of several items, paid and not, with and without enrollments.
func TestGetReadsTheOrderAndItsItemsInOneQuery(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		card := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1}, order.ItemInput{ProductID: f.book, Qty: 2})
		if _, err := f.svc.ConfirmPayment(ctx, sys, card.OrderNo, "sandbox", "pk-join", card.Total); err != nil {
			t.Fatal(err)
		}
		voucher := f.place(t, "voucher_card", order.ItemInput{ProductID: f.voucher, Qty: 1, Subsidy: 8000}, order.ItemInput{ProductID: f.book, Qty: 1})
		pending := f.place(t, "card", order.ItemInput{ProductID: f.book, Qty: 1})
		for _, no := range []int64{card.OrderNo, voucher.OrderNo, pending.OrderNo} {
			joined, apart, err := order.LoadBoth(ctx, db.Read(), no)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(joined, apart) {
				t.Fatalf("order %d read in one query:\n%+v\nin two:\n%+v", no, joined, apart)
			}
		}
		// An order without items (none is placed so, but one read must not
		// vanish) is read by the two queries.
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM order_items WHERE order_id = $1`, pending.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if bare, err := f.svc.Get(ctx, sys, pending.OrderNo); err != nil || bare.OrderNo != pending.OrderNo || len(bare.Items) != 0 || bare.Total != pending.Total {
			t.Fatalf("an order without items reads %+v, %v", bare, err)
		}
		got, err := f.svc.Get(ctx, sys, card.OrderNo)
		if err != nil || len(got.Items) != 2 || got.Items[0].EnrollmentID == 0 || got.Items[0].EnrollmentStatus != order.EnrollActive || got.Status != order.StatusPaid {
			t.Fatalf("the paid order reads %+v, %v", got, err)
		}
		if _, err := f.svc.Get(ctx, sys, 999999); !apperr.IsNotFound(err) {
			t.Fatalf("an order that does not exist: %v", err)
		}
	})
}
