package idem_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/orderdesk/orderdesk/internal/platform/idem"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

type answer struct {
	No    int64    `json:"no"`
	Items []string `json:"items"`
}

// Body gives the kept bytes for the value that was kept, once its
// transaction committed, and nothing for another value or a rolled-back one.
func TestKeeperBody(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx, k := idem.WithKeeper(context.Background(), func(_ context.Context, _ *sqldb.Tx, v any) ([]byte, error) {
			return json.Marshal(v)
		})
		kept := answer{No: 7, Items: []string{"교재"}}
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			if k.Body(kept) != nil {
				t.Error("a body before the commit")
			}
			return idem.Keep(ctx, tx, kept)
		}); err != nil {
			t.Fatal(err)
		}
		if got := string(k.Body(answer{No: 7, Items: []string{"교재"}})); got != `{"no":7,"items":["교재"]}` {
			t.Fatalf("body of the kept value = %q", got)
		}
		if k.Body(answer{No: 7, Items: []string{"다른 교재"}}) != nil || k.Body(&kept) != nil {
			t.Fatal("a body for another value")
		}

		ctx2, k2 := idem.WithKeeper(context.Background(), func(_ context.Context, _ *sqldb.Tx, v any) ([]byte, error) {
			return json.Marshal(v)
		})
		_ = db.InTx(ctx2, func(tx *sqldb.Tx) error {
			if err := idem.Keep(ctx2, tx, kept); err != nil {
				return err
			}
			return context.Canceled // the work fails after keeping: nothing committed
		})
		if k2.Body(kept) != nil || k2.Kept() != nil {
			t.Fatal("a body kept by a transaction that rolled back")
		}
	})
}
