package sqldb_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

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

		// Changed: only rows whose values differ are updated, and counted
		// with the new ones; a NULL against a value counts as a difference.
		cb := rb
		cb.Changed = true
		var counts []int64
		for _, batch := range [][][]any{
			{{"k0000", int64(1000000), "바뀜"}, {"k0001", int64(1), "메모"}, {"k0002", int64(2), "메모"}}, // all as stored
			{{"k0000", int64(1000000), "바뀜"}, {"k0001", int64(-1), "메모"}, {"k0002", int64(2), nil}, {"newer", int64(3), nil}},
			{{"k0007", int64(7), nil}, {"k0008", int64(8), "메모"}}, // k0007's note is NULL already
		} {
			err = db.InTx(ctx, func(tx *sqldb.Tx) error {
				n, err := tx.WriteRowsCount(ctx, cb, batch)
				counts = append(counts, n)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if fmt.Sprint(counts) != "[0 3 0]" {
			t.Fatalf("rows written by changed-only batches: %v, want [0 3 0]", counts)
		}
		if got := sum(t, db); got != "2504 4123755 2498" {
			t.Fatalf("after changed-only writes: %s", got)
		}
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			n, err := tx.WriteRowsCount(ctx, b, [][]any{{"plain1", int64(0), nil}, {"plain2", int64(0), nil}})
			if err == nil && n != 2 {
				err = fmt.Errorf("plain insert counted %d rows", n)
			}
			if _, err2 := tx.WriteRowsCount(ctx, sqldb.Bulk{Table: "bulk_t", Columns: []string{"k"}, Changed: true}, nil); err == nil && err2 == nil {
				err = fmt.Errorf("Changed without Replace was accepted")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}

		// Many rows a statement (SQLite), with changed-only replaces: 700
		// rows of which every seventh differs are 100 written.
		exec(t, db, "CREATE TABLE bulk_m (k BIGINT PRIMARY KEY, n BIGINT NOT NULL, note TEXT NOT NULL)")
		mb := sqldb.Bulk{Table: "bulk_m", Columns: []string{"k", "n", "note"}, Conflict: []string{"k"}, Replace: true, Changed: true}
		var many [][]any
		for i := range 700 {
			many = append(many, []any{int64(i), int64(i), "a"})
		}
		counts = counts[:0]
		for pass := range 2 {
			if pass == 1 {
				for i := 0; i < len(many); i += 7 {
					many[i][1] = int64(-i - 1)
				}
			}
			err = db.InTx(ctx, func(tx *sqldb.Tx) error {
				n, err := tx.WriteRowsCount(ctx, mb, many)
				counts = append(counts, n)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		var total int64
		if err := db.Read().QueryRowContext(ctx, "SELECT SUM(n) FROM bulk_m").Scan(&total); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(counts) != "[700 100]" || total != 699*700/2-2*(7*99*100/2)-100 {
			t.Fatalf("many rows: written %v, sum %d", counts, total)
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

// Batches of any size are written whole and in order, and the count of rows
// written is right (SQLite splits a batch into statements of 64, 32 … 1 rows).
func TestWriteRowsEverySize(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		exec(t, db, "CREATE TABLE bulk_s (k BIGINT PRIMARY KEY, v TEXT NOT NULL)")
		b := sqldb.Bulk{Table: "bulk_s", Columns: []string{"k", "v"}, Conflict: []string{"k"}}
		next := int64(0)
		for _, n := range []int{1, 2, 3, 63, 1024, 1025, 1100, 1300} {
			var rows [][]any
			for i := 0; i < n; i++ {
				rows = append(rows, []any{next + int64(i), fmt.Sprint("v", next+int64(i))})
			}
			rows = append(rows, []any{int64(0), "kept"}) // key 0 is stored already (or earlier in the batch): DO NOTHING
			var written int64
			err := db.InTx(ctx, func(tx *sqldb.Tx) (err error) {
				written, err = tx.WriteRowsCount(ctx, b, rows)
				return err
			})
			if err != nil || written != int64(n) {
				t.Fatalf("%d rows: wrote %d, %v", n, written, err)
			}
			next += int64(n)
		}
		var count, bad int64
		if err := db.Read().QueryRowContext(ctx, "SELECT COUNT(*), SUM(CASE WHEN v = 'v' || CAST(k AS TEXT) THEN 0 ELSE 1 END) FROM bulk_s").Scan(&count, &bad); err != nil {
			t.Fatal(err)
		}
		if count != next || bad != 0 {
			t.Fatalf("stored %d rows (%d wrong), want %d", count, bad, next)
		}
	})
}

// Same columns, written once per statement on SQLite, store the same rows as
// when every row carries them, with the conflict key
// still applied; a row whose Same value differs is refused and writes nothing.
func TestWriteRowsSame(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		exec(t, db, "CREATE TABLE bulk_same (k TEXT PRIMARY KEY, batch BIGINT NOT NULL, at TIMESTAMP NOT NULL, note TEXT NOT NULL, raw BYTEA)")
		at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
		b := sqldb.Bulk{Table: "bulk_same", Columns: []string{"k", "batch", "note", "at", "raw"}, Conflict: []string{"k"}, Same: []string{"batch", "at", "raw"}}
		var rows [][]any
		for i := 0; i < 1500; i++ { // more than one statement's worth on SQLite
			rows = append(rows, []any{fmt.Sprintf("k%04d", i), int64(7), fmt.Sprint("메모", i), at, []byte("같음")})
		}
		rows = append(rows, []any{"k0003", int64(7), "kept", at, []byte("같음")}) // DO NOTHING
		var written int64
		if err := db.InTx(ctx, func(tx *sqldb.Tx) (err error) {
			written, err = tx.WriteRowsCount(ctx, b, rows)
			return err
		}); err != nil || written != 1500 {
			t.Fatalf("wrote %d: %v", written, err)
		}
		var n, bad int64
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*), SUM(CASE WHEN batch = 7
			AND note = '메모' || CAST(CAST(substr(k, 2) AS INTEGER) AS TEXT) THEN 0 ELSE 1 END) FROM bulk_same`).Scan(&n, &bad); err != nil {
			t.Fatal(err)
		}
		if n != 1500 || bad != 0 {
			t.Fatalf("stored %d rows, %d of them wrong", n, bad)
		}
		var got time.Time
		var raw []byte
		if err := db.Read().QueryRowContext(ctx, `SELECT at, raw FROM bulk_same WHERE k = 'k1499'`).Scan(&got, &raw); err != nil || !got.Equal(at) || string(raw) != "같음" {
			t.Fatalf("last row: %v %q %v", got, raw, err)
		}
		for _, odd := range [][]any{
			{"x1", int64(8), "", at, []byte("같음")},
			{"x2", int64(7), "", at.Add(time.Second), []byte("같음")},
			{"x3", int64(7), "", at, []byte("다름")},
		} {
			err := db.InTx(ctx, func(tx *sqldb.Tx) error {
				return tx.WriteRows(ctx, b, [][]any{{"x0", int64(7), "", at, []byte("같음")}, odd})
			})
			if err == nil || !strings.Contains(err.Error(), "Same") {
				t.Fatalf("a row with another Same value (%v) was written: %v", odd, err)
			}
		}
		// Same lists that cannot work, and a value that is not one WriteRows
		// takes, are refused, not run.
		for _, bad := range []sqldb.Bulk{
			{Table: "bulk_same", Columns: b.Columns, Same: []string{"batch", "batch"}},
			{Table: "bulk_same", Columns: []string{"k", "batch"}, Same: []string{"k", "batch"}},
			{Table: "bulk_same", Columns: b.Columns, Same: []string{"nope"}},
		} {
			if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
				return tx.WriteRows(ctx, bad, [][]any{{"y0", int64(7), "", at, []byte("같음")}})
			}); err == nil || !strings.Contains(err.Error(), "Same") {
				t.Fatalf("Same %v of columns %v: %v", bad.Same, bad.Columns, err)
			}
		}
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			return tx.WriteRows(ctx, b, [][]any{{"y1", int64(7), "", at, []string{"a"}}, {"y2", int64(7), "", at, []string{"a"}}})
		}); err == nil {
			t.Fatal("a Same value that cannot be compared was written")
		}
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM bulk_same`).Scan(&n); err != nil || n != 1500 {
			t.Fatalf("after refusals %d rows, %v", n, err)
		}
	})
}

// InsertReturning writes every row across statements of Chunk sizes and
// hands back what RETURNING returns: here the keys that were new (a stored
// key is kept by DO NOTHING and returns nothing).
func TestInsertReturning(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		exec(t, db, "CREATE TABLE ins_ret (k BIGINT PRIMARY KEY, v TEXT NOT NULL)")
		exec(t, db, "INSERT INTO ins_ret (k, v) VALUES (5, 'old'), (300, 'old')")
		cols := []string{"k", "v"}
		const tail = " ON CONFLICT (k) DO NOTHING RETURNING k, v"
		var got []int64
		err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			return tx.InsertReturning(ctx, "ins_ret", cols, 700, 256, tail,
				func(i int, args []any) []any { return append(args, int64(i), fmt.Sprint("새", i)) },
				func(row sqldb.Scanner) error {
					var k int64
					var v string
					if err := row.Scan(&k, &v); err != nil {
						return err
					}
					if v != fmt.Sprint("새", k) {
						return fmt.Errorf("row %d came back with %q", k, v)
					}
					got = append(got, k)
					return nil
				})
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 698 || slices.Contains(got, 5) || slices.Contains(got, 300) {
			t.Fatalf("returned %d keys (5: %v, 300: %v), want the 698 new ones", len(got), slices.Contains(got, 5), slices.Contains(got, 300))
		}
		var n int64
		if err := db.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM ins_ret WHERE v <> 'old'").Scan(&n); err != nil || n != 698 {
			t.Fatalf("stored %d new rows, %v", n, err)
		}
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			return tx.InsertReturning(ctx, "ins_ret", cols, 3, 256, tail,
				func(i int, args []any) []any { return append(args, int64(1000+i)) }, func(sqldb.Scanner) error { return nil })
		})
		if err == nil || !strings.Contains(err.Error(), "values for") {
			t.Fatalf("rows short of a value were sent: %v", err)
		}
	})
}
