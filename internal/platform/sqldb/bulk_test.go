package sqldb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

func TestWriteRows(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		exec(t, db, "CREATE TABLE bulk_t (k TEXT PRIMARY KEY, n BIGINT NOT NULL, note TEXT, flag BOOLEAN NOT NULL DEFAULT FALSE)")
		b := sqldb.Bulk{Table: "bulk_t", Columns: []string{"k", "n", "note"}}
		var rows [][]any
		for i := 0; i < 2500; i++ {
			rows = append(rows, []any{fmt.Sprintf("k%04d", i), int64(i), "메모"})
		}
		rows[7][2] = nil
		err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			if err := tx.WriteRows(ctx, b, rows[:1000]); err != nil {
				return err
			}
			return tx.WriteRows(ctx, b, rows[1000:]) // a second batch in the same transaction
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := sum(t, db); got != "2500 3123750 2499" {
			t.Fatalf("after insert: %s", got)
		}

		// Replace: new values win for existing keys, new keys are added.
		rb := b
		rb.Conflict, rb.Replace = []string{"k"}, true
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			return tx.WriteRows(ctx, rb, [][]any{{"k0000", int64(1000000), "바뀜"}, {"new", int64(1), nil}})
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := sum(t, db); got != "2501 4123751 2499" {
			t.Fatalf("after replace: %s", got)
		}
		var note string
		if err := db.Read().QueryRowContext(ctx, "SELECT note FROM bulk_t WHERE k = 'k0000'").Scan(&note); err != nil || note != "바뀜" {
			t.Fatalf("replaced note = %q, %v", note, err)
		}

		// Keep: existing keys stay as they are.
		kb := b
		kb.Conflict = []string{"k"}
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			return tx.WriteRows(ctx, kb, [][]any{{"k0000", int64(5), "무시"}, {"new2", int64(2), nil}})
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := sum(t, db); got != "2502 4123753 2499" {
			t.Fatalf("after do-nothing: %s", got)
		}

		// A failing batch rolls back with its transaction, and the next
		// transaction can write again (PostgreSQL's temporary table is made anew).
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			if err := tx.WriteRows(ctx, b, [][]any{{"fresh", int64(1), nil}}); err != nil {
				return err
			}
			return tx.WriteRows(ctx, b, [][]any{{"k0001", int64(1), nil}}) // duplicate key
		})
		if !sqldb.IsUniqueViolation(err) {
			t.Fatalf("duplicate key: err = %v, want a unique violation", err)
		}
		if got := sum(t, db); got != "2502 4123753 2499" {
			t.Fatalf("after a failed batch: %s", got)
		}
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			return tx.WriteRows(ctx, b, [][]any{{"fresh", int64(1), nil}})
		})
		if err != nil {
			t.Fatal(err)
		}

		// A row of the wrong width is refused before anything is written.
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			return tx.WriteRows(ctx, b, [][]any{{"x", int64(1)}})
		})
		if err == nil || !strings.Contains(err.Error(), "2 values for 3 columns") {
			t.Fatalf("short row: err = %v", err)
		}
	})
}

func exec(t *testing.T, db *sqldb.DB, q string) {
	t.Helper()
	if err := db.InTx(context.Background(), func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(context.Background(), q)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// sum returns "rows total(n) notes" of bulk_t.
func sum(t *testing.T, db *sqldb.DB) string {
	t.Helper()
	var n, total, notes int64
	err := db.Read().QueryRowContext(context.Background(),
		"SELECT COUNT(*), COALESCE(SUM(n), 0), COUNT(note) FROM bulk_t").Scan(&n, &total, &notes)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d %d %d", n, total, notes)
}
