package shipping_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/notify"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/shipping"
	"github.com/orderdesk/orderdesk/internal/site"
)

var sys = access.System()

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	db       *sqldb.DB
	clock    *clock
	orders   *order.Service
	refunds  *refund.Service
	ship     *shipping.Service
	memberID int64
	course   int64
	book     int64
	book2    int64
	other    int64 // a textbook of site "other"
	otherMem int64
}

func setup(t testing.TB, db *sqldb.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2019, 3, 20, 13, 6, 33, 0, time.UTC)}
	now := c.Now
	sites := &site.Service{DB: db, Now: now}
	for _, s := range []site.Site{{Code: "malgn", Name: "맑은소프트"}, {Code: "other", Name: "다른사이트"}} {
		if _, err := sites.Create(ctx, sys, s); err != nil {
			t.Fatal(err)
		}
	}
	box, _ := secret.NewBox(bytes.Repeat([]byte{7}, 32))
	members := &member.Service{DB: db, Box: box, Now: now}
	m, err := members.Create(ctx, sys, member.Input{Site: "malgn", Login: "sample1", Name: "홍길동1"})
	if err != nil {
		t.Fatal(err)
	}
	om, err := members.Create(ctx, sys, member.Input{Site: "other", Login: "other1", Name: "다른회원"})
	if err != nil {
		t.Fatal(err)
	}
	cat := &catalog.Service{DB: db, Now: now}
	mk := func(p catalog.Product) int64 {
		got, err := cat.Create(ctx, sys, p)
		if err != nil {
			t.Fatal(err)
		}
		return got.ID
	}
	f := &fixture{db: db, clock: c, memberID: m.ID, otherMem: om.ID}
	f.course = mk(catalog.Product{Site: "malgn", Kind: "course", Name: "건축기사 건축계획", Delivery: "online", Schedule: "always_open", AccessDays: 60, SalePrice: 8000, ListPrice: 8000})
	f.book = mk(catalog.Product{Site: "malgn", Kind: "textbook", Name: "포토샵 교재", SalePrice: 10000, ISBN: "9788966262281"})
	f.book2 = mk(catalog.Product{Site: "malgn", Kind: "textbook", Name: "전자기학", SalePrice: 12000})
	f.other = mk(catalog.Product{Site: "other", Kind: "textbook", Name: "다른 교재", SalePrice: 9000})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gw := map[string]payment.Gateway{"sandbox": payment.NewSandbox(db, []byte("k"), now)}
	f.orders = &order.Service{DB: db, Box: box, Now: now, Log: log, Gateways: gw, OpenRefund: refund.OpenRequest}
	f.refunds = &refund.Service{DB: db, Box: box, Now: now, Log: log, Gateways: gw, Outbox: &notify.Outbox{DB: db, Now: now, Log: log, Provider: notify.LogProvider{Log: log}}}
	f.ship = &shipping.Service{DB: db, Now: now, Log: log, Orders: f.orders}
	return f
}

// paid places a bank-deposit order of the products on site malgn (or
// other, when the first product is f.other) and confirms its deposit.
func (f *fixture) paid(t testing.TB, products ...int64) order.Order {
	t.Helper()
	o := f.unpaid(t, products...)
	o, err := f.orders.ConfirmDeposit(context.Background(), sys, o.OrderNo)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (f *fixture) unpaid(t testing.TB, products ...int64) order.Order {
	t.Helper()
	siteCode, mem := "malgn", f.memberID
	if products[0] == f.other {
		siteCode, mem = "other", f.otherMem
	}
	var items []order.ItemInput
	for _, p := range products {
		items = append(items, order.ItemInput{ProductID: p, Qty: 1})
	}
	o, err := f.orders.Place(context.Background(), sys, order.PlaceInput{Site: siteCode, MemberID: mem, Method: "bank_deposit", Items: items,
		Shipping: &order.Shipping{Recipient: "홍길동1", Phone: "010-0000-0000", Zipcode: "08797", Address: "서울시 관악구 인현6길 9 1층"}})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (f *fixture) state(t testing.TB, itemID int64) shipping.Row {
	t.Helper()
	r, err := f.ship.Item(context.Background(), sys, itemID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func books(o order.Order) []int64 {
	var ids []int64
	for _, it := range o.Items {
		if it.Kind == "textbook" {
			ids = append(ids, it.ID)
		}
	}
	return ids
}
