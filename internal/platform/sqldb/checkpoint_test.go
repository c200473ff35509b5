package sqldb

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// The WAL reaches the database file without the writer's own checkpoint:
// a few hundred pages, far below its 4,000-page backstop, are copied into
// the file by the checkpointing connection soon after they commit.
func TestCheckpointsRunBesideTheWriter(t *testing.T) {
	db := openGroupTest(t)
	ctx := context.Background()
	size := func() int64 {
		st, err := os.Stat(db.SQLitePath)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	before := size()
	pad := strings.Repeat("x", 4000) // a page a row
	if err := db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE big (id INTEGER PRIMARY KEY, pad TEXT)`); err != nil {
			return err
		}
		for i := 0; i < 300; i++ {
			if _, err := tx.ExecContext(ctx, `INSERT INTO big (pad) VALUES ($1)`, pad); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for size() < before+300*4096 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is %d bytes 5 s after 300 pages committed (%d before): no checkpoint ran", size(), before)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// The readers map nothing and the writer maps the file (sqldb.Open): a
// pragma named again in a connection's DSN would not override the shared
// one (modernc sorts the pragmas), so the test reads what each connection has.
func TestOnlyTheWriterMapsTheFile(t *testing.T) {
	db := openGroupTest(t)
	ctx := context.Background()
	var reader, writer int64
	if err := db.Read().QueryRowContext(ctx, `PRAGMA mmap_size`).Scan(&reader); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `PRAGMA mmap_size`).Scan(&writer)
	}); err != nil {
		t.Fatal(err)
	}
	if reader != 0 || writer != 1<<30 {
		t.Fatalf("mmap_size: reader %d, writer %d; want 0 and 1 GiB", reader, writer)
	}
}
