package stats_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/notify"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/site"
	"github.com/orderdesk/orderdesk/internal/stats"
)

var sys = access.System()

// clock is the tests' one time, moved by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type world struct {
	db       *sqldb.DB
	clk      *clock
	orders   *order.Service
	refunds  *refund.Service
	stats    *stats.Service
	sandbox  *payment.Sandbox
	members  map[string]int64
	products map[string][]int64 // site → products
}

func setup(t testing.TB, db *sqldb.DB) *world {
	t.Helper()
	ctx := context.Background()
	clk := &clock{time.Date(2024, 1, 30, 3, 0, 0, 0, time.UTC)}
	box, _ := secret.NewBox(bytes.Repeat([]byte{7}, 32))
	w := &world{db: db, clk: clk, members: map[string]int64{}, products: map[string][]int64{}}
	cat := &catalog.Service{DB: db, Now: clk.now}
	for _, s := range []string{"malgn", "other"} {
		if _, err := (&site.Service{DB: db, Now: clk.now}).Create(ctx, sys, site.Site{Code: s, Name: s}); err != nil {
			t.Fatal(err)
		}
		m, err := (&member.Service{DB: db, Box: box, Now: clk.now}).Create(ctx, sys, member.Input{Site: s, Login: "m" + s, Name: "회원", Phone: "010-0000-0001"})
		if err != nil {
			t.Fatal(err)
		}
		w.members[s] = m.ID
		for _, p := range []catalog.Product{
			{Kind: "course", Name: "온라인 과정", Delivery: "online", Schedule: "always_open", Category: "IT", AccessDays: 90, SalePrice: 120000, RefundPolicy: "by_days"},
			{Kind: "course", Name: "집합 과정", Delivery: "offline", Schedule: "scheduled", Category: "건축", AccessDays: 30, StartDate: "2024-01-01", EndDate: "2026-12-31", SalePrice: 100000, RefundPolicy: "by_days"},
			{Kind: "textbook", Name: "교재", SalePrice: 23000, ShippingFee: 2500},
			{Kind: "textbook", Name: "문제집", SalePrice: 17000, ShippingFee: 3000},
			{Kind: "freepass", Name: "프리패스", SalePrice: 330000, AccessDays: 365},
			{Kind: "course", Name: "무료 특강", Delivery: "online", Schedule: "always_open", AccessDays: 30, SalePrice: 0, RefundPolicy: "by_days"},
		} {
			p.Site = s
			got, err := cat.Create(ctx, sys, p)
			if err != nil {
				t.Fatal(err)
			}
			w.products[s] = append(w.products[s], got.ID)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sb := payment.NewSandbox(db, []byte("k"), clk.now)
	gw := map[string]payment.Gateway{"sandbox": sb}
	w.orders = &order.Service{DB: db, Box: box, Now: clk.now, Log: log, Gateways: gw}
	w.refunds = &refund.Service{DB: db, Box: box, Now: clk.now, Log: log, Gateways: gw,
		Outbox: &notify.Outbox{DB: db, Now: clk.now, Log: log, Provider: notify.LogProvider{Log: log}}}
	w.stats = &stats.Service{DB: db, Now: clk.now}
	w.sandbox = sb
	return w
}

var methods = []string{"card", "transfer", "vbank", "mobile", "foreign_card", "voucher_card", "bank_deposit", "free"}

// step moves the clock by up to 20 hours, so that an order placed before
// midnight is often paid, refunded or cancelled after it.
func (w *world) step(r *rand.Rand) { w.clk.t = w.clk.t.Add(time.Duration(r.IntN(20*60)) * time.Minute) }

// randomBusiness places orders of every payment method on random Seoul days
// and pays, confirms, cancels and refunds them (partly and fully) at random.
func (w *world) randomBusiness(t *testing.T, r *rand.Rand, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		s := []string{"malgn", "malgn", "other"}[r.IntN(3)]
		method := methods[r.IntN(len(methods))]
		if i < 2*len(methods) { // every method, twice, then at random
			method = methods[i%len(methods)]
		}
		prods := w.products[s]
		var items []order.ItemInput
		for _, k := range r.Perm(len(prods))[:1+r.IntN(3)] {
			if method == "free" && k != 5 && r.IntN(2) == 0 {
				continue
			}
			items = append(items, order.ItemInput{ProductID: prods[k], Qty: 1 + r.IntN(2)})
		}
		if method == "free" {
			items = []order.ItemInput{{ProductID: prods[5], Qty: 1}}
		} else if len(items) == 1 && items[0].ProductID == prods[5] {
			items = append(items, order.ItemInput{ProductID: prods[0], Qty: 1})
		}
		in := order.PlaceInput{Site: s, MemberID: w.members[s], Method: method, Items: items,
			Shipping: &order.Shipping{Recipient: "홍길동", Phone: "010-0000-0000", Address: "서울"}}
		if method == "voucher_card" {
			in.VoucherCard = &struct {
				Company string `json:"company"`
				Number  string `json:"number"`
			}{"신한카드", "1111-2222-3333-4444"}
		}
		o, err := w.orders.Place(ctx, sys, in)
		if err != nil {
			t.Fatalf("place %s: %v", method, err)
		}
		w.step(r)
		if i >= 2*len(methods) && r.IntN(8) == 0 { // left unpaid, or cancelled before any money
			if r.IntN(2) == 0 {
				if _, err := w.orders.Cancel(ctx, sys, o.OrderNo, "변심"); err != nil {
					t.Fatalf("cancel unpaid %d: %v", o.OrderNo, err)
				}
			}
			continue
		}
		switch method {
		case "bank_deposit":
			o, err = w.orders.ConfirmDeposit(ctx, sys, o.OrderNo)
		case "free":
			o, err = w.orders.Get(ctx, sys, o.OrderNo)
		default:
			o, err = w.orders.ConfirmPayment(ctx, sys, o.OrderNo, "sandbox", fmt.Sprintf("pk-%d-%d", o.OrderNo, r.Int64()), o.Total)
		}
		if err == nil && method == "vbank" { // the deposit comes later, by the gateway's webhook
			w.step(r)
			body, headers, derr := w.sandbox.Deposit(ctx, o.PaymentKey)
			if derr != nil {
				t.Fatalf("vbank deposit %d: %v", o.OrderNo, derr)
			}
			if err = w.orders.Webhook(ctx, "sandbox", headers, body); err == nil {
				o, err = w.orders.Get(ctx, sys, o.OrderNo)
			}
		}
		if err != nil {
			t.Fatalf("pay %d (%s): %v", o.OrderNo, method, err)
		}
		w.step(r)
		if o.Total == 0 || o.Status != order.StatusPaid {
			continue
		}
		switch r.IntN(4) {
		case 0:
			if _, err := w.orders.Cancel(ctx, sys, o.OrderNo, "고객 요청"); err != nil {
				t.Fatalf("cancel paid %d: %v", o.OrderNo, err)
			}
		case 1, 2:
			for k := 0; k < 1+r.IntN(2); k++ {
				w.refund(t, r, o.OrderNo)
				w.step(r)
			}
		}
	}
}

// refund asks for a refund of some items of the order and completes it with
// a random amount up to what is refundable (sometimes all of it).
func (w *world) refund(t *testing.T, r *rand.Rand, orderNo int64) {
	t.Helper()
	ctx := context.Background()
	o, err := w.orders.Get(ctx, sys, orderNo)
	if err != nil {
		t.Fatal(err)
	}
	full := r.IntN(3) == 0
	var ids []int64
	var itemsLeft int64
	for _, it := range o.Items {
		if it.Status == order.ItemPaid && it.Paid > it.Refunded && (full || r.IntN(3) > 0) {
			ids = append(ids, it.ID)
			itemsLeft += it.Paid - it.Refunded
		}
	}
	if len(ids) == 0 || itemsLeft == 0 {
		return
	}
	method := refund.MethodPGCancel
	var bank *refund.Bank
	if o.Method == "bank_deposit" {
		method, bank = refund.MethodBankTransfer, &refund.Bank{Name: "신한은행", Account: "110-123-456789", Holder: "홍길동"}
	}
	req, err := w.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: orderNo, ItemIDs: ids, Reason: "테스트", Method: method, Bank: bank})
	if err != nil {
		t.Fatalf("refund request %d: %v", orderNo, err)
	}
	w.step(r)
	amount := itemsLeft
	switch {
	case full:
		amount = o.Collected - o.Refunded // the items and the shipping fee
	case r.IntN(2) == 0:
		amount = 1 + r.Int64N(itemsLeft)
	}
	if _, err := w.refunds.Complete(ctx, sys, req.ID, refund.CompleteInput{Amount: amount}); err != nil {
		t.Fatalf("refund complete %d of %d: %v", req.ID, amount, err)
	}
}

// journalDays sums the journal by Seoul day (or month with n = 7) directly.
func journalDays(t *testing.T, db *sqldb.DB, n int, site string) map[string]stats.Row {
	t.Helper()
	q := `SELECT business_day, amount FROM journal`
	var args []any
	if site != "" {
		q += ` WHERE site = $1`
		args = append(args, site)
	}
	rows, err := db.Read().QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]stats.Row{}
	for rows.Next() {
		var day string
		var amount int64
		if err := rows.Scan(&day, &amount); err != nil {
			t.Fatal(err)
		}
		k := day[:n]
		r := out[k]
		r.Period = k
		if amount >= 0 {
			r.OrderAmount += amount
			r.Orders++
		} else {
			r.RefundAmount -= amount
			r.Refunds++
		}
		r.Sales = r.OrderAmount - r.RefundAmount
		out[k] = r
	}
	return out
}

func expectReport(t *testing.T, name string, got stats.Report, want map[string]stats.Row) {
	t.Helper()
	total := stats.Row{Period: "합계"}
	seen := 0
	for _, r := range got.Rows {
		w := want[r.Period]
		w.Period = r.Period
		if w != r {
			t.Errorf("%s %s: report %+v, journal %+v", name, r.Period, r, w)
		}
		if _, ok := want[r.Period]; ok {
			seen++
		}
		total.OrderAmount += w.OrderAmount
		total.Orders += w.Orders
		total.RefundAmount += w.RefundAmount
		total.Refunds += w.Refunds
	}
	total.Sales = total.OrderAmount - total.RefundAmount
	if seen != len(want) {
		t.Errorf("%s: the journal has %d periods, the report shows %d of them", name, len(want), seen)
	}
	if got.Total != total {
		t.Errorf("%s total: report %+v, journal %+v", name, got.Total, total)
	}
}

// journalProducts splits every journal row over products directly from the
// journal, the order items and the refunds' per-item amounts: a capture or
// cancel at each item's paid, a refund at its items' shares, the rest to 배송비.
func journalProducts(t *testing.T, db *sqldb.DB, from, to string) map[int64]stats.CourseRow {
	t.Helper()
	ctx := context.Background()
	type item struct{ id, product, paid int64 }
	items := map[int64][]item{}
	rows, err := db.Read().QueryContext(ctx, `SELECT order_id, id, product_id, paid FROM order_items ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	productOf := map[int64]int64{}
	for rows.Next() {
		var o int64
		var it item
		if err := rows.Scan(&o, &it.id, &it.product, &it.paid); err != nil {
			t.Fatal(err)
		}
		items[o] = append(items[o], it)
		productOf[it.id] = it.product
	}
	rows.Close()
	shares := map[string]map[int64]int64{} // note → item → amount
	rows, err = db.Read().QueryContext(ctx, `SELECT refund_id, item_id, amount FROM refund_items`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var rid, iid, v int64
		if err := rows.Scan(&rid, &iid, &v); err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprintf("환불 %d", rid)
		if shares[k] == nil {
			shares[k] = map[int64]int64{}
		}
		shares[k][iid] = v
	}
	rows.Close()
	out := map[int64]stats.CourseRow{}
	rows, err = db.Read().QueryContext(ctx, `SELECT order_id, kind, amount, note, business_day FROM journal ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var oid, amount int64
		var kind, note, day string
		if err := rows.Scan(&oid, &kind, &amount, &note, &day); err != nil {
			t.Fatal(err)
		}
		if (from != "" && day < from) || (to != "" && day > to) {
			continue
		}
		part := map[int64]int64{}
		abs := max(amount, -amount)
		rest := abs
		if kind == "refund" {
			for iid, v := range shares[note] {
				part[productOf[iid]] += v
				rest -= v
			}
		} else {
			for _, it := range items[oid] {
				part[it.product] += it.paid
				rest -= it.paid
			}
		}
		if rest != 0 {
			part[stats.ShippingProduct] += rest
		}
		for p, v := range part {
			r := out[p]
			if amount >= 0 {
				r.OrderAmount += v
				r.Orders++
			} else if v != 0 {
				r.RefundAmount += v
				r.Refunds++
			}
			r.Sales = r.OrderAmount - r.RefundAmount
			out[p] = r
		}
	}
	return out
}

// The property: after a random mix of orders of every payment method,
// deposit confirmations, cancellations and partial and full refunds over
// random Seoul days (orders placed before midnight and paid after among
// them), every row and total of the daily, monthly and per-course reports
// equals a direct sum over the journal, for all sites and for one.
func TestReportsEqualTheJournal(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		w := setup(t, db)
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		r := rand.New(rand.NewPCG(seed, 14))
		w.randomBusiness(t, r, 70)
		ctx := context.Background()
		first, last := "2024-01-30", kst.Day(w.clk.t)
		for _, site := range []string{"", "other"} {
			daily, err := w.stats.Daily(ctx, sys, stats.Filter{From: first, To: last, Site: site})
			if err != nil {
				t.Fatal(err)
			}
			expectReport(t, "daily "+site, daily, journalDays(t, db, 10, site))
			monthly, err := w.stats.Monthly(ctx, sys, stats.Filter{From: first[:7], To: last[:7], Site: site})
			if err != nil {
				t.Fatal(err)
			}
			expectReport(t, "monthly "+site, monthly, journalDays(t, db, 7, site))
			// The API's dates are days: a day stands for its month.
			byDays, err := w.stats.Monthly(ctx, sys, stats.Filter{From: first, To: last, Site: site})
			if err != nil || !reflect.DeepEqual(byDays, monthly) {
				t.Fatalf("monthly by days %s..%s: %+v, %v; want the months' report", first, last, byDays, err)
			}
		}
		// 과정매출통계 over the whole time, open ranges, whole months and
		// random ranges that cut months.
		ranges := [][2]string{{"", ""}, {"", last}, {first, ""}, {"2024-02-01", "2024-02-29"}, {"2024-01-30", "2024-02-01"}, {"2024-02-02", "2024-03-31"}, {"2024-01-31", "2024-03-01"}}
		for i := 0; i < 8; i++ {
			a := w.clk.t.AddDate(0, 0, -r.IntN(60)).In(kst.Seoul)
			b := a.AddDate(0, 0, r.IntN(50))
			ranges = append(ranges, [2]string{kst.Day(a), kst.Day(b)})
		}
		for _, rg := range ranges {
			courses, err := w.stats.Courses(ctx, sys, stats.CourseFilter{From: rg[0], To: rg[1]})
			if err != nil {
				t.Fatal(err)
			}
			want := journalProducts(t, db, rg[0], rg[1])
			got := map[int64]stats.CourseRow{}
			var total stats.CourseRow
			for _, row := range courses.Rows {
				got[row.ProductID] = stats.CourseRow{Sales: row.Sales, OrderAmount: row.OrderAmount, Orders: row.Orders, RefundAmount: row.RefundAmount, Refunds: row.Refunds}
				total.OrderAmount += row.OrderAmount
				total.RefundAmount += row.RefundAmount
				total.Orders += row.Orders
				total.Refunds += row.Refunds
			}
			for p, v := range want {
				if _, ok := got[p]; !ok && v != (stats.CourseRow{}) {
					got[p] = stats.CourseRow{}
				}
			}
			for p, g := range got {
				if want[p] != g {
					t.Errorf("과정매출통계 %s..%s product %d: report %+v, journal split %+v", rg[0], rg[1], p, g, want[p])
				}
			}
			total.Sales = total.OrderAmount - total.RefundAmount
			total.Name = "합계"
			if courses.Total != total {
				t.Errorf("과정매출통계 %s..%s total %+v, rows %+v", rg[0], rg[1], courses.Total, total)
			}
		}
		all := journalDays(t, db, 0, "")[""]
		courses, err := w.stats.Courses(ctx, sys, stats.CourseFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if courses.Total.OrderAmount != all.OrderAmount || courses.Total.RefundAmount != all.RefundAmount || courses.Total.Sales != all.Sales {
			t.Errorf("과정매출통계 total %+v, journal %+v", courses.Total, all)
		}
		var methodsPaid, overMidnight int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(DISTINCT method), (SELECT COUNT(*) FROM orders WHERE paid_day <> '' AND paid_day <> ordered_day)
			FROM journal WHERE kind = 'capture'`).Scan(&methodsPaid, &overMidnight); err != nil {
			t.Fatal(err)
		}
		if methodsPaid != len(methods) || overMidnight == 0 {
			t.Errorf("the random business paid %d of %d methods and %d orders on a later day than placed", methodsPaid, len(methods), overMidnight)
		}
		if all.Orders < 20 || all.Refunds < 5 {
			t.Errorf("the random business moved too little money to test: %+v", all)
		}
	})
}

// The migration 0015 rolls up journal rows written before it by the same
// rule as book(): rebuilt from the journal, both rollups equal what book()
// kept row by row.
func TestMigrationRollsUpTheJournalAsBookDoes(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		w := setup(t, db)
		r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
		w.randomBusiness(t, r, 40)
		ctx := context.Background()
		body, err := os.ReadFile(filepath.Join("..", "platform", "sqldb", "migrations", string(db.Engine), "0015_sales_products.sql"))
		if err != nil {
			t.Fatal(err)
		}
		var rebuild []string // the statements that roll up, as the migration runs them
		for _, stmt := range strings.Split(string(body), ";\n") {
			var lines []string
			for _, l := range strings.Split(stmt, "\n") {
				if !strings.HasPrefix(strings.TrimSpace(l), "--") {
					lines = append(lines, l)
				}
			}
			stmt = strings.TrimSpace(strings.Join(lines, "\n"))
			if strings.HasPrefix(stmt, "UPDATE") || strings.HasPrefix(stmt, "INSERT") {
				rebuild = append(rebuild, stmt)
			}
		}
		if len(rebuild) != 3 {
			t.Fatalf("the migration has %d roll-up statements, want 3", len(rebuild))
		}
		snapshot := func() string {
			var b strings.Builder
			for _, q := range []string{`SELECT site, day, product_id, captured, returned, orders, refunds FROM sales_products ORDER BY site, day, product_id`,
				`SELECT site, month, product_id, captured, returned, orders, refunds FROM sales_products_monthly ORDER BY site, month, product_id`,
				`SELECT site, day, method, captured, returned, orders, refunds FROM sales_daily ORDER BY site, day, method`} {
				rows, err := db.Read().QueryContext(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var a, b2, c string
					var d, e, f, g int64
					if err := rows.Scan(&a, &b2, &c, &d, &e, &f, &g); err != nil {
						t.Fatal(err)
					}
					fmt.Fprintln(&b, a, b2, c, d, e, f, g)
				}
				rows.Close()
			}
			return b.String()
		}
		kept := snapshot()
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			for _, q := range append([]string{`DELETE FROM sales_products`, `DELETE FROM sales_products_monthly`, `UPDATE sales_daily SET refunds = 0`}, rebuild...) {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("%s: %w", q[:30], err)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got := snapshot(); got != kept {
			t.Errorf("rolled up by the migration:\n%s\nkept by book():\n%s", got, kept)
		}
	})
}
