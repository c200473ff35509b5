package refund_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/notify"
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
	db       *sqldb.DB
	orders   *order.Service
	refunds  *refund.Service
	sandbox  *payment.Sandbox
	memberID int64
	course   int64 // 280,000원
	book     int64 // 10,000원 + 2,500원 shipping
}

func setup(t *testing.T, db *sqldb.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	now := func() time.Time { return time.Date(2020, 4, 3, 8, 4, 55, 0, time.UTC) }
	if _, err := (&site.Service{DB: db, Now: now}).Create(ctx, sys, site.Site{Code: "malgn", Name: "맑은소프트"}); err != nil {
		t.Fatal(err)
	}
	box, _ := secret.NewBox(bytes.Repeat([]byte{5}, 32))
	m, err := (&member.Service{DB: db, Box: box, Now: now}).Create(ctx, sys, member.Input{Site: "malgn", Login: "test05", Name: "최고관리자테스트05", Phone: "010-0000-0005"})
	if err != nil {
		t.Fatal(err)
	}
	cat := &catalog.Service{DB: db, Now: now}
	c, err := cat.Create(ctx, sys, catalog.Product{Site: "malgn", Kind: "course", Name: "한국사능력검정시험", Delivery: "online", Schedule: "always_open", AccessDays: 2197, SalePrice: 280000, StudyHours: 30, RefundPolicy: "by_days"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := cat.Create(ctx, sys, catalog.Product{Site: "malgn", Kind: "textbook", Name: "한국사 교재", SalePrice: 10000, ShippingFee: 2500})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sb := payment.NewSandbox(db, []byte("k"), now)
	gw := map[string]payment.Gateway{"sandbox": sb}
	return &fixture{db: db, memberID: m.ID, course: c.ID, book: b.ID, sandbox: sb,
		orders:  &order.Service{DB: db, Box: box, Now: now, Log: log, Gateways: gw},
		refunds: &refund.Service{DB: db, Box: box, Now: now, Log: log, Gateways: gw, Outbox: &notify.Outbox{DB: db, Now: now, Log: log, Provider: notify.LogProvider{Log: log}}}}
}

// paidOrder places and pays an order of the items by card or bank deposit.
func (f *fixture) paidOrder(t *testing.T, method string, products ...int64) order.Order {
	t.Helper()
	ctx := context.Background()
	var items []order.ItemInput
	for _, p := range products {
		items = append(items, order.ItemInput{ProductID: p, Qty: 1})
	}
	o, err := f.orders.Place(ctx, sys, order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: method, Items: items,
		Shipping: &order.Shipping{Recipient: "홍길동", Phone: "010-0000-0000", Address: "서울"}})
	if err != nil {
		t.Fatal(err)
	}
	if method == "bank_deposit" {
		o, err = f.orders.ConfirmDeposit(ctx, sys, o.OrderNo)
	} else {
		o, err = f.orders.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", "pk-"+time.Now().Format("150405.000000000"), o.Total)
	}
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func itemIDs(o order.Order) []int64 {
	var ids []int64
	for _, it := range o.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

func (f *fixture) verifyBooks(t *testing.T, orderNo int64) {
	t.Helper()
	var collected, refunded, journalIn, journalOut, items int64
	err := f.db.Read().QueryRowContext(context.Background(), `SELECT o.collected, o.refunded,
		(SELECT COALESCE(SUM(amount), 0) FROM journal WHERE order_id = o.id AND amount > 0),
		(SELECT COALESCE(-SUM(amount), 0) FROM journal WHERE order_id = o.id AND amount < 0),
		(SELECT COALESCE(SUM(refunded), 0) FROM order_items WHERE order_id = o.id)
		FROM orders o WHERE o.order_no = $1`, orderNo).Scan(&collected, &refunded, &journalIn, &journalOut, &items)
	if err != nil {
		t.Fatal(err)
	}
	if refunded > collected || journalIn != collected || journalOut != refunded || items > refunded {
		t.Fatalf("books: collected %d refunded %d journal in %d out %d items %d", collected, refunded, journalIn, journalOut, items)
	}
}

// A card order refunded in three partial steps to zero ends refunded at the
// sandbox gateway and here, with three journal rows.
func TestThreePartialRefundsToZero(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.paidOrder(t, "card", f.course)
		for i, amount := range []int64{100000, 80000, 100000} {
			r, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(o), Reason: "단계 환불", Method: refund.MethodPGCancel})
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			done, err := f.refunds.Complete(ctx, sys, r.ID, refund.CompleteInput{Amount: amount, NotifySMS: true})
			if err != nil {
				t.Fatalf("complete %d: %v", i, err)
			}
			wantKind := "partial"
			if i == 2 {
				wantKind = "full"
			}
			if done.Kind != wantKind || done.Status != refund.StatusCompleted {
				t.Fatalf("step %d: %s %s", i, done.Kind, done.Status)
			}
			got, _ := f.orders.Get(ctx, sys, o.OrderNo)
			wantStatus := order.StatusPartiallyRefunded
			if i == 2 {
				wantStatus = order.StatusRefunded
			}
			if got.Status != wantStatus {
				t.Fatalf("step %d: order %s, want %s", i, got.Status, wantStatus)
			}
		}
		res, err := f.sandbox.Lookup(ctx, mustKey(t, db, o.OrderNo))
		if err != nil || res.Status != payment.StatusCanceled || res.Balance != 0 {
			t.Fatalf("sandbox = %+v %v", res, err)
		}
		var rows int
		db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM journal j JOIN orders o ON o.id = j.order_id WHERE o.order_no = $1 AND j.kind = 'refund'`, o.OrderNo).Scan(&rows)
		if rows != 3 {
			t.Fatalf("refund journal rows = %d, want 3", rows)
		}
		var enroll string
		db.Read().QueryRowContext(ctx, `SELECT e.status FROM enrollments e JOIN orders o ON o.id = e.order_id WHERE o.order_no = $1`, o.OrderNo).Scan(&enroll)
		if enroll != order.EnrollCancelled {
			t.Fatalf("enrollment of the fully refunded course = %s", enroll)
		}
		var sms int
		db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM sms_outbox`).Scan(&sms)
		if sms != 3 {
			t.Fatalf("sms queued = %d, want 3", sms)
		}
		f.verifyBooks(t, o.OrderNo)
		if _, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(o), Method: refund.MethodPGCancel}); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("refund of a refunded order: %v", err)
		}
	})
}

func mustKey(t *testing.T, db *sqldb.DB, orderNo int64) string {
	var key string
	if err := db.Read().QueryRowContext(context.Background(), `SELECT payment_key FROM orders WHERE order_no = $1`, orderNo).Scan(&key); err != nil {
		t.Fatal(err)
	}
	return key
}

func TestConcurrentCompletionsKeepTheBooks(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// The same refund completed by eight clicks at once: one succeeds.
		o := f.paidOrder(t, "card", f.course)
		r, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(o), Method: refund.MethodPGCancel})
		if err != nil {
			t.Fatal(err)
		}
		ok := race(8, func() error {
			_, err := f.refunds.Complete(ctx, sys, r.ID, refund.CompleteInput{Amount: 200000})
			return err
		})
		if ok != 1 {
			t.Fatalf("%d completions succeeded, want 1", ok)
		}
		f.verifyBooks(t, o.OrderNo)
		// Two refunds of one bank-deposit order (course + textbook) that together exceed what was paid.
		o2 := f.paidOrder(t, "bank_deposit", f.course, f.book)
		bank := &refund.Bank{Name: "신한은행", Account: "110-123-456789", Holder: "최고관리자테스트05"}
		r1, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o2.OrderNo, ItemIDs: []int64{o2.Items[0].ID}, Method: refund.MethodBankTransfer, Bank: bank})
		if err != nil {
			t.Fatal(err)
		}
		r2, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o2.OrderNo, ItemIDs: []int64{o2.Items[1].ID}, Method: refund.MethodBankTransfer, Bank: bank})
		if err != nil {
			t.Fatal(err)
		}
		if r1.Bank.Account != "********6789" {
			t.Fatalf("account shown as %q", r1.Bank.Account)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, errs[0] = f.refunds.Complete(ctx, sys, r1.ID, refund.CompleteInput{Amount: 280000})
		}()
		go func() {
			defer wg.Done()
			_, errs[1] = f.refunds.Complete(ctx, sys, r2.ID, refund.CompleteInput{Amount: 12500})
		}()
		wg.Wait()
		f.verifyBooks(t, o2.OrderNo)
		got, _ := f.orders.Get(ctx, sys, o2.OrderNo)
		if errs[0] == nil && errs[1] == nil && got.Refunded != 292500 {
			t.Fatalf("both succeeded but refunded %d", got.Refunded)
		}
		if got.Refunded > got.Collected {
			t.Fatalf("refunded %d over collected %d", got.Refunded, got.Collected)
		}
	})
}

func race(n int, fn func() error) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if fn() == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return ok
}

func TestBadRefundInputChangesNothing(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.paidOrder(t, "card", f.course)
		other := f.paidOrder(t, "card", f.book)
		unpaid, err := f.orders.Place(ctx, sys, order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: "bank_deposit", Items: []order.ItemInput{{ProductID: f.course, Qty: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			in   refund.RequestInput
			code apperr.Code
		}{
			{"unknown item", refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: []int64{99999}, Method: refund.MethodPGCancel}, apperr.Invalid},
			{"item of another order", refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(other), Method: refund.MethodPGCancel}, apperr.Invalid},
			{"unpaid item", refund.RequestInput{OrderNo: unpaid.OrderNo, ItemIDs: itemIDs(unpaid), Method: refund.MethodBankTransfer, Bank: &refund.Bank{Name: "국민", Account: "123-456-7890", Holder: "홍"}}, apperr.Conflict},
			{"transfer without account", refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(o), Method: refund.MethodBankTransfer}, apperr.Invalid},
			{"transfer of a card order", refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(o), Method: refund.MethodBankTransfer, Bank: &refund.Bank{Name: "국민", Account: "123-456-7890", Holder: "홍"}}, apperr.Invalid},
			{"no items", refund.RequestInput{OrderNo: o.OrderNo, Method: refund.MethodPGCancel}, apperr.Invalid},
		} {
			if _, err := f.refunds.Request(ctx, sys, tt.in); apperr.CodeOf(err) != tt.code {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
			}
		}
		r, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(o), Method: refund.MethodPGCancel, Reason: "변심"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Refundable != 280000 || r.Estimate == nil || r.Estimate.ByDays == nil {
			t.Fatalf("refund = %+v", r)
		}
		for _, amount := range []int64{-1, 0, 280001} {
			if _, err := f.refunds.Complete(ctx, sys, r.ID, refund.CompleteInput{Amount: amount}); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("amount %d: %v", amount, err)
			}
		}
		page, _ := f.refunds.List(ctx, sys, refund.Filter{})
		got, _ := f.orders.Get(ctx, sys, o.OrderNo)
		if page.Total != 1 || got.Refunded != 0 || got.Items[0].Status != order.ItemRefundRequested {
			t.Fatalf("after refused input: %d refunds, refunded %d, item %s", page.Total, got.Refunded, got.Items[0].Status)
		}
		if _, err := f.refunds.Deny(ctx, sys, r.ID, refund.DenyInput{}); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("deny without reason: %v", err)
		}
		d, err := f.refunds.Deny(ctx, sys, r.ID, refund.DenyInput{Reason: "수강 완료 후 환불 불가"})
		if err != nil || d.Status != refund.StatusDenied {
			t.Fatalf("deny = %v", err)
		}
		got, _ = f.orders.Get(ctx, sys, o.OrderNo)
		if got.Items[0].Status != order.ItemPaid {
			t.Fatalf("item after deny = %s", got.Items[0].Status)
		}
		// A gateway failure leaves the refund requested with the gateway's message.
		r2, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(o), Method: refund.MethodPGCancel})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sandbox_payments SET balance = 0`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.refunds.Complete(ctx, sys, r2.ID, refund.CompleteInput{Amount: 1000}); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("gateway refusal: %v", err)
		}
		after, _ := f.refunds.Get(ctx, sys, r2.ID)
		got, _ = f.orders.Get(ctx, sys, o.OrderNo)
		if after.Status != refund.StatusRequested || after.GatewayError == "" || got.Refunded != 0 {
			t.Fatalf("after gateway refusal: %s %q refunded %d", after.Status, after.GatewayError, got.Refunded)
		}
	})
}

func TestAllocateAddsUp(t *testing.T) {
	for _, tc := range []struct {
		amount   int64
		left     map[int64]int64
		shipping int64
	}{
		{10000, map[int64]int64{1: 3333, 2: 3333, 3: 3334}, 0},
		{9999, map[int64]int64{1: 5000, 2: 5000}, 0},
		{12500, map[int64]int64{1: 10000}, 2500},
		{7, map[int64]int64{1: 1, 2: 1, 3: 10}, 0},
		// Amounts whose products pass int64 (each up to won.Max).
		{10_000_000_000, map[int64]int64{1: 10_000_000_000}, 0},
		{9_999_999_999, map[int64]int64{1: 10_000_000_000, 2: 7_000_000_001, 3: 3}, 0},
		{19_999_999_999, map[int64]int64{1: 10_000_000_000, 2: 9_999_999_999}, 5000},
	} {
		shares, ship := refund.Allocate(tc.amount, tc.left, tc.shipping)
		sum := ship
		for id, v := range shares {
			if v < 0 || v > tc.left[id] {
				t.Errorf("share %d of item %d outside 0..%d", v, id, tc.left[id])
			}
			sum += v
		}
		if sum != tc.amount || ship > tc.shipping {
			t.Errorf("Allocate(%d) = %v + %d, sum %d", tc.amount, shares, ship, sum)
		}
		// Each share is its item's part of the amount, within a won.
		var itemsLeft int64
		for _, v := range tc.left {
			itemsLeft += v
		}
		for id, v := range shares {
			exact := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(min(tc.amount, itemsLeft)), big.NewInt(tc.left[id])), big.NewInt(itemsLeft))
			if d := new(big.Rat).Sub(exact, new(big.Rat).SetInt64(v)); d.Cmp(big.NewRat(-1, 1)) <= 0 || d.Cmp(big.NewRat(1, 1)) >= 0 {
				t.Errorf("Allocate(%d): item %d gets %d, its part is %s", tc.amount, id, v, exact.FloatString(2))
			}
		}
	}
}

// TestEstimateCountsTheCourseOnly: 예상차감 금액 pro-rates the course's own
// money by its days and hours. A textbook refunded in the same request is
// not tuition: the estimate of course + book is the course's alone.
func TestEstimateCountsTheCourseOnly(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		request := func(o order.Order) refund.Refund {
			t.Helper()
			r, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(o), Method: refund.MethodPGCancel, Reason: "변심"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Estimate == nil || r.Estimate.ByDays == nil {
				t.Fatalf("refund of order %d has no estimate by days: %+v", o.OrderNo, r.Estimate)
			}
			return r
		}
		alone := request(f.paidOrder(t, "card", f.course))
		both := request(f.paidOrder(t, "card", f.course, f.book))
		if both.Refundable <= alone.Refundable {
			t.Fatalf("the textbook adds nothing refundable: %d against %d", both.Refundable, alone.Refundable)
		}
		if *both.Estimate.ByDays != *alone.Estimate.ByDays || !strings.Contains(both.Estimate.ByDays.Line, "280,000원") {
			t.Errorf("course + book by days %+v, want the course's alone %+v", *both.Estimate.ByDays, *alone.Estimate.ByDays)
		}
		if (both.Estimate.ByPolicy == nil) != (alone.Estimate.ByPolicy == nil) || both.Estimate.ByPolicy != nil && *both.Estimate.ByPolicy != *alone.Estimate.ByPolicy {
			t.Errorf("course + book by policy %+v, want the course's alone %+v", both.Estimate.ByPolicy, alone.Estimate.ByPolicy)
		}
		if got, err := f.refunds.Get(ctx, sys, both.ID); err != nil || *got.Estimate.ByDays != *alone.Estimate.ByDays {
			t.Errorf("read again: %+v %v", got.Estimate, err)
		}
	})
}
