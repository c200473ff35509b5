package app

import (
	"context"
	"fmt"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/coupon"
)

// demoCoupons registers the manual's four coupons (쿠폰관리) with their
// codes, sites, periods and states, gives two B2B TEST codes to members, and
// answers the code each demo order uses: order 250 uses one of 과정 도서 쿠폰.
func (a *App) demoCoupons(ctx context.Context, memberID map[string]int64) (map[int64]string, error) {
	sys := access.System()
	svc := *a.Coupons
	svc.Now = func() time.Time { return time.Date(2019, 4, 1, 0, 0, 0, 0, time.UTC) }
	inputs := []coupon.Input{
		{Site: access.CommonSite, Name: "테스트 쿠폰", Scope: coupon.ScopeAll, Kind: coupon.KindFixed, Amount: 1000, Count: 20,
			ValidFrom: "2018-08-13", ValidTo: "2018-08-31", Status: coupon.StatusActive},
		{Site: DemoSite, Name: "맑은소프트 쿠폰", Scope: coupon.ScopeAll, Kind: coupon.KindFixed, Amount: 100, Shared: true,
			ValidFrom: "2020-08-12", ValidTo: "2020-08-29", Status: coupon.StatusActive},
		{Site: access.CommonSite, Name: "과정 도서 쿠폰", Scope: coupon.ScopeAll, MinPrice: 10000, Kind: coupon.KindFixed, Amount: 2000, Count: 10,
			ValidFrom: "2019-04-01", ValidTo: "2021-03-31", Status: coupon.StatusActive},
		{Site: DemoSite, Name: "B2B TEST", Scope: coupon.ScopeAll, MinPrice: 1000, Kind: coupon.KindFixed, Amount: 20000, Count: 7,
			ValidFrom: "2020-08-07", ValidTo: "2020-08-31", Status: coupon.StatusActive},
	}
	ids := make([]int64, len(inputs))
	for i, in := range inputs {
		c, err := svc.Create(ctx, sys, in)
		if err != nil {
			return nil, fmt.Errorf("demo coupon %s: %w", in.Name, err)
		}
		ids[i] = c.ID
	}
	svc.Now = func() time.Time { return time.Date(2020, 8, 7, 15, 33, 0, 0, time.UTC) }
	for _, login := range []string{"sample1", "sample2122"} {
		if _, err := svc.Assign(ctx, sys, ids[3], "", memberID[login]); err != nil {
			return nil, fmt.Errorf("demo coupon assign %s: %w", login, err)
		}
	}
	codes, err := svc.Codes(ctx, sys, ids[2], coupon.CodeFilter{})
	if err != nil || len(codes.Items) == 0 {
		return nil, fmt.Errorf("demo coupon codes: %w", err)
	}
	return map[int64]string{250: codes.Items[len(codes.Items)-1].Code}, nil
}
