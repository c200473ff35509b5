package staff

import (
	"context"
	"database/sql"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// APIToken is one live API token as its owner sees it: never the token
// itself nor its hash.
type APIToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Tokens lists the actor's own live API tokens, newest first.
func (s *Service) Tokens(ctx context.Context, a access.Actor, p paging.Params) (paging.Page[APIToken], error) {
	var w sqldb.Where
	w.Add("staff_id = ?", a.StaffID)
	w.Add("revoked_at IS NULL")
	return sqldb.ListPage(ctx, s.DB.Read(), "api_tokens", w, "id, name, created_at, last_used_at", "id DESC", p,
		func(row sqldb.Scanner) (APIToken, error) {
			var t APIToken
			var used sql.NullTime
			err := row.Scan(&t.ID, &t.Name, &t.CreatedAt, &used)
			if used.Valid {
				t.LastUsedAt = &used.Time
			}
			return t, err
		})
}

// RevokeToken ends an API token at once. A staff member revokes its own
// tokens; a super_admin anyone's. To anyone else another person's token does
// not exist (NotFound), nor does one already revoked.
func (s *Service) RevokeToken(ctx context.Context, a access.Actor, id int64) error {
	now := sqldb.Instant(s.Now())
	defer s.tokens.forget()
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		var owner int64
		var name, login string
		err := tx.QueryRowContext(ctx, `SELECT t.staff_id, t.name, st.login FROM api_tokens t JOIN staff st ON st.id = t.staff_id
			WHERE t.id = $1 AND t.revoked_at IS NULL`, id).Scan(&owner, &name, &login)
		if err != nil {
			return sqldb.NotFound(err, "API 토큰", "API token")
		}
		if owner != a.StaffID && !a.AllSites() {
			return apperr.NotFoundf("API 토큰", "API token")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, now, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "token.revoke", Entity: "api_token", EntityID: id,
			Before: map[string]any{"staff": login, "name": name}, After: map[string]any{"revoked": true}})
	})
}
