package order_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/site"
)

// listed is an order as 주문목록 filters it, read plainly from the table.
type listed struct {
	no                                                  int64
	site, method, status, ordered, paid, login, name, t string
}

// TestListAgreesWithAPlainQuery places, pays, cancels and refunds a few
// hundred orders through the service on a clock that jumps between days and
// months (so order numbers do not follow the days), then compares every page
// of many filters, read by offset and through anchors, and every total, with
// the orders filtered one by one from a plain SELECT; and the rollups with a
// GROUP BY of the orders.
func TestListAgreesWithAPlainQuery(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		clock := time.Date(2019, 12, 1, 3, 0, 0, 0, time.UTC)
		f.svc.Now = func() time.Time { return clock }
		if _, err := (&site.Service{DB: db, Now: f.svc.Now}).Create(ctx, sys, site.Site{Code: "second", Name: "둘째"}); err != nil {
			t.Fatal(err)
		}
		m2, err := (&member.Service{DB: db, Box: f.svc.Box, Now: f.svc.Now}).Create(ctx, sys, member.Input{Site: "second", Login: "other7", Name: "김둘째"})
		if err != nil {
			t.Fatal(err)
		}
		c2, err := (&catalog.Service{DB: db, Now: f.svc.Now}).Create(ctx, sys, catalog.Product{Site: "second", Kind: "course", Name: "엑셀 실무과정",
			Delivery: "online", Schedule: "always_open", AccessDays: 30, SalePrice: 50000, ListPrice: 50000})
		if err != nil {
			t.Fatal(err)
		}
		rnd := rand.New(rand.NewPCG(15, 4))
		day0 := time.Date(2019, 11, 20, 3, 0, 0, 0, time.UTC) // 2019-11-20 12:00 in Seoul
		methods := []string{"card", "transfer", "mobile", "foreign_card", "bank_deposit", "free"}
		// 260 orders on days that jump back and forth (their months' order
		// numbers overlap), then 90 on days that only go forward from
		// 2020-03-02 (each month's order numbers apart from the others').
		const n = 350
		later := time.Date(2020, 3, 1, 3, 0, 0, 0, time.UTC)
		for i := 0; i < n; i++ {
			clock = day0.Add(time.Duration(rnd.IntN(100*24)) * time.Hour) // about 2019-11-20 to 2020-02-28
			if i >= 260 {
				later = later.Add(time.Duration(6+rnd.IntN(36)) * time.Hour) // about 2020-03-02 to 2020-05-25
				clock = later
			}
			method := methods[rnd.IntN(len(methods))]
			in := order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: method, Items: []order.ItemInput{{ProductID: f.course, Qty: 1}}}
			if rnd.IntN(3) == 0 {
				in = order.PlaceInput{Site: "second", MemberID: m2.ID, Method: method, Items: []order.ItemInput{{ProductID: c2.ID, Qty: 1}}}
			}
			if method == "free" {
				in.Items[0].Discount = map[string]int64{"malgn": 300000, "second": 50000}[in.Site]
			}
			o, err := f.svc.Place(ctx, sys, in)
			if err != nil {
				t.Fatalf("place %d: %v", i, err)
			}
			clock = clock.Add(time.Duration(rnd.IntN(4*24)) * time.Hour) // paid up to four days later
			switch r := rnd.IntN(10); {
			case method == "free" || r == 0: // paid at once, or left as it is
			case r == 1 && method == "bank_deposit":
				continue // 입금대기
			case r == 1:
				continue // 임시주문
			case method == "bank_deposit":
				if _, err := f.svc.ConfirmDeposit(ctx, sys, o.OrderNo); err != nil {
					t.Fatal(err)
				}
			default:
				if _, err := f.svc.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", fmt.Sprintf("list-%d", i), o.Total); err != nil {
					t.Fatal(err)
				}
			}
			clock = clock.Add(time.Duration(rnd.IntN(3*24)) * time.Hour)
			switch r := rnd.IntN(10); {
			case r < 2:
				if _, err := f.svc.Cancel(ctx, sys, o.OrderNo, "test"); err != nil && method != "free" {
					t.Logf("cancel %d (%s): %v", o.OrderNo, method, err)
				}
			case r < 4 && method != "free":
				err := db.InTx(ctx, func(tx *sqldb.Tx) error {
					got, err := f.svc.Get(ctx, sys, o.OrderNo)
					if err != nil || got.Status != order.StatusPaid {
						return err
					}
					rf, err := order.LoadRefundable(ctx, tx, got.ID)
					if err != nil {
						return err
					}
					amount := rf.Items[0].Left()
					if r == 2 {
						amount /= 3 // 부분환불
					}
					_, err = order.ReturnMoney(ctx, tx, rf, map[int64]int64{rf.Items[0].ID: amount}, 0, clock, "환불 test")
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		checkListRollups(t, db)

		var all []listed
		rows, err := db.Read().QueryContext(ctx, `SELECT order_no, site, method, status, ordered_day, paid_day, buyer_login, buyer_name, title FROM orders`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var l listed
			if err := rows.Scan(&l.no, &l.site, &l.method, &l.status, &l.ordered, &l.paid, &l.login, &l.name, &l.t); err != nil {
				t.Fatal(err)
			}
			all = append(all, l)
		}
		rows.Close()
		slices.SortFunc(all, func(a, b listed) int { return int(b.no - a.no) })
		statuses := map[string]int{}
		for _, l := range all {
			statuses[l.status]++
		}
		t.Logf("%d orders by status: %v", len(all), statuses)
		for _, s := range []string{order.StatusPending, order.StatusPaid, order.StatusAwaitingDeposit, order.StatusCancelled, order.StatusPartiallyRefunded, order.StatusRefunded} {
			if statuses[s] == 0 {
				t.Fatalf("no order is %s: the data set does not test that status", s)
			}
		}

		scoped := access.Actor{Login: "clerk", Role: access.SiteAdmin, Sites: []string{"second"}, Lang: "ko"}
		filters := []order.Filter{
			{}, {IncludePending: true}, {Status: order.StatusPaid}, {Status: order.StatusPending}, {Status: order.StatusRefunded},
			{Method: "card"}, {Method: "bank_deposit", Status: order.StatusAwaitingDeposit}, {Method: "free"}, {Site: "second"},
			{OrderedFrom: "2019-12-01", OrderedTo: "2019-12-31"}, {OrderedFrom: "2019-12-05", OrderedTo: "2020-02-10"},
			{OrderedFrom: "2019-12-31", OrderedTo: "2020-01-01"}, {OrderedFrom: "2020-01-15"}, {OrderedTo: "2019-12-20"},
			{OrderedFrom: "2019-12-10", OrderedTo: "2019-12-10"}, {OrderedFrom: "2020-01-10", OrderedTo: "2019-12-10"},
			{PaidFrom: "2019-12-01", PaidTo: "2019-12-31"}, {PaidFrom: "2019-12-03", PaidTo: "2020-01-29"}, {PaidFrom: "2020-02-01"},
			{PaidTo: "2019-12-31"}, {PaidFrom: "2019-12-25", PaidTo: "2019-12-25"},
			{OrderedFrom: "2019-12-01", OrderedTo: "2020-01-31", PaidFrom: "2019-12-15", PaidTo: "2020-02-05"},
			{OrderedFrom: "2019-12-11", OrderedTo: "2020-01-20", PaidFrom: "2020-01-01", PaidTo: "2020-01-31", Method: "card"},
			{Method: "card", Status: order.StatusPaid, OrderedFrom: "2019-12-01", OrderedTo: "2020-02-29"},
			{Site: "second", Method: "transfer", PaidFrom: "2020-01-01", PaidTo: "2020-12-31"},
			{IncludePending: true, OrderedFrom: "2020-01-01", OrderedTo: "2020-01-31"},
			{Q: "sample2122", Field: "member_login"}, {Q: "other7", Field: "member_login", OrderedFrom: "2020-01-01"},
			{OrderedFrom: "2020-02-20", OrderedTo: "2020-04-15"}, {PaidFrom: "2020-03-10", PaidTo: "2020-05-03", Status: order.StatusPaid},
			{Method: "card", OrderedFrom: "2020-03-01"}, {Site: "second", PaidFrom: "2020-02-25"},
			{Q: "김둘째", Field: "buyer_name", Status: order.StatusPaid}, {Q: "엑셀", Field: "title"}, {Q: "영화", IncludePending: true},
			{Q: "없는 말", Field: "title"}, {Q: fmt.Sprint(all[len(all)/2].no), Field: "order_no"}, {Q: fmt.Sprint(all[3].no)},
		}
		for _, a := range []access.Actor{sys, scoped} {
			for _, flt := range filters {
				want := plainList(all, a, flt)
				name := fmt.Sprintf("%s %+v", a.Login, flt)
				for _, per := range []int{7, 50} {
					flt.PerPage = per
					// Pages of 7 cut every span the offset falls in into days;
					// pages of 50 walk the offset when it is short.
					undo := func() {}
					if per == 7 {
						undo = order.SetRefineRows(0)
					}
					pages := max(1, (len(want)+per-1)/per)
					for p := 1; p <= pages+1; p++ {
						flt.Page, flt.Anchor, flt.AnchorPage = p, 0, 0
						got := listNos(t, f.svc, a, flt, len(want))
						if w := pageOf(want, p, per); !slices.Equal(w, got) {
							t.Fatalf("%s page %d of %d (offset): got %v, want %v", name, p, per, got, w)
						}
						if len(got) == 0 {
							continue
						}
						// The pager of page p links pages p-5 … p+5 through its first order.
						for q := max(1, p-5); q <= p+5; q++ {
							flt.Page, flt.Anchor, flt.AnchorPage = q, got[0], p
							if w, got := pageOf(want, q, per), listNos(t, f.svc, a, flt, len(want)); !slices.Equal(w, got) {
								t.Fatalf("%s page %d of %d from the anchor of page %d: got %v, want %v", name, q, per, p, got, w)
							}
						}
					}
					undo()
				}
			}
		}
	})
}

// listNos lists a page and checks its total.
func listNos(t *testing.T, svc *order.Service, a access.Actor, f order.Filter, total int) []int64 {
	t.Helper()
	page, err := svc.List(context.Background(), a, f)
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != total {
		t.Fatalf("%+v: total %d, want %d", f, page.Total, total)
	}
	out := []int64{}
	for _, r := range page.Items {
		out = append(out, r.OrderNo)
	}
	return out
}

func pageOf(nos []int64, page, per int) []int64 {
	out := []int64{}
	for i := (page - 1) * per; i < len(nos) && i < page*per; i++ {
		out = append(out, nos[i])
	}
	return out
}

// plainList filters the orders one by one as the screen says: newest first.
func plainList(all []listed, a access.Actor, f order.Filter) []int64 {
	q := strings.TrimSpace(f.Q)
	out := []int64{}
	for _, l := range all {
		ok := a.CanRead(l.site) && (f.Site == "" || l.site == f.Site) &&
			(f.OrderedFrom == "" || l.ordered >= f.OrderedFrom) && (f.OrderedTo == "" || l.ordered <= f.OrderedTo) &&
			(f.PaidFrom == "" || (l.paid != "" && l.paid >= f.PaidFrom)) && (f.PaidTo == "" || (l.paid != "" && l.paid <= f.PaidTo)) &&
			(f.Method == "" || l.method == f.Method)
		switch {
		case f.Status != "":
			ok = ok && l.status == f.Status
		case !f.IncludePending:
			ok = ok && l.status != order.StatusPending
		}
		if q != "" {
			no := fmt.Sprint(l.no)
			title := strings.Contains(strings.ToLower(l.t), strings.ToLower(q))
			switch f.Field {
			case "order_no":
				ok = ok && no == q
			case "title":
				ok = ok && title
			case "buyer_name":
				ok = ok && l.name == q
			case "member_login":
				ok = ok && l.login == q
			default:
				ok = ok && (no == q || l.login == q || l.name == q || title)
			}
		}
		if ok {
			out = append(out, l.no)
		}
	}
	return out
}

// checkListRollups compares 주문목록's rollups with a GROUP BY of the orders.
func checkListRollups(t *testing.T, db *sqldb.DB) {
	t.Helper()
	ctx := context.Background()
	read := func(q string) map[string]int64 {
		rows, err := db.Read().QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var k string
			var n int64
			if err := rows.Scan(&k, &n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				out[k] = n
			}
		}
		return out
	}
	for _, c := range []struct{ rollup, orders string }{
		{`SELECT ordered_day || '/' || paid_day || '/' || site || '/' || status || '/' || method, n FROM order_day_counts`,
			`SELECT ordered_day || '/' || paid_day || '/' || site || '/' || status || '/' || method, COUNT(*) FROM orders GROUP BY ordered_day, paid_day, site, status, method`},
		{`SELECT ordered_month || '/' || paid_month || '/' || site || '/' || status || '/' || method, n FROM order_month_counts`,
			`SELECT SUBSTR(ordered_day, 1, 7) || '/' || SUBSTR(paid_day, 1, 7) || '/' || site || '/' || status || '/' || method, COUNT(*) FROM orders
				GROUP BY SUBSTR(ordered_day, 1, 7), SUBSTR(paid_day, 1, 7), site, status, method`},
	} {
		if o, r := read(c.orders), read(c.rollup); !maps.Equal(o, r) {
			t.Fatalf("rollup differs from the orders:\norders %v\nrollup %v", o, r)
		}
	}
	var outside int
	if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM orders o LEFT JOIN order_days d ON d.day = o.ordered_day
		WHERE d.day IS NULL OR o.order_no < d.min_no OR o.order_no > d.max_no`).Scan(&outside); err != nil || outside != 0 {
		t.Fatalf("orders outside their day's bounds: %d %v", outside, err)
	}
	if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM orders o LEFT JOIN order_titles t ON t.title = o.title
		WHERE t.title IS NULL`).Scan(&outside); err != nil || outside != 0 {
		t.Fatalf("orders whose title is not in order_titles: %d %v", outside, err)
	}
}
