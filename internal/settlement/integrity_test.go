package settlement_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

// Without per-row foreign keys, a settlement row naming no line, a line of
// another marketplace or no rule version is found by Orphans (verify), and a
// batch refuses to write a rule version that is not its marketplace's.
func TestSettlementReferencesAreChecked(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setup(t, db)
		ctx := context.Background()
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "r", Sale: "code11", Rate: "90", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		importSample(t, mk)
		if got, err := settlement.Orphans(ctx, db.Read()); err != nil || len(got) != 0 {
			t.Fatalf("orphans of a clean import: %v, %v", got, err)
		}
		// A rule of another marketplace: its version may not settle 11st's lines.
		if _, err := mk.CreateMarketplace(ctx, sys, market.Marketplace{Code: "other", Name: "다른 곳"}); err != nil {
			t.Fatal(err)
		}
		other, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "other", Title: "o", Sale: "code11", Rate: "90", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		var line, mp int64
		if err := db.Read().QueryRowContext(ctx, `SELECT MIN(id), MIN(marketplace_id) FROM market_orders`).Scan(&line, &mp); err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			return settlement.CheckVersions(ctx, tx, mp, []int64{other.VersionID})
		})
		if err == nil || !strings.Contains(err.Error(), "not the marketplace's") {
			t.Fatalf("another marketplace's version: %v", err)
		}
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE market_settlements SET rule_version_id = 999999 WHERE market_order_id = $1`, line); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO market_settlements (market_order_id, marketplace_id, order_day) VALUES (888888, $1, '2025-10-13')`, mp)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE market_settlements SET marketplace_id = marketplace_id + 1000 WHERE market_order_id = $1`, line+1)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := settlement.Orphans(ctx, db.Read())
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"line " + itoa(line) + " (rule version 999999): no such rule version", "line " + itoa(line+1) + " ", "another marketplace than its line",
			"line 888888 (rule version 0): no such marketplace line"}
		joined := strings.Join(got, "\n")
		for _, w := range want {
			if !strings.Contains(joined, w) {
				t.Errorf("orphans %q lack %q", joined, w)
			}
		}
		if len(got) != 3 {
			t.Errorf("%d orphans, want 3: %q", len(got), got)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
