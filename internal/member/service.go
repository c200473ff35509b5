package member

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Service holds the member rules.
type Service struct {
	DB  *sqldb.DB
	Box *secret.Box
	Now func() time.Time
}

var (
	loginPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$`)
	phonePattern = regexp.MustCompile(`^[0-9+][0-9 -]{6,19}$`)
)

type stored struct {
	Member
	rrnEnc string
}

func (s *Service) validate(m *Member, rrn *string, fe *apperr.Fields) {
	m.Name = strings.TrimSpace(m.Name)
	m.Email = strings.TrimSpace(m.Email)
	m.Phone = strings.TrimSpace(m.Phone)
	m.Affiliation = strings.TrimSpace(m.Affiliation)
	if m.Name == "" {
		fe.Add("name", "이름을 입력해 주세요.", "Name is required.")
	} else if len([]rune(m.Name)) > 50 {
		fe.Add("name", "이름은 50자 이하입니다.", "Name must have at most 50 characters.")
	}
	if m.Email != "" {
		if a, err := mail.ParseAddress(m.Email); err != nil || a.Address != m.Email {
			fe.Add("email", "이메일 주소 형식이 아닙니다.", "Not an email address.")
		}
	}
	if m.Phone != "" && !phonePattern.MatchString(m.Phone) {
		fe.Add("phone", "전화번호는 숫자와 -로 적어 주세요 (예: 010-1234-5678).", "Phone must be digits and dashes, e.g. 010-1234-5678.")
	}
	if m.Status == "" {
		m.Status = StatusActive
	}
	if Label(StatusLabels, m.Status) == m.Status {
		fe.Add("status", fmt.Sprintf("알 수 없는 회원 상태입니다: %q", m.Status), fmt.Sprintf("unknown member status %q", m.Status))
	}
	if Label(EducationLabels, m.Education) == m.Education && m.Education != "" {
		fe.Add("education", fmt.Sprintf("알 수 없는 최종학력입니다: %q", m.Education), fmt.Sprintf("unknown education level %q", m.Education))
	}
	if rrn != nil && strings.TrimSpace(*rrn) != "" {
		d, err := secret.NormalizeRRN(*rrn)
		if err != nil {
			fe.Add("rrn", "주민등록번호는 숫자 13자리입니다 (예: 750101-1234567).", "Resident registration number must have 13 digits.")
		} else {
			*rrn = d
		}
	}
}

// Create adds a member to a site the actor may change.
func (s *Service) Create(ctx context.Context, a access.Actor, in Input) (Member, error) {
	m := Member{Site: strings.TrimSpace(in.Site), Login: strings.TrimSpace(in.Login), Name: in.Name, Affiliation: in.Affiliation,
		Phone: in.Phone, Email: in.Email, Status: in.Status, Education: in.Education}
	var fe apperr.Fields
	if m.Site == "" {
		fe.Add("site", "사이트를 선택해 주세요.", "Site is required.")
	} else if err := a.CheckWrite(m.Site, "사이트", "site"); err != nil {
		return Member{}, err
	}
	if !loginPattern.MatchString(m.Login) {
		fe.Add("login", "아이디는 영문·숫자로 시작하는 2~64자(영문, 숫자, . _ @ -)입니다.", "Login must be 2-64 letters, digits, . _ @ -.")
	}
	rrn := in.RRN
	s.validate(&m, &rrn, &fe)
	if err := fe.Err(); err != nil {
		return Member{}, err
	}
	enc, err := s.Box.Seal(strings.TrimSpace(rrn))
	if err != nil {
		return Member{}, err
	}
	now := sqldb.Instant(s.Now())
	m.CreatedAt, m.UpdatedAt = now, now
	m.RRNMasked = maskIf(rrn)
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO members (site, login, name, affiliation, phone, email, status, rrn_enc, education, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
			m.Site, m.Login, m.Name, m.Affiliation, m.Phone, m.Email, m.Status, enc, m.Education, now).Scan(&m.ID)
		switch {
		case sqldb.IsUniqueViolation(err):
			return &apperr.Error{Code: apperr.Conflict, Message: "이 사이트에 이미 있는 아이디입니다: " + m.Login, English: "login already used on this site: " + m.Login,
				Fields: []apperr.FieldError{{Location: "login", Message: "이미 있는 아이디입니다.", English: "already used"}}}
		case sqldb.IsForeignKeyViolation(err):
			return &apperr.Error{Code: apperr.Invalid, Message: "없는 사이트입니다: " + m.Site, English: "no such site: " + m.Site,
				Fields: []apperr.FieldError{{Location: "site", Message: "없는 사이트입니다.", English: "no such site"}}}
		case err != nil:
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Site: m.Site, Action: "member.create", Entity: "member", EntityID: m.ID, After: m})
	})
	if err != nil {
		return Member{}, err
	}
	return m, nil
}

func maskIf(rrn string) string {
	if strings.TrimSpace(rrn) == "" {
		return ""
	}
	return secret.MaskRRN(rrn)
}

const columns = `id, site, login, name, affiliation, phone, email, status, rrn_enc, education, created_at, updated_at`

func (s *Service) scan(row interface{ Scan(...any) error }) (stored, error) {
	var m stored
	err := row.Scan(&m.ID, &m.Site, &m.Login, &m.Name, &m.Affiliation, &m.Phone, &m.Email, &m.Status, &m.rrnEnc, &m.Education, &m.CreatedAt, &m.UpdatedAt)
	if err != nil {
		return m, err
	}
	if m.rrnEnc != "" {
		plain, err := s.Box.Open(m.rrnEnc)
		if err != nil {
			return m, fmt.Errorf("member %d: %w", m.ID, err)
		}
		m.RRNMasked = secret.MaskRRN(plain)
	}
	return m, nil
}

func (s *Service) load(ctx context.Context, q sqldb.Querier, a access.Actor, id int64) (stored, error) {
	m, err := s.scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM members WHERE id = $1`, id))
	if err != nil {
		return m, sqldb.NotFound(err, "회원", "member")
	}
	// Another site's member does not exist for this actor: 404, not 403.
	if err := a.CheckRead(m.Site, "회원", "member"); err != nil {
		return stored{}, err
	}
	return m, nil
}

// Get returns one member the actor may read.
func (s *Service) Get(ctx context.Context, a access.Actor, id int64) (Member, error) {
	m, err := s.load(ctx, s.DB.Read(), a, id)
	return m.Member, err
}

// Update changes a member.
func (s *Service) Update(ctx context.Context, a access.Actor, id int64, p Patch) (Member, error) {
	var out Member
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		cur, err := s.load(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := a.CheckWrite(cur.Site, "회원", "member"); err != nil {
			return err
		}
		next := cur.Member
		set(&next.Name, p.Name)
		set(&next.Affiliation, p.Affiliation)
		set(&next.Phone, p.Phone)
		set(&next.Email, p.Email)
		set(&next.Status, p.Status)
		set(&next.Education, p.Education)
		var fe apperr.Fields
		s.validate(&next, p.RRN, &fe)
		if err := fe.Err(); err != nil {
			return err
		}
		enc := cur.rrnEnc
		if p.RRN != nil {
			if enc, err = s.Box.Seal(strings.TrimSpace(*p.RRN)); err != nil {
				return err
			}
			next.RRNMasked = maskIf(*p.RRN)
		}
		next.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, `UPDATE members SET name = $1, affiliation = $2, phone = $3, email = $4, status = $5, rrn_enc = $6, education = $7, updated_at = $8 WHERE id = $9`,
			next.Name, next.Affiliation, next.Phone, next.Email, next.Status, enc, next.Education, now, id); err != nil {
			return err
		}
		out = next
		return audit.Record(ctx, tx, now, a, audit.Change{Site: cur.Site, Action: "member.update", Entity: "member", EntityID: id, Before: cur.Member, After: next})
	})
	return out, err
}

func set(dst *string, v *string) {
	if v != nil {
		*dst = strings.TrimSpace(*v)
	}
}

// RevealRRN returns the full resident registration number. Only a role that
// may change the member's site may see it, and every reveal is audited.
func (s *Service) RevealRRN(ctx context.Context, a access.Actor, id int64) (string, error) {
	var plain string
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		m, err := s.load(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := a.CheckWrite(m.Site, "회원", "member"); err != nil {
			return apperr.New(apperr.Forbidden, "주민등록번호를 볼 권한이 없습니다.", "You may not reveal resident registration numbers.")
		}
		if m.rrnEnc == "" {
			return apperr.New(apperr.NotFound, "등록된 주민등록번호가 없습니다.", "No resident registration number on file.")
		}
		if plain, err = s.Box.Open(m.rrnEnc); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.Now(), a, audit.Change{Site: m.Site, Action: "member.reveal_rrn", Entity: "member", EntityID: id})
	})
	return secret.FormatRRN(plain), err
}

// List returns one page of the members the actor may read, newest first.
func (s *Service) List(ctx context.Context, a access.Actor, f Filter) (paging.Page[Member], error) {
	var fe apperr.Fields
	switch f.Status {
	case "", StatusActive, StatusDormant, StatusWithdrawn:
	default:
		fe.Add("status", "회원 상태는 active, dormant, withdrawn 중 하나입니다.", "status is active, dormant or withdrawn")
	}
	switch f.Field {
	case "", "login", "name", "affiliation", "phone", "email":
	default:
		fe.Add("field", "검색 항목은 login, name, affiliation, phone, email 중 하나입니다.", "field is login, name, affiliation, phone or email")
	}
	if err := fe.Err(); err != nil {
		return paging.Page[Member]{Page: f.Page, PerPage: f.PerPage, Items: []Member{}}, err
	}
	var w sqldb.Where
	if scope := a.ReadScope(); scope != nil {
		w.In("site", scope)
	}
	if f.Site != "" {
		w.Add("site = ?", f.Site)
	}
	if f.Status != "" {
		w.Add("status = ?", f.Status)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := sqldb.Like(q)
		switch f.Field {
		case "login", "name", "affiliation", "phone", "email":
			w.Add("LOWER("+f.Field+") LIKE ? ESCAPE '\\'", like)
		default:
			w.Add("(LOWER(login) LIKE ? ESCAPE '\\' OR LOWER(name) LIKE ? ESCAPE '\\')", like, like)
		}
	}
	return sqldb.ListPage(ctx, s.DB.Read(), "members", w, columns, "id DESC", f.Params, func(row sqldb.Scanner) (Member, error) {
		m, err := s.scan(row)
		return m.Member, err
	})
}
