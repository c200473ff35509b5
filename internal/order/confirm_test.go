package order_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// heldAtGateway is what the sandbox still holds for an order: approved
// payments with a balance.
func heldAtGateway(t *testing.T, db *sqldb.DB, orderNo int64) (payments int, held int64) {
	t.Helper()
	err := db.Read().QueryRowContext(context.Background(), `SELECT COUNT(*), COALESCE(SUM(balance), 0) FROM sandbox_payments
		WHERE order_no = $1 AND balance > 0`, fmt.Sprint(orderNo)).Scan(&payments, &held)
	if err != nil {
		t.Fatal(err)
	}
	return payments, held
}

// Ten confirms of one order with ten different payment keys at once: the
// order is claimed before the gateway is called, so exactly one payment is
// approved and kept at the gateway and the order is paid once.
func TestConcurrentConfirmsCaptureOnce(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		for round := 0; round < 3; round++ {
			o := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
			var wg sync.WaitGroup
			errs := make([]error, 10)
			for i := range errs {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					_, errs[i] = f.svc.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", fmt.Sprintf("pk-%d-%d", round, i), o.Total)
				}(i)
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case apperr.CodeOf(err) == apperr.Conflict:
				default:
					t.Fatalf("confirm: %v", err)
				}
			}
			if ok != 1 {
				t.Fatalf("round %d: %d confirms succeeded, want 1", round, ok)
			}
			if n, held := heldAtGateway(t, db, o.OrderNo); n != 1 || held != o.Total {
				t.Fatalf("round %d: gateway holds %d payments, %d won; want 1 of %d", round, n, held, o.Total)
			}
			if n, sum := journalCount(t, db, o.OrderNo); n != 1 || sum != o.Total {
				t.Fatalf("round %d: journal %d rows, %d won", round, n, sum)
			}
		}
	})
}

// hookGateway is the sandbox with something happening around its confirm:
// the order cancelled meanwhile, or the answer lost on the way back.
type hookGateway struct {
	*payment.Sandbox
	before func()
	lose   bool
}

func (h *hookGateway) Confirm(ctx context.Context, req payment.ConfirmRequest) (payment.Result, error) {
	if h.before != nil {
		h.before()
	}
	r, err := h.Sandbox.Confirm(ctx, req)
	if h.lose {
		return payment.Result{}, errors.New("connection reset by peer")
	}
	return r, err
}

func transactionKinds(t *testing.T, f *fixture, orderNo int64) string {
	t.Helper()
	txs, err := f.svc.Transactions(context.Background(), sys, orderNo)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, x := range txs {
		kinds = append(kinds, x.Kind)
	}
	slices.Sort(kinds)
	return strings.Join(kinds, ",")
}

// A payment the gateway approved for an order cancelled meanwhile is
// cancelled at the gateway at once and both answers are in 결제내역.
func TestApprovedPaymentOfACancelledOrderIsVoided(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
		f.svc.Gateways["sandbox"] = &hookGateway{Sandbox: f.sandbox, before: func() {
			if _, err := f.svc.Cancel(ctx, sys, o.OrderNo, "고객 요청"); err != nil {
				t.Errorf("cancel: %v", err)
			}
		}}
		_, err := f.svc.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", "pk-late", o.Total)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || !strings.Contains(e.Message, "바로 취소") {
			t.Fatalf("confirm of a cancelled order = %v", err)
		}
		if n, held := heldAtGateway(t, db, o.OrderNo); n != 0 || held != 0 {
			t.Fatalf("gateway still holds %d payments, %d won", n, held)
		}
		if r, _ := f.sandbox.Lookup(ctx, "pk-late"); r.Status != payment.StatusCanceled {
			t.Fatalf("sandbox status = %s", r.Status)
		}
		if k := transactionKinds(t, f, o.OrderNo); k != "cancel,confirm" {
			t.Fatalf("결제내역 = %s", k)
		}
		got, _ := f.svc.Get(ctx, sys, o.OrderNo)
		if got.Status != order.StatusCancelled || got.Collected != 0 {
			t.Fatalf("order = %s collected %d", got.Status, got.Collected)
		}
	})
}

// A process that dies between the gateway's answer and the record leaves a
// claim: another key is refused meanwhile, and after ClaimTTL the gateway is
// asked what happened and the payment recorded once.
func TestCrashBetweenConfirmAndRecord(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		clock := time.Date(2020, 1, 16, 9, 4, 54, 0, time.UTC)
		f.svc.Now = func() time.Time { return clock }
		lossy := &hookGateway{Sandbox: f.sandbox, lose: true}
		f.svc.Gateways["sandbox"] = lossy

		// The answer is lost: the gateway approved, nothing is recorded.
		o := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
		if _, err := f.svc.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", "pk-lost", o.Total); err == nil {
			t.Fatal("a lost answer succeeded")
		}
		lossy.lose = false
		if _, err := f.svc.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", "pk-other", o.Total); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("another key while claimed: %v", err)
		}
		if n, _ := f.svc.RecoverConfirmClaims(ctx); n != 0 {
			t.Fatalf("a fresh claim was settled")
		}
		clock = clock.Add(order.ClaimTTL + time.Second)
		if n, err := f.svc.RecoverConfirmClaims(ctx); n != 1 || err != nil {
			t.Fatalf("recover = %d, %v", n, err)
		}
		got, _ := f.svc.Get(ctx, sys, o.OrderNo)
		if got.Status != order.StatusPaid || got.PaymentKey != "pk-lost" {
			t.Fatalf("after recovery: %s %q", got.Status, got.PaymentKey)
		}
		if n, sum := journalCount(t, db, o.OrderNo); n != 1 || sum != o.Total {
			t.Fatalf("journal %d rows, %d won", n, sum)
		}
		if n, held := heldAtGateway(t, db, o.OrderNo); n != 1 || held != o.Total {
			t.Fatalf("gateway holds %d, %d", n, held)
		}

		// The same key retries after ClaimTTL: the gateway's answer is looked up.
		o2 := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
		lossy.lose = true
		_, _ = f.svc.ConfirmPayment(ctx, sys, o2.OrderNo, "sandbox", "pk-retry", o2.Total)
		lossy.lose = false
		if _, err := f.svc.ConfirmPayment(ctx, sys, o2.OrderNo, "sandbox", "pk-retry", o2.Total); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("the same key at once: %v", err)
		}
		clock = clock.Add(order.ClaimTTL + time.Second)
		if got, err := f.svc.ConfirmPayment(ctx, sys, o2.OrderNo, "sandbox", "pk-retry", o2.Total); err != nil || got.Status != order.StatusPaid {
			t.Fatalf("retry after the claim expired = %v, %v", got.Status, err)
		}
		if n, sum := journalCount(t, db, o2.OrderNo); n != 1 || sum != o2.Total {
			t.Fatalf("journal %d rows, %d won", n, sum)
		}

		// The process died before the gateway was called: the claim is released.
		o3 := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
		f.svc.Gateways["sandbox"] = &hookGateway{Sandbox: f.sandbox, before: func() { panic("crash") }}
		func() {
			defer func() { _ = recover() }()
			_, _ = f.svc.ConfirmPayment(ctx, sys, o3.OrderNo, "sandbox", "pk-never", o3.Total)
		}()
		f.svc.Gateways["sandbox"] = f.sandbox
		clock = clock.Add(order.ClaimTTL + time.Second)
		if got, err := f.svc.ConfirmPayment(ctx, sys, o3.OrderNo, "sandbox", "pk-new", o3.Total); err != nil || got.Status != order.StatusPaid || got.PaymentKey != "pk-new" {
			t.Fatalf("confirm after a claim that never reached the gateway = %+v, %v", got, err)
		}
		if n, held := heldAtGateway(t, db, o3.OrderNo); n != 1 || held != o3.Total {
			t.Fatalf("gateway holds %d, %d", n, held)
		}
	})
}
