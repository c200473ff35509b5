package member_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/site"
)

func setup(t *testing.T, db *sqldb.DB) *member.Service {
	t.Helper()
	now := func() time.Time { return time.Date(2020, 1, 16, 9, 4, 54, 0, time.UTC) }
	sites := &site.Service{DB: db, Now: now}
	for _, code := range []string{"malgn", "other"} {
		if _, err := sites.Create(context.Background(), access.System(), site.Site{Code: code, Name: code}); err != nil {
			t.Fatal(err)
		}
	}
	box, err := secret.NewBox(bytes.Repeat([]byte{1}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return &member.Service{DB: db, Box: box, Now: now}
}

func auditCount(t *testing.T, db *sqldb.DB, action string) int {
	t.Helper()
	page, err := (&audit.Service{DB: db}).List(context.Background(), access.System(), audit.Filter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return page.Total
}

func TestCreateValidates(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := setup(t, db)
		ctx := context.Background()
		admin := access.Actor{StaffID: 0, Login: "a", Role: access.SiteAdmin, Sites: []string{"malgn"}}
		tests := []struct {
			name  string
			in    member.Input
			code  apperr.Code
			field string
		}{
			{"no name", member.Input{Site: "malgn", Login: "hong1"}, apperr.Invalid, "name"},
			{"bad login", member.Input{Site: "malgn", Login: "홍", Name: "홍길동"}, apperr.Invalid, "login"},
			{"bad rrn", member.Input{Site: "malgn", Login: "hong1", Name: "홍길동", RRN: "12345"}, apperr.Invalid, "rrn"},
			{"bad email", member.Input{Site: "malgn", Login: "hong1", Name: "홍길동", Email: "nope"}, apperr.Invalid, "email"},
			{"bad status", member.Input{Site: "malgn", Login: "hong1", Name: "홍길동", Status: "gone"}, apperr.Invalid, "status"},
			{"other site", member.Input{Site: "other", Login: "hong1", Name: "홍길동"}, apperr.NotFound, ""},
		}
		for _, tt := range tests {
			_, err := svc.Create(ctx, admin, tt.in)
			e, ok := apperr.As(err)
			if !ok || e.Code != tt.code {
				t.Errorf("%s: error %v, want code %s", tt.name, err, tt.code)
				continue
			}
			if tt.field != "" && (len(e.Fields) == 0 || e.Fields[0].Location != tt.field) {
				t.Errorf("%s: fields %+v, want %s", tt.name, e.Fields, tt.field)
			}
		}
		page, err := svc.List(ctx, access.System(), member.Filter{})
		if err != nil || page.Total != 0 {
			t.Fatalf("refused input stored members: %d (%v)", page.Total, err)
		}
		if n := auditCount(t, db, "member.create"); n != 0 {
			t.Fatalf("refused input audited %d creations", n)
		}
	})
}

func TestRRNIsEncryptedMaskedAndRevealAudited(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := setup(t, db)
		ctx := context.Background()
		admin := access.Actor{StaffID: 0, Login: "a", Role: access.SiteAdmin, Sites: []string{"malgn"}}
		m, err := svc.Create(ctx, admin, member.Input{Site: "malgn", Login: "sample122", Name: "홍길동2", RRN: "750101-1234567", Education: "university"})
		if err != nil {
			t.Fatal(err)
		}
		if m.RRNMasked != "750101-1******" {
			t.Fatalf("masked = %q", m.RRNMasked)
		}
		var raw string
		if err := db.Read().QueryRowContext(ctx, `SELECT rrn_enc FROM members WHERE id = $1`, m.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if raw == "" || strings.Contains(raw, "1234567") {
			t.Fatalf("stored rrn is not encrypted: %q", raw)
		}
		got, err := svc.Get(ctx, admin, m.ID)
		if err != nil || got.RRNMasked != "750101-1******" {
			t.Fatalf("Get masked = %q, %v", got.RRNMasked, err)
		}
		viewer := access.Actor{Login: "v", Role: access.Viewer, Sites: []string{"malgn"}}
		if _, err := svc.RevealRRN(ctx, viewer, m.ID); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("viewer reveal: %v, want forbidden", err)
		}
		plain, err := svc.RevealRRN(ctx, admin, m.ID)
		if err != nil || plain != "750101-1234567" {
			t.Fatalf("reveal = %q, %v", plain, err)
		}
		if n := auditCount(t, db, "member.reveal_rrn"); n != 1 {
			t.Fatalf("reveal audited %d times, want 1", n)
		}
	})
}

func TestSiteScoping(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := setup(t, db)
		ctx := context.Background()
		theirs, err := svc.Create(ctx, access.System(), member.Input{Site: "other", Login: "x1", Name: "남의회원"})
		if err != nil {
			t.Fatal(err)
		}
		mine, err := svc.Create(ctx, access.System(), member.Input{Site: "malgn", Login: "m1", Name: "우리회원"})
		if err != nil {
			t.Fatal(err)
		}
		admin := access.Actor{Login: "a", Role: access.SiteAdmin, Sites: []string{"malgn"}}
		if _, err := svc.Get(ctx, admin, theirs.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("Get other site's member: %v, want not_found", err)
		}
		name := "바뀜"
		if _, err := svc.Update(ctx, admin, theirs.ID, member.Patch{Name: &name}); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("Update other site's member: %v, want not_found", err)
		}
		page, err := svc.List(ctx, admin, member.Filter{})
		if err != nil || page.Total != 1 || page.Items[0].ID != mine.ID {
			t.Fatalf("List = %+v, %v; want only own member", page, err)
		}
		viewer := access.Actor{Login: "v", Role: access.Viewer, Sites: []string{"malgn"}}
		if _, err := svc.Update(ctx, viewer, mine.ID, member.Patch{Name: &name}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("viewer update: %v, want forbidden", err)
		}
		got, _ := svc.Get(ctx, access.System(), theirs.ID)
		if got.Name != "남의회원" {
			t.Fatalf("refused update changed the name to %q", got.Name)
		}
	})
}

func TestDuplicateLoginAndUpdate(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := setup(t, db)
		ctx := context.Background()
		sys := access.System()
		m, err := svc.Create(ctx, sys, member.Input{Site: "malgn", Login: "hong", Name: "홍길동"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Create(ctx, sys, member.Input{Site: "malgn", Login: "hong", Name: "홍길동"}); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("duplicate login: %v, want conflict", err)
		}
		if _, err := svc.Create(ctx, sys, member.Input{Site: "other", Login: "hong", Name: "다른사이트"}); err != nil {
			t.Fatalf("same login on another site: %v", err)
		}
		st, empty := member.StatusWithdrawn, ""
		got, err := svc.Update(ctx, sys, m.ID, member.Patch{Status: &st})
		if err != nil || got.Status != member.StatusWithdrawn || got.Name != "홍길동" {
			t.Fatalf("Update = %+v, %v", got, err)
		}
		if _, err := svc.Update(ctx, sys, m.ID, member.Patch{Name: &empty}); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("empty name: %v, want invalid", err)
		}
		page, err := svc.List(ctx, sys, member.Filter{Q: "HON", Field: "login", Status: member.StatusWithdrawn})
		if err != nil || page.Total != 1 {
			t.Fatalf("search = %d, %v", page.Total, err)
		}
		if n := auditCount(t, db, "member.update"); n != 1 {
			t.Fatalf("updates audited %d, want 1", n)
		}
	})
}

// TestWithdrawnAccounts: the lists learn which buyers are 탈퇴회원 by site
// and login, within the actor's sites.
func TestWithdrawnAccounts(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := setup(t, db)
		ctx := context.Background()
		sys := access.System()
		for _, in := range []member.Input{{Site: "malgn", Login: "gone", Name: "박주란"}, {Site: "other", Login: "gone", Name: "다른"}, {Site: "malgn", Login: "here", Name: "홍길동"}} {
			m, err := svc.Create(ctx, sys, in)
			if err != nil {
				t.Fatal(err)
			}
			if in.Name != "홍길동" {
				st := "withdrawn"
				if _, err := svc.Update(ctx, sys, m.ID, member.Patch{Status: &st}); err != nil {
					t.Fatal(err)
				}
			}
		}
		ask := []member.Account{{Site: "malgn", Login: "gone"}, {Site: "malgn", Login: "here"}, {Site: "other", Login: "gone"}, {Site: "malgn", Login: "nobody"}}
		got, err := svc.Withdrawn(ctx, sys, ask)
		if err != nil || len(got) != 2 || !got[ask[0]] || !got[ask[2]] {
			t.Fatalf("withdrawn %v (%v), want malgn/gone and other/gone", got, err)
		}
		admin := access.Actor{Login: "a", Role: access.SiteAdmin, Sites: []string{"malgn"}}
		if got, err = svc.Withdrawn(ctx, admin, ask); err != nil || len(got) != 1 || !got[ask[0]] {
			t.Fatalf("malgn's admin learns %v (%v), want malgn/gone only", got, err)
		}
		if got, err = svc.Withdrawn(ctx, sys, nil); err != nil || len(got) != 0 {
			t.Fatalf("no accounts: %v %v", got, err)
		}
	})
}
