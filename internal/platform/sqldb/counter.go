package sqldb

import (
	"context"
	"fmt"
	"regexp"
)

// Numbers from a named counter: on PostgreSQL the sequence NAME_seq, on
// SQLite the row NAME of the counters table. A sequence holds no lock to the
// commit, so concurrent transactions do not wait for each other's numbers,
// and the number of a transaction that rolls back is skipped (a gap). On
// SQLite the single writer takes numbers one at a time anyway, and the row
// leaves no gaps.

var counterName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Next takes the next number of the counter name in tx.
func (tx *Tx) Next(ctx context.Context, name string) (int64, error) {
	if !counterName.MatchString(name) {
		return 0, fmt.Errorf("sqldb: bad counter name %q", name)
	}
	var n int64
	var err error
	if tx.Engine == Postgres {
		err = tx.QueryRowContext(ctx, `SELECT nextval('`+name+`_seq')`).Scan(&n)
	} else {
		err = tx.QueryRowContext(ctx, `UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value`, name).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("counter %s: %w", name, err)
	}
	return n, nil
}

// SetNext makes n the next number of the counter name, unless a number
// at or past n was taken already (it never goes back). It must not run
// while other transactions take numbers: on PostgreSQL a sequence's last
// value is read outside any transaction's isolation, so a number taken
// between that read and the setval could be handed out again.
func (tx *Tx) SetNext(ctx context.Context, name string, n int64) error {
	if !counterName.MatchString(name) {
		return fmt.Errorf("sqldb: bad counter name %q", name)
	}
	var err error
	if tx.Engine == Postgres {
		_, err = tx.ExecContext(ctx, `SELECT setval('`+name+`_seq', $1::bigint) FROM `+name+`_seq
			WHERE $1::bigint > CASE WHEN is_called THEN last_value ELSE last_value - 1 END`, n-1)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE counters SET value = $1 WHERE name = $2 AND value < $1`, n-1, name)
	}
	return err
}
