package member

import (
	"context"
	"fmt"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Learner is what a training-voucher list shows of a member: the resident
// registration number masked (900101-1******), or in full in an export by a
// role that may reveal it.
type Learner struct {
	ID          int64  `json:"id"`
	Site        string `json:"site"`
	Login       string `json:"login"`
	Name        string `json:"name"`
	Affiliation string `json:"affiliation"`
	Phone       string `json:"phone"`
	Email       string `json:"email"`
	Education   string `json:"education"`
	RRN         string `json:"rrn"` // masked unless Revealed; "" when none on file
	Revealed    bool   `json:"revealed"`
}

// CanRevealRRN says whether the actor may see the resident registration
// numbers of the site's members in full (site_admin of the site, super_admin).
func CanRevealRRN(a access.Actor, site string) bool { return a.CanWrite(site) }

// Learners returns the members of ids that the actor may read, with their
// resident registration numbers masked (a list page).
func (s *Service) Learners(ctx context.Context, a access.Actor, ids []int64) (map[int64]Learner, error) {
	return s.learners(ctx, s.DB.Read(), a, ids, false)
}

// MaxExportLearners bounds one learner export.
const MaxExportLearners = 100_000

// ExportLearners returns the members of ids for a learner export (회원
// EXCEL for HRD-Net). The resident registration numbers are in full only
// for the sites whose numbers the actor may reveal, and then only with a
// reason; for the others they stay masked. Every export is audited with
// the reason, the number of rows and whether numbers were revealed (never
// the numbers themselves). source names the screen (e.g. voucher-orders).
func (s *Service) ExportLearners(ctx context.Context, a access.Actor, ids []int64, reason string, rows int, source string) (map[int64]Learner, error) {
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) > 500 {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "사유는 500자 이하입니다.", English: "reason must have at most 500 characters.",
			Fields: []apperr.FieldError{{Location: "reason", Message: "500자 이하입니다.", English: "at most 500 characters"}}}
	}
	if len(ids) > MaxExportLearners {
		return nil, apperr.New(apperr.Invalid, fmt.Sprintf("한 번에 %d명까지 내려받을 수 있습니다. 조건을 좁혀 주세요.", MaxExportLearners),
			fmt.Sprintf("at most %d learners at once; narrow the filter", MaxExportLearners))
	}
	var out map[int64]Learner
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		var err error
		if out, err = s.learners(ctx, tx, a, ids, true); err != nil {
			return err
		}
		revealed, sites := 0, map[string]bool{}
		for _, l := range out {
			sites[l.Site] = true
			if l.Revealed {
				revealed++
			}
		}
		if revealed > 0 && reason == "" {
			return &apperr.Error{Code: apperr.Invalid, Message: "주민등록번호가 담긴 회원 EXCEL은 사유를 적어야 내려받을 수 있습니다.",
				English: "A learner export with resident registration numbers needs a reason.",
				Fields:  []apperr.FieldError{{Location: "reason", Message: "사유를 적어 주세요.", English: "required"}}}
		}
		site := ""
		if len(sites) == 1 {
			for k := range sites {
				site = k
			}
		}
		return audit.Record(ctx, tx, s.Now(), a, audit.Change{Site: site, Action: "member.export_rrn", Entity: "member_export", EntityID: source,
			After: map[string]any{"reason": reason, "rows": rows, "members": len(out), "revealed": revealed}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// learners loads the members of ids, 500 at a time; with reveal, the numbers
// of the sites the actor may reveal are opened in full.
func (s *Service) learners(ctx context.Context, q sqldb.Querier, a access.Actor, ids []int64, reveal bool) (map[int64]Learner, error) {
	out := make(map[int64]Learner, len(ids))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		var w sqldb.Where
		ph := make([]string, len(chunk))
		for i, id := range chunk {
			ph[i] = w.Arg(id)
		}
		w.Add("id IN (" + strings.Join(ph, ", ") + ")")
		rows, err := q.QueryContext(ctx, `SELECT id, site, login, name, affiliation, phone, email, education, rrn_enc FROM members`+w.SQL(), w.Args()...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var l Learner
			var enc string
			if err := rows.Scan(&l.ID, &l.Site, &l.Login, &l.Name, &l.Affiliation, &l.Phone, &l.Email, &l.Education, &enc); err != nil {
				rows.Close()
				return nil, err
			}
			if !a.CanRead(l.Site) {
				continue
			}
			if enc != "" {
				plain, err := s.Box.Open(enc)
				if err != nil {
					rows.Close()
					return nil, fmt.Errorf("member %d: %w", l.ID, err)
				}
				if reveal && CanRevealRRN(a, l.Site) {
					l.RRN, l.Revealed = secret.FormatRRN(plain), true
				} else {
					l.RRN = secret.MaskRRN(plain)
				}
			}
			out[l.ID] = l
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
