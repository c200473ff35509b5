package sqldb

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// SQLite's checkpoints run beside the single writer.
//
// A checkpoint copies the pages of the WAL into the database file and syncs
// both. Left to the writer (wal_autocheckpoint), it runs inside the commit
// that crosses the threshold, holding the single writer for the copy and
// two fsyncs while every other transaction waits: in the checkout load test
// it was a sixth of the writer's time, and its pauses set the p99. So a
// connection of its own checkpoints (PASSIVE: it never waits for the writer
// or the readers, and copies what no reader still needs) every
// checkpointEvery while transactions commit; the writer keeps SQLite's own
// checkpoint only as a backstop, at 4,000 pages (writerAutocheckpoint), for
// when this one falls behind.
//
// Measured on session 10's machine (checkout load test, 16 clients, place +
// prepare + pay, three interleaved rounds each): every 10 ms 573, 724, 638
// and 636, 556, 533 orders/s against 468, 618, 600 and 554, 555, 507
// without, p99 42–57 ms against 56–69 ms; every 2 ms was slower than
// without (the checkpoints then copy the same hot pages again and again).
const (
	checkpointEvery      = 10 * time.Millisecond
	writerAutocheckpoint = "4000"
)

type checkpointer struct {
	conn *sql.DB
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// startCheckpointer opens the checkpointing connection on dsn and starts it.
func (db *DB) startCheckpointer(dsn string) error {
	conn, err := sql.Open(sqliteDriver, dsn)
	if err != nil {
		return err
	}
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	conn.SetConnMaxIdleTime(0)
	c := &checkpointer{conn: conn, stop: make(chan struct{}), done: make(chan struct{})}
	db.ckpt = c
	go func() {
		defer close(c.done)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		var last int64
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
			}
			// Only after commits: a checkpoint of an unchanged WAL would
			// still take its locks and read its index.
			if n := db.group.flushes.Load(); n != last {
				last = n
				// An error (SQLITE_BUSY while the writer's own backstop
				// checkpoint runs, say) leaves the pages for the next one.
				_, _ = conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
			}
		}
	}()
	return nil
}

// close stops the checkpoints and closes their connection; again, it does
// nothing (DB.Close may be called twice).
func (c *checkpointer) close() error {
	c.once.Do(func() { close(c.stop) })
	<-c.done
	return c.conn.Close()
}
