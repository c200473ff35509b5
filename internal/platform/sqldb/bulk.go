package sqldb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Bulk names a table written in bulk: the columns in the order of each row's
// values and, when Conflict is set, the key of ON CONFLICT. Replace true
// updates every other column from the new row (DO UPDATE SET c = excluded.c);
// false keeps the stored row (DO NOTHING). Changed, with Replace, updates a
// stored row only when one of those columns differs (… WHERE t.c IS DISTINCT
// FROM excluded.c OR …): a row written again unchanged is left alone, costs
// no new row version, and is not counted by WriteRowsCount. Same names
// columns that hold one value in every row of a call (an import's
// marketplace, its id, its time): SQLite binds each once per statement
// instead of once per row (binding is about a quarter of an import's writing
// there);
// a row whose value differs from the first row's is refused. The names are
// the caller's constants, never user input.
type Bulk struct {
	Table    string
	Columns  []string
	Conflict []string
	Replace  bool
	Changed  bool
	Same     []string
}

func (b Bulk) check(rows [][]any) error {
	if b.Table == "" || len(b.Columns) == 0 {
		return errors.New("sqldb: bulk write needs a table and columns")
	}
	if b.Replace && len(b.Conflict) == 0 {
		return errors.New("sqldb: bulk replace needs a conflict key")
	}
	if b.Changed && !b.Replace {
		return errors.New("sqldb: bulk write of changed rows needs Replace")
	}
	same, err := b.sameAt()
	if err != nil {
		return err
	}
	for i, r := range rows {
		if len(r) != len(b.Columns) {
			return fmt.Errorf("sqldb: bulk row %d of %s has %d values for %d columns", i, b.Table, len(r), len(b.Columns))
		}
		for _, j := range same {
			if !sameValue(r[j], rows[0][j]) {
				return fmt.Errorf("sqldb: bulk row %d of %s: %s is %v, the first row's %v (a Same column)", i, b.Table, b.Columns[j], r[j], rows[0][j])
			}
		}
	}
	return nil
}

// sameValue reports whether a and b bind as the same value (a time in
// another location or with a monotonic reading is another value).
func sameValue(a, b any) bool {
	if x, ok := a.([]byte); ok {
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	}
	if a != nil && !reflect.TypeOf(a).Comparable() || b != nil && !reflect.TypeOf(b).Comparable() {
		return false // not a value WriteRows takes: refused rather than compared
	}
	return a == b
}

// sameAt is where the Same columns are in Columns.
func (b Bulk) sameAt() ([]int, error) {
	var at []int
	for _, c := range b.Same {
		j := slices.Index(b.Columns, c)
		switch {
		case j < 0:
			return nil, fmt.Errorf("sqldb: bulk write of %s: Same column %s is not among the columns", b.Table, c)
		case slices.Contains(at, j):
			return nil, fmt.Errorf("sqldb: bulk write of %s: Same names %s twice", b.Table, c)
		}
		at = append(at, j)
	}
	if len(at) == len(b.Columns) {
		return nil, fmt.Errorf("sqldb: bulk write of %s: every column is Same (write one row)", b.Table)
	}
	return at, nil
}

// onConflict is the statement's ON CONFLICT clause ("" without a key).
func (b Bulk) onConflict() string {
	if len(b.Conflict) == 0 {
		return ""
	}
	clause := " ON CONFLICT (" + strings.Join(b.Conflict, ", ") + ") DO "
	if !b.Replace {
		return clause + "NOTHING"
	}
	key := make(map[string]bool, len(b.Conflict))
	for _, c := range b.Conflict {
		key[c] = true
	}
	var set, differ []string
	for _, c := range b.Columns {
		if !key[c] {
			set = append(set, c+" = excluded."+c)
			differ = append(differ, b.Table+"."+c+" IS DISTINCT FROM excluded."+c)
		}
	}
	if len(set) == 0 {
		return clause + "NOTHING"
	}
	if b.Changed {
		return clause + "UPDATE SET " + strings.Join(set, ", ") + " WHERE " + strings.Join(differ, " OR ")
	}
	return clause + "UPDATE SET " + strings.Join(set, ", ")
}

// WriteRows writes rows (each with len(b.Columns) values: int64, int, string,
// bool, time.Time, []byte or nil) inside the transaction, in one of two ways
// chosen by the engine so that callers carry no per-engine branch:
//
//   - PostgreSQL: COPY (pgx CopyFrom) into a temporary table with the same
//     columns, then one INSERT … SELECT … ON CONFLICT into b.Table; the
//     temporary table is emptied at commit, or by the next call in the same
//     transaction. Rows go in in the order given (serial ids
//     follow it). With Replace, a key must not appear twice in
//     one call (PostgreSQL refuses to update a row twice in one statement).
//   - SQLite: multi-row INSERT … ON CONFLICT statements of up to
//     sqliteBulkParams values, in the order given (each text is prepared
//     once per connection; SQLite's own inserts are the cost).
//
// Call it with batches of a few thousand rows; on an error the caller's
// transaction should roll back.
func (tx *Tx) WriteRows(ctx context.Context, b Bulk, rows [][]any) error {
	_, err := tx.WriteRowsCount(ctx, b, rows)
	return err
}

// WriteRowsCount is WriteRows, and returns how many rows it inserted or
// updated (a row kept by DO NOTHING, or left alone by Changed, is not
// counted).
func (tx *Tx) WriteRowsCount(ctx context.Context, b Bulk, rows [][]any) (int64, error) {
	if err := b.check(rows); err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, nil
	}
	cols := strings.Join(b.Columns, ", ")
	if tx.Engine != Postgres {
		// Multi-row statements of up to sqliteBulkParams values: binding and
		// stepping one statement per row cost a third of an import's writes
		// in database/sql's and the driver's per-call work (measured).
		same, _ := b.sameAt()
		shared := make([]bool, len(b.Columns))
		for _, j := range same {
			shared[j] = true
		}
		width := len(b.Columns) - len(same)
		per := max(1, (sqliteBulkParams-len(same))/width)
		conflict := b.onConflict()
		var written int64
		args := make([]any, 0, len(same)+min(per, len(rows))*width)
		for start := 0; start < len(rows); {
			n := Chunk(len(rows)-start, per)
			args = args[:0]
			for _, j := range same {
				args = append(args, rows[start][j])
			}
			for _, r := range rows[start : start+n] {
				if len(same) == 0 {
					args = append(args, r...)
					continue
				}
				for j, v := range r {
					if !shared[j] {
						args = append(args, v)
					}
				}
			}
			res, err := tx.ExecContext(ctx, sqliteInsertText(b, n, conflict), args...)
			if err != nil {
				return written, fmt.Errorf("bulk write %s rows %d–%d: %w", b.Table, start, start+n-1, err)
			}
			c, err := res.RowsAffected()
			if err != nil {
				return written, err
			}
			written += c
			start += n
		}
		clear(args)
		return written, nil
	}
	if tx.conn == nil {
		return 0, errors.New("sqldb: bulk write on PostgreSQL needs a transaction from InTx")
	}
	tmp := bulkTable(b)
	if tx.bulk[tmp] {
		// An earlier call's rows are still there (they go at commit).
		if _, err := tx.ExecContext(ctx, "TRUNCATE "+tmp); err != nil {
			return 0, fmt.Errorf("bulk write %s: %w", b.Table, err)
		}
	} else {
		// The temporary table lives as long as the connection; its rows go at
		// every commit. Made from the table itself, so the types are the same;
		// bulk_ord keeps the rows' order (and so the order of serial ids).
		q := "CREATE TEMPORARY TABLE IF NOT EXISTS " + tmp + " ON COMMIT DELETE ROWS AS SELECT " + cols +
			", CAST(0 AS BIGINT) AS bulk_ord FROM " + b.Table + " WITH NO DATA"
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("bulk write %s: %w", b.Table, err)
		}
		if tx.bulk == nil {
			tx.bulk = make(map[string]bool)
		}
	}
	tx.bulk[tmp] = true
	err := tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("sqldb: bulk write needs pgx, got %T", dc)
		}
		n := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if n == len(rows) {
				return nil, nil
			}
			r := append(rows[n][:len(rows[n]):len(rows[n])], int64(n))
			n++
			return r, nil
		})
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{tmp}, append(b.Columns[:len(b.Columns):len(b.Columns)], "bulk_ord"), src)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("bulk write %s (copy): %w", b.Table, err)
	}
	q := "INSERT INTO " + b.Table + " (" + cols + ") SELECT " + cols + " FROM " + tmp + " ORDER BY bulk_ord" + b.onConflict()
	res, err := tx.ExecContext(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("bulk write %s: %w", b.Table, err)
	}
	return res.RowsAffected()
}

// sqliteBulkParams bounds the values of one multi-row statement on SQLite.
const sqliteBulkParams = 2048

// Chunk is how many of n rows the next multi-row statement takes: per, or
// the largest power of two below n, so that a handful of statement texts
// serve every batch (each is prepared once per connection and kept).
func Chunk(n, per int) int {
	if n >= per {
		return per
	}
	c := 1
	for c*2 <= n {
		c *= 2
	}
	return c
}

type insertKey struct {
	table, cols, tail string
	rows, same        int
}

var insertTexts sync.Map // insertKey → the statement

// InsertText is `INSERT INTO table (cols) VALUES ($1, …), (…) tail` for rows
// rows of len(cols) parameters each, made once per shape and kept (tail is
// an ON CONFLICT and/or RETURNING clause, or empty). Take the row counts
// from Chunk so that few texts exist.
func InsertText(table string, cols []string, rows int, tail string) string {
	key := insertKey{table, strings.Join(cols, ", "), tail, rows, 0}
	if q, ok := insertTexts.Load(key); ok {
		return q.(string)
	}
	width := len(cols)
	var q strings.Builder
	q.WriteString("INSERT INTO " + table + " (" + key.cols + ") VALUES ")
	for r := 0; r < rows; r++ {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for c := 0; c < width; c++ {
			if c > 0 {
				q.WriteString(", ")
			}
			q.WriteString("$" + strconv.Itoa(r*width+c+1))
		}
		q.WriteByte(')')
	}
	q.WriteString(tail)
	v, _ := insertTexts.LoadOrStore(key, q.String())
	return v.(string)
}

// sqliteInsertText is InsertText for WriteRows on SQLite: with Same columns,
// they come first, as ?1 … ?k shared by every row, and the other values
// follow as plain ? (SQLite numbers those k+1, k+2 …). Plain ? is kept
// for the rest because SQLite finds the name of each numbered parameter by
// a walk over all of them when binding.
func sqliteInsertText(b Bulk, rows int, tail string) string {
	if len(b.Same) == 0 {
		return InsertText(b.Table, b.Columns, rows, tail)
	}
	cols := append(slices.Clone(b.Same), slices.DeleteFunc(slices.Clone(b.Columns), func(c string) bool { return slices.Contains(b.Same, c) })...)
	key := insertKey{b.Table, strings.Join(cols, ", "), tail, rows, len(b.Same)}
	if q, ok := insertTexts.Load(key); ok {
		return q.(string)
	}
	var shared strings.Builder
	for i := range b.Same {
		if i > 0 {
			shared.WriteString(", ")
		}
		shared.WriteString("?" + strconv.Itoa(i+1))
	}
	row := "(" + shared.String() + strings.Repeat(", ?", len(cols)-len(b.Same)) + ")"
	var q strings.Builder
	q.WriteString("INSERT INTO " + b.Table + " (" + key.cols + ") VALUES ")
	for r := 0; r < rows; r++ {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteString(row)
	}
	q.WriteString(tail)
	v, _ := insertTexts.LoadOrStore(key, q.String())
	return v.(string)
}

// bulkTable names the temporary table of a table and column list.
func bulkTable(b Bulk) string {
	h := sha256.Sum256([]byte(strings.Join(b.Columns, ",")))
	return "bulk_" + b.Table + "_" + hex.EncodeToString(h[:4])
}

// InsertReturning inserts n rows into table with multi-row statements of at
// most per rows (sizes from Chunk, so that few texts exist), on both engines
// alike: row appends the len(cols) values of row i to args and returns it;
// tail ends every statement (ON CONFLICT … RETURNING …), and scan is called
// for each row the statements return. It is for the writes whose ids or
// conflicts the caller needs back; WriteRows is faster for the others.
func (tx *Tx) InsertReturning(ctx context.Context, table string, cols []string, n, per int, tail string,
	row func(i int, args []any) []any, scan func(Scanner) error) error {
	if per < 1 {
		return fmt.Errorf("sqldb: insert into %s: %d rows a statement", table, per)
	}
	args := make([]any, 0, min(n, per)*len(cols))
	for start := 0; start < n; {
		k := Chunk(n-start, per)
		args = args[:0]
		for i := start; i < start+k; i++ {
			args = row(i, args)
		}
		if len(args) != k*len(cols) {
			return fmt.Errorf("sqldb: insert into %s: %d values for %d rows of %d columns", table, len(args), k, len(cols))
		}
		if err := tx.scanAll(ctx, InsertText(table, cols, k, tail), args, scan); err != nil {
			return fmt.Errorf("insert into %s rows %d–%d: %w", table, start, start+k-1, err)
		}
		start += k
	}
	clear(args)
	return nil
}

func (tx *Tx) scanAll(ctx context.Context, q string, args []any, scan func(Scanner) error) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	return ScanEach(rows, err, scan)
}

// ScanEach calls scan for each row of a query's result (rows, err as
// QueryContext returns them) and closes it.
func ScanEach(rows *sql.Rows, err error, scan func(Scanner) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
