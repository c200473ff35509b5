package app

import (
	"context"
	"embed"
	"fmt"
	"io"
	"maps"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/shipping"
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
		{Login: "sample7122", Name: "홍길금7", Phone: "010-0000-7122", RRN: "850505-2222222", Education: "high_school", Affiliation: "맑은소프트"},
		{Login: "hong040", Name: "홍길동40", Phone: "010-0000-0040"},
		{Login: "park", Name: "박주란"},
		// The learners of the manual's 근로자카드주문 rows.
		{Login: "sample1122", Name: "홍길금1", Phone: "010-0000-1122", RRN: "111111-1111121", Education: "college", Affiliation: "맑은소프트"},
		{Login: "hong041", Name: "홍길금41", Phone: "010-0000-0041", RRN: "111111-1111126", Education: "high_school", Affiliation: "맑은소프트"},
		{Login: "hong048", Name: "홍길금48", Phone: "010-0000-0048", RRN: "111111-1111128", Education: "university", Affiliation: "맑은소프트"},
		{Login: "hong049", Name: "홍길금49", Phone: "010-0000-0049", RRN: "111111-1111129", Education: "university", Affiliation: "맑은소프트"},
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
		{Kind: catalog.KindCourse, Name: "전자상거래 근로자카드 4", Category: "직무", Delivery: "online", Schedule: "scheduled", StartDate: "2020-06-08", EndDate: "2020-07-07", ListPrice: 300000, SalePrice: 300000, StudyHours: 40, GovRefundable: true, CohortYear: 2020, CohortRound: 1},
		{Kind: catalog.KindCourse, Name: "건축기사 건축계획", Category: "자격증", Delivery: "online", Schedule: "always_open", AccessDays: 60, ListPrice: 8000, SalePrice: 8000, StudyHours: 20, GovRefundable: true, CohortYear: 2019, CohortRound: 1},
		{Kind: catalog.KindCourse, Name: "포토샵 기초", Category: "디자인", Delivery: "online", Schedule: "always_open", AccessDays: 60, ListPrice: 18000, SalePrice: 18000, StudyHours: 12, GovRefundable: true, CohortYear: 2019, CohortRound: 1},
		{Kind: catalog.KindTextbook, Name: "포토샵 교재", ListPrice: 10000, SalePrice: 10000, ISBN: "9788912345678", Author: "홍길동", Publisher: "맑은출판", ShippingFee: 0},
		{Kind: catalog.KindTextbook, Name: "전자기학", ListPrice: 25000, SalePrice: 25000, ISBN: "9788987654321", Author: "김철수", Publisher: "맑은출판", ShippingFee: 2500},
		{Kind: catalog.KindFreepass, Name: "전 과정 프리패스 1년", ListPrice: 390000, SalePrice: 290000, AccessDays: 365},
		{Kind: catalog.KindExtension, Name: "수강기간 30일 연장", ListPrice: 10000, SalePrice: 10000, AccessDays: 30},
	}
	// The cohorts (년도/차수) of the manual's 근로자카드주문: one course per
	// round, keyed "name@year-round" where a name has several rounds.
	for _, c := range []struct {
		name        string
		year, round int
		start, end  string
	}{
		{"전자상거래 근로자카드", 2019, 7, "2019-07-15", "2019-08-13"}, {"전자상거래 근로자카드 2", 2019, 7, "2019-07-15", "2019-08-13"},
		{"전자상거래 근로자카드 3", 2019, 7, "2019-07-15", "2019-08-13"}, {"전자상거래 근로자카드 2", 2019, 9, "2019-09-16", "2019-10-15"},
		{"전자상거래 근로자카드", 2019, 10, "2019-11-04", "2019-12-03"}, {"영화이야기", 2019, 1, "2019-05-13", "2019-07-12"},
	} {
		products = append(products, catalog.Product{Kind: catalog.KindCourse, Name: c.name, Category: "직무", Delivery: "online", Schedule: "scheduled",
			StartDate: c.start, EndDate: c.end, ListPrice: 300000, SalePrice: 300000, StudyHours: 40, GovRefundable: true, CohortYear: c.year, CohortRound: c.round,
			RefundPolicy: "hrd_self_pay"})
	}
	ids := map[string]int64{}
	memberIDs := map[string]int64{}
	for _, p := range products {
		p.Site = DemoSite
		got, err := a.Catalog.Create(ctx, sys, p)
		if err != nil {
			return fmt.Errorf("demo product %s: %w", p.Name, err)
		}
		if _, dup := ids[p.Name]; !dup {
			ids[p.Name] = got.ID
		}
		if p.CohortYear != 0 {
			ids[fmt.Sprintf("%s@%d-%02d", p.Name, p.CohortYear, p.CohortRound)] = got.ID
		}
	}
	page, err := a.Members.List(ctx, sys, member.Filter{Site: DemoSite, Params: paging.Params{PerPage: 100}})
	if err != nil {
		return err
	}
	for _, m := range page.Items {
		memberIDs[m.Login] = m.ID
	}
	n, err := a.demoOrders(ctx, ids, memberIDs)
	if err != nil {
		return err
	}
	withdrawn := member.StatusWithdrawn
	if _, err := a.Members.Update(ctx, sys, memberIDs["park"], member.Patch{Status: &withdrawn}); err != nil {
		return err
	}
	for _, m := range []market.Marketplace{{Code: "smartstore", Name: "네이버 스마트스토어"}, {Code: "coupang", Name: "쿠팡"},
		{Code: "esm", Name: "G마켓/옥션"}, {Code: "11st", Name: "11번가"}} {
		if _, err := a.Market.CreateMarketplace(ctx, sys, m); err != nil {
			return err
		}
	}
	if _, err := a.Market.CreateSupplier(ctx, sys, market.Supplier{Code: "malgnbooks", Name: "맑은출판"}); err != nil {
		return err
	}
	if err := a.demoPayouts(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "demo data loaded: site %s, %d members, %d products, %d orders\n", DemoSite, len(members), len(products), n)
	return nil
}

// demoOrder is one order of the manual's screens, placed at its date.
type demoOrder struct {
	no     int64
	at     string // Seoul time
	login  string
	method string
	items  []order.ItemInput
	then   string // "pay" (gateway), "deposit" (입금확인), "cancel", "vbank" or "" (leave as placed)
	paidAt string // when "pay" pays, if not just after placing (Seoul time)
	// enroll is what happens to the course enrollments afterwards: "approve"
	// (수강승인), "cancel" (수강취소 without money) or "" (left 승인대기).
	enroll  string
	tax     bool
	voucher bool
}

func (a *App) demoOrders(ctx context.Context, product, memberID map[string]int64) (int, error) {
	sys := access.System()
	item := func(name string, subsidy, discount int64) order.ItemInput {
		return order.ItemInput{ProductID: product[name], Qty: 1, Subsidy: subsidy, Discount: discount}
	}
	orders := []demoOrder{
		{no: 133, at: "2018-08-23 10:12:00", login: "park", method: "card", items: []order.ItemInput{item("포토샵 교재", 0, 0), item("전자기학", 0, 0)}, then: "pay"},
		{no: 202, at: "2019-03-20 22:06:33", login: "sample1", method: "voucher_card", items: []order.ItemInput{item("건축기사 건축계획", 8000, 0), item("포토샵 교재", 0, 0)}, then: "pay", voucher: true},
		{no: 232, at: "2019-05-10 10:00:00", login: "hong049", method: "voucher_card", items: []order.ItemInput{item("영화이야기@2019-01", 240000, 0)}, then: "pay", paidAt: "2019-06-17 15:00:00", voucher: true, enroll: "approve"},
		{no: 233, at: "2019-05-10 10:30:00", login: "hong048", method: "free", items: []order.ItemInput{item("영화이야기@2019-01", 0, 300000)}, enroll: "approve", then: "cancel"},
		{no: 250, at: "2019-05-26 14:00:00", login: "hong040", method: "card", items: []order.ItemInput{item("전자기학", 0, 0), item("포토샵 교재", 0, 0)}, then: "pay"},
		{no: 254, at: "2019-07-11 09:00:00", login: "hong041", method: "free", items: []order.ItemInput{item("전자상거래 근로자카드@2019-07", 0, 300000)}, enroll: "approve"},
		{no: 256, at: "2019-07-11 09:10:00", login: "hong041", method: "free", items: []order.ItemInput{item("전자상거래 근로자카드 2@2019-07", 0, 300000)}, enroll: "cancel"},
		{no: 258, at: "2019-07-11 09:20:00", login: "hong041", method: "free", items: []order.ItemInput{item("전자상거래 근로자카드 2@2019-07", 0, 300000)}, enroll: "approve"},
		{no: 259, at: "2019-07-11 09:30:00", login: "hong041", method: "free", items: []order.ItemInput{item("전자상거래 근로자카드 3@2019-07", 0, 300000)}, enroll: "approve"},
		{no: 273, at: "2019-10-26 11:00:00", login: "sample1122", method: "free", items: []order.ItemInput{item("전자상거래 근로자카드@2019-10", 0, 300000)}, enroll: "approve"},
		{no: 274, at: "2019-10-26 11:10:00", login: "sample1122", method: "free", items: []order.ItemInput{item("전자상거래 근로자카드 2@2019-09", 0, 300000)}, enroll: "approve"},
		{no: 283, at: "2020-01-16 18:04:36", login: "sample2122", method: "bank_deposit", items: []order.ItemInput{item("영화이야기", 0, 100000)}, then: "deposit"},
		{no: 285, at: "2020-06-03 09:30:00", login: "sample7122", method: "free", items: []order.ItemInput{item("전자상거래 근로자카드 4", 0, 300000)}, enroll: "approve"},
		{no: 287, at: "2020-07-01 11:00:00", login: "sample122", method: "vbank", items: []order.ItemInput{item("전 과정 프리패스 1년", 0, 0)}, then: "vbank"},
		{no: 288, at: "2020-07-15 16:20:00", login: "sample2122", method: "card", items: []order.ItemInput{item("수강기간 30일 연장", 0, 0)}, then: "cancel"},
		{no: 289, at: "2020-08-01 10:00:00", login: "hong040", method: "card", items: []order.ItemInput{item("파워포인트 실무과정", 0, 0)}},
		{no: 290, at: "2020-08-08 13:45:10", login: "malign", method: "bank_deposit", items: []order.ItemInput{item("파워포인트 실무과정", 0, 0)}, tax: true},
	}
	couponFor, err := a.demoCoupons(ctx, memberID)
	if err != nil {
		return 0, err
	}
	shipping := &order.Shipping{Recipient: "홍길동1", Phone: "010-0000-0000", Zipcode: "08797", Address: "서울시 관악구 인현6길 9 1층"}
	for _, d := range orders {
		at, err := time.ParseInLocation("2006-01-02 15:04:05", d.at, kst.Seoul)
		if err != nil {
			return 0, err
		}
		svc := *a.Orders
		svc.Now = func() time.Time { return at.UTC() }
		svc.Gateways = a.demoGateways(svc.Now)
		if err := svc.SetNextOrderNo(ctx, d.no); err != nil {
			return 0, err
		}
		in := order.PlaceInput{Site: DemoSite, MemberID: memberID[d.login], Items: d.items, Method: d.method, TaxInvoice: d.tax, Shipping: shipping}
		in.CouponCode = couponFor[d.no]
		if d.voucher {
			in.VoucherCard = &struct {
				Company string `json:"company"`
				Number  string `json:"number"`
			}{"신한카드", "1111-1111-1111-2222"}
		}
		o, err := svc.Place(ctx, sys, in)
		if err != nil {
			return 0, fmt.Errorf("demo order %d: %w", d.no, err)
		}
		svc.Now = func() time.Time { return at.Add(18 * time.Second).UTC() }
		key := fmt.Sprintf("demo_%d_%d", o.OrderNo, time.Now().UnixNano())
		if d.paidAt != "" {
			paid, err := time.ParseInLocation("2006-01-02 15:04:05", d.paidAt, kst.Seoul)
			if err != nil {
				return 0, err
			}
			svc.Now = func() time.Time { return paid.UTC() }
			svc.Gateways = a.demoGateways(svc.Now)
		}
		if err := demoEnroll(ctx, &svc, d, "approve"); err != nil {
			return 0, err
		}
		switch d.then {
		case "pay", "vbank":
			_, err = svc.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", key, o.Total)
		case "deposit":
			_, err = svc.ConfirmDeposit(ctx, sys, o.OrderNo)
		case "cancel":
			if o.Status != order.StatusPaid { // a 무과금 order is paid when placed
				_, err = svc.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", key, o.Total)
			}
			if err == nil {
				_, err = svc.Cancel(ctx, sys, o.OrderNo, "고객 요청")
			}
		}
		if err != nil {
			return 0, fmt.Errorf("demo order %d: %w", d.no, err)
		}
		if d.then != "cancel" {
			if err := demoEnroll(ctx, &svc, d, d.enroll); err != nil {
				return 0, err
			}
		}
	}
	if err := a.demoRefunds(ctx); err != nil {
		return 0, err
	}
	return len(orders), a.demoShipments(ctx)
}

// demoShipments ships the textbooks of the manual's 배송관리 rows: 250 and
// 133 by 우체국, 202 by CJ대한통운, each item 발송완료 or 배송완료 as shown.
func (a *App) demoShipments(ctx context.Context) error {
	sys := access.System()
	steps := []struct {
		orderNo     int64
		name        string
		carrier     string
		number      string
		shipped     string
		deliveredOn string
	}{
		{133, "포토샵 교재", "PO", "555555555", "2018-08-24 10:00:00", ""},
		{133, "전자기학", "PO", "888888555", "2018-08-24 10:00:00", "2018-08-27"},
		{202, "포토샵 교재", "CJ", "9999-9999-9999", "2019-05-20 10:00:00", "2019-05-22"},
		{250, "전자기학", "PO", "444555888", "2019-05-27 10:00:00", ""},
		{250, "포토샵 교재", "PO", "777888999", "2019-05-27 10:00:00", "2019-05-29"},
	}
	for _, st := range steps {
		o, err := a.Orders.Get(ctx, sys, st.orderNo)
		if err != nil {
			return err
		}
		at, err := time.ParseInLocation("2006-01-02 15:04:05", st.shipped, kst.Seoul)
		if err != nil {
			return err
		}
		svc := *a.Ship
		svc.Now = func() time.Time { return at.UTC() }
		for _, it := range o.Items {
			if it.Name != st.name {
				continue
			}
			state := "shipped"
			if _, err := svc.Update(ctx, sys, it.ID, shipping.Change{State: &state, Carrier: &st.carrier, TrackingNo: &st.number}); err != nil {
				return fmt.Errorf("demo shipment %d: %w", st.orderNo, err)
			}
			if st.deliveredOn != "" {
				state = "delivered"
				if _, err := svc.Update(ctx, sys, it.ID, shipping.Change{State: &state, DeliveredOn: &st.deliveredOn}); err != nil {
					return fmt.Errorf("demo delivery %d: %w", st.orderNo, err)
				}
			}
		}
	}
	return nil
}

// demoRefunds files the manual's 환불관리 rows: 283 requested by transfer,
// 250 partly refunded at the gateway, and 133's 포토샵 교재 refused
// (환불불가 on 배송관리).
func (a *App) demoRefunds(ctx context.Context) error {
	sys := access.System()
	at := time.Date(2020, 4, 3, 8, 4, 55, 0, time.UTC)
	svc := *a.Refunds
	svc.Now = func() time.Time { return at }
	svc.Gateways = a.demoGateways(svc.Now)
	o283, err := a.Orders.Get(ctx, sys, 283)
	if err != nil {
		return err
	}
	if _, err := svc.Request(ctx, sys, refund.RequestInput{OrderNo: 283, ItemIDs: []int64{o283.Items[0].ID}, Reason: "개인 사정", Method: refund.MethodBankTransfer,
		Bank: &refund.Bank{Name: "신한은행", Account: "110-123-456789", Holder: "홍길금2"}}); err != nil {
		return fmt.Errorf("demo refund 283: %w", err)
	}
	o250, err := a.Orders.Get(ctx, sys, 250)
	if err != nil {
		return err
	}
	at = time.Date(2019, 5, 31, 2, 0, 0, 0, time.UTC)
	r, err := svc.Request(ctx, sys, refund.RequestInput{OrderNo: 250, ItemIDs: []int64{o250.Items[1].ID}, Reason: "파본", Method: refund.MethodPGCancel})
	if err != nil {
		return fmt.Errorf("demo refund 250: %w", err)
	}
	if _, err = svc.Complete(ctx, sys, r.ID, refund.CompleteInput{Amount: 1000, Memo: "부분 파손 보상"}); err != nil {
		return fmt.Errorf("demo refund 250: %w", err)
	}
	o133, err := a.Orders.Get(ctx, sys, 133)
	if err != nil {
		return err
	}
	at = time.Date(2018, 9, 10, 1, 30, 0, 0, time.UTC)
	if r, err = svc.Request(ctx, sys, refund.RequestInput{OrderNo: 133, ItemIDs: []int64{o133.Items[0].ID}, Reason: "단순 변심", Method: refund.MethodPGCancel}); err != nil {
		return fmt.Errorf("demo refund 133: %w", err)
	}
	if _, err = svc.Deny(ctx, sys, r.ID, refund.DenyInput{Reason: "배송 완료 후 7일이 지나 반품할 수 없습니다."}); err != nil {
		return fmt.Errorf("demo refund 133: %w", err)
	}
	return nil
}

// demoGateways are the gateways with a sandbox on the demo's clock, so that
// its transactions fall on the days of the manual's orders (orderdesk
// payments reconcile --gateway sandbox --day 2018-08-23).
func (a *App) demoGateways(now func() time.Time) map[string]payment.Gateway {
	sb := *a.Sandbox
	sb.Now = now
	gs := maps.Clone(a.Orders.Gateways)
	gs["sandbox"] = &sb
	return gs
}

// demoEnroll approves (수강승인) or cancels (수강취소 without money) the
// course enrollments of a demo order when its enroll says so (and they are
// awaiting approval).
func demoEnroll(ctx context.Context, svc *order.Service, d demoOrder, what string) error {
	if d.enroll != what {
		return nil
	}
	sys := access.System()
	o, err := svc.Get(ctx, sys, d.no)
	if err != nil {
		return err
	}
	for _, it := range o.Items {
		switch {
		case it.EnrollmentID == 0:
		case what == "approve" && it.EnrollmentStatus == order.EnrollAwaitingApproval:
			res, err := svc.ApproveEnrollments(ctx, sys, []int64{it.EnrollmentID})
			if err != nil {
				return err
			}
			if !res[0].Approved {
				return fmt.Errorf("demo order %d: %s", d.no, res[0].Reason)
			}
		case what == "cancel":
			if _, err := svc.CancelEnrollment(ctx, sys, it.EnrollmentID, "수강 포기"); err != nil {
				return fmt.Errorf("demo order %d: %w", d.no, err)
			}
		}
	}
	return nil
}

//go:embed demodata/coupang_orders.csv demodata/coupang_payout.csv
var demoData embed.FS

// demoPayouts imports a 쿠팡 order sheet (CP949) and its payout file
// (정산내역): one line paid 100원 short (a fee), one not paid yet, one row of
// an order that is not ours, and one line paid in its 70% and 30% parts.
func (a *App) demoPayouts(ctx context.Context) error {
	sys := access.System()
	orders, err := demoData.ReadFile("demodata/coupang_orders.csv")
	if err != nil {
		return err
	}
	if _, _, err := a.Market.Import(ctx, sys, market.ImportInput{Marketplace: "coupang", Filename: "coupang_orders.csv", Data: orders}); err != nil {
		return fmt.Errorf("demo coupang orders: %w", err)
	}
	file, err := demoData.ReadFile("demodata/coupang_payout.csv")
	if err != nil {
		return err
	}
	if _, _, err := a.Payouts.Import(ctx, sys, payout.ImportInput{Marketplace: "coupang", Filename: "쿠팡_정산내역.csv", Data: file}); err != nil {
		return fmt.Errorf("demo coupang payouts: %w", err)
	}
	return nil
}
