package sqldb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Bulk names a table written in bulk: the columns in the order of each row's
// values and, when Conflict is set, the key of ON CONFLICT. Replace true
// updates every other column from the new row (DO UPDATE SET c = excluded.c);
// false keeps the stored row (DO NOTHING). Changed, with Replace, updates a
// stored row only when one of those columns differs (… WHERE t.c IS DISTINCT
// FROM excluded.c OR …): a row written again unchanged is left alone, costs
// no new row version, and is not counted by WriteRowsCount. The names are the
// caller's constants, never user input.
type Bulk struct {
	Table    string
	Columns  []string
	Conflict []string
	Replace  bool
	Changed  bool
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
	for i, r := range rows {
		if len(r) != len(b.Columns) {
			return fmt.Errorf("sqldb: bulk row %d of %s has %d values for %d columns", i, b.Table, len(r), len(b.Columns))
		}
	}
	return nil
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
//   - SQLite: prepared multi-row INSERT … VALUES (…), (…) … ON CONFLICT of
//     up to sqliteRowsParams parameters each, the rest one row a statement
//     (both prepared once per connection): a statement of 100 rows costs
//     SQLite's own inserts and little more, where one a row paid the
//     statement's step, reset and binding a hundred times.
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
		return tx.insertRows(ctx, b, rows)
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

// bulkTable names the temporary table of a table and column list.
func bulkTable(b Bulk) string {
	h := sha256.Sum256([]byte(strings.Join(b.Columns, ",")))
	return "bulk_" + b.Table + "_" + hex.EncodeToString(h[:4])
}

// sqliteRowsParams bounds the parameters of one multi-row INSERT on SQLite.
const sqliteRowsParams = 1000

// insertRows is WriteRowsCount on SQLite.
func (tx *Tx) insertRows(ctx context.Context, b Bulk, rows [][]any) (int64, error) {
	ncol := len(b.Columns)
	per := max(1, sqliteRowsParams/ncol)
	text := func(n int) string {
		var q strings.Builder
		q.WriteString("INSERT INTO " + b.Table + " (" + strings.Join(b.Columns, ", ") + ") VALUES ")
		for r := range n {
			if r > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for c := range ncol {
				if c > 0 {
					q.WriteString(", ")
				}
				q.WriteString("$" + strconv.Itoa(r*ncol+c+1))
			}
			q.WriteByte(')')
		}
		q.WriteString(b.onConflict())
		return q.String()
	}
	var written int64
	exec := func(q string, at, count int, args []any) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil && count > 1 {
			return fmt.Errorf("bulk write %s rows %d to %d: %w", b.Table, at, at+count-1, err)
		} else if err != nil {
			return fmt.Errorf("bulk write %s row %d: %w", b.Table, at, err)
		}
		n, err := res.RowsAffected()
		written += n
		return err
	}
	i := 0
	if len(rows) >= per && per > 1 {
		q := text(per)
		args := make([]any, 0, per*ncol)
		for ; i+per <= len(rows); i += per {
			args = args[:0]
			for _, r := range rows[i : i+per] {
				args = append(args, r...)
			}
			if err := exec(q, i, per, args); err != nil {
				return written, err
			}
		}
	}
	if i < len(rows) {
		q := text(1)
		for ; i < len(rows); i++ {
			if err := exec(q, i, 1, rows[i]); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}
