package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Throttle limits failed logins: after MaxFailures failures of one login, or
// of one address, within Window, further attempts are refused until Window
// has passed since the earliest of them. The failures are counted in the
// database (login_failures), so that several orderdesk processes on one
// database share one count.
//
// An attempt counts as a failure before its password is checked (Reserve),
// and is forgotten only when it succeeds: so concurrent attempts, in one
// process or several, cannot all read "under the limit" before any of them
// is counted. Each attempt first updates its keys' rows in
// login_throttle_keys, which makes concurrent attempts of one key count one
// after the other on PostgreSQL (SQLite has one writer anyway).
type Throttle struct {
	MaxFailures int
	Window      time.Duration

	tries atomic.Uint64 // every cleanupEvery-th Reserve deletes expired rows
}

const cleanupEvery = 256

// NewThrottle returns a throttle of 5 failures per 15 minutes.
func NewThrottle() *Throttle {
	return &Throttle{MaxFailures: 5, Window: 15 * time.Minute}
}

// throttleKey is the stored key of kind ("login" or "ip") and value: the
// value itself when it is short, valid UTF-8 and free of NUL, otherwise its
// SHA-256 (a login form may carry anything; an index row may not).
func throttleKey(kind, v string) string {
	if len(v) <= 100 && utf8.ValidString(v) && !strings.ContainsRune(v, 0) {
		return kind + ":" + v
	}
	sum := sha256.Sum256([]byte(v))
	return kind + "#" + hex.EncodeToString(sum[:])
}

// keys returns the address key first and the login key second: every
// attempt takes the key rows in this order, so two attempts never wait for
// each other in a cycle.
func keys(login, ip string) (ipKey, loginKey string) {
	return throttleKey("ip", ip), throttleKey("login", strings.ToLower(login))
}

// Reservation is one attempt counted in advance; unless Succeed or Cancel is
// called, it stays counted as a failure.
type Reservation struct {
	db              *sqldb.DB
	ipKey, loginKey string
	attempt         string
}

// Reserve counts an attempt for login from ip at once, as a failure, and
// returns it. When the login or the address already has MaxFailures within
// the window, nothing is counted and Reserve returns no reservation and how
// long the refusal lasts (whichever of the two waits longer): until enough of
// its failures leave the window to bring it under MaxFailures.
func (t *Throttle) Reserve(ctx context.Context, db *sqldb.DB, login, ip string, now time.Time) (*Reservation, time.Duration, error) {
	ipKey, loginKey := keys(login, ip)
	var b [16]byte
	_, _ = rand.Read(b[:])
	r := &Reservation{db: db, ipKey: ipKey, loginKey: loginKey, attempt: hex.EncodeToString(b[:])}
	at := sqldb.Instant(now)
	since := at.Add(-t.Window)
	var wait time.Duration
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		wait = 0
		for _, k := range []string{ipKey, loginKey} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_throttle_keys (k, seen_at) VALUES ($1, $2)
				ON CONFLICT (k) DO UPDATE SET seen_at = excluded.seen_at`, k, at); err != nil {
				return err
			}
		}
		for _, k := range []string{ipKey, loginKey} {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_failures WHERE k = $1 AND at >= $2`, k, since).Scan(&n); err != nil {
				return err
			}
			if n < t.MaxFailures {
				continue
			}
			// The key counts again when its (n-MaxFailures+1)th failure
			// leaves the window. (The column itself, not MIN(at): SQLite
			// gives an aggregate's result as text, without the column's type.)
			var first time.Time
			if err := tx.QueryRowContext(ctx, `SELECT at FROM login_failures WHERE k = $1 AND at >= $2 ORDER BY at LIMIT 1 OFFSET $3`,
				k, since, n-t.MaxFailures).Scan(&first); err != nil {
				return err
			}
			wait = max(wait, first.Add(t.Window).Sub(at), time.Nanosecond)
		}
		if wait > 0 {
			return nil
		}
		for _, k := range []string{ipKey, loginKey} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (k, attempt, at) VALUES ($1, $2, $3)`, k, r.attempt, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if t.tries.Add(1)%cleanupEvery == 0 {
		t.cleanup(ctx, db, since)
	}
	if wait > 0 {
		return nil, wait, nil
	}
	return r, 0, nil
}

// cleanup deletes the failures and keys that no longer count, so that a
// spray of logins does not grow the tables without bound.
func (t *Throttle) cleanup(ctx context.Context, db *sqldb.DB, before time.Time) {
	_ = db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at < $1`, before); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM login_throttle_keys WHERE seen_at < $1`, before)
		return err
	})
}

// Succeed forgets the failures of the login and this attempt of the address.
// It runs even when ctx is cancelled: the attempt is over.
func (r *Reservation) Succeed(ctx context.Context) error {
	if r == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	return r.db.InTx(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE k = $1 OR (k = $2 AND attempt = $3)`, r.loginKey, r.ipKey, r.attempt)
		return err
	})
}

// Cancel forgets this attempt: its password was never checked. It runs even
// when ctx is cancelled (a login whose request went away is not a failure).
func (r *Reservation) Cancel(ctx context.Context) error {
	if r == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	return r.db.InTx(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE attempt = $1`, r.attempt)
		return err
	})
}
