package payout_test

import (
	"context"
	"testing"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// An order of two shipments (two 배송번호, so two bundles) is paid one 배송비
// row per shipment, each naming a line of its shipment: each row pays the
// line that carries its own shipment's shipping, and both lines reconcile.
func TestShippingRowsPayTheirOwnShipment(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		e := setup(t, db)
		ctx := context.Background()
		shop(t, e)
		f, err := e.mk.Format(ctx, "shop")
		if err != nil {
			t.Fatal(err)
		}
		f.Fields["ship_no"] = "배송번호"
		if _, err := e.mk.SaveFormat(ctx, sys, "shop", f); err != nil {
			t.Fatal(err)
		}
		sheet := "주문번호,라인,주문일,상품명,수량,금액,정산,배송비,수령인,상태,배송번호\n" +
			"A1,1,2025-10-13,책 1,1,20000,18000,3000,김도윤,배송중,S-100\n" +
			"A1,2,2025-10-13,책 2,1,10000,9000,3000,김도윤,배송중,S-200\n"
		if _, _, err := e.mk.Import(ctx, sys, market.ImportInput{Marketplace: "shop", Filename: "a.csv", Data: []byte(sheet)}); err != nil {
			t.Fatal(err)
		}
		file := "주문번호,라인,구분,기준금액,수수료,입금액,정산일\n" +
			"A1,1,상품,18000,0,18000,2025-11-03\n" +
			"A1,2,상품,9000,0,9000,2025-11-03\n" +
			"A1,1,배송비,3000,0,3000,2025-11-03\n" +
			"A1,2,배송비,3000,0,3000,2025-11-03\n"
		if _, _, err := e.po.Import(ctx, sys, payout.ImportInput{Marketplace: "shop", Filename: "p.csv", Data: []byte(file)}); err != nil {
			t.Fatal(err)
		}
		res, err := e.po.List(ctx, payout.Filter{Marketplace: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 2 {
			t.Fatalf("%d lines, want 2", len(res.Items))
		}
		for _, l := range res.Items {
			if l.Expected != l.Paid || l.State != payout.Matched {
				t.Errorf("line %s-%s: expected %d, paid %d, %s; want each shipment's 3,000 paid on its own line", l.OrderNo, l.SubNo, l.Expected, l.Paid, l.State)
			}
		}
	})
}
