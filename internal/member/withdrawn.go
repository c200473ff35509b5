package member

import (
	"context"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Account names a member as lists show one: the site and the login.
type Account struct{ Site, Login string }

// Withdrawn tells which of the accounts are withdrawn members (탈퇴회원),
// among those the actor may read: the lists print "박주란 (탈퇴회원)" in place
// of the login, as the manual's 배송관리 does. One query for a page.
func (s *Service) Withdrawn(ctx context.Context, a access.Actor, accounts []Account) (map[Account]bool, error) {
	out := map[Account]bool{}
	var w sqldb.Where
	w.Add("status = 'withdrawn'")
	seen := map[string]bool{}
	var logins []string
	for _, ac := range accounts {
		if !seen[ac.Login] {
			seen[ac.Login] = true
			logins = append(logins, ac.Login)
		}
	}
	if len(logins) == 0 {
		return out, nil
	}
	w.In("login", logins)
	if scope := a.ReadScope(); scope != nil {
		w.In("site", scope)
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT site, login FROM members`+w.SQL(), w.Args()...)
	err = sqldb.ScanEach(rows, err, func(row sqldb.Scanner) error {
		var ac Account
		if err := row.Scan(&ac.Site, &ac.Login); err != nil {
			return err
		}
		out[ac] = true
		return nil
	})
	return out, err
}
