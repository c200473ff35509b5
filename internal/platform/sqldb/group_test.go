package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// openGroupTest opens an SQLite database with a table t(id) for the group
// commit tests (an internal test: sqldbtest imports this package).
func openGroupTest(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "group.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return db
}

func insert(ctx context.Context, tx *Tx, id int) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO t (id) VALUES ($1)`, id)
	return err
}

// ids returns the committed rows, read through the read pool.
func ids(t *testing.T, db *DB) map[int]bool {
	t.Helper()
	rows, err := db.Read().QueryContext(context.Background(), `SELECT id FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int]bool{}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got[id] = true
	}
	return got
}

// waitForWaiter returns once another InTx waits for the writer.
func waitForWaiter(t *testing.T, db *DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for db.group.waiting.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no second transaction came to wait for the writer")
		}
		time.Sleep(time.Millisecond)
	}
}

// Two transactions that meet at the writer commit as one SQLite transaction;
// the first caller returns only after that commit (its row is visible to the
// read pool and its AfterCommit has run), and a failing one rolls back only
// its own writes; a caller whose ctx is cancelled mid-transaction does not
// take the batch down.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	// The batch must stay open however slowly this machine starts the
	// second goroutine.
	age := maxBatchAge
	maxBatchAge = time.Hour
	t.Cleanup(func() { maxBatchAge = age })
	for _, second := range []string{"commits", "fails", "cancelled"} {
		t.Run(second, func(t *testing.T) {
			db := openGroupTest(t)
			commits0, flushes0 := db.Commits(), db.EngineCommits()
			var wg sync.WaitGroup
			var secondErr error
			var after []string
			var mu sync.Mutex
			err := db.InTx(ctx, func(tx *Tx) error {
				if err := insert(ctx, tx, 1); err != nil {
					return err
				}
				tx.AfterCommit(func() { mu.Lock(); after = append(after, "first"); mu.Unlock() })
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx2, cancel := context.WithCancel(ctx)
					defer cancel()
					secondErr = db.InTx(ctx2, func(tx *Tx) error {
						if err := insert(ctx2, tx, 2); err != nil {
							return err
						}
						switch second {
						case "fails":
							return errors.New("refused")
						case "cancelled":
							cancel()
							return insert(ctx2, tx, 3)
						}
						tx.AfterCommit(func() { mu.Lock(); after = append(after, "second"); mu.Unlock() })
						return nil
					})
				}()
				waitForWaiter(t, db)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// The first returned after the shared commit: its row is there.
			if got := ids(t, db); !got[1] {
				t.Fatalf("first transaction returned before its row was committed: %v", got)
			}
			wg.Wait()
			got := ids(t, db)
			switch second {
			case "commits":
				if secondErr != nil || !got[2] || len(after) != 2 {
					t.Fatalf("second: %v, rows %v, after-commit hooks %v", secondErr, got, after)
				}
				if c, f := db.Commits()-commits0, db.EngineCommits()-flushes0; c != 2 || f != 1 {
					t.Fatalf("%d transactions in %d SQLite commits, want 2 in 1", c, f)
				}
			default:
				if secondErr == nil || got[2] || got[3] || !got[1] || len(after) != 1 {
					t.Fatalf("second: %v, rows %v, after-commit hooks %v", secondErr, got, after)
				}
			}
		})
	}
}

// When SQLite rolls the shared transaction back (here the second caller ends
// it with a ROLLBACK, as an I/O error would), the first caller, whose work was
// in it, runs its transaction again and returns only when its row is
// committed; the second gets its error.
func TestGroupCommitLostBatchIsRetried(t *testing.T) {
	ctx := context.Background()
	age := maxBatchAge
	maxBatchAge = time.Hour
	t.Cleanup(func() { maxBatchAge = age })
	db := openGroupTest(t)
	runs := 0
	var wg sync.WaitGroup
	var secondErr error
	err := db.InTx(ctx, func(tx *Tx) error {
		runs++
		if err := insert(ctx, tx, 1); err != nil {
			return err
		}
		if runs > 1 {
			return nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			secondErr = db.InTx(ctx, func(tx *Tx) error {
				if err := insert(ctx, tx, 2); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `ROLLBACK`); err != nil {
					return err
				}
				return errors.New("the transaction is gone")
			})
		}()
		waitForWaiter(t, db)
		return nil
	})
	wg.Wait()
	if err != nil || runs != 2 {
		t.Fatalf("first: %v after %d runs, want nil after 2", err, runs)
	}
	if secondErr == nil {
		t.Fatal("second succeeded after losing its transaction")
	}
	if got := ids(t, db); !got[1] || got[2] {
		t.Fatalf("rows %v, want only 1", got)
	}
	// The writer works on.
	if err := db.InTx(ctx, func(tx *Tx) error { return insert(ctx, tx, 4) }); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, db); !got[4] {
		t.Fatalf("rows %v, want 4 too", got)
	}
}

// Many concurrent transactions, some failing: exactly the successful ones'
// rows are committed, each once.
func TestGroupCommitUnderLoad(t *testing.T) {
	ctx := context.Background()
	db := openGroupTest(t)
	const workers, each = 16, 100
	var wg sync.WaitGroup
	errs := make([]error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := w*each + i
				errs[id] = db.InTx(ctx, func(tx *Tx) error {
					if err := insert(ctx, tx, id); err != nil {
						return err
					}
					if id%7 == 0 {
						return errors.New("refused")
					}
					return nil
				})
			}
		}()
	}
	wg.Wait()
	got := ids(t, db)
	for id, err := range errs {
		if want := id%7 != 0; (err == nil) != want || got[id] != want {
			t.Fatalf("row %d: error %v, committed %v", id, err, got[id])
		}
	}
	t.Logf("%d transactions in %d SQLite commits", db.Commits(), db.EngineCommits())
}

// A long transaction (Alone) is not handed the open batch: a short one that
// ended while the long one waited for the writer returns without waiting for
// the long one's whole run, and the long one's rows commit too.
func TestAloneRunsInABatchOfItsOwn(t *testing.T) {
	db := openGroupTest(t)
	ctx := context.Background()
	const hold = 600 * time.Millisecond
	shortIn := make(chan struct{})
	shortDone := make(chan time.Duration, 1)
	longDone := make(chan error, 1)
	start := time.Now()
	go func() {
		err := db.InTx(ctx, func(tx *Tx) error {
			close(shortIn)
			// Wait until the long transaction queues for the writer, so that
			// this batch would be handed on to it.
			for db.group.waiting.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO t (id) VALUES (1)`)
			return err
		})
		if err != nil {
			t.Error(err)
		}
		shortDone <- time.Since(start)
	}()
	<-shortIn
	go func() {
		longDone <- db.InTx(Alone(ctx), func(tx *Tx) error {
			time.Sleep(hold)
			_, err := tx.ExecContext(ctx, `INSERT INTO t (id) VALUES (2)`)
			return err
		})
	}()
	if took := <-shortDone; took >= hold {
		t.Fatalf("the short transaction returned after %v, behind the long one (%v)", took, hold)
	}
	if err := <-longDone; err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows after both: %d, %v", n, err)
	}
}

// A long transaction runs without a savepoint (its batch is its own): when
// its work fails or panics, the whole of it is rolled back, its own error
// comes back (it is not retried as a lost batch), and the writer goes on.
func TestAloneFailureRollsItsBatchBack(t *testing.T) {
	db := openGroupTest(t)
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *Tx) error { return insert(ctx, tx, 1) }); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("refused at row 90,000")
	runs := 0
	flushes := db.EngineCommits()
	err := db.InTx(Alone(ctx), func(tx *Tx) error {
		runs++
		for id := 10; id < 20; id++ {
			if err := insert(ctx, tx, id); err != nil {
				return err
			}
		}
		return refused
	})
	if !errors.Is(err, refused) || runs != 1 {
		t.Fatalf("failed long transaction: %v after %d runs, want its own error after one", err, runs)
	}
	// Rolled back, not committed empty (a savepoint rolled back inside a
	// batch that still commits).
	if n := db.EngineCommits(); n != flushes {
		t.Fatalf("the failed long transaction made %d commits, want none", n-flushes)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the long transaction's panic did not reach its caller")
			}
		}()
		_ = db.InTx(Alone(ctx), func(tx *Tx) error {
			if err := insert(ctx, tx, 30); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if err := db.InTx(Alone(ctx), func(tx *Tx) error { return insert(ctx, tx, 2) }); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *Tx) error { return insert(ctx, tx, 3) }); err != nil {
		t.Fatal(err)
	}
	got := ids(t, db)
	if len(got) != 3 || !got[1] || !got[2] || !got[3] {
		t.Fatalf("rows after a failed and a panicking long transaction: %v, want 1, 2 and 3", got)
	}
}

// The writer's connection runs a statement to its end even when the
// caller's ctx is already cancelled (SQLite would roll the whole shared
// transaction back if the statement were interrupted); a reader's does not.
// database/sql checks the ctx before it reaches the driver, so the test
// calls the drivers' connections directly.
func TestWriterConnectionIgnoresCancel(t *testing.T) {
	db := openGroupTest(t)
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	exec := func(pool *sql.DB, query string) error {
		c, err := pool.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.Raw(func(dc any) error {
			_, err := dc.(driver.ExecerContext).ExecContext(cancelled, query, nil)
			return err
		})
	}
	if err := exec(db.write, `INSERT INTO t (id) VALUES (7)`); err != nil {
		t.Fatalf("writer with a cancelled ctx: %v", err)
	}
	if got := ids(t, db); !got[7] {
		t.Fatalf("the writer's statement did not run: %v", got)
	}
	if err := exec(db.read, `SELECT 1`); !errors.Is(err, context.Canceled) {
		t.Fatalf("reader with a cancelled ctx: %v, want context.Canceled", err)
	}
}
