package sqldb_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		dsn     string
		engine  sqldb.Engine
		wantErr bool
	}{
		{"sqlite:orderdesk.db", sqldb.SQLite, false},
		{"sqlite:/var/lib/orderdesk/od.db", sqldb.SQLite, false},
		{"postgres://postgres@127.0.0.1:5432/orderdesk", sqldb.Postgres, false},
		{"postgresql://u:p@db/x?sslmode=disable", sqldb.Postgres, false},
		{"sqlite:", "", true},
		{"sqlite::memory:", "", true},
		{"mysql://root@localhost/x", "", true},
		{"postgres://", "", true},
		{"postgres://host:notaport/x", "", true},
		{"orderdesk.db", "", true},
	}
	for _, tt := range tests {
		engine, _, err := sqldb.ParseDSN(tt.dsn)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDSN(%q) error = %v, want error %v", tt.dsn, err, tt.wantErr)
			continue
		}
		if err != nil && apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("ParseDSN(%q) code = %q, want invalid", tt.dsn, apperr.CodeOf(err))
		}
		if engine != tt.engine {
			t.Errorf("ParseDSN(%q) = %q, want %q", tt.dsn, engine, tt.engine)
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Fatalf("second Migrate applied %v, want nothing", applied)
		}
		got, latest, err := db.Version(ctx)
		if err != nil || got != latest || got == 0 {
			t.Fatalf("Version = %d, %d, %v", got, latest, err)
		}
	})
}

// Three processes starting at once on a new database migrate it together:
// none fails, and each migration is applied once.
func TestConcurrentMigrate(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			dsn := sqldbtest.DSN(t, engine)
			var wg sync.WaitGroup
			applied := make([][]string, 3)
			errs := make([]error, 3)
			for i := range errs {
				db, err := sqldb.Open(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				wg.Add(1)
				go func() { defer wg.Done(); applied[i], errs[i] = db.Migrate(context.Background()) }()
			}
			wg.Wait()
			seen := map[string]int{}
			for i, err := range errs {
				if err != nil {
					t.Errorf("process %d: %v", i, err)
				}
				for _, name := range applied[i] {
					seen[name]++
				}
			}
			db := sqldbtest.Open(t, engine) // another schema: how many migrations there are
			_, latest, err := db.Version(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for name, n := range seen {
				if n != 1 {
					t.Errorf("%s applied %d times", name, n)
				}
			}
			if len(seen) == 0 || len(seen) < countMigrations(t, db) || latest == 0 {
				t.Fatalf("%d migrations applied in all, want every one once", len(seen))
			}
		})
	}
}

func countMigrations(t *testing.T, db *sqldb.DB) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInTxRollsBackAndCommits(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		now := sqldb.Instant(time.Now())
		err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sites (code, name, created_at) VALUES ($1, $2, $3)`, "rolled", "x", now); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v, want boom", err)
		}
		var n int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM sites WHERE code = 'rolled'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("after rollback: count %d, err %v", n, err)
		}
		ran := false
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			tx.AfterCommit(func() { ran = true })
			_, err := tx.ExecContext(ctx, `INSERT INTO sites (code, name, created_at) VALUES ($1, $2, $3)`, "kept", "x", now)
			return err
		})
		if err != nil || !ran {
			t.Fatalf("commit: err %v, after-commit ran %v", err, ran)
		}
		var got time.Time
		if err := db.Read().QueryRowContext(ctx, `SELECT created_at FROM sites WHERE code = 'kept'`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(now) {
			t.Fatalf("created_at round trip = %v, want %v", got, now)
		}
		_, err = db.Read().ExecContext(ctx, `INSERT INTO sites (code, name, created_at) VALUES ($1, $2, $3)`, "kept", "x", now)
		if err == nil {
			t.Fatalf("duplicate insert through the read pool succeeded")
		}
	})
}

// Work registered with Tx.Last runs after the transaction's fn, in the
// order registered, and commits with it; its error rolls the whole
// transaction back; a failing fn runs none of it.
func TestLastRunsAtTheEnd(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := sqldb.Instant(time.Now())
		insert := func(tx *sqldb.Tx, code string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO sites (code, name, created_at) VALUES ($1, $2, $3)`, code, "x", now)
			return err
		}
		count := func(like string) int {
			var n int
			if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM sites WHERE code LIKE $1`, like).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		var steps []string
		err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			tx.Last(func() error { steps = append(steps, "last 1"); return insert(tx, "last-1") })
			tx.Last(func() error {
				steps = append(steps, "last 2")
				tx.Last(func() error { steps = append(steps, "last 3"); return nil }) // registered by a Last: runs too
				return insert(tx, "last-2")
			})
			steps = append(steps, "work")
			return insert(tx, "last-work")
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(steps, ", "); got != "work, last 1, last 2, last 3" {
			t.Fatalf("ran %s", got)
		}
		if n := count("last-%"); n != 3 {
			t.Fatalf("%d rows committed, want 3", n)
		}

		boom := errors.New("boom")
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			tx.Last(func() error { return boom })
			return insert(tx, "undone-work")
		})
		if !errors.Is(err, boom) || count("undone-%") != 0 {
			t.Fatalf("a failing Last: %v, %d rows kept", err, count("undone-%"))
		}
		ran := false
		err = db.InTx(ctx, func(tx *sqldb.Tx) error {
			tx.Last(func() error { ran = true; return insert(tx, "never") })
			return boom
		})
		if !errors.Is(err, boom) || ran || count("never") != 0 {
			t.Fatalf("a failing fn: %v, Last ran %v", err, ran)
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO sites (code, name, created_at) VALUES ('common', 'dup', $1)`, time.Now().UTC())
			return err
		})
		if !sqldb.IsUniqueViolation(err) {
			t.Fatalf("IsUniqueViolation(%v) = false", err)
		}
	})
}

func TestConcurrentWritersSerialise(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- db.InTx(ctx, func(tx *sqldb.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO sites (code, name, created_at) VALUES ($1, 'x', $2)`,
						"s"+string(rune('a'+i)), time.Now().UTC())
					return err
				})
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM sites`).Scan(&n); err != nil || n != 21 {
			t.Fatalf("sites = %d (%v), want 21", n, err)
		}
	})
}

// TestBeforeWork: the hook's write goes with the first transaction that
// commits under the ctx (and is undone with one that rolls back), and no
// later transaction runs it again.
func TestBeforeWork(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `CREATE TABLE marks (what TEXT NOT NULL)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		runs := 0
		wctx := sqldb.BeforeWork(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
			runs++
			_, err := tx.ExecContext(ctx, `INSERT INTO marks (what) VALUES ('hook')`)
			return err
		})
		work := func(fail bool) error {
			return db.InTx(wctx, func(tx *sqldb.Tx) error {
				if _, err := tx.ExecContext(wctx, `INSERT INTO marks (what) VALUES ('work')`); err != nil {
					return err
				}
				if fail {
					return errors.New("refused")
				}
				return nil
			})
		}
		count := func(what string) int {
			var n int
			if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM marks WHERE what = $1`, what).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if err := work(true); err == nil {
			t.Fatal("the failing work committed")
		}
		if count("hook") != 0 || count("work") != 0 {
			t.Fatalf("after a rollback: hook %d, work %d rows", count("hook"), count("work"))
		}
		for range 2 {
			if err := work(false); err != nil {
				t.Fatal(err)
			}
		}
		if runs != 2 || count("hook") != 1 || count("work") != 2 {
			t.Fatalf("hook ran %d times, %d hook rows, %d work rows; want 2, 1, 2", runs, count("hook"), count("work"))
		}
		refusal := errors.New("key taken")
		refused := sqldb.BeforeWork(ctx, func(context.Context, *sqldb.Tx) error { return refusal })
		ran := false
		if err := db.InTx(refused, func(*sqldb.Tx) error { ran = true; return nil }); !errors.Is(err, refusal) || ran {
			t.Fatalf("a refusing hook: err %v, work ran %v", err, ran)
		}
	})
}

// TestPlannedSkipsPreparedStatements runs a query with Planned arguments on
// both engines; on PostgreSQL it must leave no prepared statement behind
// (PostgreSQL would switch a prepared one to a generic plan after five runs),
// where the same text sent plainly leaves one.
func TestPlannedSkipsPreparedStatements(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		const planned, plain = `SELECT $1 + 41 /* planned */`, `SELECT $1 + 41 /* plain */`
		err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			for i := 0; i < 7; i++ {
				var n int64
				if err := tx.QueryRowContext(ctx, planned, db.Planned([]any{int64(1)})...).Scan(&n); err != nil || n != 42 {
					t.Fatalf("planned: %d, %v", n, err)
				}
				if err := tx.QueryRowContext(ctx, plain, int64(1)).Scan(&n); err != nil || n != 42 {
					t.Fatalf("plain: %d, %v", n, err)
				}
			}
			if db.Engine != sqldb.Postgres {
				return nil
			}
			for text, want := range map[string]int{planned: 0, plain: 1} {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_prepared_statements WHERE statement = $1`, text).Scan(&n); err != nil {
					return err
				}
				if n != want {
					t.Errorf("%s: %d prepared statements, want %d", text, n, want)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
