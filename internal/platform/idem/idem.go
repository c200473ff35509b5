// Package idem stores the answers of POSTs made with an Idempotency-Key, so
// that a retried request gets the first answer again and never acts twice.
package idem

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"reflect"
	"sync"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Saved is a stored answer.
type Saved struct {
	Status      int
	ContentType string // "" for answers stored before it was kept: application/json
	Body        string
}

// Store keeps keys per staff account.
type Store struct {
	DB  *sqldb.DB
	Now func() time.Time
	// HashKey keys the fingerprint of request bodies (HMAC-SHA256): a body
	// may hold a resident registration number, and a plain hash of it is
	// quickly reversed by trying the numbers of a birth date.
	HashKey []byte
}

var (
	// ErrMismatch: the key was used before with another request.
	ErrMismatch = apperr.New(apperr.Invalid, "같은 Idempotency-Key가 다른 요청에 이미 쓰였습니다.", "This Idempotency-Key was used with a different request.")
	// ErrInProgress: the first request with the key has not finished.
	ErrInProgress = apperr.New(apperr.Conflict, "같은 Idempotency-Key의 요청을 처리하는 중입니다. 잠시 후 다시 시도해 주세요.", "A request with this Idempotency-Key is still being processed.")
)

// Hash fingerprints a request, keyed with HashKey.
func (s *Store) Hash(method, path string, body []byte) string {
	h := hmac.New(sha256.New, s.HashKey)
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Begin reserves the key. It returns the saved answer when the same request
// already finished, ErrMismatch for another request with the key, and
// ErrInProgress while the first one runs.
func (s *Store) Begin(ctx context.Context, staffID int64, key, method, path, hash string) (*Saved, error) {
	var saved *Saved
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		var err error
		saved, err = s.reserve(ctx, tx, staffID, key, method, path, hash)
		return err
	})
	return saved, err
}

// reserve inserts the key in tx; nil, nil when it was free, else what the
// stored key answers (see check).
func (s *Store) reserve(ctx context.Context, tx *sqldb.Tx, staffID int64, key, method, path, hash string) (*Saved, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (staff_id, idem_key, method, path, body_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (staff_id, idem_key) DO NOTHING`, staffID, key, method, path, hash, sqldb.Instant(s.Now()))
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil, nil
	}
	return find(ctx, tx, staffID, key, hash)
}

// find reads a stored key and answers as check does (sql.ErrNoRows when
// there is none).
func find(ctx context.Context, q sqldb.Querier, staffID int64, key, hash string) (*Saved, error) {
	var gotHash, ctype, body string
	var status int
	if err := q.QueryRowContext(ctx, `SELECT body_hash, status_code, content_type, response FROM idempotency_keys WHERE staff_id = $1 AND idem_key = $2`,
		staffID, key).Scan(&gotHash, &status, &ctype, &body); err != nil {
		return nil, err
	}
	return check(hash, gotHash, status, ctype, body)
}

// Replay is what Reserve answers when another request with the key has an
// answer. It carries none: inside a transaction that answer may not be
// committed yet (on SQLite the two requests can share a batch, and the
// other one's answer is kept with its work, see Keep), so the caller sends
// what Lookup finds on the read pool, or ErrInProgress while it finds none.
type Replay struct{}

func (r *Replay) Error() string { return "idempotency key already answered" }

// check answers for a key found stored with hash gotHash: ErrMismatch for
// another request, ErrInProgress while the first runs, else its answer.
func check(hash, gotHash string, status int, ctype, body string) (*Saved, error) {
	switch {
	case gotHash != hash:
		return nil, ErrMismatch
	case status == 0:
		return nil, ErrInProgress
	}
	return &Saved{Status: status, ContentType: ctype, Body: body}, nil
}

// Lookup is Begin without the reservation, on the read pool: the saved
// answer, ErrMismatch or ErrInProgress for a key in use, nil, nil for a free
// one. A request that goes on with a free key reserves it with Reserve in
// its first transaction.
func (s *Store) Lookup(ctx context.Context, staffID int64, key, hash string) (*Saved, error) {
	saved, err := find(ctx, s.DB.Read(), staffID, key, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return saved, err
}

// Reserve reserves the key in the caller's transaction, the request's first
// (sqldb.BeforeWork): the reservation commits with the first work that
// commits, so that a concurrent request with the key waits for that commit
// (PostgreSQL) or the single writer (SQLite) and then finds it. A key taken
// meanwhile gives ErrMismatch, ErrInProgress or a *Replay, and the
// transaction rolls back: the request does nothing.
func (s *Store) Reserve(ctx context.Context, tx *sqldb.Tx, staffID int64, key, method, path, hash string) error {
	saved, err := s.reserve(ctx, tx, staffID, key, method, path, hash)
	if err != nil || saved == nil {
		return err
	}
	return &Replay{}
}

// Store keeps the answer of a request that reserved nothing because none of
// its transactions committed (it was refused before any work): the key then
// answers it again. A key taken meanwhile by another request is left alone.
func (s *Store) Store(ctx context.Context, staffID int64, key, method, path, hash string, status int, contentType, body string) error {
	if status >= 500 {
		return nil
	}
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (staff_id, idem_key, method, path, body_hash, created_at, status_code, content_type, response)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (staff_id, idem_key) DO NOTHING`,
			staffID, key, method, path, hash, sqldb.Instant(s.Now()), status, contentType, body)
		return err
	})
}

// Finish stores the answer of the request that reserved the key. Answers of
// 5xx release the key instead, so that the client may retry.
func (s *Store) Finish(ctx context.Context, staffID int64, key string, status int, contentType, body string) error {
	if status >= 500 {
		return s.Release(ctx, staffID, key)
	}
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		return s.Answer(ctx, tx, staffID, key, status, contentType, body)
	})
}

// Answer stores the answer of the request that reserved the key, in the
// caller's transaction (Finish's, or the work's own through Keep).
func (s *Store) Answer(ctx context.Context, tx *sqldb.Tx, staffID int64, key string, status int, contentType, body string) error {
	_, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status_code = $1, content_type = $2, response = $3 WHERE staff_id = $4 AND idem_key = $5`,
		status, contentType, body, staffID, key)
	return err
}

// An answer kept with the work.
//
// A keyed request's answer is usually stored by Finish, in a transaction of
// its own after the work's. A service whose last transaction ends the work
// calls Keep in it with the value it is about to return: the answer then
// commits with the work, one transaction fewer a request (on SQLite's single
// writer, one wait for a commit fewer), and a client that goes away just as
// the work commits finds the real answer under its key, not "answer lost".

type keeperKey struct{}

// Keeper stores the answers that Keep is given under ctx.
type Keeper struct {
	keep func(ctx context.Context, tx *sqldb.Tx, v any) ([]byte, error)
	mu   sync.Mutex
	body []byte // the answer of the last transaction that kept one and committed
	v    any    // what body encodes
}

// WithKeeper returns a ctx under which Keep stores a request's answer with
// keep, which encodes v as the request would answer it, stores it under the
// key in tx and returns the stored body.
func WithKeeper(ctx context.Context, keep func(ctx context.Context, tx *sqldb.Tx, v any) ([]byte, error)) (context.Context, *Keeper) {
	k := &Keeper{keep: keep}
	return context.WithValue(ctx, keeperKey{}, k), k
}

// Kept is the body stored by a transaction that committed, nil if none did.
func (k *Keeper) Kept() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.body
}

// Body is the kept body when it encodes v (the answer the work gave, as Keep
// requires), so that the request can send it instead of encoding v again;
// nil when no answer was kept or v is another.
func (k *Keeper) Body(v any) []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.body == nil || !reflect.DeepEqual(k.v, v) {
		return nil
	}
	return k.body
}

// Keep stores v, the answer the work is about to give, under the request's
// Idempotency-Key in tx, the work's last transaction. The caller returns v
// and nothing else once tx commits. Under a ctx without a keeper (no key, a
// console click, a job) it does nothing.
func Keep(ctx context.Context, tx *sqldb.Tx, v any) error {
	k, _ := ctx.Value(keeperKey{}).(*Keeper)
	if k == nil {
		return nil
	}
	body, err := k.keep(ctx, tx, v)
	if err != nil {
		return err
	}
	tx.AfterCommit(func() {
		k.mu.Lock()
		k.body, k.v = body, v
		k.mu.Unlock()
	})
	return nil
}

// Release frees a key whose request did nothing (it failed inside, or its
// client went away before any work committed): the client may send it again.
func (s *Store) Release(ctx context.Context, staffID int64, key string) error {
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE staff_id = $1 AND idem_key = $2`, staffID, key)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
}

// Guard returns the context to run a keyed request's work under, and a
// report of whether any of its transactions committed. Until one commits,
// the context is cancelled with the request's (the client went away and
// nothing was done, so the key can be released); once one has committed the
// work goes on to its end whatever the client does, so that its answer is
// stored under the key instead of a half-done request. stop frees the
// context's resources.
func Guard(request context.Context) (ctx context.Context, committed func() bool, stop func()) {
	var mu sync.Mutex
	done := false
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(request))
	stopWatch := context.AfterFunc(request, func() {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			cancel(context.Cause(request))
		}
	})
	ctx = sqldb.OnCommit(ctx, func() {
		mu.Lock()
		done = true
		mu.Unlock()
	})
	committed = func() bool {
		mu.Lock()
		defer mu.Unlock()
		return done
	}
	return ctx, committed, func() { stopWatch(); cancel(nil) }
}
