package market_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// TestOrphans: an import leaves no line without its marketplace, import and
// bundle; a line pointed at a missing bundle is refused by SQLite's foreign
// key and, on PostgreSQL (no per-row foreign keys, migration 0024), named by
// Orphans (orderdesk verify).
func TestOrphans(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		svc := newService(t, db)
		data, err := os.ReadFile("testdata/11st.xls")
		if err != nil {
			t.Fatal(err)
		}
		if _, imp, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "11st.xls", Data: data}); err != nil || imp.Inserted == 0 {
			t.Fatalf("import: %+v %v", imp, err)
		}
		if got, err := market.Orphans(ctx, db.Read()); err != nil || len(got) != 0 {
			t.Fatalf("after an import: %v %v", got, err)
		}
		var id int64
		var no string
		if err := db.Read().QueryRowContext(ctx, `SELECT id, order_no FROM market_orders ORDER BY id LIMIT 1`).Scan(&id, &no); err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE market_orders SET bundle_id = 987654321 WHERE id = $1`, id)
			return err
		})
		if db.Engine == sqldb.SQLite {
			if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
				t.Fatalf("SQLite took a line without its bundle: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := market.Orphans(ctx, db.Read())
		if err != nil || len(got) != 1 || !strings.Contains(got[0], no) || !strings.Contains(got[0], "no such bundle") {
			t.Fatalf("Orphans = %q, %v; want the line of 주문번호 %s without its bundle", got, err, no)
		}
	})
}
