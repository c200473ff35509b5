// Package site manages the tenants: `common` plus one per business (맑은소프트 ...).
package site

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Site is a tenant.
type Site struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Service manages sites.
type Service struct {
	DB  *sqldb.DB
	Now func() time.Time
}

var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,31}$`)

// List returns the sites the actor may read, by code.
func (s *Service) List(ctx context.Context, a access.Actor) ([]Site, error) {
	var w sqldb.Where
	if scope := a.ReadScope(); scope != nil {
		w.In("code", scope)
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT code, name, created_at FROM sites`+w.SQL()+` ORDER BY code = 'common' DESC, code`, w.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Site{}
	for rows.Next() {
		var st Site
		if err := rows.Scan(&st.Code, &st.Name, &st.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// Create adds a site; only a super_admin may.
func (s *Service) Create(ctx context.Context, a access.Actor, in Site) (Site, error) {
	if err := a.RequireSuper(); err != nil {
		return Site{}, err
	}
	in.Code = strings.TrimSpace(in.Code)
	in.Name = strings.TrimSpace(in.Name)
	var fe apperr.Fields
	if !codePattern.MatchString(in.Code) {
		fe.Add("code", "사이트 코드는 영문 소문자·숫자·-·_ 2~32자입니다.", "Site code must be 2-32 lowercase letters, digits, - or _.")
	}
	if in.Name == "" {
		fe.Add("name", "사이트 이름을 입력해 주세요.", "Site name is required.")
	}
	if err := fe.Err(); err != nil {
		return Site{}, err
	}
	in.CreatedAt = sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sites (code, name, created_at) VALUES ($1, $2, $3)`, in.Code, in.Name, in.CreatedAt); err != nil {
			if sqldb.IsUniqueViolation(err) {
				return &apperr.Error{Code: apperr.Conflict, Message: "이미 있는 사이트 코드입니다.", English: "A site with this code exists.",
					Fields: []apperr.FieldError{{Location: "code", Message: "이미 있는 사이트 코드입니다.", English: "already exists"}}}
			}
			return err
		}
		return audit.Record(ctx, tx, s.Now(), a, audit.Change{Site: in.Code, Action: "site.create", Entity: "site", EntityID: in.Code, After: in})
	})
	return in, err
}

// Get returns one site the actor may read.
func (s *Service) Get(ctx context.Context, a access.Actor, code string) (Site, error) {
	if err := a.CheckRead(code, "사이트", "site"); err != nil {
		return Site{}, err
	}
	var st Site
	err := s.DB.Read().QueryRowContext(ctx, `SELECT code, name, created_at FROM sites WHERE code = $1`, code).Scan(&st.Code, &st.Name, &st.CreatedAt)
	return st, sqldb.NotFound(err, "사이트", "site")
}

// Rename changes a site's name; only a super_admin may. The code never
// changes (records refer to it).
func (s *Service) Rename(ctx context.Context, a access.Actor, code, name string) (Site, error) {
	if err := a.RequireSuper(); err != nil {
		return Site{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return Site{}, &apperr.Error{Code: apperr.Invalid, Message: "사이트 이름을 입력해 주세요.", English: "Site name is required.",
			Fields: []apperr.FieldError{{Location: "name", Message: "사이트 이름을 입력해 주세요.", English: "required"}}}
	}
	var out Site
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		var before Site
		if err := tx.QueryRowContext(ctx, `SELECT code, name, created_at FROM sites WHERE code = $1`, code).Scan(&before.Code, &before.Name, &before.CreatedAt); err != nil {
			return sqldb.NotFound(err, "사이트", "site")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sites SET name = $1 WHERE code = $2`, name, code); err != nil {
			return err
		}
		out = before
		out.Name = name
		return audit.Record(ctx, tx, s.Now(), a, audit.Change{Site: code, Action: "site.rename", Entity: "site", EntityID: code, Before: before, After: out})
	})
	return out, err
}
