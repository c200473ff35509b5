package catalog_test

import (
	"context"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/site"
)

func TestValidateByKind(t *testing.T) {
	tests := []struct {
		name  string
		p     catalog.Product
		field string // "" = valid
	}{
		{"always-open course", catalog.Product{Site: "s", Kind: "course", Name: "영화이야기", Delivery: "online", Schedule: "always_open", AccessDays: 90}, ""},
		{"scheduled course", catalog.Product{Site: "s", Kind: "course", Name: "전자상거래", Delivery: "offline", Schedule: "scheduled", StartDate: "2020-03-01", EndDate: "2020-03-31"}, ""},
		{"scheduled backwards", catalog.Product{Site: "s", Kind: "course", Name: "x", Delivery: "online", Schedule: "scheduled", StartDate: "2020-03-31", EndDate: "2020-03-01"}, "end_date"},
		{"scheduled no dates", catalog.Product{Site: "s", Kind: "course", Name: "x", Delivery: "online", Schedule: "scheduled"}, "start_date"},
		{"course no delivery", catalog.Product{Site: "s", Kind: "course", Name: "x", Schedule: "always_open", AccessDays: 1}, "delivery"},
		{"always-open no days", catalog.Product{Site: "s", Kind: "course", Name: "x", Delivery: "online", Schedule: "always_open"}, "access_days"},
		{"bad policy", catalog.Product{Site: "s", Kind: "course", Name: "x", Delivery: "online", Schedule: "always_open", AccessDays: 1, RefundPolicy: "never"}, "refund_policy"},
		{"textbook", catalog.Product{Site: "s", Kind: "textbook", Name: "포토샵 교재", ISBN: "978-89-1234-567-8", ShippingFee: 2500}, ""},
		{"bad isbn", catalog.Product{Site: "s", Kind: "textbook", Name: "x", ISBN: "12"}, "isbn"},
		{"negative price", catalog.Product{Site: "s", Kind: "textbook", Name: "x", ListPrice: -1}, "list_price"},
		{"freepass no days", catalog.Product{Site: "s", Kind: "freepass", Name: "x"}, "access_days"},
		{"unknown kind", catalog.Product{Site: "s", Kind: "car", Name: "x"}, "kind"},
		{"no name", catalog.Product{Site: "s", Kind: "extension", AccessDays: 30}, "name"},
	}
	for _, tt := range tests {
		p := tt.p
		err := catalog.Validate(&p)
		if tt.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.Invalid || len(e.Fields) == 0 || e.Fields[0].Location != tt.field {
			t.Errorf("%s: error %v, want invalid %s", tt.name, err, tt.field)
		}
	}
}

func TestCreateUpdateList(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := func() time.Time { return time.Date(2020, 3, 20, 13, 0, 0, 0, time.UTC) }
		if _, err := (&site.Service{DB: db, Now: now}).Create(ctx, access.System(), site.Site{Code: "malgn", Name: "맑은소프트"}); err != nil {
			t.Fatal(err)
		}
		svc := &catalog.Service{DB: db, Now: now}
		admin := access.Actor{Login: "a", Role: access.SiteAdmin, Sites: []string{"malgn"}}
		c, err := svc.Create(ctx, admin, catalog.Product{Site: "malgn", Kind: "course", Name: "전자상거래 근로자카드", Delivery: "online",
			Schedule: "always_open", AccessDays: 60, GovRefundable: true, ListPrice: 300000, SalePrice: 300000, CohortYear: 2020, CohortRound: 4})
		if err != nil {
			t.Fatal(err)
		}
		if c.RefundPolicy != "hrd_self_pay" {
			t.Errorf("voucher course default policy = %q", c.RefundPolicy)
		}
		if _, err := svc.Create(ctx, admin, catalog.Product{Site: "common", Kind: "textbook", Name: "x"}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("site_admin writing common: %v", err)
		}
		b, err := svc.Create(ctx, admin, catalog.Product{Site: "malgn", Kind: "textbook", Name: "포토샵 교재", ListPrice: 18000, SalePrice: 18000, ShippingFee: 2500})
		if err != nil {
			t.Fatal(err)
		}
		got, err := svc.Update(ctx, admin, b.ID, func(p *catalog.Product) error { p.Display = "hidden"; p.Kind = "course"; return nil })
		if err != nil || got.Display != "hidden" || got.Kind != "textbook" {
			t.Fatalf("Update = %+v, %v", got, err)
		}
		page, err := svc.List(ctx, admin, catalog.Filter{Kind: "textbook", Display: "hidden", Q: "포토샵"})
		if err != nil || page.Total != 1 || page.Items[0].ID != b.ID {
			t.Fatalf("List = %+v, %v", page, err)
		}
		reread, err := svc.Get(ctx, admin, c.ID)
		if err != nil || reread.ListPrice != 300000 || !reread.GovRefundable || reread.CohortRound != 4 {
			t.Fatalf("Get = %+v, %v", reread, err)
		}
	})
}
