package payout_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

// shop is a marketplace with a small sheet format and payout format.
func shop(t *testing.T, e env) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.mk.CreateMarketplace(ctx, sys, market.Marketplace{Code: "shop", Name: "샵"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.mk.SaveFormat(ctx, sys, "shop", market.Format{Fields: map[string]string{"order_no": "주문번호", "order_id_seq": "라인", "order_date": "주문일",
		"product_name": "상품명", "qty": "수량", "shop_price": "금액", "recipient": "수령인", "status": "상태"}, Codes: map[int]string{11: "금액", 14: "정산", 18: "배송비"},
		CancelWords: []string{"취소"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "shop", Title: "샵", Sale: "code11", Settle: "code14", Prepaid: "code18", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.po.SaveFormat(ctx, sys, "shop", payout.Format{Fields: map[string]string{"order_no": "주문번호", "sub_no": "라인", "kind": "구분",
		"base": "기준금액", "net": "입금액", "settle_day": "정산일"}, Fees: []string{"수수료"}, ShippingWords: []string{"배송비"}, CancelWords: []string{"취소"},
		HoldbackPercent: 30, Tolerance: 10}); err != nil {
		t.Fatal(err)
	}
}

// A property: for any mix of order lines and payout rows, over the matched
// lines Σ 정산예정액 − Σ 입금액 = Σ 입금차액, and every payout row is either
// in a matched line's 입금액 or a 미매칭 line of its own (nothing lost,
// nothing counted twice); an import stopped half-way and run again changes
// none of it.
func TestReconciliationProperty(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
				e := setup(t, db)
				ctx := context.Background()
				shop(t, e)
				rng := rand.New(rand.NewSource(seed))
				var sheet strings.Builder
				sheet.WriteString("주문번호,라인,주문일,상품명,수량,금액,정산,배송비,수령인,상태\n")
				type line struct {
					no, sub string
				}
				var lines []line
				for i := 0; i < 40+rng.Intn(40); i++ {
					no := fmt.Sprintf("S%d-%d", seed, i/3)
					sub := fmt.Sprint(i % 3)
					sale := int64(1000 + rng.Intn(50000))
					status := "배송중"
					if rng.Intn(8) == 0 {
						status = "취소완료"
					}
					ship := 0
					if i%3 == 0 && rng.Intn(2) == 0 {
						ship = 3000
					}
					fmt.Fprintf(&sheet, "%s,%s,2025-%02d-%02d,책,1,%d,%d,%d,수령%d,%s\n", no, sub, 9+rng.Intn(3), 1+rng.Intn(28), sale, sale*9/10, ship, i/3, status)
					lines = append(lines, line{no, sub})
				}
				if _, _, err := e.mk.Import(ctx, sys, market.ImportInput{Marketplace: "shop", Filename: fmt.Sprintf("s%d.csv", seed), Data: []byte(sheet.String())}); err != nil {
					t.Fatal(err)
				}
				var file strings.Builder
				file.WriteString("주문번호,라인,구분,기준금액,수수료,입금액,정산일\n")
				var paid int64
				rows := 0
				for i := 0; i < 30+rng.Intn(60); i++ {
					l := lines[rng.Intn(len(lines))]
					kind := []string{"상품", "상품", "상품", "배송비", "취소", "조정"}[rng.Intn(6)]
					if rng.Intn(6) == 0 {
						l = line{fmt.Sprintf("X%d-%d", seed, i), "0"} // not ours
					}
					net := int64(rng.Intn(60000) - 5000)
					fmt.Fprintf(&file, "%s,%s,%s,%d,%d,%d,2025-11-%02d\n", l.no, l.sub, kind, net+100, 100, net, 1+rng.Intn(28))
					paid += net
					rows++
				}
				data := []byte(file.String())
				if seed%2 == 0 { // stop after the first batch, then run again
					stop := 0
					e.po.AfterBatch = func(int) error {
						if stop == 0 {
							stop++
							return fmt.Errorf("stopped")
						}
						return nil
					}
					payout.BatchSize = 7
					defer func() { payout.BatchSize = 1000 }()
					if _, _, err := e.po.Import(ctx, sys, payout.ImportInput{Marketplace: "shop", Filename: "p.csv", Data: data}); err == nil {
						t.Fatal("the stop did not stop the import")
					}
				}
				_, st, err := e.po.Import(ctx, sys, payout.ImportInput{Marketplace: "shop", Filename: "p.csv", Data: data})
				if err != nil {
					t.Fatal(err)
				}
				if st.Rows != int64(rows) || st.Matched+st.Unmatched != int64(rows) || st.PaidTotal != paid || st.Done != int64(rows) {
					t.Fatalf("statement %+v: want %d rows paying %d", st, rows, paid)
				}
				res, err := e.po.List(ctx, payout.Filter{Marketplace: "shop", Params: paging.Params{PerPage: 500}})
				if err != nil {
					t.Fatal(err)
				}
				var sumExp, sumPaid, sumDiff, allPaid, unmatched int64
				for _, l := range res.Items {
					if l.Expected-l.Paid != l.Difference {
						t.Errorf("line %s-%s: %d − %d ≠ %d", l.OrderNo, l.SubNo, l.Expected, l.Paid, l.Difference)
					}
					if l.State == payout.Mismatched && l.DiffSale+l.DiffFee+l.DiffCoupon+l.DiffShipping != l.Difference {
						t.Errorf("line %s-%s: the parts do not add up to %d", l.OrderNo, l.SubNo, l.Difference)
					}
					allPaid += l.Paid
					if l.MarketOrderID == nil {
						unmatched++
						continue
					}
					sumExp += l.Expected
					sumPaid += l.Paid
					sumDiff += l.Difference
				}
				if sumExp-sumPaid != sumDiff {
					t.Errorf("Σ expected %d − Σ paid %d ≠ Σ difference %d", sumExp, sumPaid, sumDiff)
				}
				if allPaid != paid || unmatched != st.Unmatched {
					t.Errorf("the lines hold %d paid in %d unmatched; the file paid %d with %d unmatched rows", allPaid, unmatched, paid, st.Unmatched)
				}
				if res.Sum.Paid != paid || res.Sum.Lines != int64(res.Total) {
					t.Errorf("totals %+v", res.Sum)
				}
			})
		})
	}
}
