package order_test

import (
	"context"
	"sync"
	"testing"

	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

func auditCount(t *testing.T, db *sqldb.DB, action string) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = $1`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Concurrent clicks on 수강승인 and 수강취소 of one enrollment: one of each
// goes through, once audited, and the order counts follow the one
// transition made.
func TestEnrollmentApproveAndCancelOnceUnderConcurrentClicks(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.place(t, "free", order.ItemInput{ProductID: f.voucher, Qty: 1, Discount: 8000})
		e := o.Items[0]
		if o.Status != order.StatusPaid || e.EnrollmentStatus != order.EnrollAwaitingApproval {
			t.Fatalf("free voucher order: %s, enrollment %s", o.Status, e.EnrollmentStatus)
		}
		run := func(fn func() bool) int {
			var wg sync.WaitGroup
			var mu sync.Mutex
			won := 0
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if fn() {
						mu.Lock()
						won++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			return won
		}
		approved := run(func() bool {
			res, err := f.svc.ApproveEnrollments(ctx, sys, []int64{e.EnrollmentID})
			return err == nil && res[0].Approved
		})
		if approved != 1 || auditCount(t, db, "enrollment.approve") != 1 {
			t.Fatalf("approved %d times, audited %d", approved, auditCount(t, db, "enrollment.approve"))
		}
		cancelled := run(func() bool {
			_, err := f.svc.CancelEnrollment(ctx, sys, e.EnrollmentID, "수강 포기")
			return err == nil
		})
		if cancelled != 1 || auditCount(t, db, "enrollment.cancel") != 1 {
			t.Fatalf("cancelled %d times, audited %d", cancelled, auditCount(t, db, "enrollment.cancel"))
		}
		got, err := f.svc.Get(ctx, sys, o.OrderNo)
		if err != nil || got.Status != order.StatusCancelled || got.Items[0].Status != order.ItemCancelled || got.Items[0].StatusLabel(got.Status) != "결제취소" {
			t.Fatalf("after 수강취소: %+v %v", got, err)
		}
		if n, sum := journalCount(t, db, o.OrderNo); n != 1 || sum != 0 { // the 0원 capture only
			t.Fatalf("journal rows %d, sum %d", n, sum)
		}
		var paid, cancelledN int
		_ = db.Read().QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN status = 'paid' THEN n ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status = 'cancelled' THEN n ELSE 0 END), 0) FROM order_month_counts`).Scan(&paid, &cancelledN)
		if paid != 0 || cancelledN != 1 {
			t.Fatalf("order counts: paid %d, cancelled %d", paid, cancelledN)
		}
		if res, _ := f.svc.ApproveEnrollments(ctx, sys, []int64{e.EnrollmentID}); res[0].Approved || res[0].Reason == "" {
			t.Fatalf("a cancelled enrollment was approved: %+v", res)
		}
	})
}

// An item with money left is not cancelled without money: its 수강취소 is a
// refund request; an order that goes on shows the cancelled item 수강취소.
func TestEnrollmentCancelKeepsMoneyRules(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.place(t, "bank_deposit", order.ItemInput{ProductID: f.course, Qty: 1})
		if _, err := f.svc.CancelEnrollment(ctx, sys, o.Items[0].EnrollmentID, "x"); err == nil {
			t.Fatal("an unpaid item was cancelled")
		}
		if _, err := f.svc.ConfirmDeposit(ctx, sys, o.OrderNo); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CancelEnrollment(ctx, sys, o.Items[0].EnrollmentID, "x"); err == nil {
			t.Fatal("an item with 300,000원 to refund was cancelled without money")
		}
		// Two free items: cancelling one leaves the order paid, the item shown 수강취소.
		two := f.place(t, "free", order.ItemInput{ProductID: f.voucher, Qty: 1, Discount: 8000}, order.ItemInput{ProductID: f.course, Qty: 1, Discount: 300000})
		if _, err := f.svc.CancelEnrollment(ctx, sys, two.Items[1].EnrollmentID, "변경"); err != nil {
			t.Fatal(err)
		}
		got, _ := f.svc.Get(ctx, sys, two.OrderNo)
		if got.Status != order.StatusPaid || got.Items[1].StatusLabel(got.Status) != "수강취소" || got.Items[0].Status != order.ItemPaid {
			t.Fatalf("order %s, items %+v", got.Status, got.Items)
		}
	})
}

// Two clerks cancel the two 0원 items of one order at once: the order,
// left with nothing, becomes 결제취소 (neither misses the other's).
func TestEnrollmentCancelOfBothItemsCancelsTheOrder(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		for round := 0; round < 5; round++ {
			o := f.place(t, "free", order.ItemInput{ProductID: f.voucher, Qty: 1, Discount: 8000}, order.ItemInput{ProductID: f.course, Qty: 1, Discount: 300000})
			var wg sync.WaitGroup
			for _, it := range o.Items {
				wg.Add(1)
				go func(id int64) {
					defer wg.Done()
					if _, err := f.svc.CancelEnrollment(ctx, sys, id, "수강 포기"); err != nil {
						t.Error(err)
					}
				}(it.EnrollmentID)
			}
			wg.Wait()
			if got, _ := f.svc.Get(ctx, sys, o.OrderNo); got.Status != order.StatusCancelled {
				t.Fatalf("round %d: order %s with both items cancelled", round, got.Status)
			}
		}
	})
}
