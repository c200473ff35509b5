package staff_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/site"
	"github.com/orderdesk/orderdesk/internal/staff"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func setup(t *testing.T, db *sqldb.DB) (*staff.Service, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)}
	if _, err := (&site.Service{DB: db, Now: c.Now}).Create(context.Background(), access.System(), site.Site{Code: "malgn", Name: "맑은소프트"}); err != nil {
		t.Fatal(err)
	}
	return &staff.Service{DB: db, Now: c.Now, Throttle: staff.NewThrottle()}, c
}

func TestCreateRefusesBadInput(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc, _ := setup(t, db)
		ctx := context.Background()
		sys := access.System()
		if _, err := svc.Create(ctx, sys, staff.NewStaff{Login: "kim", Password: "correct horse", Role: access.SiteAdmin, Sites: []string{"malgn"}}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			in   staff.NewStaff
			code apperr.Code
			msg  string
		}{
			{"unknown role", staff.NewStaff{Login: "lee", Password: "correct horse", Role: "root"}, apperr.Invalid, "root"},
			{"duplicate login", staff.NewStaff{Login: "kim", Password: "correct horse", Role: access.SuperAdmin}, apperr.Conflict, "kim"},
			{"short password", staff.NewStaff{Login: "lee", Password: "short", Role: access.SuperAdmin}, apperr.Invalid, "10"},
			{"admin without site", staff.NewStaff{Login: "lee", Password: "correct horse", Role: access.SiteAdmin}, apperr.Invalid, "site"},
			{"unknown site", staff.NewStaff{Login: "lee", Password: "correct horse", Role: access.Viewer, Sites: []string{"nowhere"}}, apperr.Invalid, "nowhere"},
		}
		for _, tt := range tests {
			_, err := svc.Create(ctx, sys, tt.in)
			if apperr.CodeOf(err) != tt.code || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%s: %v, want %s mentioning %q", tt.name, err, tt.code, tt.msg)
			}
		}
		if n, _ := svc.Count(ctx); n != 1 {
			t.Fatalf("staff count = %d after refused input, want 1", n)
		}
		kim := access.Actor{StaffID: 1, Login: "kim", Role: access.SiteAdmin, Sites: []string{"malgn"}}
		if _, err := svc.Create(ctx, kim, staff.NewStaff{Login: "lee", Password: "correct horse", Role: access.SuperAdmin}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("site_admin creating staff: %v", err)
		}
	})
}

func TestLoginSessionLogoutAndThrottle(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc, clk := setup(t, db)
		ctx := context.Background()
		pw, created, err := svc.EnsureInitialAdmin(ctx, "")
		if err != nil || !created || len(pw) < 16 {
			t.Fatalf("EnsureInitialAdmin = %q, %v, %v", pw, created, err)
		}
		if _, again, _ := svc.EnsureInitialAdmin(ctx, ""); again {
			t.Fatalf("second EnsureInitialAdmin created another admin")
		}
		if _, _, err := svc.Login(ctx, "admin", "wrong password", "10.0.0.1", "t"); err != staff.ErrBadCredentials {
			t.Fatalf("wrong password: %v", err)
		}
		tok, st, err := svc.Login(ctx, "admin", pw, "10.0.0.1", "t")
		if err != nil || st.Role != access.SuperAdmin {
			t.Fatalf("login: %v", err)
		}
		if got, err := svc.Session(ctx, tok); err != nil || got.Login != "admin" {
			t.Fatalf("Session = %+v, %v", got, err)
		}
		if err := svc.Logout(ctx, st.Actor(), tok); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Session(ctx, tok); err != staff.ErrNoSession {
			t.Fatalf("session after logout: %v", err)
		}
		tok2, _, err := svc.Login(ctx, "admin", pw, "10.0.0.1", "t")
		if err != nil {
			t.Fatal(err)
		}
		clk.t = clk.t.Add(13 * time.Hour)
		if _, err := svc.Session(ctx, tok2); err != staff.ErrNoSession {
			t.Fatalf("expired session: %v", err)
		}
		for i := 0; i < 5; i++ {
			_, _, _ = svc.Login(ctx, "admin", "wrong", "10.0.0.2", "t")
		}
		if _, _, err := svc.Login(ctx, "admin", pw, "10.0.0.3", "t"); !errors.Is(err, staff.ErrThrottled) {
			t.Fatalf("after 5 failures: %v, want throttled", err)
		}
		clk.t = clk.t.Add(16 * time.Minute)
		if _, _, err := svc.Login(ctx, "admin", pw, "10.0.0.3", "t"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc, _ := setup(t, db)
		ctx := context.Background()
		sys := access.System()
		kim, err := svc.Create(ctx, sys, staff.NewStaff{Login: "kim", Password: "correct horse", Role: access.SiteAdmin, Sites: []string{"malgn"}})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := svc.CreateToken(ctx, sys, "kim", "script")
		if err != nil || !strings.HasPrefix(tok, staff.TokenPrefix) {
			t.Fatalf("CreateToken = %q, %v", tok, err)
		}
		var stored int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1`, tok).Scan(&stored); err != nil || stored != 0 {
			t.Fatalf("token stored in clear (%d, %v)", stored, err)
		}
		got, err := svc.Token(ctx, tok)
		if err != nil || got.Login != "kim" || len(got.Sites) != 1 || got.Sites[0] != "malgn" {
			t.Fatalf("Token = %+v, %v", got, err)
		}
		if _, err := svc.Token(ctx, tok+"x"); err != staff.ErrNoSession {
			t.Fatalf("wrong token: %v", err)
		}
		if err := svc.SetDisabled(ctx, sys, kim.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Token(ctx, tok); err != staff.ErrNoSession {
			t.Fatalf("token of a disabled account: %v", err)
		}
		if _, err := svc.CreateToken(ctx, sys, "nobody", ""); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("token for unknown login: %v", err)
		}
	})
}

// TestTokenCache: a process answers a token it has seen from memory for
// TokenCacheTTL. Revoked through the same Service it stops at once; revoked
// through another (another serve process) it stops once the TTL has passed.
func TestTokenCache(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc, c := setup(t, db)
		other := &staff.Service{DB: db, Now: c.Now, Throttle: staff.NewThrottle()}
		ctx := context.Background()
		sys := access.System()
		if _, err := svc.Create(ctx, sys, staff.NewStaff{Login: "kim", Password: "correct horse", Role: access.SiteAdmin, Sites: []string{"malgn"}}); err != nil {
			t.Fatal(err)
		}
		kim, err := svc.ByLogin(ctx, "kim")
		if err != nil {
			t.Fatal(err)
		}
		kimActor := access.Actor{StaffID: kim.ID, Login: "kim", Role: access.SiteAdmin, Sites: []string{"malgn"}}
		revokeByName := func(s *staff.Service, name string) {
			t.Helper()
			page, err := s.Tokens(ctx, kimActor, paging.Params{Page: 1, PerPage: 50})
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range page.Items {
				if tk.Name == name {
					if err := s.RevokeToken(ctx, kimActor, tk.ID); err != nil {
						t.Fatal(err)
					}
					return
				}
			}
			t.Fatalf("no token %q", name)
		}
		here, err := svc.CreateToken(ctx, sys, "kim", "here")
		if err != nil {
			t.Fatal(err)
		}
		there, err := svc.CreateToken(ctx, sys, "kim", "there")
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{here, there} {
			got, err := svc.Token(ctx, tok)
			if err != nil || got.Login != "kim" {
				t.Fatalf("Token = %+v, %v", got, err)
			}
			got.Sites[0] = "changed by a caller" // must not reach the cache
		}
		if got, err := svc.Token(ctx, here); err != nil || got.Sites[0] != "malgn" {
			t.Fatalf("cached Token = %+v, %v", got, err)
		}

		revokeByName(svc, "here")
		if _, err := svc.Token(ctx, here); err != staff.ErrNoSession {
			t.Fatalf("token revoked through this process: %v", err)
		}

		if _, err := svc.Token(ctx, there); err != nil { // cached again (the revocation emptied the cache)
			t.Fatal(err)
		}
		revokeByName(other, "there")
		if _, err := other.Token(ctx, there); err != staff.ErrNoSession {
			t.Fatalf("token revoked, asked of the revoking process: %v", err)
		}
		c.t = c.t.Add(staff.TokenCacheTTL - time.Millisecond)
		if _, err := svc.Token(ctx, there); err != nil {
			t.Fatalf("within the TTL the other process still answers from memory: %v", err)
		}
		c.t = c.t.Add(time.Millisecond)
		if _, err := svc.Token(ctx, there); err != staff.ErrNoSession {
			t.Fatalf("token revoked elsewhere, after the TTL: %v", err)
		}
	})
}
