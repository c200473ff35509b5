// Package audit keeps the log of every staff mutation: who, when, what,
// before and after. Rows are written in the transaction of the change itself.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Entry is one audited action.
type Entry struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	ActorID    int64     `json:"actor_id"`
	ActorLogin string    `json:"actor_login"`
	Site       string    `json:"site"`
	Action     string    `json:"action"`
	Entity     string    `json:"entity"`
	EntityID   string    `json:"entity_id"`
	Before     string    `json:"before"`
	After      string    `json:"after"`
	RequestID  string    `json:"request_id"`
}

// Change describes what an action did to one record.
type Change struct {
	Site     string
	Action   string // e.g. member.create, member.update, member.reveal_rrn
	Entity   string // e.g. member
	EntityID any
	Before   any // nil when created
	After    any // nil when deleted or only read
}

// Record writes the change in the caller's transaction.
func Record(ctx context.Context, q sqldb.Querier, now time.Time, a access.Actor, c Change) error {
	before, err := encode(c.Before)
	if err != nil {
		return err
	}
	after, err := encode(c.After)
	if err != nil {
		return err
	}
	var actorID any
	if a.StaffID != 0 {
		actorID = a.StaffID
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_log
		(at, business_day, actor_id, actor_login, site, action, entity, entity_id, before_json, after_json, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		sqldb.Instant(now), kst.Day(now), actorID, a.Login, c.Site, c.Action, c.Entity, fmt.Sprint(c.EntityID), before, after, a.RequestID)
	if err != nil {
		return fmt.Errorf("audit %s: %w", c.Action, err)
	}
	return nil
}

func encode(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// Filter narrows the audit list.
type Filter struct {
	From, To string // Seoul business days, both included
	Entity   string
	EntityID string
	Actor    string
	Action   string
	paging.Params
}

// Service reads the audit log.
type Service struct{ DB *sqldb.DB }

// List returns the newest entries first. A site_admin or viewer sees the
// entries of its sites only; entries without a site (staff accounts, sites)
// only a super_admin sees.
func (s *Service) List(ctx context.Context, a access.Actor, f Filter) (paging.Page[Entry], error) {
	var fe apperr.Fields
	for _, d := range []struct{ name, v string }{{"from", f.From}, {"to", f.To}} {
		if d.v != "" {
			if _, err := kst.ParseDay(d.v); err != nil {
				fe.Add(d.name, "날짜는 실제 있는 날짜(YYYY-MM-DD)여야 합니다.", "dates are real days as YYYY-MM-DD")
			}
		}
	}
	if fe == nil && f.From != "" && f.To != "" && f.To < f.From {
		fe.Add("to", "끝 날짜가 시작 날짜보다 앞섭니다.", "to is before from")
	}
	if fe != nil {
		return paging.Page[Entry]{Items: []Entry{}}, fe.Err()
	}
	var w sqldb.Where
	if !a.AllSites() {
		w.In("site", a.ReadScope())
	}
	if f.From != "" {
		w.Add("business_day >= ?", f.From)
	}
	if f.To != "" {
		w.Add("business_day <= ?", f.To)
	}
	if f.Entity != "" {
		w.Add("entity = ?", f.Entity)
	}
	if f.EntityID != "" {
		w.Add("entity_id = ?", f.EntityID)
	}
	if f.Actor != "" {
		w.Add("actor_login = ?", f.Actor)
	}
	if f.Action != "" {
		w.Add("action = ?", f.Action)
	}
	return sqldb.ListPage(ctx, s.DB.Read(), "audit_log", w,
		"id, at, COALESCE(actor_id, 0), actor_login, site, action, entity, entity_id, before_json, after_json, request_id", "id DESC", f.Params,
		func(row sqldb.Scanner) (Entry, error) {
			var e Entry
			err := row.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorLogin, &e.Site, &e.Action, &e.Entity, &e.EntityID, &e.Before, &e.After, &e.RequestID)
			return e, err
		})
}
