package shipping_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/shipping"
)

func TestNumberForms(t *testing.T) {
	tests := []struct {
		form, in, want, reason string // reason: part of the refusal, "" when valid
	}{
		{"cj", "1234567890", "1234567890", ""},
		{"cj", "1234-5678-9012", "123456789012", ""},
		{"cj", "12345678901", "", "10자리 또는 12자리"},
		{"cj", "123456789", "", "10자리 또는 12자리"},
		{"cj", "12345678901A", "", "숫자만"},
		{"hanjin", "123456789012", "123456789012", ""},
		{"hanjin", "12345678901234", "12345678901234", ""},
		{"hanjin", "1234567890123", "", "12자리 또는 14자리"},
		{"hanjin", "1234567890", "", "12자리 또는 14자리"},
		{"lotte", "123456789013", "123456789013", ""},
		{"lotte", "1234 5678 9013", "123456789013", ""},
		{"lotte", "100000000004", "100000000004", ""},
		{"lotte", "123456789014", "", "검증번호"},
		{"lotte", "100000000000", "", "검증번호"},
		{"lotte", "12345678901", "", "12자리"},
		{"", "444555888", "444555888", ""},
		{"", "121212", "121212", ""},
		{"", "", "", "비어"},
		{"", "12-34-ab", "", "숫자만"},
		{"", "123456789012345678901", "", "20자리"},
	}
	for _, tt := range tests {
		got, err := shipping.NormalizeNumber(tt.form, tt.in)
		if tt.reason == "" {
			if err != nil || got != tt.want {
				t.Errorf("%s %q: got %q, %v; want %q", tt.form, tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s %q: accepted as %q, want refused (%s)", tt.form, tt.in, got, tt.reason)
			continue
		}
		e, _ := apperr.As(err)
		if e == nil || e.Code != apperr.Invalid || !strings.Contains(e.Message, tt.reason) || !strings.Contains(e.Message, tt.in) {
			t.Errorf("%s %q: refusal %v, want invalid naming the number and %q", tt.form, tt.in, err, tt.reason)
		}
	}
}

func TestTrackingURL(t *testing.T) {
	if got := shipping.TrackingURL("https://trace.cjlogistics.com/next/tracking.html?wblNo={n}", "123456789012"); got != "https://trace.cjlogistics.com/next/tracking.html?wblNo=123456789012" {
		t.Errorf("with {n}: %s", got)
	}
	if got := shipping.TrackingURL("http://service.epost.go.kr/trace.RetrieveRegiPrclDeliv.postal?sid1=", "444555888"); got != "http://service.epost.go.kr/trace.RetrieveRegiPrclDeliv.postal?sid1=444555888" {
		t.Errorf("appended: %s", got)
	}
}

func TestCarriers(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		list, err := f.ship.Carriers(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, c := range list {
			codes = append(codes, c.Code+" "+c.Name)
		}
		want := "PO 우체국,HJ 한진택배,KD 경동택배,CJ CJ대한통운,CN 편의점택배,LT 롯데택배,LG 로젠택배"
		if strings.Join(codes, ",") != want {
			t.Fatalf("seeded carriers %v, want %s", codes, want)
		}
		if _, err := f.ship.CreateCarrier(ctx, sys, shipping.Carrier{Code: "dh", Name: "대한택배", URLTemplate: "ftp://x"}); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("bad url accepted: %v", err)
		}
		// A placeholder other than {n} would stay in every link.
		if _, err := f.ship.CreateCarrier(ctx, sys, shipping.Carrier{Code: "dh", Name: "대한택배", URLTemplate: "https://example.com/t?no={tracking_no}"}); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("a template with {tracking_no}: %v", err)
		}
		c, err := f.ship.CreateCarrier(ctx, sys, shipping.Carrier{Code: "dh", Name: "대한택배", URLTemplate: "https://example.com/t?no="})
		if err != nil || c.Code != "DH" {
			t.Fatalf("create: %+v %v", c, err)
		}
		viewer := access.Actor{Login: "v", Role: access.SiteAdmin, Sites: []string{"malgn"}}
		if _, err := f.ship.CreateCarrier(ctx, viewer, shipping.Carrier{Code: "XX", Name: "x", URLTemplate: "https://x.kr/"}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("site admin created a carrier: %v", err)
		}
		// An unused carrier is deleted; one that shipped something is retired.
		if r, err := f.ship.RemoveCarrier(ctx, sys, "DH"); err != nil || !r.Deleted {
			t.Fatalf("delete unused: %+v %v", r, err)
		}
		o := f.paid(t, f.book)
		if _, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: books(o), State: "shipped", Carrier: "KD", TrackingNo: "5555-5555"}); err != nil {
			t.Fatal(err)
		}
		if r, err := f.ship.RemoveCarrier(ctx, sys, "KD"); err != nil || r.Deleted || !r.Retired {
			t.Fatalf("remove used: %+v %v", r, err)
		}
		list, _ = f.ship.Carriers(ctx, false)
		for _, c := range list {
			if c.Code == "KD" {
				t.Fatal("a retired carrier is still offered")
			}
		}
		if r := f.state(t, books(o)[0]); r.CarrierName != "경동택배" || r.TrackingNo != "55555555" {
			t.Fatalf("the item lost its retired carrier: %+v", r)
		}
		o2 := f.paid(t, f.book)
		if _, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: books(o2), State: "shipped", Carrier: "KD", TrackingNo: "1"}); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("shipped with a retired carrier: %v", err)
		}
	})
}

func TestStatesAndBulk(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.paid(t, f.course, f.book, f.book2)
		ids := books(o)
		if r := f.state(t, ids[0]); r.State != "waiting" {
			t.Fatalf("a paid textbook starts %q", r.State)
		}
		// 발송완료 needs a courier and a number; nothing changes when refused.
		_, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: ids, State: "shipped"})
		if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(msg(err), "송장번호") {
			t.Fatalf("shipped without a number: %v", err)
		}
		_, err = f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: ids, State: "shipped", Carrier: "CJ", TrackingNo: "12345"})
		if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(msg(err), "12345") {
			t.Fatalf("a CJ number of 5 digits: %v", err)
		}
		if r := f.state(t, ids[0]); r.State != "waiting" || r.TrackingNo != "" {
			t.Fatalf("a refused bulk change changed %+v", r)
		}
		res, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: ids, State: "shipped", Carrier: "CJ", TrackingNo: "6012-3456-7890"})
		if err != nil || res.Changed != 2 {
			t.Fatalf("bulk shipped: %+v %v", res, err)
		}
		r := f.state(t, ids[1])
		if r.State != "shipped" || r.TrackingURL != "https://trace.cjlogistics.com/next/tracking.html?wblNo=601234567890" || r.ShippedAt == nil {
			t.Fatalf("shipped row %+v", r)
		}
		// The same again changes nothing.
		if res, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: ids, State: "shipped"}); err != nil || res.Changed != 0 || res.Unchanged != 2 {
			t.Fatalf("again: %+v %v", res, err)
		}
		// 구매확정 by hand only after 배송완료.
		if _, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: ids[:1], State: "confirmed"}); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("confirmed before delivery: %v", err)
		}
		day := "2019-03-22"
		if _, err := f.ship.Update(ctx, sys, ids[0], shipping.Change{State: ptr("delivered"), DeliveredOn: &day}); err != nil {
			t.Fatal(err)
		}
		if r := f.state(t, ids[0]); r.State != "delivered" || r.DeliveredAt == nil || r.DeliveredAt.In(time.FixedZone("KST", 9*3600)).Format("2006-01-02") != day {
			t.Fatalf("delivered %+v", r)
		}
		if _, err := f.ship.Update(ctx, sys, ids[0], shipping.Change{State: ptr("cancelled")}); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("배송취소 chosen by hand: %v", err)
		}
		if _, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: ids[:1], State: "confirmed"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: ids[:1], State: "waiting"}); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("a confirmed item moved back: %v", err)
		}
		// 구매확정 does not block a refund request (a defect is returned after confirmation too);
		// the request shows the delivery state.
		req, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: ids[:1], Reason: "파본", Method: "bank_transfer",
			Bank: &refund.Bank{Name: "신한", Account: "110-123-456789", Holder: "홍길동1"}})
		if err != nil {
			t.Fatalf("refund request of a confirmed textbook: %v", err)
		}
		if got, err := f.refunds.Get(ctx, sys, req.ID); err != nil || len(got.Items) != 1 || got.Items[0].DeliveryStatus != "confirmed" {
			t.Fatalf("the refund request does not show the delivery state: %+v %v", got.Items, err)
		}
		// A course has no delivery; an unpaid textbook does not ship.
		if _, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: []int64{o.Items[0].ID}, State: "preparing"}); err == nil {
			t.Fatal("a course got a delivery state")
		}
		u := f.unpaid(t, f.book)
		if _, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: books(u), State: "preparing"}); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("an unpaid textbook moved: %v", err)
		}
		// Another site's item does not exist for its staff; a viewer cannot change.
		other := f.paid(t, f.other)
		admin := access.Actor{Login: "a", Role: access.SiteAdmin, Sites: []string{"malgn"}}
		if _, err := f.ship.BulkState(ctx, admin, shipping.Bulk{ItemIDs: books(other), State: "preparing"}); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("another site's item: %v", err)
		}
		viewer := access.Actor{Login: "v", Role: access.Viewer, Sites: []string{"malgn"}}
		if _, err := f.ship.BulkState(ctx, viewer, shipping.Bulk{ItemIDs: ids[1:], State: "delivered"}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("a viewer changed a delivery: %v", err)
		}
		page, err := f.ship.List(ctx, admin, shipping.Filter{})
		if err != nil || page.Total != 3 {
			t.Fatalf("site admin's list: %d %v", page.Total, err)
		}
		page, _ = f.ship.List(ctx, sys, shipping.Filter{Q: "601234567890"})
		if page.Total != 2 || page.Items[0].ItemID != ids[0] || page.Items[1].ItemID != ids[1] {
			t.Fatalf("keyword on the tracking number: %+v", page)
		}
		var audits int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'order_item' AND entity_id = $1`, itoa(ids[0])).Scan(&audits); err != nil || audits != 3 {
			t.Fatalf("audit entries of the item: %d %v", audits, err)
		}
	})
}

// TestCancelAndRefundCancelDelivery: cancelling an order and fully refunding
// a textbook item each leave the item 배송취소, and the list's filter finds
// them; a shipped item that is refunded keeps its state.
func TestCancelAndRefundCancelDelivery(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		cancelled := f.paid(t, f.book)
		if _, err := f.orders.Cancel(ctx, sys, cancelled.OrderNo, "고객 요청"); err != nil {
			t.Fatal(err)
		}
		// A card order: cancelled at the gateway, the record step makes it 배송취소.
		card, err := f.orders.Place(ctx, sys, order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: "card", Items: []order.ItemInput{{ProductID: f.book, Qty: 1}},
			Shipping: &order.Shipping{Recipient: "홍길동1", Phone: "010", Address: "서울"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.ConfirmPayment(ctx, sys, card.OrderNo, "sandbox", "pk-ship-card", card.Total); err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.Cancel(ctx, sys, card.OrderNo, "고객 요청"); err != nil {
			t.Fatal(err)
		}
		unpaid := f.unpaid(t, f.book2)
		if _, err := f.orders.Cancel(ctx, sys, unpaid.OrderNo, ""); err != nil {
			t.Fatal(err)
		}
		refunded := f.paid(t, f.book, f.book2)
		refundItem := books(refunded)[0]
		shippedItem := books(refunded)[1]
		if _, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: []int64{shippedItem}, State: "shipped", Carrier: "PO", TrackingNo: "444555888"}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{refundItem, shippedItem} {
			req, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: refunded.OrderNo, ItemIDs: []int64{id}, Reason: "반품", Method: "bank_transfer",
				Bank: &refund.Bank{Name: "신한", Account: "110-123-456789", Holder: "홍길동1"}})
			if err != nil {
				t.Fatal(err)
			}
			left := int64(10000)
			if id == shippedItem {
				left = 12000
			}
			if _, err := f.refunds.Complete(ctx, sys, req.ID, refund.CompleteInput{Amount: left}); err != nil {
				t.Fatal(err)
			}
		}
		want := map[int64]string{books(cancelled)[0]: "cancelled", books(card)[0]: "cancelled", books(unpaid)[0]: "cancelled", refundItem: "cancelled", shippedItem: "shipped"}
		for id, st := range want {
			if r := f.state(t, id); r.State != st {
				t.Errorf("item %d: delivery %q, want %q (item %s)", id, r.State, st, r.ItemStatus)
			}
		}
		// The recipient of a cancelled item's order can still be corrected.
		if _, err := f.ship.Update(ctx, sys, books(cancelled)[0], shipping.Change{Shipping: &order.Shipping{Recipient: "홍길동9", Address: "부산"}}); err != nil {
			t.Fatalf("recipient of a cancelled order: %v", err)
		}
		page, err := f.ship.List(ctx, sys, shipping.Filter{State: "cancelled"})
		if err != nil || page.Total != 4 {
			t.Fatalf("배송취소 filter: %d %v", page.Total, err)
		}
		if _, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: []int64{refundItem}, State: "shipped", Carrier: "PO", TrackingNo: "1"}); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("a refunded item shipped: %v", err)
		}
	})
}

// TestAutoConfirm: items delivered 7 days ago become 구매확정, by an
// injected clock; two jobs at once confirm each item once.
func TestAutoConfirm(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		var ids []int64
		var first int64
		for i := range 6 {
			o := f.paid(t, f.book, f.book2)
			if i == 0 {
				first = o.OrderNo
			}
			ids = append(ids, books(o)...)
		}
		if _, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: ids, State: "delivered", Carrier: "CN", TrackingNo: "777888999"}); err != nil {
			t.Fatal(err)
		}
		// A delivered item with a refund requested is not confirmed by the clock.
		asked := ids[0]
		if _, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: first, ItemIDs: []int64{asked}, Reason: "파본", Method: "bank_transfer",
			Bank: &refund.Bank{Name: "신한", Account: "110-123-456789", Holder: "홍길동1"}}); err != nil {
			t.Fatal(err)
		}
		late := ids[len(ids)-1]
		f.clock.Add(24 * time.Hour)
		if _, err := f.ship.Update(ctx, sys, late, shipping.Change{State: ptr("shipped")}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ship.Update(ctx, sys, late, shipping.Change{State: ptr("delivered")}); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(6*24*time.Hour - time.Minute) // 7 days less a minute after the first deliveries
		if n, err := f.ship.AutoConfirm(ctx, "a"); err != nil || n != 0 {
			t.Fatalf("before 7 days: %d %v", n, err)
		}
		f.clock.Add(time.Minute)
		// Two jobs at once, twice over: without the lease (both run) and with it.
		var wg sync.WaitGroup
		counts := make([]int, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() { defer wg.Done(); counts[i], errs[i] = f.ship.ConfirmDue(ctx) }()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || counts[0]+counts[1] != len(ids)-2 {
			t.Fatalf("two runs confirmed %v (%v), want %d in all", counts, errs, len(ids)-2)
		}
		for _, id := range ids {
			want := "confirmed"
			if id == late || id == asked {
				want = "delivered"
			}
			if r := f.state(t, id); r.State != want || (want == "confirmed") != (r.ConfirmedAt != nil) {
				t.Fatalf("item %d: %q, want %q", id, r.State, want)
			}
		}
		f.clock.Add(24 * time.Hour)
		for i := range 2 {
			wg.Add(1)
			go func() { defer wg.Done(); counts[i], errs[i] = f.ship.AutoConfirm(ctx, string(rune('a'+i))) }()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || counts[0]+counts[1] != 1 {
			t.Fatalf("leased runs confirmed %v (%v), want 1", counts, errs)
		}
		var audits int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'delivery.auto_confirm'`).Scan(&audits); err != nil || audits != len(ids)-1 {
			t.Fatalf("auto-confirm audit entries %d, want %d (%v)", audits, len(ids)-1, err)
		}
		if r := f.state(t, asked); r.State != "delivered" {
			t.Fatalf("the item with a refund requested: %q, want delivered", r.State)
		}
		// The lease is released after a run: the next run goes ahead.
		if _, err := f.ship.AutoConfirm(ctx, "b"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOrderPageUpdatesAll(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.paid(t, f.course, f.book, f.book2)
		err := f.ship.UpdateOrder(ctx, sys, o.OrderNo, shipping.OrderChange{Shipping: order.Shipping{Recipient: "홍길동2", Phone: "010-1111-2222",
			Zipcode: "08798", Address: "서울시 관악구 인현7길 1"}, All: true, State: "shipped", Carrier: "HJ", TrackingNo: "123456789012"})
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.ship.Order(ctx, sys, o.OrderNo)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Items) != 2 || v.Order.Shipping.Address != "서울시 관악구 인현7길 1" || v.Items[0].ISBN != "9788966262281" {
			t.Fatalf("order view %+v", v)
		}
		for _, it := range v.Items {
			if it.State != "shipped" || it.TrackingNo != "123456789012" || it.Carrier != "HJ" {
				t.Fatalf("item %+v", it.Row)
			}
		}
		var before, after string
		if err := db.Read().QueryRowContext(ctx, `SELECT before_json, after_json FROM audit_log WHERE action = 'delivery.shipping'`).Scan(&before, &after); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(before, "인현6길") || !strings.Contains(after, "인현7길") {
			t.Fatalf("audit before %s after %s", before, after)
		}
		if err := f.ship.UpdateOrder(ctx, sys, o.OrderNo, shipping.OrderChange{Shipping: order.Shipping{Recipient: "x", Address: "y", Zipcode: "12"}}); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("a 2-digit zip code: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// msg is the Korean message of an error.
func msg(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Message
	}
	return ""
}

// TestListOrdersPagesWholeOrders: 배송관리's screen counts and pages orders,
// as the manual's "Total: 3 건" over five item rows does; an order's items
// stay together on one page, newest order first, and only the items that
// match the filter come with it.
func TestListOrdersPagesWholeOrders(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		a := f.paid(t, f.book, f.book2)           // two items
		b := f.paid(t, f.course, f.book)          // one textbook beside a course
		c := f.paid(t, f.book2, f.book, f.course) // two items and a course
		f.unpaid(t, f.book)                       // awaiting deposit: listed too
		f.paid(t, f.other)                        // another site's
		page, err := f.ship.ListOrders(ctx, sys, shipping.Filter{Params: paging.Params{PerPage: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 5 || page.Pages() != 3 || len(page.Items) != 2 {
			t.Fatalf("first page: total %d, pages %d, %d orders; want 5 orders over 3 pages, 2 on this one", page.Total, page.Pages(), len(page.Items))
		}
		items, err := f.ship.List(ctx, sys, shipping.Filter{})
		if err != nil || items.Total != 7 {
			t.Fatalf("the item list (the API's) counts items: %d %v", items.Total, err)
		}
		var seen []int64
		var rows int
		for p := 1; p <= 3; p++ {
			page, err := f.ship.ListOrders(ctx, sys, shipping.Filter{Params: paging.Params{Page: p, PerPage: 2}})
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range page.Items {
				if no := page.RowNo(i); no != 5-len(seen) {
					t.Errorf("page %d order %d: No %d, want %d", p, o.OrderNo, no, 5-len(seen))
				}
				if len(seen) > 0 && o.OrderNo >= seen[len(seen)-1] {
					t.Errorf("order %d after %d: not newest first", o.OrderNo, seen[len(seen)-1])
				}
				seen = append(seen, o.OrderNo)
				for j, r := range o.Items {
					if r.OrderNo != o.OrderNo || (j > 0 && r.ItemID <= o.Items[j-1].ItemID) {
						t.Errorf("order %d holds row %+v at %d", o.OrderNo, r, j)
					}
				}
				rows += len(o.Items)
			}
		}
		if rows != 7 || len(seen) != 5 {
			t.Fatalf("three pages held %d orders and %d rows, want 5 and 7", len(seen), rows)
		}
		want := map[int64][]int64{a.OrderNo: books(a), b.OrderNo: books(b), c.OrderNo: books(c)}
		page, _ = f.ship.ListOrders(ctx, sys, shipping.Filter{OrderStatus: "paid", Params: paging.Params{PerPage: 20}})
		for _, o := range page.Items {
			w, ok := want[o.OrderNo]
			if !ok {
				continue
			}
			var got []int64
			for _, r := range o.Items {
				got = append(got, r.ItemID)
			}
			if !slices.Equal(got, w) {
				t.Errorf("order %d shows items %v, want %v", o.OrderNo, got, w)
			}
			delete(want, o.OrderNo)
		}
		if len(want) != 0 || page.Total != 4 {
			t.Fatalf("결제완료: total %d, orders missing %v", page.Total, want)
		}
		// A filter on the item keeps only the matching items of an order.
		page, _ = f.ship.ListOrders(ctx, sys, shipping.Filter{Q: "전자기학"})
		if page.Total != 2 || len(page.Items[0].Items) != 1 || page.Items[0].Items[0].ProductName != "전자기학" || page.Items[0].OrderNo != c.OrderNo {
			t.Fatalf("keyword 전자기학: %+v", page)
		}
		admin := access.Actor{Login: "a", Role: access.SiteAdmin, Sites: []string{"malgn"}}
		if page, _ = f.ship.ListOrders(ctx, admin, shipping.Filter{}); page.Total != 4 {
			t.Fatalf("site admin sees %d orders, want 4", page.Total)
		}
		if page, err = f.ship.ListOrders(ctx, sys, shipping.Filter{State: "nonsense"}); apperr.CodeOf(err) != apperr.Invalid || page.Items == nil {
			t.Fatalf("unknown state: %v, items %v", err, page.Items)
		}
	})
}

// TestOrderPageWithoutAll: without 전체 상품의 배송정보를 같이 수정합니다 the
// form's state, courier and number are the first textbook item's, as the
// form shows them: a change applies to that item only (it was silently
// dropped while the page said it was saved), unchanged values change nothing,
// and a change the item cannot take is refused with nothing saved.
func TestOrderPageWithoutAll(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.paid(t, f.book, f.book2)
		ids := books(o)
		addr := order.Shipping{Recipient: "홍길동1", Phone: "010-0000-0000", Zipcode: "08797", Address: "서울시 관악구 인현6길 9 1층"}
		if err := f.ship.UpdateOrder(ctx, sys, o.OrderNo, shipping.OrderChange{Shipping: addr, State: "shipped", Carrier: "HJ", TrackingNo: "1234-5678-9012"}); err != nil {
			t.Fatal(err)
		}
		if first, second := f.state(t, ids[0]), f.state(t, ids[1]); first.State != "shipped" || first.Carrier != "HJ" || first.TrackingNo != "123456789012" ||
			second.State != "waiting" || second.TrackingNo != "" {
			t.Fatalf("first item %s %s %s, second %s %s; want the first shipped alone", first.State, first.Carrier, first.TrackingNo, second.State, second.TrackingNo)
		}
		// The form sent back as shown, with a new address: the items stay.
		addr.Address = "서울시 관악구 인현7길 1"
		if err := f.ship.UpdateOrder(ctx, sys, o.OrderNo, shipping.OrderChange{Shipping: addr, State: "shipped", Carrier: "HJ", TrackingNo: "123456789012"}); err != nil {
			t.Fatal(err)
		}
		var updates int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'delivery.update'`).Scan(&updates); err != nil || updates != 1 {
			t.Fatalf("delivery.update audits %d (%v), want 1: the unchanged form changed an item", updates, err)
		}
		// An unknown courier is refused, the address kept as it was.
		addr.Address = "부산시"
		err := f.ship.UpdateOrder(ctx, sys, o.OrderNo, shipping.OrderChange{Shipping: addr, State: "shipped", Carrier: "NOPE", TrackingNo: "1"})
		if apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("an unknown courier: %v", err)
		}
		if v, _ := f.ship.Order(ctx, sys, o.OrderNo); v.Order.Shipping.Address != "서울시 관악구 인현7길 1" {
			t.Fatalf("a refused change saved the address %q", v.Order.Shipping.Address)
		}
		// A first textbook that can no longer change (배송취소 by a full
		// refund) is left as it is: the new address is saved all the same.
		two := f.paid(t, f.book, f.book2)
		first := books(two)[0]
		req, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: two.OrderNo, ItemIDs: []int64{first}, Reason: "반품", Method: "bank_transfer",
			Bank: &refund.Bank{Name: "신한", Account: "110-123-456789", Holder: "홍길동1"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.refunds.Complete(ctx, sys, req.ID, refund.CompleteInput{Amount: req.Refundable}); err != nil {
			t.Fatal(err)
		}
		if st := f.state(t, first); st.State != "cancelled" {
			t.Fatalf("the fully refunded textbook is %s, want 배송취소", st.State)
		}
		addr.Address = "서울시 관악구 인현8길 2"
		for _, state := range []string{"cancelled", "waiting"} {
			if err := f.ship.UpdateOrder(ctx, sys, two.OrderNo, shipping.OrderChange{Shipping: addr, State: state}); err != nil {
				t.Fatalf("the address of an order whose first textbook is 배송취소 (form state %s): %v", state, err)
			}
		}
		if v, _ := f.ship.Order(ctx, sys, two.OrderNo); v.Order.Shipping.Address != addr.Address || f.state(t, first).State != "cancelled" {
			t.Fatalf("address %q, first item %s", v.Order.Shipping.Address, f.state(t, first).State)
		}
	})
}
