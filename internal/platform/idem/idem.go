// Package idem stores the answers of POSTs made with an Idempotency-Key, so
// that a retried request gets the first answer again and never acts twice.
package idem

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Saved is a stored answer.
type Saved struct {
	Status int
	Body   string
}

// Store keeps keys per staff account.
type Store struct {
	DB  *sqldb.DB
	Now func() time.Time
}

var (
	// ErrMismatch: the key was used before with another request.
	ErrMismatch = apperr.New(apperr.Invalid, "같은 Idempotency-Key가 다른 요청에 이미 쓰였습니다.", "This Idempotency-Key was used with a different request.")
	// ErrInProgress: the first request with the key has not finished.
	ErrInProgress = apperr.New(apperr.Conflict, "같은 Idempotency-Key의 요청을 처리하는 중입니다. 잠시 후 다시 시도해 주세요.", "A request with this Idempotency-Key is still being processed.")
)

// Hash fingerprints a request.
func Hash(method, path string, body []byte) string {
	h := sha256.New()
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
		res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (staff_id, idem_key, method, path, body_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (staff_id, idem_key) DO NOTHING`, staffID, key, method, path, hash, sqldb.Instant(s.Now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var gotHash, body string
		var status int
		if err := tx.QueryRowContext(ctx, `SELECT body_hash, status_code, response FROM idempotency_keys WHERE staff_id = $1 AND idem_key = $2`,
			staffID, key).Scan(&gotHash, &status, &body); err != nil {
			return err
		}
		switch {
		case gotHash != hash:
			return ErrMismatch
		case status == 0:
			return ErrInProgress
		}
		saved = &Saved{Status: status, Body: body}
		return nil
	})
	return saved, err
}

// Finish stores the answer of the request that reserved the key. Answers of
// 5xx release the key instead, so that the client may retry.
func (s *Store) Finish(ctx context.Context, staffID int64, key string, status int, body string) error {
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		var err error
		if status >= 500 {
			_, err = tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE staff_id = $1 AND idem_key = $2`, staffID, key)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE idempotency_keys SET status_code = $1, response = $2 WHERE staff_id = $3 AND idem_key = $4`, status, body, staffID, key)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
}
