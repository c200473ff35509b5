package sqldb_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// The SQLite statement cache must give the same answers as preparing every
// time: a statement reused with other arguments, the same text run again
// while its first Rows is still open, more texts than the cache holds, and a
// statement that fails. (SQLite only: the cache is SQLite's, and PostgreSQL
// cannot run a query while a Rows is open on the same connection.)
func TestStatementReuse(t *testing.T) {
	db := sqldbtest.Open(t, sqldb.SQLite)
	{
		ctx := context.Background()
		exec(t, db, "CREATE TABLE reuse_t (k BIGINT PRIMARY KEY, v TEXT NOT NULL)")
		err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			for i := 1; i <= 20; i++ {
				if _, err := tx.ExecContext(ctx, "INSERT INTO reuse_t (k, v) VALUES ($1, $2)", i, fmt.Sprint("v", i)); err != nil {
					return err
				}
			}
			// The same text while its Rows is open: the inner query must not
			// disturb the outer one.
			rows, err := tx.QueryContext(ctx, "SELECT k FROM reuse_t WHERE k <= $1 ORDER BY k", 3)
			if err != nil {
				return err
			}
			var seen []int64
			for rows.Next() {
				var k, inner int64
				if err := rows.Scan(&k); err != nil {
					return err
				}
				if err := tx.QueryRowContext(ctx, "SELECT k FROM reuse_t WHERE k <= $1 ORDER BY k", 1).Scan(&inner); err != nil || inner != 1 {
					return fmt.Errorf("inner query: %d, %v", inner, err)
				}
				seen = append(seen, k)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if fmt.Sprint(seen) != "[1 2 3]" {
				return fmt.Errorf("outer rows = %v", seen)
			}
			// A failing execution leaves the statement usable.
			if _, err := tx.ExecContext(ctx, "INSERT INTO reuse_t (k, v) VALUES ($1, $2)", 1, "dup"); !sqldb.IsUniqueViolation(err) {
				return fmt.Errorf("duplicate: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// More distinct texts than the cache keeps, twice over, from the read pool.
		for round := 0; round < 2; round++ {
			for i := 0; i < 300; i++ {
				var v string
				q := fmt.Sprintf("SELECT v FROM reuse_t WHERE k = $1 AND %d = %d", i, i)
				if err := db.Read().QueryRowContext(ctx, q, 1+i%20).Scan(&v); err != nil {
					t.Fatalf("query %d: %v", i, err)
				}
				if want := fmt.Sprint("v", 1+i%20); v != want {
					t.Fatalf("query %d = %q, want %q", i, v, want)
				}
			}
		}
	}
}

// Parameters used out of order or twice bind to the right arguments once
// rebound to `?`, cached or not; a missing one is an error, not a NULL.
func TestRebindArguments(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		for i := 0; i < 2; i++ { // the second round runs the cached statement
			var a, b, c string
			err := db.Read().QueryRowContext(ctx, "SELECT $2, $1, $2 || $1", "x", "y").Scan(&a, &b, &c)
			if err != nil || a+b+c != "yxyx" {
				t.Fatalf("round %d: %q %q %q, %v", i, a, b, c, err)
			}
		}
		var a string
		if err := db.Read().QueryRowContext(ctx, "SELECT $1 || $3", "x", "y").Scan(&a); err == nil {
			t.Fatalf("a missing third argument gave %q", a)
		}
	})
}
