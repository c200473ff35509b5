package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/app"
	"github.com/orderdesk/orderdesk/internal/config"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/refund"
)

// envKill tells the test binary, re-executed by TestKilledBetweenCallAndRecord,
// what to do before it dies: "cancel <order_no>" or "refund <id>", on the
// database of ORDERDESK_TEST_KILL_DB.
const envKill, envKillDB = "ORDERDESK_TEST_KILL", "ORDERDESK_TEST_KILL_DB"

// diesAfterCancel is the sandbox in a process that is killed the moment the
// gateway has cancelled, before orderdesk records anything.
type diesAfterCancel struct{ payment.Gateway }

func (g diesAfterCancel) Cancel(ctx context.Context, req payment.CancelRequest) (payment.Result, error) {
	r, err := g.Gateway.Cancel(ctx, req)
	if err == nil {
		os.Exit(3)
	}
	return r, err
}

// TestKilledProcess is the process that TestKilledBetweenCallAndRecord kills.
func TestKilledProcess(t *testing.T) {
	spec := os.Getenv(envKill)
	if spec == "" {
		t.Skip("the re-executed half of TestKilledBetweenCallAndRecord")
	}
	cfg := config.Default()
	cfg.DB, cfg.SecretKey = os.Getenv(envKillDB), testKey
	ctx := context.Background()
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a.Orders.Gateways["sandbox"] = diesAfterCancel{a.Sandbox} // shared with the refund service
	what, n, _ := strings.Cut(spec, " ")
	id, _ := strconv.ParseInt(n, 10, 64)
	switch what {
	case "cancel":
		_, err = a.Orders.Cancel(ctx, access.System(), id, "프로세스 종료 시험")
	case "refund":
		_, err = a.Refunds.Complete(ctx, access.System(), id, refund.CompleteInput{Amount: 10000})
	}
	t.Fatalf("the process survived the gateway call: %v", err)
}

// kill runs the test binary as a process that dies right after the gateway
// answered spec's call.
func kill(t *testing.T, dsn, spec string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envKill+"="+spec, envKillDB+"="+dsn)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("%s: the process did not die after the gateway call: %v\n%s", spec, err, out)
	}
}

// A process killed after the gateway cancelled (a refund, an order cancel)
// and before it recorded anything: after a restart, recovery records the
// money once; the gateway's balance, the order and the journal agree.
func TestKilledBetweenCallAndRecord(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sys := access.System()
		_, memberID, productID := demoEnv(t, e)
		paid := func(key string) order.Order {
			o, err := e.app.Orders.Place(ctx, sys, order.PlaceInput{Site: "malgn", MemberID: memberID, Method: "card", Items: []order.ItemInput{{ProductID: productID, Qty: 3}}})
			if err != nil {
				t.Fatal(err)
			}
			if o, err = e.app.Orders.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", key, o.Total); err != nil {
				t.Fatal(err)
			}
			return o
		}
		a, b := paid("pk-kill-a"), paid("pk-kill-b")
		r, err := e.app.Refunds.Request(ctx, sys, refund.RequestInput{OrderNo: a.OrderNo, ItemIDs: []int64{a.Items[0].ID}, Method: refund.MethodPGCancel})
		if err != nil {
			t.Fatal(err)
		}
		kill(t, e.app.Cfg.DB, fmt.Sprintf("refund %d", r.ID))
		kill(t, e.app.Cfg.DB, fmt.Sprintf("cancel %d", b.OrderNo))

		// The restarted process, on the same database.
		fresh, err := app.Open(ctx, e.app.Cfg, e.app.Log)
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		balance := func(key string) int64 {
			got, err := fresh.Sandbox.Lookup(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			return got.Balance
		}
		before, _ := fresh.Orders.Get(ctx, sys, a.OrderNo)
		if before.Refunded != 0 || balance("pk-kill-a") != a.Total-10000 || balance("pk-kill-b") != 0 {
			t.Fatalf("before recovery: refunded %d here, gateway balances %d and %d", before.Refunded, balance("pk-kill-a"), balance("pk-kill-b"))
		}
		for round := 0; round < 2; round++ { // the second round finds nothing left to do
			if err := fresh.RecoverGatewayCalls(ctx, 0); err != nil {
				t.Fatalf("recovery round %d: %v", round, err)
			}
		}
		gotA, _ := fresh.Orders.Get(ctx, sys, a.OrderNo)
		gotB, _ := fresh.Orders.Get(ctx, sys, b.OrderNo)
		gotR, _ := fresh.Refunds.Get(ctx, sys, r.ID)
		if gotA.Status != order.StatusPartiallyRefunded || gotA.Refunded != 10000 || gotR.Status != refund.StatusCompleted || balance("pk-kill-a") != a.Total-10000 {
			t.Fatalf("refund after recovery: order %s refunded %d, request %s, gateway balance %d", gotA.Status, gotA.Refunded, gotR.Status, balance("pk-kill-a"))
		}
		if gotB.Status != order.StatusCancelled || gotB.Refunded != b.Total || balance("pk-kill-b") != 0 {
			t.Fatalf("cancel after recovery: order %s refunded %d, gateway balance %d", gotB.Status, gotB.Refunded, balance("pk-kill-b"))
		}
		for _, o := range []order.Order{gotA, gotB} {
			var rows int
			var sum int64
			if err := fresh.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM journal WHERE order_id = $1 AND amount < 0`, o.ID).Scan(&rows, &sum); err != nil {
				t.Fatal(err)
			}
			if rows != 1 || -sum != o.Refunded {
				t.Fatalf("order %d: %d journal rows returning %d won, want one of %d", o.OrderNo, rows, -sum, o.Refunded)
			}
		}
		var out bytes.Buffer
		if err := fresh.Verify(ctx, &out); err != nil {
			t.Fatalf("verify: %v\n%s", err, out.String())
		}
	})
}

// 주문취소 through the API with an open 환불요청 answers 409 naming the
// request; after 환불불가 the cancel goes through.
func TestCancelAPIWithOpenRefundRequest(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, productID := demoEnv(t, e)
		placed := e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "bank_deposit",
			"items": []map[string]any{{"product_id": productID, "qty": 2}}}).json(t)
		no := strconv.FormatInt(int64(placed["order_no"].(float64)), 10)
		if r := e.do("POST", "/api/v1/orders/"+no+"/confirm-deposit", tok, nil); r.Status != 200 {
			t.Fatalf("confirm = %d %s", r.Status, r.Body)
		}
		item := placed["items"].([]any)[0].(map[string]any)["item_id"]
		req := e.do("POST", "/api/v1/refunds", tok, map[string]any{"order_no": placed["order_no"], "item_ids": []any{item}, "reason": "변심",
			"method": "bank_transfer", "bank": map[string]string{"name": "국민은행", "account": "123-45-678901", "holder": "홍길금2"}})
		if req.Status != 201 {
			t.Fatalf("request = %d %s", req.Status, req.Body)
		}
		id := int64(req.json(t)["id"].(float64))
		r := e.do("POST", "/api/v1/orders/"+no+"/cancel", tok, map[string]string{"reason": "고객 요청"})
		want := fmt.Sprintf("환불요청 #%d가 처리 중입니다. 환불을 완료하거나 거절한 뒤 취소해 주세요.", id)
		if r.Status != 409 || r.json(t)["detail"] != want {
			t.Fatalf("cancel with an open request = %d %s", r.Status, r.Body)
		}
		if got := e.do("GET", "/api/v1/orders/"+no, tok, nil).json(t); got["status"] != "paid" {
			t.Fatalf("order after the refused cancel: %v", got["status"])
		}
		if r := e.do("POST", fmt.Sprintf("/api/v1/refunds/%d/deny", id), tok, map[string]string{"reason": "주문취소로 처리"}); r.Status != 200 {
			t.Fatalf("deny = %d %s", r.Status, r.Body)
		}
		if r := e.do("POST", "/api/v1/orders/"+no+"/cancel", tok, map[string]string{"reason": "고객 요청"}); r.Status != 200 || r.json(t)["status"] != "cancelled" {
			t.Fatalf("cancel after the denial = %d %s", r.Status, r.Body)
		}
		e.verified(t, "")
	})
}
