package refund_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/refund"
)

// blockingGateway is the sandbox with a Cancel that waits until released,
// as a slow gateway does.
type blockingGateway struct {
	payment.Gateway
	entered chan struct{}
	release chan struct{}
}

func (g *blockingGateway) Cancel(ctx context.Context, req payment.CancelRequest) (payment.Result, error) {
	g.entered <- struct{}{}
	<-g.release
	return g.Gateway.Cancel(ctx, req)
}

// block makes the fixture's gateway block its cancels; the returned function
// releases them (also at cleanup, so that a failing test does not hang).
func (f *fixture) block(t *testing.T) (*blockingGateway, func()) {
	t.Helper()
	g := &blockingGateway{Gateway: f.sandbox, entered: make(chan struct{}, 1), release: make(chan struct{})}
	f.orders.Gateways["sandbox"] = g // the map is shared with the refund service
	var once sync.Once
	release := func() { once.Do(func() { close(g.release) }) }
	t.Cleanup(release)
	return g, release
}

func (f *fixture) balance(t *testing.T, orderNo int64) int64 {
	t.Helper()
	r, err := f.sandbox.Lookup(context.Background(), mustKey(t, f.db, orderNo))
	if err != nil {
		t.Fatal(err)
	}
	return r.Balance
}

func countRows(t *testing.T, db *sqldb.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// otherOrderGoesThrough places and pays another card order within a few
// seconds: the writes of other orders do not wait for a gateway call.
func (f *fixture) otherOrderGoesThrough(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	o, err := f.orders.Place(ctx, sys, order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: "card", Items: []order.ItemInput{{ProductID: f.course, Qty: 1}}})
	if err != nil {
		t.Fatalf("placing another order while the gateway is busy: %v", err)
	}
	if _, err := f.orders.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", "pk-other-"+time.Now().Format("150405.000000000"), o.Total); err != nil {
		t.Fatalf("confirming another order while the gateway is busy: %v", err)
	}
}

// While a 주문취소 or a 환불완료 waits for the gateway, other orders are placed
// and paid; the cancelled order itself refuses new refund requests and the
// refunded request refuses 환불불가 until the answer is recorded.
func TestGatewayCallBlocksNoOtherWrites(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// 주문취소 of a card order.
		o := f.paidOrder(t, "card", f.course)
		g, release := f.block(t)
		done := make(chan error, 1)
		go func() { _, err := f.orders.Cancel(ctx, sys, o.OrderNo, "단순변심"); done <- err }()
		<-g.entered
		f.otherOrderGoesThrough(t)
		if _, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(o), Method: refund.MethodPGCancel}); !errorIs(err, order.ErrGatewayBusy) {
			t.Fatalf("refund request during the gateway cancel: %v", err)
		}
		if _, err := f.orders.Cancel(ctx, sys, o.OrderNo, "again"); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("second cancel during the gateway cancel: %v", err)
		}
		release()
		if err := <-done; err != nil {
			t.Fatalf("cancel: %v", err)
		}
		got, _ := f.orders.Get(ctx, sys, o.OrderNo)
		if got.Status != order.StatusCancelled || got.Refunded != 280000 || f.balance(t, o.OrderNo) != 0 {
			t.Fatalf("after cancel: %s refunded %d, gateway balance %d", got.Status, got.Refunded, f.balance(t, o.OrderNo))
		}
		f.verifyBooks(t, o.OrderNo)

		// 환불완료 of a card order.
		f.orders.Gateways["sandbox"] = f.sandbox
		o2 := f.paidOrder(t, "card", f.course)
		r, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o2.OrderNo, ItemIDs: itemIDs(o2), Method: refund.MethodPGCancel})
		if err != nil {
			t.Fatal(err)
		}
		g, release = f.block(t)
		go func() {
			_, err := f.refunds.Complete(ctx, sys, r.ID, refund.CompleteInput{Amount: 100000})
			done <- err
		}()
		<-g.entered
		f.otherOrderGoesThrough(t)
		if _, err := f.refunds.Deny(ctx, sys, r.ID, refund.DenyInput{Reason: "규정"}); !errorIs(err, order.ErrGatewayBusy) {
			t.Fatalf("denial during the gateway refund: %v", err)
		}
		if _, err := f.refunds.Complete(ctx, sys, r.ID, refund.CompleteInput{Amount: 100000}); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("second completion during the gateway refund: %v", err)
		}
		release()
		if err := <-done; err != nil {
			t.Fatalf("complete: %v", err)
		}
		got, _ = f.orders.Get(ctx, sys, o2.OrderNo)
		if got.Status != order.StatusPartiallyRefunded || got.Refunded != 100000 || f.balance(t, o2.OrderNo) != 180000 {
			t.Fatalf("after refund: %s refunded %d, gateway balance %d", got.Status, got.Refunded, f.balance(t, o2.OrderNo))
		}
		f.verifyBooks(t, o2.OrderNo)
	})
}

func errorIs(err, target error) bool {
	e, ok := apperr.As(err)
	t, _ := apperr.As(target)
	return ok && t != nil && e.Message == t.Message
}

// Eight concurrent 주문취소 of a card order: one cancels at the gateway and
// books the money, the others are refused.
func TestConcurrentGatewayCancels(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.paidOrder(t, "card", f.course, f.book)
		var mu sync.Mutex
		var refused []error
		ok := race(8, func() error {
			_, err := f.orders.Cancel(ctx, sys, o.OrderNo, "중복 클릭")
			if err != nil {
				mu.Lock()
				refused = append(refused, err)
				mu.Unlock()
			}
			return err
		})
		if ok != 1 {
			t.Fatalf("%d cancels succeeded, want 1", ok)
		}
		for _, err := range refused {
			if apperr.CodeOf(err) != apperr.Conflict {
				t.Fatalf("a second cancel answered %v, want a conflict", err)
			}
		}
		got, _ := f.orders.Get(ctx, sys, o.OrderNo)
		if got.Status != order.StatusCancelled || got.Refunded != 292500 || f.balance(t, o.OrderNo) != 0 {
			t.Fatalf("after cancel: %s refunded %d, gateway balance %d", got.Status, got.Refunded, f.balance(t, o.OrderNo))
		}
		f.verifyBooks(t, o.OrderNo)
		if n := countRows(t, db, `SELECT COUNT(*) FROM journal j JOIN orders o ON o.id = j.order_id WHERE o.order_no = $1 AND j.kind = 'cancel'`, o.OrderNo); n != 1 {
			t.Fatalf("%d cancel rows in the journal, want 1", n)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM payment_transactions p JOIN orders o ON o.id = p.order_id WHERE o.order_no = $1 AND p.kind = 'cancel'`, o.OrderNo); n != 1 {
			t.Fatalf("%d cancels in 결제내역, want 1", n)
		}
	})
}

// cancellingGateway cancels the caller's context as soon as the gateway has
// answered, as a browser that disconnects at that moment does.
type cancellingGateway struct {
	payment.Gateway
	cancel context.CancelFunc
}

func (g *cancellingGateway) Cancel(ctx context.Context, req payment.CancelRequest) (payment.Result, error) {
	r, err := g.Gateway.Cancel(ctx, req)
	g.cancel()
	return r, err
}

// A request abandoned right after the gateway answered still records what
// the gateway did.
func TestAbandonedRequestStillRecords(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		bg := context.Background()
		o := f.paidOrder(t, "card", f.course)
		ctx, cancel := context.WithCancel(bg)
		f.orders.Gateways["sandbox"] = &cancellingGateway{Gateway: f.sandbox, cancel: cancel}
		_, _ = f.orders.Cancel(ctx, sys, o.OrderNo, "창 닫음") // the clerk is gone; what matters is the books
		got, _ := f.orders.Get(bg, sys, o.OrderNo)
		if got.Status != order.StatusCancelled || got.Refunded != 280000 || f.balance(t, o.OrderNo) != 0 {
			t.Fatalf("after an abandoned cancel: %s refunded %d, gateway balance %d", got.Status, got.Refunded, f.balance(t, o.OrderNo))
		}
		f.verifyBooks(t, o.OrderNo)

		f.orders.Gateways["sandbox"] = f.sandbox
		o2 := f.paidOrder(t, "card", f.course)
		r, err := f.refunds.Request(bg, sys, refund.RequestInput{OrderNo: o2.OrderNo, ItemIDs: itemIDs(o2), Method: refund.MethodPGCancel})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel = context.WithCancel(bg)
		f.orders.Gateways["sandbox"] = &cancellingGateway{Gateway: f.sandbox, cancel: cancel}
		_, _ = f.refunds.Complete(ctx, sys, r.ID, refund.CompleteInput{Amount: 50000})
		got, _ = f.orders.Get(bg, sys, o2.OrderNo)
		done, _ := f.refunds.Get(bg, sys, r.ID)
		if done.Status != refund.StatusCompleted || got.Refunded != 50000 || f.balance(t, o2.OrderNo) != 230000 {
			t.Fatalf("after an abandoned refund: request %s, refunded %d, gateway balance %d", done.Status, got.Refunded, f.balance(t, o2.OrderNo))
		}
		f.verifyBooks(t, o2.OrderNo)
	})
}

// 주문취소 of an order with an open 환불요청 is refused, naming the request;
// once the request is denied the order cancels. Both through a gateway and
// for a bank deposit.
func TestCancelWithOpenRefundRequest(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		f.orders.OpenRefund = refund.OpenRequest
		ctx := context.Background()
		bank := &refund.Bank{Name: "신한은행", Account: "110-123-456789", Holder: "최고관리자테스트05"}
		for _, method := range []string{"card", "bank_deposit"} {
			o := f.paidOrder(t, method, f.course, f.book)
			in := refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: []int64{o.Items[1].ID}, Method: refund.MethodPGCancel}
			if method == "bank_deposit" {
				in.Method, in.Bank = refund.MethodBankTransfer, bank
			}
			r, err := f.refunds.Request(ctx, sys, in)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.orders.Cancel(ctx, sys, o.OrderNo, "취소")
			want := "환불요청 #" + strconv.FormatInt(r.ID, 10) + "가 처리 중입니다"
			if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || !strings.Contains(e.Message, want) {
				t.Fatalf("%s: cancel with an open request: %v", method, err)
			}
			got, _ := f.orders.Get(ctx, sys, o.OrderNo)
			still, _ := f.refunds.Get(ctx, sys, r.ID)
			if got.Status != order.StatusPaid || got.Refunded != 0 || still.Status != refund.StatusRequested {
				t.Fatalf("%s: after the refused cancel: order %s refunded %d, request %s", method, got.Status, got.Refunded, still.Status)
			}
			if method == "card" && f.balance(t, o.OrderNo) != 292500 {
				t.Fatalf("the refused cancel reached the gateway: balance %d", f.balance(t, o.OrderNo))
			}
			if _, err := f.refunds.Deny(ctx, sys, r.ID, refund.DenyInput{Reason: "취소로 처리"}); err != nil {
				t.Fatal(err)
			}
			if got, err = f.orders.Cancel(ctx, sys, o.OrderNo, "취소"); err != nil || got.Status != order.StatusCancelled || got.Refunded != 292500 {
				t.Fatalf("%s: cancel after the denial: %v %s %d", method, err, got.Status, got.Refunded)
			}
			f.verifyBooks(t, o.OrderNo)
		}
	})
}

// A gateway that refuses the refund leaves the request requested with the
// gateway's message and releases the order: the next completion (with a new
// idempotency key) goes through.
func TestGatewayRefusalReleasesTheClaim(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.paidOrder(t, "card", f.course)
		r, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(o), Method: refund.MethodPGCancel})
		if err != nil {
			t.Fatal(err)
		}
		// Someone cancelled part of the payment at the gateway's own console: the gateway refuses the full refund.
		if _, err := f.sandbox.Cancel(ctx, payment.CancelRequest{PaymentKey: mustKey(t, db, o.OrderNo), Amount: 100000}); err != nil {
			t.Fatal(err)
		}
		_, err = f.refunds.Complete(ctx, sys, r.ID, refund.CompleteInput{Amount: 280000})
		if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || !strings.Contains(e.Message, "취소 할 수 없는 금액") {
			t.Fatalf("refused refund: %v", err)
		}
		got, _ := f.refunds.Get(ctx, sys, r.ID)
		if got.Status != refund.StatusRequested || !strings.Contains(got.GatewayError, "취소 할 수 없는 금액") {
			t.Fatalf("after the refusal: %s %q", got.Status, got.GatewayError)
		}
		if _, err := f.refunds.Complete(ctx, sys, r.ID, refund.CompleteInput{Amount: 180000}); err != nil {
			t.Fatalf("second try: %v", err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM gateway_calls WHERE refund_id = $1 AND state = 'refused'`, r.ID); n != 1 {
			t.Fatalf("%d refused calls kept, want 1", n)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM gateway_calls WHERE state = 'open'`); n != 0 {
			t.Fatalf("%d calls left open", n)
		}
		if f.balance(t, o.OrderNo) != 0 {
			t.Fatalf("gateway balance %d", f.balance(t, o.OrderNo))
		}
	})
}

// Rounds of 환불완료, 환불불가, 주문취소 and 환불신청 clicked at once on one card
// order: whatever wins, the gateway's balance and the books agree, no money
// is returned twice and no cancelled order keeps an open request.
func TestRefundCancelRaces(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		for round := 0; round < 20; round++ {
			o := f.paidOrder(t, "card", f.course, f.book)
			r, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: []int64{o.Items[0].ID}, Method: refund.MethodPGCancel})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			completed, denied := 0, 0
			for i := 0; i < 3; i++ {
				wg.Add(4)
				go func() {
					defer wg.Done()
					if _, err := f.refunds.Complete(ctx, sys, r.ID, refund.CompleteInput{Amount: 100000}); err == nil {
						mu.Lock()
						completed++
						mu.Unlock()
					}
				}()
				go func() {
					defer wg.Done()
					if _, err := f.refunds.Deny(ctx, sys, r.ID, refund.DenyInput{Reason: "규정"}); err == nil {
						mu.Lock()
						denied++
						mu.Unlock()
					}
				}()
				go func() { defer wg.Done(); _, _ = f.orders.Cancel(ctx, sys, o.OrderNo, "경합") }()
				go func() {
					defer wg.Done()
					_, _ = f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: []int64{o.Items[1].ID}, Method: refund.MethodPGCancel})
				}()
			}
			wg.Wait()
			if completed+denied != 1 {
				t.Fatalf("round %d: %d completions and %d denials of one request", round, completed, denied)
			}
			got, _ := f.orders.Get(ctx, sys, o.OrderNo)
			if left := got.Collected - got.Refunded; f.balance(t, o.OrderNo) != left {
				t.Fatalf("round %d: gateway balance %d, the order keeps %d (%s)", round, f.balance(t, o.OrderNo), left, got.Status)
			}
			f.verifyBooks(t, o.OrderNo)
			if got.Status == order.StatusCancelled {
				if n := countRows(t, db, `SELECT COUNT(*) FROM refunds WHERE order_id = $1 AND status = 'requested'`, got.ID); n != 0 {
					t.Fatalf("round %d: cancelled order keeps %d open requests", round, n)
				}
			}
			if n := countRows(t, db, `SELECT COUNT(*) FROM gateway_calls WHERE state = 'open'`); n != 0 {
				t.Fatalf("round %d: %d gateway calls left open", round, n)
			}
		}
	})
}
