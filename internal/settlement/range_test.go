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
