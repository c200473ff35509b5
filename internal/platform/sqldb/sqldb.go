// Package sqldb opens SQLite or PostgreSQL behind one *DB, applies the embedded
// migrations and runs use cases in transactions. It knows nothing of the business.
//
// SQL is written once with $N placeholders in the portable subset (RETURNING,
// ON CONFLICT, LIMIT/OFFSET, COALESCE, CASE); the few real differences between
// the engines stay inside this package (the group commit, WriteRows, Planned,
// counters).
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Querier is what both *sql.DB and *sql.Tx offer; stores take it so that the
// same SQL runs inside or outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open database: a pool for reads and, on SQLite, a single writer
// connection (SQLite allows one writer at a time; queuing in Go beats busy waits).
type DB struct {
	Engine Engine
	// SQLitePath is the file of an SQLite database, "" on PostgreSQL.
	SQLitePath string
	read       *sql.DB
	write      *sql.DB
	commits    atomic.Int64
	group      group // SQLite's group commit (group.go)
	ckpt       *checkpointer
}

// ParseDSN checks a DSN: "sqlite:PATH" or a postgres:// URL.
func ParseDSN(dsn string) (Engine, string, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" || strings.ContainsAny(path, "?#") || path == ":memory:" {
			return "", "", badDSN(dsn, "sqlite:PATH needs a file path without ? or #")
		}
		return SQLite, path, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil || u.Host == "" {
			return "", "", badDSN(dsn, "a postgres:// URL needs a host, e.g. postgres://user@127.0.0.1:5432/orderdesk")
		}
		if _, err := pgconn.ParseConfig(dsn); err != nil {
			return "", "", badDSN(dsn, err.Error())
		}
		return Postgres, dsn, nil
	default:
		return "", "", badDSN(dsn, "use sqlite:PATH or postgres://USER@HOST:PORT/DB")
	}
}

func badDSN(dsn, why string) error {
	return apperr.New(apperr.Invalid,
		fmt.Sprintf("데이터베이스 주소(--db)가 올바르지 않습니다: %q (sqlite:경로 또는 postgres://… 형식)", redact(dsn)),
		fmt.Sprintf("bad database address (--db) %q: %s", redact(dsn), why))
}

// redact hides a password in a URL.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Open opens the database named by dsn and checks that it answers.
func Open(ctx context.Context, dsn string) (*DB, error) {
	engine, target, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	db := &DB{Engine: engine}
	switch engine {
	case SQLite:
		db.SQLitePath = target
		if dir := filepath.Dir(target); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
		}
		// busy_timeout first so that the other pragmas wait for a lock too.
		pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)" +
			"&_time_format=sqlite"
		base := "file:" + url.PathEscape(target) + "?" + pragmas
		// The writer keeps its temporary files in memory: each grouped
		// transaction is a savepoint (group.go), whose sub-journal would
		// otherwise spill to a file that is written for every savepoint
		// and truncated only at the shared commit (17 % of the CPU in the
		// checkout load test, measured). Its page cache is 64 MiB (SQLite's
		// default is 2 MiB): an import writes a whole sheet in one
		// transaction, and with the default the index pages it keeps
		// touching were spilled to the WAL and read back (a sixth of a
		// 100,000-row import's database time, measured). The WAL is copied
		// into the file by a connection of its own (checkpoint.go); the
		// writer's own checkpoint is a backstop at 4,000 pages, so the WAL
		// stays within the first block of its index (4,062 frames) and
		// reads find their pages as fast. (When the writer checkpointed
		// alone, 2,000 pages were 3–8 % faster than SQLite's 1,000.)
		// mmap_size: the writer reads the file's pages through a memory map
		// (up to 1 GiB of it) instead of a pread per page into its page
		// cache: a walk over lines in an order the table does not have (a
		// recompute's batches) cost a system call per page.
		if db.write, err = sql.Open(sqliteWriterDriver, base+"&_pragma=mmap_size(1073741824)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-65536)&_pragma=wal_autocheckpoint("+writerAutocheckpoint+")&_txlock=immediate"); err != nil {
			return nil, err
		}
		db.write.SetMaxOpenConns(1)
		db.write.SetConnMaxIdleTime(0)
		// The readers map nothing: SQLite maps the whole file, so each time
		// a checkpoint grows it every reader unmaps and maps it again at its
		// next read (munmap was 7 % of the checkout load test's CPU, called
		// from the readers' reads). Without the map, on session 10's
		// machine, the load test ran about 10 % more orders/s with 13 % less
		// CPU an order (five of six interleaved pairs), and the 53
		// searches of 주문목록 over 1,000,000 orders stayed under 10 ms p95.
		// (modernc applies a DSN's pragmas sorted by name, so a pragma named
		// twice keeps the value that sorts last: the map is named in the
		// writer's DSN only, not in base.)
		if db.read, err = sql.Open(sqliteDriver, base+"&_pragma=query_only(ON)"); err != nil {
			db.write.Close()
			return nil, err
		}
		// Keep every reader open: a new SQLite connection reads and parses
		// the whole schema before its first statement (a read pool keeping
		// database/sql's default of 2 idle connections reopened one for most
		// requests under load: 16 % of the server's CPU in the checkout load test).
		db.read.SetMaxOpenConns(8)
		db.read.SetMaxIdleConns(8)
		// The writer creates the file and switches it to WAL before any reader opens it.
		if err := db.write.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("open sqlite %s: %w", target, err)
		}
		if err := db.startCheckpointer(base); err != nil {
			db.Close()
			return nil, err
		}
	case Postgres:
		if db.read, err = sql.Open("pgx", target); err != nil {
			return nil, err
		}
		db.read.SetMaxOpenConns(20)
		db.read.SetMaxIdleConns(10)
		db.read.SetConnMaxLifetime(30 * time.Minute)
		db.write = db.read
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.read.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s does not answer: %w", redact(dsn), err)
	}
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	var errs []error
	if db.ckpt != nil {
		errs = append(errs, db.ckpt.close())
	}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil && db.write != db.read {
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// Planned returns the arguments of a query whose best plan depends on them (a
// list's filters and bounds): on PostgreSQL the query is then sent without a
// cached prepared statement, so that it is planned for these values every
// time. With pgx's statement cache PostgreSQL switches a statement to a
// generic plan after five runs, planned without the values and their
// statistics; 주문목록's page of 주문명 over a year went from 6 ms to 330 ms
// that way (the generic plan intersected two bitmaps of 365,000 rows each).
// SQLite gets args unchanged.
func (db *DB) Planned(args []any) []any {
	if db.Engine != Postgres {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, args...)
}

// Read is the pool for queries outside a transaction.
func (db *DB) Read() Querier { return db.read }

// Commits counts the transactions committed through InTx since Open, for
// benchmarks.
func (db *DB) Commits() int64 { return db.commits.Load() }

// EngineCommits counts the commits the engine made for InTx since Open: on
// SQLite one per batch of grouped transactions (group.go), on PostgreSQL one
// per transaction.
func (db *DB) EngineCommits() int64 {
	if db.Engine == SQLite {
		return db.group.flushes.Load()
	}
	return db.commits.Load()
}

// Writers is how many write transactions of one bulk job are worth running
// at once: 1 on SQLite, whose single writer runs them one after another (a
// second one would only wait, holding the group's transaction); 2 on
// PostgreSQL, where the server writes one batch while this process prepares
// the next. The batches of such a job must be independent (no two write the
// same rows).
func (db *DB) Writers() int {
	if db.Engine == SQLite {
		return 1
	}
	return 2
}

// Ping checks that the database answers (for /healthz).
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Tx is a transaction that a use case owns.
type Tx struct {
	*sql.Tx
	Engine Engine
	after  []func()
	// conn is the connection the transaction runs on (PostgreSQL), so that
	// WriteRows can reach pgx's COPY on it.
	conn *sql.Conn
	bulk map[string]bool // temporary tables made and filled by WriteRows in this transaction
	last []func() error
}

// Last registers f to run at the end of the transaction, after its work
// has returned nil and before it commits, in the order registered; an error
// from f rolls the transaction back as the work's own would.
//
// It is for the rows that many transactions update (the day's rollups):
// on PostgreSQL the row lock of an UPDATE is held until the commit, so an
// update written early in a transaction makes every other transaction that
// needs the row wait for all the rest of this one. Written last, it is held
// for the commit only (in the checkout load test on PostgreSQL, the order
// rollups and sales_daily written last took place + pay from 146-160 to
// 171-193 orders/s, with order numbers already from a sequence).
// f must only write what nothing later in the transaction reads.
func (tx *Tx) Last(f func() error) { tx.last = append(tx.last, f) }

func (tx *Tx) runLast() error {
	for i := 0; i < len(tx.last); i++ {
		if err := tx.last[i](); err != nil {
			return err
		}
	}
	tx.last = nil
	return nil
}

// Rebuildable says that the transaction writes only what can be computed
// again from the rest of the database (a recompute's settlement rows and its
// job's progress, say): on PostgreSQL its commit does not wait for the WAL to
// reach the disk (synchronous_commit off for this transaction alone), so a
// crash of the server right after may lose the last such commits, each whole,
// never a part of one; a later transaction's ordinary commit makes them
// durable with it. SQLite's commits in WAL mode with synchronous NORMAL are
// already of that kind. Call it first in the transaction.
func (tx *Tx) Rebuildable(ctx context.Context) error {
	if tx.Engine != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = off")
	return err
}

// AfterCommit registers f to run once the transaction has committed (e.g. to
// wake an outbox sender). It does not run when the transaction rolls back.
func (tx *Tx) AfterCommit(f func()) { tx.after = append(tx.after, f) }

// InTx runs fn in a transaction: commit when fn returns nil, roll back
// otherwise. On PostgreSQL a serialization failure or deadlock is retried. On
// SQLite the transaction is a savepoint of a shared one that commits several
// callers' transactions at once (group.go); InTx returns after that commit.
// fn may run more than once, so it must not act outside the transaction.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	const attempts = 5
	var err error
	for i := 0; i < attempts; i++ {
		err = db.inTxOnce(ctx, fn)
		if err == nil || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(i+1) * 10 * time.Millisecond):
		}
	}
	return err
}

func (db *DB) inTxOnce(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if db.Engine == SQLite {
		return db.inGroup(ctx, fn)
	}
	tx := &Tx{Engine: db.Engine}
	if tx.conn, err = db.write.Conn(ctx); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.conn.Close()
	tx.Tx, err = tx.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	sqlTx := tx.Tx
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
	}()
	first, _ := ctx.Value(firstKey{}).(*firstWork)
	if first != nil && !first.done.Load() {
		if err := first.f(ctx, tx); err != nil {
			_ = sqlTx.Rollback()
			return err
		}
	} else {
		first = nil
	}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := tx.runLast(); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	db.afterCommit(ctx, tx, first)
	return nil
}

// afterCommit counts a committed transaction, marks the ctx's first work
// done (it committed with this one) and runs the commit hooks.
func (db *DB) afterCommit(ctx context.Context, tx *Tx, first *firstWork) {
	db.commits.Add(1)
	if first != nil {
		first.done.Store(true)
	}
	if f, ok := ctx.Value(commitHookKey{}).(func()); ok {
		f()
	}
	for _, f := range tx.after {
		f()
	}
}

func retryable(err error) bool {
	if errors.Is(err, errBatchLost) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

// IsUniqueViolation reports whether err is a unique or primary-key violation.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		c := sqErr.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKeyViolation reports whether err is a foreign-key violation.
func IsForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// NotFound turns sql.ErrNoRows into an apperr NotFound error naming the thing.
func NotFound(err error, whatKO, whatEN string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFoundf(whatKO, whatEN)
	}
	return err
}

// Instant is how instants are stored: UTC, to the microsecond (PostgreSQL's
// precision), so that both engines give back exactly what was written.
func Instant(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

type commitHookKey struct{}

// OnCommit returns a ctx under which every transaction that commits calls f
// right after its commit, so that a caller learns whether work it started
// was done (e.g. an abandoned request whose key may be released only if
// nothing committed).
func OnCommit(ctx context.Context, f func()) context.Context {
	return context.WithValue(ctx, commitHookKey{}, f)
}

type firstKey struct{}

type firstWork struct {
	f    func(ctx context.Context, tx *Tx) error
	done atomic.Bool
}

// BeforeWork returns a ctx under which every transaction runs f first, in
// the same transaction, until one of them commits: f's writes then commit
// with the first work that commits, and roll back with any that does not.
// An error from f rolls the transaction back and is InTx's answer. (An
// Idempotency-Key is reserved this way in the request's first transaction
// instead of one of its own: one commit fewer on SQLite's single writer.)
// The transactions under one ctx run one after another.
func BeforeWork(ctx context.Context, f func(ctx context.Context, tx *Tx) error) context.Context {
	return context.WithValue(ctx, firstKey{}, &firstWork{f: f})
}

type aloneKey struct{}

// Alone marks the transactions run under ctx as long ones (a whole import,
// a month's reconcile, a recompute batch). On SQLite such a transaction runs
// in a group-commit batch of its own (group.go): the batch open when it
// arrives is committed first, and its own is committed as soon as it ends,
// so that a short transaction batched before it (a checkout) returns without
// waiting for it to finish, and none batched after it waits for it to commit.
// Nothing changes on PostgreSQL.
func Alone(ctx context.Context) context.Context {
	return context.WithValue(ctx, aloneKey{}, true)
}

func alone(ctx context.Context) bool {
	v, _ := ctx.Value(aloneKey{}).(bool)
	return v
}

// Truncate cuts s to at most n bytes without splitting a character, so that
// text stored in a bounded column stays valid UTF-8 (PostgreSQL refuses
// invalid UTF-8).
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
