package order_test

import (
	"context"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// On PostgreSQL the rows every order of a day shares (the 주문목록 counts,
// sales_daily) are written at the end of the transaction that moves an
// order (sqldb.Tx.Last), so that another checkout waits for them only as
// long as the commit takes: while the transaction is still at work,
// another connection updates those rows without waiting. (SQLite has one
// writer: no other connection writes while a transaction is open.)
func TestSharedRowsAreWrittenLast(t *testing.T) {
	onPostgres(t, func(t *testing.T, engine sqldb.Engine) {
		ctx := context.Background()
		dsn := sqldbtest.DSN(t, engine)
		db, err := sqldb.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		db2, err := sqldb.Open(ctx, dsn) // another server on the same database
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db2.Close() })
		f := setupB(t, db)
		placed := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1})
		day := placed.OrderedAt.In(time.FixedZone("KST", 9*3600)).Format("2006-01-02")
		var orderID int64
		if err := db.Read().QueryRowContext(ctx, `SELECT id FROM orders WHERE order_no = $1`, placed.OrderNo).Scan(&orderID); err != nil {
			t.Fatal(err)
		}
		// Another server's write must not wait for tx's rows: with a
		// lock_timeout it fails at once if it would.
		other := func(query string, args ...any) error {
			return db2.InTx(ctx, func(tx *sqldb.Tx) error {
				if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '200ms'`); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, query, args...)
				return err
			})
		}
		var before, after int64
		count := func() int64 {
			var n int64
			if err := db.Read().QueryRowContext(ctx, `SELECT n FROM order_day_counts WHERE ordered_day = $1 AND paid_day = '' AND site = 'malgn' AND status = 'pending' AND method = 'card'`, day).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before = count()
		// A capture today, so that today's sales_daily row exists.
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			return order.BookCapture(ctx, tx, orderID, "malgn", "card", 1000, placed.OrderedAt)
		}); err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			if err := order.CountNewOrder(ctx, tx, day, "malgn", "card", placed.Title, placed.OrderNo+1000); err != nil {
				return err
			}
			if err := order.BookCapture(ctx, tx, orderID, "malgn", "card", 1000, placed.OrderedAt); err != nil {
				return err
			}
			// The rows are not locked yet: another transaction writes them.
			if err := other(`UPDATE order_day_counts SET n = n WHERE ordered_day = $1 AND paid_day = '' AND site = 'malgn' AND status = 'pending' AND method = 'card'`, day); err != nil {
				t.Errorf("order_day_counts was locked before the end of the transaction: %v", err)
			}
			if err := other(`UPDATE order_days SET max_no = max_no WHERE day = $1`, day); err != nil {
				t.Errorf("order_days was locked before the end of the transaction: %v", err)
			}
			if err := other(`UPDATE sales_daily SET orders = orders WHERE site = 'malgn' AND day = $1 AND method = 'card'`, day); err != nil {
				t.Errorf("sales_daily was locked before the end of the transaction: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if after = count(); after != before+1 {
			t.Fatalf("count %d after the transaction, want %d", after, before+1)
		}
		var captured int64
		if err := db.Read().QueryRowContext(ctx, `SELECT captured FROM sales_daily WHERE site = 'malgn' AND day = $1 AND method = 'card'`, day).Scan(&captured); err != nil || captured != 2000 {
			t.Fatalf("sales_daily captured %d (%v), want 2000", captured, err)
		}
	})
}

// A PostgreSQL database from before migration 0027 numbered orders from the
// counters row: the migration carries its value over to the sequence (the
// next order follows the last one) and deletes the row, so that an older
// binary left running cannot number orders beside the sequence.
func TestOrderNumbersCarryOverToTheSequence(t *testing.T) {
	onPostgres(t, func(t *testing.T, engine sqldb.Engine) {
		ctx := context.Background()
		db := sqldbtest.Open(t, engine)
		f := setupB(t, db)
		// The database as 0026 left it, with order 41 the last one taken.
		for _, q := range []string{
			`DROP SEQUENCE order_no_seq`,
			`INSERT INTO counters (name, value) VALUES ('order_no', 41)`,
			`DELETE FROM schema_migrations WHERE version = 27`,
		} {
			if _, err := db.Read().ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		applied, err := db.Migrate(ctx)
		if err != nil || len(applied) != 1 || applied[0] != "0027_order_no_sequence.sql" {
			t.Fatalf("Migrate = %v, %v; want 0027 alone", applied, err)
		}
		if o := f.place(t, "card", order.ItemInput{ProductID: f.course, Qty: 1}); o.OrderNo != 42 {
			t.Fatalf("first order after the migration: %d, want 42", o.OrderNo)
		}
		var left int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM counters WHERE name = 'order_no'`).Scan(&left); err != nil || left != 0 {
			t.Fatalf("order_no counter rows left: %d, %v", left, err)
		}
	})
}

// onPostgres runs fn as a subtest on PostgreSQL when ORDERDESK_TEST_POSTGRES
// is set (.ci/run sets it); these tests are about PostgreSQL's row locks and
// its sequence, which SQLite does not have.
func onPostgres(t *testing.T, fn func(t *testing.T, engine sqldb.Engine)) {
	for _, engine := range sqldbtest.Engines() {
		if engine == sqldb.Postgres {
			t.Run(string(engine), func(t *testing.T) { fn(t, engine) })
		}
	}
}
