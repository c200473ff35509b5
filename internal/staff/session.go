package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// TokenPrefix starts every API token, so that a leaked one is easy to grep for.
const TokenPrefix = "od_"

var (
	// ErrBadCredentials is the one answer to a wrong login or password.
	ErrBadCredentials = apperr.New(apperr.Unauthorized, "아이디 또는 비밀번호가 올바르지 않습니다.", "Wrong login or password.")
	// ErrThrottled answers logins after too many failures (errors.Is; the
	// error returned is a *ThrottledError that says how long to wait).
	ErrThrottled = apperr.New(apperr.TooMany, "로그인 실패가 많아 잠시 막혔습니다. 15분 후에 다시 시도해 주세요.", "Too many failed logins; try again in 15 minutes.")
	// ErrNoSession answers a missing, expired or revoked session or token.
	ErrNoSession = apperr.New(apperr.Unauthorized, "로그인이 필요합니다.", "Authentication required.")
)

// ThrottledError is ErrThrottled with the time left until a login may be
// tried again; its message says it in whole minutes (at least one).
type ThrottledError struct {
	Wait time.Duration
	err  *apperr.Error
}

func throttled(wait time.Duration) *ThrottledError {
	wait = max(wait, time.Second)
	minutes := int((wait + time.Minute - 1) / time.Minute)
	return &ThrottledError{Wait: wait, err: apperr.New(apperr.TooMany,
		fmt.Sprintf("로그인 실패가 많아 잠시 막혔습니다. %d분 후에 다시 시도해 주세요.", minutes),
		fmt.Sprintf("Too many failed logins; try again in %d minutes.", minutes))}
}

func (e *ThrottledError) Error() string { return e.err.Error() }

// Unwrap gives the answer with its minutes first (apperr.As finds it), then
// ErrThrottled (errors.Is).
func (e *ThrottledError) Unwrap() []error { return []error{e.err, ErrThrottled} }

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// dummyHash makes a failed lookup of an unknown login cost as much as a wrong
// password, so that timing does not tell which logins exist.
var dummyHash, _ = HashPassword("orderdesk-dummy-password")

// ErrBusy answers a login that waited too long for a free password check.
var ErrBusy = apperr.New(apperr.TooMany, "로그인 요청이 몰려 있습니다. 잠시 후 다시 시도해 주세요.", "Too many logins at once; try again in a moment.")

// normalizeLogin is the login as accounts are created with it: the lookup and
// the throttle see " kim" and "kim\t" as "kim".
func normalizeLogin(login string) string { return strings.TrimSpace(login) }

// checkPassword runs one password check when one of MaxPasswordChecks is
// free: each holds 19 MiB, so a burst of logins must not run them all at
// once. A login waits at most PasswordCheckWait (then ErrBusy) or until its
// request ends.
func (s *Service) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	s.gateOnce.Do(func() {
		n := s.MaxPasswordChecks
		if n < 1 {
			n = 2 * runtime.GOMAXPROCS(0)
		}
		s.gate = make(chan struct{}, n)
	})
	wait := s.PasswordCheckWait
	if wait <= 0 {
		wait = 5 * time.Second
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case s.gate <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	case <-timer.C:
		return false, ErrBusy
	}
	defer func() { <-s.gate }()
	check := s.PasswordCheck
	if check == nil {
		check = CheckPassword
	}
	return check(hash, password)
}

// Login checks a login and password and opens a console session. It returns
// the session token to put in the cookie. The attempt is counted by the
// throttle before the password is checked and forgotten when it succeeds.
func (s *Service) Login(ctx context.Context, login, password, ip, userAgent string) (string, Staff, error) {
	login = normalizeLogin(login)
	now := s.Now()
	var res *Reservation
	if s.Throttle != nil {
		r, wait, err := s.Throttle.Reserve(ctx, s.DB, login, ip, now)
		if err != nil {
			return "", Staff{}, err
		}
		if r == nil {
			return "", Staff{}, throttled(wait)
		}
		res = r
	}
	var hash string
	var disabled bool
	var id int64
	err := s.DB.Read().QueryRowContext(ctx, `SELECT id, password_hash, disabled FROM staff WHERE login = $1`, login).Scan(&id, &hash, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.checkPassword(ctx, dummyHash, password); err != nil {
			_ = res.Cancel(ctx)
			return "", Staff{}, err
		}
		return "", Staff{}, ErrBadCredentials
	}
	if err != nil {
		_ = res.Cancel(ctx)
		return "", Staff{}, err
	}
	ok, err := s.checkPassword(ctx, hash, password)
	if err != nil {
		_ = res.Cancel(ctx)
		return "", Staff{}, err
	}
	if !ok || disabled {
		return "", Staff{}, ErrBadCredentials
	}
	_ = res.Succeed(ctx)
	st, err := s.ByID(ctx, id)
	if err != nil {
		return "", Staff{}, err
	}
	tok := randomToken()
	at := sqldb.Instant(now)
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, staff_id, created_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6)`,
			hashToken(tok), id, at, at.Add(s.ttl()), ip, sqldb.Truncate(userAgent, 300)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, st.Actor(), audit.Change{Action: "staff.login", Entity: "staff", EntityID: id, After: map[string]string{"ip": ip}})
	})
	if err != nil {
		return "", Staff{}, err
	}
	return tok, st, nil
}

func (s *Service) ttl() time.Duration {
	if s.SessionTTL > 0 {
		return s.SessionTTL
	}
	return 12 * time.Hour
}

// Session returns the account of a live session and slides its expiry.
func (s *Service) Session(ctx context.Context, token string) (Staff, error) {
	if token == "" {
		return Staff{}, ErrNoSession
	}
	now := sqldb.Instant(s.Now())
	var id int64
	var expires time.Time
	err := s.DB.Read().QueryRowContext(ctx, `SELECT s.staff_id, s.expires_at FROM sessions s JOIN staff st ON st.id = s.staff_id
		WHERE s.id_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND st.disabled = FALSE`, hashToken(token), now).Scan(&id, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Staff{}, ErrNoSession
	}
	if err != nil {
		return Staff{}, err
	}
	// Slide the expiry at most once a minute to keep writes rare.
	if next := now.Add(s.ttl()); next.Sub(expires) > time.Minute {
		_ = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET expires_at = $1 WHERE id_hash = $2`, next, hashToken(token))
			return err
		})
	}
	return s.ByID(ctx, id)
}

// Logout revokes the session.
func (s *Service) Logout(ctx context.Context, a access.Actor, token string) error {
	now := sqldb.Instant(s.Now())
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE id_hash = $2 AND revoked_at IS NULL`, now, hashToken(token)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "staff.logout", Entity: "staff", EntityID: a.StaffID})
	})
}

// CreateToken makes a new API token for the account with the login and
// returns it; only its hash is stored. A staff member may make tokens for
// itself; a super_admin for anyone.
func (s *Service) CreateToken(ctx context.Context, a access.Actor, login, name string) (string, error) {
	st, err := s.ByLogin(ctx, normalizeLogin(login))
	if err != nil {
		return "", err
	}
	if st.ID != a.StaffID {
		if err := a.RequireSuper(); err != nil {
			return "", err
		}
	}
	if st.Disabled {
		return "", apperr.New(apperr.Invalid, "사용 중지된 계정입니다.", "The account is disabled.")
	}
	if name = strings.TrimSpace(name); name == "" {
		name = "api"
	}
	tok := TokenPrefix + randomToken()
	now := sqldb.Instant(s.Now())
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (staff_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			st.ID, name, hashToken(tok), tok[:7], now).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "token.create", Entity: "api_token", EntityID: id,
			After: map[string]any{"staff": st.Login, "name": name, "prefix": tok[:7]}})
	})
	return tok, err
}

// Token returns the account of a live API token.
func (s *Service) Token(ctx context.Context, token string) (Staff, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return Staff{}, ErrNoSession
	}
	hash, now := hashToken(token), s.Now()
	st, gen, ok := s.tokens.get(hash, now)
	if ok {
		return st, nil // see TokenCacheTTL
	}
	// The token and its account in one query: every API call asks it.
	st, err := scanStaff(s.DB.Read().QueryRowContext(ctx, `SELECT `+tokenStaffColumns+` FROM api_tokens t JOIN staff st ON st.id = t.staff_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND st.disabled = FALSE`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return Staff{}, ErrNoSession
	}
	if err != nil {
		return Staff{}, err
	}
	if err := s.loadSites(ctx, s.DB.Read(), &st); err != nil {
		return Staff{}, err
	}
	s.tokens.put(hash, st, now, gen)
	return st, nil
}

// tokenStaffColumns are staffColumns of the staff table aliased st.
var tokenStaffColumns = "st." + strings.ReplaceAll(staffColumns, ", ", ", st.")
