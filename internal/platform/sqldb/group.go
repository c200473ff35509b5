package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit on SQLite.
//
// SQLite has one writer, and a commit writes every page its transaction
// dirtied to the WAL (two system calls a page). Orders touch the same hot
// pages (the orders table's last leaf and its indexes, counters, rollups), so
// committing each transaction on its own writes those pages again and again:
// in the checkout load test commits were a quarter of the process's CPU.
//
// So on SQLite, InTx runs each transaction as a SAVEPOINT inside one shared
// write transaction, and that transaction commits when no other InTx is
// waiting for the writer (after lingering briefly under concurrency, see
// lingerFor) or the batch is full or old: each page is written once per batch. A caller returns only after the shared COMMIT, so nothing
// is reported done before it is durable, and AfterCommit hooks run then. A
// caller whose fn fails rolls back only its savepoint (ROLLBACK TO) and
// returns at once; the others' work stays. If the shared transaction itself
// is lost (SQLite rolled it back on an I/O error, say), every caller of the
// batch that was waiting gets errBatchLost and InTx runs its fn again in a
// new transaction, as it retries a serialization failure on PostgreSQL.
//
// A long transaction (marked by Alone) runs in a batch of its own: handed
// the open batch, the callers already in it would wait for its whole run
// before their commit. Being alone, it needs no savepoint: it runs in the
// shared transaction itself, and its failure rolls that back.
//
// A transaction must not wait for another InTx's caller to return (over a
// channel, say): that caller returns only after the shared commit, which
// waits for this transaction. (Waiting for another InTx to begin was already
// a deadlock with one writer.)
//
// Inside a batch a transaction sees the writes of the batch's earlier
// transactions (one connection), exactly as it would had they committed
// first; the read pool sees none of them until the shared COMMIT, when none of
// their callers has returned yet.
//
// A caller's cancelled ctx must not interrupt a statement: SQLite rolls the
// whole transaction back when an INSERT, UPDATE or DELETE inside an explicit
// transaction is interrupted. The writer connection therefore runs every
// statement to its end (statements are short); a cancelled ctx still stops
// the caller at its next statement (database/sql checks it first), and its
// savepoint is rolled back.

// Bounds of one batch: the first caller of a batch waits for the others'
// work, so a batch closes after maxBatch transactions or maxBatchAge.
//
// When the last batch held more than one transaction (callers are arriving
// concurrently) and nobody waits for the writer right now, the batch is not
// committed by the caller that ends it but by a timer of lingerFor, so that
// the callers that become ready meanwhile join it. Committing at once
// whenever nobody happened to wait made batches of 2–3 transactions.
//
// lingerFor trades CPU for latency. On session 5's slower machine, where the
// checkout load test was bound by CPU, 1 ms made 0.75 SQLite commits per
// order instead of 2.7 and cut the CPU per order by about 12 %. On session
// 6's faster machine the test is bound by the writer's latency instead (16
// clients, each waiting for five commits an order): 1 ms of linger made
// 0.4 commits per order but 780–850 orders/s, while a timer of 0 (a commit
// as soon as the timer goroutine runs, after the callers already ready have
// joined) made 0.9 commits per order, 960–1,050 orders/s and no more CPU per
// order; 100–500 µs fell in between (840–900/s). A lone caller never lingers.
const (
	maxBatch  = 64
	lingerFor = 0
)

// maxBatchAge is a variable for the tests that need a batch to stay open.
var maxBatchAge = 10 * time.Millisecond

// errBatchLost is a waiting caller's answer when the shared transaction was
// rolled back by another caller's failure; InTx retries it.
var errBatchLost = errors.New("sqldb: the shared SQLite transaction was rolled back")

type group struct {
	mu      sync.Mutex // held by the caller running its savepoint, and by the committer
	waiting atomic.Int32
	tx      *sql.Tx // the open shared transaction; nil between batches
	batch   *batch
	lastN   int          // transactions in the last batch
	flushes atomic.Int64 // shared COMMITs
}

type batch struct {
	done  chan struct{} // closed after the shared COMMIT (or its failure)
	err   error
	n     int
	start time.Time
	timer *time.Timer // the linger (endBatch), stopped at the commit
	alone bool        // a long transaction's batch: committed when it ends
}

// inGroup runs fn in a savepoint of the shared write transaction (a long
// one in the transaction itself) and returns
// after that transaction has committed (see above).
func (db *DB) inGroup(ctx context.Context, fn func(tx *Tx) error) (err error) {
	g := &db.group
	g.waiting.Add(1)
	g.mu.Lock()
	g.waiting.Add(-1)
	long := alone(ctx)
	if long && g.tx != nil {
		// Every transaction of the open batch has ended (g.mu is held
		// between a savepoint's start and its end): commit them now.
		db.commitBatch(g.batch, false)
	}
	if g.tx == nil {
		// The shared transaction belongs to no caller: no caller's ctx may end it.
		shared, err := db.write.BeginTx(context.WithoutCancel(ctx), nil)
		if err != nil {
			g.mu.Unlock()
			return fmt.Errorf("begin: %w", err)
		}
		g.tx, g.batch = shared, &batch{done: make(chan struct{}), start: time.Now(), alone: long}
	}
	b := g.batch
	b.n++
	tx := &Tx{Tx: g.tx, Engine: db.Engine}
	first, _ := ctx.Value(firstKey{}).(*firstWork)
	if first != nil && first.done.Load() {
		first = nil
	}

	var fnErr error
	lost := false
	func() {
		bg := context.WithoutCancel(ctx)
		// A long transaction is the only one of its batch: the shared
		// transaction is its own, and runs without a savepoint, whose
		// sub-journal would copy every page it changes (an eighth of an
		// import's writing, measured). Its failure rolls the batch back.
		if !b.alone {
			if _, err := tx.ExecContext(bg, "SAVEPOINT work"); err != nil {
				// The shared transaction is gone: fn has not run, so InTx runs
				// it again in a new one, as the batch's other callers do.
				fnErr, lost = fmt.Errorf("begin: %w (%w)", errBatchLost, err), true
				return
			}
		}
		panicked := true
		defer func() {
			if b.alone && (fnErr != nil || panicked) {
				lost = true
			} else if fnErr != nil || panicked {
				// ROLLBACK TO keeps the savepoint; RELEASE ends it. If
				// SQLite already rolled the whole transaction back, the
				// savepoint is gone and so is the batch.
				if _, err := tx.ExecContext(bg, "ROLLBACK TO work"); err != nil {
					lost = true
				} else if _, err := tx.ExecContext(bg, "RELEASE work"); err != nil {
					lost = true
				}
			}
			if panicked {
				db.endBatch(b, lost, true)
			}
		}()
		if first != nil {
			fnErr = first.f(ctx, tx)
		}
		if fnErr == nil {
			fnErr = fn(tx)
		}
		if fnErr == nil {
			fnErr = tx.runLast()
		}
		if fnErr == nil && !b.alone {
			if _, err := tx.ExecContext(bg, "RELEASE work"); err != nil {
				fnErr = fmt.Errorf("commit: %w", err)
			}
		}
		panicked = false
	}()
	if fnErr != nil {
		db.endBatch(b, lost, false)
		return fnErr
	}
	db.endBatch(b, false, false)
	<-b.done
	if b.err != nil {
		return b.err
	}
	db.afterCommit(ctx, tx, first)
	return nil
}

// endBatch is called by the caller holding g.mu once its savepoint is
// released or rolled back. It hands the open batch on to a waiting caller, or
// commits it (rolls it back when lost), and unlocks g.mu.
func (db *DB) endBatch(b *batch, lost, panicking bool) {
	g := &db.group
	defer g.mu.Unlock()
	if !lost && !panicking && !b.alone && b.n < maxBatch && time.Since(b.start) < maxBatchAge {
		if g.waiting.Load() > 0 {
			return // the next caller runs its savepoint in this batch and commits it or hands it on
		}
		if g.lastN > 1 {
			if b.timer == nil {
				b.timer = time.AfterFunc(lingerFor, func() {
					g.mu.Lock()
					defer g.mu.Unlock()
					if g.batch == b {
						db.commitBatch(b, false)
					}
				})
			}
			return
		}
	}
	db.commitBatch(b, lost)
}

func (db *DB) commitBatch(b *batch, lost bool) {
	g := &db.group
	g.lastN = b.n
	if b.timer != nil {
		b.timer.Stop()
	}
	if lost {
		_ = g.tx.Rollback()
		b.err = errBatchLost
	} else if err := g.tx.Commit(); err != nil {
		b.err = fmt.Errorf("commit: %w", err)
	} else {
		g.flushes.Add(1)
	}
	g.tx, g.batch = nil, nil
	close(b.done)
}
