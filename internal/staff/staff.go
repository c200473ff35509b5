// Package staff holds staff accounts, console sessions, API tokens and the
// login throttle. Passwords are argon2id hashes; session ids and tokens are
// stored only as SHA-256 hashes, so a copy of the database opens no door.
package staff

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Staff is a staff account.
type Staff struct {
	ID        int64       `json:"id"`
	Login     string      `json:"login"`
	Name      string      `json:"name"`
	Role      access.Role `json:"role"`
	Sites     []string    `json:"sites"`
	Lang      string      `json:"lang"`
	Disabled  bool        `json:"disabled"`
	CreatedAt time.Time   `json:"created_at"`
}

// Actor is the access view of the account.
func (s Staff) Actor() access.Actor {
	return access.Actor{StaffID: s.ID, Login: s.Login, Role: s.Role, Sites: s.Sites, Lang: s.Lang}
}

// NewStaff is the input of Create.
type NewStaff struct {
	Login    string
	Name     string
	Password string
	Role     access.Role
	Sites    []string
}

// Service manages staff accounts, sessions and tokens.
type Service struct {
	DB       *sqldb.DB
	Now      func() time.Time
	Throttle *Throttle
	// SessionTTL is how long a console session lasts without use (default 12h).
	SessionTTL time.Duration
	// MaxPasswordChecks bounds the password checks running at once (each
	// argon2id check holds 19 MiB); default 2 × GOMAXPROCS.
	MaxPasswordChecks int
	// PasswordCheckWait is how long a login waits for a free check before it
	// is answered ErrBusy (default 5s).
	PasswordCheckWait time.Duration
	// PasswordCheck checks a password against its hash; nil is CheckPassword.
	PasswordCheck func(hash, password string) (bool, error)

	gateOnce sync.Once
	gate     chan struct{}
	tokens   tokenCache
}

var loginPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$`)

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

// Create adds a staff account. The command line creates the first accounts
// with the System actor; in the console only a super_admin may.
func (s *Service) Create(ctx context.Context, a access.Actor, in NewStaff) (Staff, error) {
	if err := a.RequireSuper(); err != nil {
		return Staff{}, err
	}
	in.Login = normalizeLogin(in.Login)
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		in.Name = in.Login
	}
	in.Sites = cleanSites(in.Sites)
	var fe apperr.Fields
	if !loginPattern.MatchString(in.Login) {
		fe.Add("login", "아이디는 영문·숫자로 시작하는 2~64자(영문, 숫자, . _ @ -)입니다.", "Login must be 2-64 letters, digits, . _ @ -, starting with a letter or digit.")
	}
	if len([]rune(in.Password)) < MinPasswordLen {
		fe.Add("password", fmt.Sprintf("비밀번호는 %d자 이상이어야 합니다.", MinPasswordLen), fmt.Sprintf("Password must have at least %d characters.", MinPasswordLen))
	}
	if !in.Role.Valid() {
		fe.Add("role", fmt.Sprintf("알 수 없는 권한입니다: %q (super_admin, site_admin, viewer 중 하나)", in.Role),
			fmt.Sprintf("unknown role %q (use super_admin, site_admin or viewer)", in.Role))
	} else if in.Role != access.SuperAdmin && len(in.Sites) == 0 {
		fe.Add("sites", "사이트관리자와 조회전용 계정은 사이트를 하나 이상 지정해야 합니다.", "A site_admin or viewer needs at least one site.")
	}
	if err := fe.Err(); err != nil {
		return Staff{}, err
	}
	if in.Role == access.SuperAdmin {
		in.Sites = nil
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return Staff{}, err
	}
	now := sqldb.Instant(s.Now())
	out := Staff{Login: in.Login, Name: in.Name, Role: in.Role, Sites: in.Sites, Lang: "ko", CreatedAt: now}
	if out.Sites == nil {
		out.Sites = []string{}
	}
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO staff (login, name, password_hash, role, lang, disabled, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'ko', FALSE, $5, $5) RETURNING id`, in.Login, in.Name, hash, string(in.Role), now).Scan(&out.ID)
		if sqldb.IsUniqueViolation(err) {
			return &apperr.Error{Code: apperr.Conflict, Message: "이미 사용 중인 아이디입니다: " + in.Login, English: "login already taken: " + in.Login,
				Fields: []apperr.FieldError{{Location: "login", Message: "이미 사용 중인 아이디입니다.", English: "already taken"}}}
		}
		if err != nil {
			return err
		}
		for _, site := range in.Sites {
			if _, err := tx.ExecContext(ctx, `INSERT INTO staff_sites (staff_id, site_code) VALUES ($1, $2)`, out.ID, site); err != nil {
				if sqldb.IsForeignKeyViolation(err) {
					return &apperr.Error{Code: apperr.Invalid, Message: "없는 사이트입니다: " + site, English: "no such site: " + site,
						Fields: []apperr.FieldError{{Location: "sites", Message: "없는 사이트입니다: " + site, English: "no such site: " + site}}}
				}
				return err
			}
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "staff.create", Entity: "staff", EntityID: out.ID, After: out})
	})
	if err != nil {
		return Staff{}, err
	}
	return out, nil
}

func cleanSites(sites []string) []string {
	var out []string
	for _, s := range sites {
		for _, part := range strings.Split(s, ",") {
			if p := strings.TrimSpace(part); p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// Count returns the number of staff accounts.
func (s *Service) Count(ctx context.Context) (int, error) {
	var n int
	err := s.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM staff`).Scan(&n)
	return n, err
}

// EnsureInitialAdmin creates the account "admin" (super_admin) when there is
// no staff account at all. It returns the password and true when it created
// one; password is used when given, else a random one is made.
func (s *Service) EnsureInitialAdmin(ctx context.Context, password string) (string, bool, error) {
	n, err := s.Count(ctx)
	if err != nil || n > 0 {
		return "", false, err
	}
	if password == "" {
		password = RandomPassword()
	}
	_, err = s.Create(ctx, access.System(), NewStaff{Login: "admin", Name: "관리자", Password: password, Role: access.SuperAdmin})
	if apperr.CodeOf(err) == apperr.Conflict { // another process made it first
		return "", false, nil
	}
	return password, err == nil, err
}

const staffColumns = `id, login, name, role, lang, disabled, created_at`

func scanStaff(row interface{ Scan(...any) error }) (Staff, error) {
	var st Staff
	var role string
	err := row.Scan(&st.ID, &st.Login, &st.Name, &role, &st.Lang, &st.Disabled, &st.CreatedAt)
	st.Role = access.Role(role)
	return st, err
}

func (s *Service) loadSites(ctx context.Context, q sqldb.Querier, st *Staff) error {
	rows, err := q.QueryContext(ctx, `SELECT site_code FROM staff_sites WHERE staff_id = $1 ORDER BY site_code`, st.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	st.Sites = []string{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		st.Sites = append(st.Sites, c)
	}
	return rows.Err()
}

// ByLogin returns the account with that login.
func (s *Service) ByLogin(ctx context.Context, login string) (Staff, error) {
	return s.byQuery(ctx, `SELECT `+staffColumns+` FROM staff WHERE login = $1`, login)
}

// ByID returns the account with that id.
func (s *Service) ByID(ctx context.Context, id int64) (Staff, error) {
	return s.byQuery(ctx, `SELECT `+staffColumns+` FROM staff WHERE id = $1`, id)
}

func (s *Service) byQuery(ctx context.Context, query string, arg any) (Staff, error) {
	st, err := scanStaff(s.DB.Read().QueryRowContext(ctx, query, arg))
	if err != nil {
		return Staff{}, sqldb.NotFound(err, "직원 계정", "staff account")
	}
	return st, s.loadSites(ctx, s.DB.Read(), &st)
}

// List returns every staff account; only a super_admin may list them.
func (s *Service) List(ctx context.Context, a access.Actor) ([]Staff, error) {
	if err := a.RequireSuper(); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+staffColumns+` FROM staff ORDER BY id`)
	if err != nil {
		return nil, err
	}
	var out []Staff
	for rows.Next() {
		st, err := scanStaff(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.loadSites(ctx, s.DB.Read(), &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SetLang stores the actor's console language ("ko" or "en").
func (s *Service) SetLang(ctx context.Context, a access.Actor, lang string) error {
	if lang != "ko" && lang != "en" {
		return apperr.New(apperr.Invalid, "언어는 ko 또는 en입니다.", "Language must be ko or en.")
	}
	defer s.tokens.forget()
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE staff SET lang = $1, updated_at = $2 WHERE id = $3`, lang, sqldb.Instant(s.Now()), a.StaffID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.Now(), a, audit.Change{Action: "staff.set_lang", Entity: "staff", EntityID: a.StaffID,
			Before: map[string]string{"lang": a.Lang}, After: map[string]string{"lang": lang}})
	})
}

// SetDisabled disables or re-enables an account; disabling revokes its
// sessions and tokens at once.
func (s *Service) SetDisabled(ctx context.Context, a access.Actor, id int64, disabled bool) error {
	if err := a.RequireSuper(); err != nil {
		return err
	}
	if id == a.StaffID && disabled {
		return apperr.New(apperr.Invalid, "자기 계정은 사용 중지할 수 없습니다.", "You cannot disable your own account.")
	}
	now := sqldb.Instant(s.Now())
	defer s.tokens.forget()
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff SET disabled = $1, updated_at = $2 WHERE id = $3`, disabled, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("직원 계정", "staff account")
		}
		if disabled {
			if err := revokeAll(ctx, tx, id, now); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "staff.set_disabled", Entity: "staff", EntityID: id,
			Before: map[string]bool{"disabled": !disabled}, After: map[string]bool{"disabled": disabled}})
	})
}

func revokeAll(ctx context.Context, q sqldb.Querier, staffID int64, now time.Time) error {
	if _, err := q.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE staff_id = $2 AND revoked_at IS NULL`, now, staffID); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE staff_id = $2 AND revoked_at IS NULL`, now, staffID)
	return err
}
