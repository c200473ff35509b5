package market_test

import (
	"context"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/site"
)

func TestMatchingAndBundles(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db)
		ctx := context.Background()
		if _, _, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "11st.xls", Data: load(t, "11st.xls")}); err != nil {
			t.Fatal(err)
		}
		now := func() time.Time { return time.Now() }
		if _, err := (&site.Service{DB: db, Now: now}).Create(ctx, sys, site.Site{Code: "malgn", Name: "맑은소프트"}); err != nil {
			t.Fatal(err)
		}
		p, err := (&catalog.Service{DB: db, Now: now}).Create(ctx, sys, catalog.Product{Site: "malgn", Kind: "textbook", Name: "전자기학", SalePrice: 32000})
		if err != nil {
			t.Fatal(err)
		}
		un, err := svc.UnmatchedProducts(ctx, "11st")
		if err != nil || len(un) == 0 {
			t.Fatalf("unmatched = %v %v", un, err)
		}
		before, _ := svc.List(ctx, sys, market.Filter{Marketplace: "11st", Matched: "no"})
		if err := svc.SetMatch(ctx, sys, market.Match{Marketplace: "11st", ProductCode: "BK-EM-03", Items: []market.MatchItem{{ProductID: p.ID, Count: 3}}}); err != nil {
			t.Fatal(err)
		}
		after, _ := svc.List(ctx, sys, market.Filter{Marketplace: "11st", Matched: "no"})
		matched, _ := svc.List(ctx, sys, market.Filter{Marketplace: "11st", Matched: "yes"})
		if matched.Total == 0 || after.Total != before.Total-matched.Total {
			t.Fatalf("matching one code fixed %d orders; unmatched %d → %d", matched.Total, before.Total, after.Total)
		}
		// Order 202510130000101 has two lines in one bundle: counts, then split.
		page, _ := svc.List(ctx, sys, market.Filter{Marketplace: "11st", Q: "202510130000101"})
		if page.Total != 2 || page.Items[0].BundleID != page.Items[1].BundleID {
			t.Fatalf("lines of one order = %+v", page.Items)
		}
		if _, err := svc.SplitBundle(ctx, sys, page.Items[0].ID); err != nil {
			t.Fatal(err)
		}
		split, _ := svc.List(ctx, sys, market.Filter{Marketplace: "11st", Q: "202510130000101"})
		if split.Items[0].BundleID == split.Items[1].BundleID {
			t.Fatalf("after split: %+v", split.Items)
		}
		if _, err := svc.JoinBundle(ctx, sys, []int64{page.Items[1].ID, page.Items[0].ID}); err != nil {
			t.Fatal(err)
		}
		joined, _ := svc.List(ctx, sys, market.Filter{Marketplace: "11st", Q: "202510130000101"})
		if joined.Items[0].BundleID != joined.Items[1].BundleID || joined.Items[0].BundleID != page.Items[1].BundleID {
			t.Fatalf("after join: %+v", joined.Items)
		}
		// Split again after the join: a bundle of its own again.
		if _, err := svc.SplitBundle(ctx, sys, page.Items[0].ID); err != nil {
			t.Fatalf("second split: %v", err)
		}
		again, _ := svc.List(ctx, sys, market.Filter{Marketplace: "11st", Q: "202510130000101"})
		if again.Items[0].BundleID == again.Items[1].BundleID {
			t.Fatalf("after the second split: %+v", again.Items)
		}
		// What the split and join do to the settlement: settlement's
		// TestSplitAndJoinSettleAgain.
	})
}
