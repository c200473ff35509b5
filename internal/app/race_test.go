package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/refund"
)

// Rounds of concurrent partial refunds, cancel against confirm and cancel
// against refund completion: every answer is a success or a refusal, and
// verify (money, journal and the order counts rollup) holds at the end.
func TestOrderCountsUnderRaces(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		_, memberID, productID := demoEnv(t, e)
		ctx := context.Background()
		sys := access.System()
		bank := &refund.Bank{Name: "국민은행", Account: "123-45-678901", Holder: "홍길금2"}
		place := func(method string) order.Order {
			t.Helper()
			o, err := e.app.Orders.Place(ctx, sys, order.PlaceInput{Site: "malgn", MemberID: memberID, Method: method,
				Items: []order.ItemInput{{ProductID: productID, Qty: 1}, {ProductID: productID, Qty: 2}}})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		paid := func() order.Order {
			t.Helper()
			o := place("bank_deposit")
			if _, err := e.app.Orders.ConfirmDeposit(ctx, sys, o.OrderNo); err != nil {
				t.Fatal(err)
			}
			return o
		}
		request := func(o order.Order, item int) int64 {
			t.Helper()
			r, err := e.app.Refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: []int64{o.Items[item].ID}, Reason: "변심",
				Method: refund.MethodBankTransfer, Bank: bank})
			if err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		at := func(fns ...func() error) {
			t.Helper()
			var wg sync.WaitGroup
			errs := make([]error, len(fns))
			for i, fn := range fns {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = fn() }()
			}
			wg.Wait()
			for _, err := range errs {
				if _, ok := apperr.As(err); err != nil && !ok {
					t.Fatalf("not a refusal: %v", err)
				}
			}
		}
		for round := 0; round < 20; round++ {
			// Two partial refunds of one paid order complete at once.
			p := paid()
			r1, r2 := request(p, 0), request(p, 1)
			at(func() error {
				_, err := e.app.Refunds.Complete(ctx, sys, r1, refund.CompleteInput{Amount: 3000})
				return err
			},
				func() error {
					_, err := e.app.Refunds.Complete(ctx, sys, r2, refund.CompleteInput{Amount: 5000})
					return err
				})
			// 주문취소 against the gateway's confirmation.
			q := place("card")
			at(func() error { _, err := e.app.Orders.Cancel(ctx, sys, q.OrderNo, "race"); return err },
				func() error {
					_, err := e.app.Orders.ConfirmPayment(ctx, sys, q.OrderNo, "sandbox", fmt.Sprintf("race-%d", round), q.Total)
					return err
				})
			// 주문취소 against a refund completion.
			s := paid()
			r3 := request(s, 0)
			at(func() error { _, err := e.app.Orders.Cancel(ctx, sys, s.OrderNo, "race"); return err },
				func() error {
					_, err := e.app.Refunds.Complete(ctx, sys, r3, refund.CompleteInput{Amount: 2000})
					return err
				})
		}
		e.verified(t, "after the races")
	})
}
