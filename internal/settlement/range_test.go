package settlement_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

// A recompute reads a batch's lines by the range of its order numbers, first
// to last; when the job's days are a few of many, other days' order numbers
// lie between them. Recomputing the month one day at a time must store what
// recomputing it at once stores: in batches of 2 the ranges hold other
// numbers' lines (read, counted in their bundles, not settled), in batches
// of 12 they hold more than twice the lines expected (read again by the
// list of numbers). Each seeded order number has lines on three days.
func TestRecomputeDayByDay(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		_, st := setup(t, db)
		seedMarketOrders(t, db, 900)
		ctx := context.Background()
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE market_orders SET cancelled = TRUE WHERE id % 7 = 0`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "6 formulas", Sale: "code11", Settle: "code11*(100-15.4)/100",
			Prepaid: `org_trans_who=="선결제"?code18:0`, Margin: "code18 - 1700", Payment: "shop_price / cnt_order", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", nil); err != nil {
			t.Fatal(err)
		}
		want := dumpRows(t, db)
		if len(want) < 900*20 {
			t.Fatalf("month settled into %d bytes", len(want))
		}
		for _, per := range []int{2, 12} {
			emptySettlements(t, db)
			st.Batch = per
			for d := 1; d <= 28; d++ {
				day := fmt.Sprintf("2025-10-%02d", d)
				if _, err := st.Recompute(ctx, sys, day, day, "", nil); err != nil {
					t.Fatal(err)
				}
			}
			if got := dumpRows(t, db); got != want {
				t.Fatalf("batches of %d: day by day differs from the month at once (%d and %d bytes)", per, len(got), len(want))
			}
		}
	})
}

// On PostgreSQL two batches run at once (sqldb.DB.Writers); whatever order
// they end in, the progress heard only grows, ends at the total, and the
// job's row counts every order number once.
func TestRecomputeProgressInParallel(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		_, st := setup(t, db)
		seedMarketOrders(t, db, 300)
		ctx := context.Background()
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "sale", Sale: "code11", Settle: "code11", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		st.Batch = 7
		var heard [][2]int
		n, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", func(done, total int) { heard = append(heard, [2]int{done, total}) })
		if err != nil || n == 0 {
			t.Fatalf("recompute: %d, %v", n, err)
		}
		if want := (n + 6) / 7; len(heard) != want {
			t.Fatalf("heard %d progress calls for %d batches", len(heard), want)
		}
		for i, h := range heard {
			if h[1] != n || (i > 0 && h[0] <= heard[i-1][0]) {
				t.Fatalf("progress %d of %v does not grow to %d", i, heard, n)
			}
		}
		if last := heard[len(heard)-1]; last[0] != n {
			t.Fatalf("progress ends at %v, want %d", last, n)
		}
		var done, total int
		if err := db.Read().QueryRowContext(ctx, `SELECT done, total FROM settlement_jobs ORDER BY id DESC LIMIT 1`).Scan(&done, &total); err != nil || done != n || total != n {
			t.Fatalf("job row: done %d total %d (%v), want %d", done, total, err, n)
		}
	})
}

// A panic in a recompute batch reaches the caller's goroutine, as it did
// before batches ran on workers of their own (a server's handler recovers
// it; a worker's own panic would have ended the process), and the job ends
// failed then instead of staying running until its lease runs out.
func TestRecomputePanicReachesTheCaller(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		_, st := setup(t, db)
		seedMarketOrders(t, db, 60)
		ctx := context.Background()
		st.Batch = 5
		st.BeforeBatch = func(context.Context) { panic("batch broke") }
		func() {
			defer func() {
				if p := recover(); p != "batch broke" {
					t.Fatalf("recovered %v, want the batch's panic", p)
				}
			}()
			_, _ = st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", nil)
			t.Fatal("Recompute returned after its batch panicked")
		}()
		// The job ends failed at once (not left running until its lease
		// runs out), so a recompute of the range can start again.
		var status string
		if err := db.Read().QueryRowContext(ctx, `SELECT status FROM settlement_jobs ORDER BY id DESC LIMIT 1`).Scan(&status); err != nil || status != "failed" {
			t.Fatalf("the panicked job is %q (%v), want failed", status, err)
		}
		st.BeforeBatch = nil
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", nil); err != nil {
			t.Fatalf("recompute after the panicked one: %v", err)
		}
	})
}
