package app

import (
	"context"
	"fmt"
	"io"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/site"
)

// DemoSite is the site of the manual's screens.
const DemoSite = "malgn"

// LoadDemo loads the sites, members and products of the operator manual's
// screens. It is idempotent: a second run finds the demo site and stops.
func (a *App) LoadDemo(ctx context.Context, w io.Writer) error {
	sys := access.System()
	if _, err := a.Sites.Get(ctx, sys, DemoSite); err == nil {
		fmt.Fprintln(w, "demo data is already loaded")
		return nil
	}
	if _, err := a.Sites.Create(ctx, sys, site.Site{Code: DemoSite, Name: "맑은소프트"}); err != nil {
		return err
	}
	members := []member.Input{
		{Login: "malign", Name: "운영자", Affiliation: "맑은소프트", Phone: "02-000-0000", Email: "admin@example.com"},
		{Login: "sample1", Name: "홍길동1", Phone: "010-0000-0000", RRN: "900101-1111111", Education: "university", Affiliation: "(주)샘플"},
		{Login: "sample122", Name: "홍길동2", Phone: "010-0000-0122", RRN: "111111-1111122", Education: "university", Affiliation: "(주)샘플"},
		{Login: "sample2122", Name: "홍길금2", Phone: "010-0000-2122", Email: "hoge@naver.com"},
		{Login: "sample7122", Name: "홍길금7", Phone: "010-0000-7122", RRN: "850505-2222222", Education: "high_school"},
		{Login: "hong040", Name: "홍길동40", Phone: "010-0000-0040"},
		{Login: "park", Name: "박주란", Status: member.StatusWithdrawn},
	}
	for _, m := range members {
		m.Site = DemoSite
		if _, err := a.Members.Create(ctx, sys, m); err != nil {
			return fmt.Errorf("demo member %s: %w", m.Login, err)
		}
	}
	products := []catalog.Product{
		{Kind: catalog.KindCourse, Name: "파워포인트 실무과정", Category: "OA", Delivery: "online", Schedule: "always_open", AccessDays: 90, ListPrice: 8000, SalePrice: 8000, StudyHours: 10},
		{Kind: catalog.KindCourse, Name: "영화이야기", Category: "교양", Delivery: "online", Schedule: "always_open", AccessDays: 2197, ListPrice: 300000, SalePrice: 300000, StudyHours: 30, RefundPolicy: "by_days"},
		{Kind: catalog.KindCourse, Name: "전자상거래 근로자카드", Category: "직무", Delivery: "online", Schedule: "scheduled", StartDate: "2020-06-08", EndDate: "2020-07-07", ListPrice: 300000, SalePrice: 300000, StudyHours: 40, GovRefundable: true, CohortYear: 2020, CohortRound: 4},
		{Kind: catalog.KindCourse, Name: "포토샵 기초", Category: "디자인", Delivery: "online", Schedule: "always_open", AccessDays: 60, ListPrice: 18000, SalePrice: 18000, StudyHours: 12, GovRefundable: true, CohortYear: 2019, CohortRound: 1},
		{Kind: catalog.KindTextbook, Name: "포토샵 교재", ListPrice: 10000, SalePrice: 10000, ISBN: "9788912345678", Author: "홍길동", Publisher: "맑은출판", ShippingFee: 0},
		{Kind: catalog.KindTextbook, Name: "전자기학", ListPrice: 25000, SalePrice: 25000, ISBN: "9788987654321", Author: "김철수", Publisher: "맑은출판", ShippingFee: 2500},
		{Kind: catalog.KindFreepass, Name: "전 과정 프리패스 1년", ListPrice: 390000, SalePrice: 290000, AccessDays: 365},
		{Kind: catalog.KindExtension, Name: "수강기간 30일 연장", ListPrice: 10000, SalePrice: 10000, AccessDays: 30},
	}
	for _, p := range products {
		p.Site = DemoSite
		if _, err := a.Catalog.Create(ctx, sys, p); err != nil {
			return fmt.Errorf("demo product %s: %w", p.Name, err)
		}
	}
	fmt.Fprintf(w, "demo data loaded: site %s, %d members, %d products\n", DemoSite, len(members), len(products))
	return nil
}
