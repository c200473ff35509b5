package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"modernc.org/sqlite"
)

// SQLite is opened through a thin wrapper of modernc's driver that keeps each
// connection's prepared statements by SQL text and reuses them. modernc's
// connection prepares a statement for every Exec and Query it is given
// (sqlite3_prepare_v2 is most of a short statement's cost: a third of the
// server's CPU when placing orders, measured); the wrapper prepares a text once
// per connection and afterwards only binds and steps it. database/sql runs one
// call at a time on a connection, so a cache per connection needs no more than
// a mutex; a statement still stepping for an open Rows is not handed out again
// (the second user gets a statement of its own, not cached).
//
// The wrapper also rebinds `$N` to `?`: SQLite keeps `$N` as named parameters
// and finds a name's number by a linear walk, so binding a statement of n
// parameters costs n² (measured with modernc v1.61.1: a 1,000-parameter
// insert ran 9,753 rows/s with `$N`, 39,779 with `?`). A text whose `$N` are
// not 1, 2, 3… in order (a repeat, say) gets its arguments reordered to match.
//
// The writer connection is opened through a driver name of its own
// (sqliteWriterDriver): it runs its statements to their end whatever the
// caller's ctx (group.go).
const (
	sqliteDriver       = "sqlite-orderdesk"
	sqliteWriterDriver = "sqlite-orderdesk-writer"
)

// stmtCacheSize bounds the statements kept per connection. Texts beyond it
// (generated multi-row statements of many sizes, say) evict an idle one.
const stmtCacheSize = 256

func init() {
	sql.Register(sqliteDriver, cachingDriver{base: &sqlite.Driver{}})
	sql.Register(sqliteWriterDriver, cachingDriver{base: &sqlite.Driver{}, writer: true})
}

type cachingDriver struct {
	base   driver.Driver
	writer bool // connections that run every statement to its end (group.go)
}

func (d cachingDriver) Open(name string) (driver.Conn, error) {
	c, err := d.base.Open(name)
	if err != nil {
		return nil, err
	}
	sc, ok := c.(sqliteConn)
	if !ok { // a driver change: run uncached rather than fail
		return c, nil
	}
	return &cachingConn{sqliteConn: sc, stmts: make(map[string]*cachedStmt), writer: d.writer}, nil
}

// sqliteConn is what modernc's connection offers and database/sql uses.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type stepper interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

type cachedStmt struct {
	st   stepper
	perm []int // argument numbers (1-based) of the `?` in order; nil: as given
	busy bool  // an open Rows is stepping it
}

type cachingConn struct {
	sqliteConn
	writer bool
	mu     sync.Mutex
	stmts  map[string]*cachedStmt
}

// cacheable leaves scripts (several statements: migrations) to the driver.
func cacheable(query string) bool {
	q := strings.TrimRight(query, " \t\r\n;")
	return !strings.Contains(q, ";")
}

// take returns the connection's idle statement for query, preparing it on
// first use; nil when the text is not cached or its statement is busy.
func (c *cachingConn) take(ctx context.Context, query string) (*cachedStmt, error) {
	if !cacheable(query) {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil, nil
		}
		cs.busy = true
		return cs, nil
	}
	text, perm := rebind(query)
	ds, err := c.sqliteConn.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(stepper)
	if !ok {
		ds.Close()
		return nil, nil
	}
	if len(c.stmts) >= stmtCacheSize {
		for q, old := range c.stmts {
			if !old.busy {
				old.st.Close()
				delete(c.stmts, q)
				break
			}
		}
	}
	cs := &cachedStmt{st: st, perm: perm, busy: true}
	c.stmts[query] = cs
	return cs, nil
}

func (c *cachingConn) release(cs *cachedStmt) {
	c.mu.Lock()
	cs.busy = false
	c.mu.Unlock()
}

// uncached is the text and arguments of a statement run without the cache:
// rebound to ? (and its arguments permuted) unless it is not cacheable.
func uncached(query string, args []driver.NamedValue) (string, []driver.NamedValue, error) {
	if !cacheable(query) {
		return query, args, nil
	}
	text, perm := rebind(query)
	args, err := permute(args, perm)
	return text, args, err
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.writer {
		ctx = context.WithoutCancel(ctx)
	}
	cs, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		text, args, err := uncached(query, args)
		if err != nil {
			return nil, err
		}
		return c.sqliteConn.ExecContext(ctx, text, args)
	}
	defer c.release(cs)
	if args, err = permute(args, cs.perm); err != nil {
		return nil, err
	}
	return cs.st.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.writer {
		ctx = context.WithoutCancel(ctx)
	}
	cs, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		text, args, err := uncached(query, args)
		if err != nil {
			return nil, err
		}
		return c.sqliteConn.QueryContext(ctx, text, args)
	}
	if args, err = permute(args, cs.perm); err != nil {
		c.release(cs)
		return nil, err
	}
	rows, err := cs.st.QueryContext(ctx, args)
	if err != nil {
		c.release(cs)
		return nil, err
	}
	return &cachedRows{Rows: rows, release: func() { c.release(cs) }}, nil
}

func (c *cachingConn) Close() error {
	c.mu.Lock()
	for q, cs := range c.stmts {
		cs.st.Close()
		delete(c.stmts, q)
	}
	c.mu.Unlock()
	return c.sqliteConn.Close()
}

// rebind turns the `$N` placeholders of query into `?`, outside quotes and
// comments. perm lists the argument number of each `?` in order; it is nil
// when they are simply 1, 2, 3…
func rebind(query string) (string, []int) {
	if !strings.Contains(query, "$") {
		return query, nil
	}
	var b strings.Builder
	b.Grow(len(query))
	var perm []int
	inOrder := true
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(query) && query[j] != c {
				j++
			}
			if j < len(query) {
				j++
			}
			b.WriteString(query[i:j])
			i = j
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			j := strings.Index(query[i+2:], "*/")
			end := len(query)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(query[i:end])
			i = end
		case c == '$' && i+1 < len(query) && query[i+1] >= '1' && query[i+1] <= '9':
			j, n := i+1, 0
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				n = n*10 + int(query[j]-'0')
				j++
			}
			perm = append(perm, n)
			inOrder = inOrder && n == len(perm)
			b.WriteByte('?')
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	if inOrder {
		perm = nil
	}
	return b.String(), perm
}

// permute gives the arguments in the order of the rebound `?`.
func permute(args []driver.NamedValue, perm []int) ([]driver.NamedValue, error) {
	if perm == nil {
		return args, nil
	}
	out := make([]driver.NamedValue, len(perm))
	for i, n := range perm {
		if n > len(args) {
			return nil, fmt.Errorf("sqldb: the statement uses $%d but has %d arguments", n, len(args))
		}
		out[i] = args[n-1]
		out[i].Ordinal = i + 1
	}
	return out, nil
}

// cachedRows hands its statement back when closed. The column-type methods
// pass through so that sql.Rows.ColumnTypes stays what the driver says.
type cachedRows struct {
	driver.Rows
	release func()
	once    sync.Once
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(r.release)
	return err
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if x, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return x.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if x, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return x.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *cachedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return x.ColumnTypeNullable(i)
	}
	return false, false
}
