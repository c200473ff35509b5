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
	"github.com/orderdesk/orderdesk/internal/platform/idem"
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

// Every refusal of a status change is a sentence without state codes, in
// Korean and English; the commonest say exactly what happened.
func TestTransitionRefusalsAreSentences(t *testing.T) {
	statuses := []string{order.StatusPending, order.StatusAwaitingDeposit, order.StatusPaid, order.StatusPartiallyRefunded, order.StatusRefunded, order.StatusCancelled}
	want := map[[2]string]string{
		{order.StatusPaid, order.StatusPaid}:                       "이미 결제완료된 주문입니다.",
		{order.StatusCancelled, order.StatusCancelled}:             "이미 취소된 주문입니다.",
		{order.StatusCancelled, order.StatusPaid}:                  "취소된 주문은 결제할 수 없습니다.",
		{order.StatusRefunded, order.StatusCancelled}:              "전액환불된 주문은 취소할 수 없습니다.",
		{order.StatusAwaitingDeposit, order.StatusAwaitingDeposit}: "이미 입금을 기다리는 주문입니다.",
	}
	refused := 0
	for _, from := range statuses {
		for _, to := range statuses {
			err := order.CheckTransition(from, to)
			if err == nil {
				continue
			}
			refused++
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Conflict || e.Message == "" || e.English == "" {
				t.Fatalf("%s → %s: %#v", from, to, err)
			}
			for _, code := range statuses {
				if strings.Contains(e.Message, code) || strings.Contains(e.Message, "("+code+")") || strings.Contains(e.English, "("+code+")") ||
					(strings.Contains(code, "_") && strings.Contains(e.English, code)) {
					t.Errorf("%s → %s names the code %s: %q / %q", from, to, code, e.Message, e.English)
				}
			}
			if w, ok := want[[2]string{from, to}]; ok && e.Message != w {
				t.Errorf("%s → %s = %q, want %q", from, to, e.Message, w)
			}
		}
	}
	if refused < 20 {
		t.Fatalf("only %d refusals", refused)
	}
}

// 입금확인 is for 자체계좌 orders (with or without 세금계산서); a virtual
// account waits for the gateway's deposit webhook.
func TestConfirmDepositOnlyForBankDeposit(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		vb := f.place(t, "vbank", order.ItemInput{ProductID: f.course, Qty: 1})
		if _, err := f.svc.ConfirmPayment(ctx, sys, vb.OrderNo, "sandbox", "vb-wait", vb.Total); err != nil {
			t.Fatal(err)
		}
		got, _ := f.svc.Get(ctx, sys, vb.OrderNo)
		if got.Status != order.StatusAwaitingDeposit || got.CanConfirmDeposit() {
			t.Fatalf("vbank order %s, confirmable %v", got.Status, got.CanConfirmDeposit())
		}
		_, err := f.svc.ConfirmDeposit(ctx, sys, vb.OrderNo)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || !strings.Contains(e.Message, "가상계좌 주문은 결제대행사의 입금 통보로") {
			t.Fatalf("입금확인 of a virtual account: %v", err)
		}
		if got, _ := f.svc.Get(ctx, sys, vb.OrderNo); got.Status != order.StatusAwaitingDeposit || got.Collected != 0 {
			t.Fatalf("after a refused 입금확인: %s, collected %d", got.Status, got.Collected)
		}
		in := order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: "bank_deposit", TaxInvoice: true, Items: []order.ItemInput{{ProductID: f.course, Qty: 1}}}
		tax, err := f.svc.Place(ctx, sys, in)
		if err != nil || !tax.CanConfirmDeposit() {
			t.Fatalf("tax-invoice order = %+v, %v", tax, err)
		}
		if got, err := f.svc.ConfirmDeposit(ctx, sys, tax.OrderNo); err != nil || got.Status != order.StatusPaid {
			t.Fatalf("입금확인 of a 세금계산서 order = %v, %v", got.Status, err)
		}
		card := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
		if _, err := f.svc.ConfirmDeposit(ctx, sys, card.OrderNo); func() bool { e, ok := apperr.As(err); return !ok || !strings.Contains(e.Message, "자체계좌") }() {
			t.Fatalf("입금확인 of a card order: %v", err)
		}
		if _, err := f.svc.PreparePayment(ctx, sys, vb.OrderNo, "sandbox"); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("prepare a payment of an order awaiting its deposit: %v", err)
		}
	})
}

// A confirmation whose answer cannot be kept with its record (the keeper
// fails) still records the payment: the money has moved at the gateway, so
// the order is paid once and the answer comes from a reload. A keeper that
// works is given the paid order, in the record's own transaction.
func TestConfirmAnswerNeverUndoesTheRecord(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		failing, keeper := idem.WithKeeper(context.Background(), func(context.Context, *sqldb.Tx, any) ([]byte, error) {
			return nil, errors.New("the answer cannot be encoded")
		})
		o := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
		got, err := f.svc.ConfirmPayment(failing, sys, o.OrderNo, "sandbox", "pk-unkept", o.Total)
		if err != nil || got.Status != order.StatusPaid || got.Collected != o.Total {
			t.Fatalf("confirm with a failing keeper = %+v, %v", got, err)
		}
		if keeper.Kept() != nil {
			t.Fatalf("a failed keep reports %q kept", keeper.Kept())
		}
		if n, sum := journalCount(t, db, o.OrderNo); n != 1 || sum != o.Total {
			t.Fatalf("journal %d rows, %d won", n, sum)
		}
		var claim string
		if err := db.Read().QueryRowContext(context.Background(), `SELECT confirm_key FROM orders WHERE order_no = $1`, o.OrderNo).Scan(&claim); err != nil || claim != "" {
			t.Fatalf("claim left %q, %v", claim, err)
		}

		var seen []order.Order
		working, keeper := idem.WithKeeper(context.Background(), func(_ context.Context, _ *sqldb.Tx, v any) ([]byte, error) {
			seen = append(seen, v.(order.Order))
			return []byte("kept"), nil
		})
		o2 := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
		got, err = f.svc.ConfirmPayment(working, sys, o2.OrderNo, "sandbox", "pk-kept", o2.Total)
		if err != nil || got.Status != order.StatusPaid || string(keeper.Kept()) != "kept" || len(seen) != 1 ||
			seen[0].Status != order.StatusPaid || seen[0].OrderNo != o2.OrderNo || seen[0].Collected != o2.Total {
			t.Fatalf("confirm with a keeper = %+v, %v; kept %q, seen %+v", got, err, keeper.Kept(), seen)
		}
	})
}

// 결제내역 never shows a payment's secret: Toss answers a virtual account
// with the secret its deposit callback carries, and a row kept as received
// before answers were redacted is redacted when read.
func TestTransactionsHideSecrets(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.place(t, "vbank", order.ItemInput{ProductID: f.course, Qty: 1})
		err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			return order.RecordRaw(ctx, tx, o.ID, "toss", "confirm", `{"paymentKey":"pk","status":"WAITING_FOR_DEPOSIT","secret":"ps_kept_before","virtualAccount":{"accountNumber":"X650"}}`, f.svc.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		txs, err := f.svc.Transactions(ctx, sys, o.OrderNo)
		if err != nil || len(txs) != 1 {
			t.Fatalf("결제내역 = %+v, %v", txs, err)
		}
		if strings.Contains(txs[0].Raw, "ps_kept_before") || !strings.Contains(txs[0].Raw, `"accountNumber":"X650"`) || !strings.Contains(txs[0].Raw, payment.Redacted) {
			t.Fatalf("결제내역 raw = %s", txs[0].Raw)
		}
	})
}
