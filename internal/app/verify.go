package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

// ErrVerifyFailed is returned when verify found broken invariants.
var ErrVerifyFailed = errors.New("verify found problems")

// check is one invariant: it returns a line per broken instance.
type check struct {
	name string
	run  func(ctx context.Context, a *App) ([]string, error)
}

// lines runs a query whose rows are one text column each: the broken instances.
func lines(ctx context.Context, a *App, query string, args ...any) ([]string, error) {
	rows, err := a.DB.Read().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

var checks = []check{
	{"each marketplace line belongs to its marketplace, import and bundle", func(ctx context.Context, a *App) ([]string, error) {
		return market.Orphans(ctx, a.DB.Read())
	}},
	{"each settlement row belongs to a marketplace line and rule version", func(ctx context.Context, a *App) ([]string, error) {
		return settlement.Orphans(ctx, a.DB.Read())
	}},
	{"each order's received money equals its journal captures", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT 'order ' || o.order_no || ': collected ' || o.collected || ', journal captures ' || COALESCE(j.s, 0)
			FROM orders o LEFT JOIN (SELECT order_id, SUM(amount) AS s FROM journal WHERE kind = 'capture' GROUP BY order_id) j ON j.order_id = o.id
			WHERE o.collected <> COALESCE(j.s, 0) ORDER BY o.order_no`)
	}},
	{"each order's returned money equals its journal cancels and refunds", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT 'order ' || o.order_no || ': refunded ' || o.refunded || ', journal returns ' || COALESCE(j.s, 0)
			FROM orders o LEFT JOIN (SELECT order_id, -SUM(amount) AS s FROM journal WHERE kind <> 'capture' GROUP BY order_id) j ON j.order_id = o.id
			WHERE o.refunded <> COALESCE(j.s, 0) ORDER BY o.order_no`)
	}},
	{"each order's amount is 정가 - 환급금액 - 할인액 + 배송비 of its items", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT 'order ' || o.order_no || ': total ' || o.total || ' but items say ' || (i.l - i.s - i.d + o.shipping_fee)
			FROM orders o JOIN (SELECT order_id, SUM(list_price) AS l, SUM(subsidy) AS s, SUM(discount) AS d, SUM(paid) AS p FROM order_items GROUP BY order_id) i
			ON i.order_id = o.id WHERE o.total <> i.l - i.s - i.d + o.shipping_fee OR i.p + o.shipping_fee <> o.total
			OR o.list_total <> i.l OR o.subsidy_total <> i.s OR o.discount_total <> i.d ORDER BY o.order_no`)
	}},
	{"order statuses agree with their money", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT 'order ' || order_no || ': status ' || status || ' with total ' || total || ', collected ' || collected || ', refunded ' || refunded
			FROM orders WHERE
			(status IN ('pending', 'awaiting_deposit') AND (collected <> 0 OR refunded <> 0))
			OR (status = 'paid' AND (collected <> total OR refunded <> 0))
			OR (status = 'partially_refunded' AND (collected <> total OR refunded <= 0 OR refunded >= collected))
			OR (status = 'refunded' AND (collected <> total OR refunded <> collected))
			OR (status = 'cancelled' AND refunded <> collected)
			OR refunded > collected ORDER BY order_no`)
	}},
	{"주문목록's rollup by day equals the orders", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT COALESCE(c.ordered_day, o.ordered_day) || ' paid ' || COALESCE(c.paid_day, o.paid_day) || ' ' || COALESCE(c.site, o.site) || ' ' ||
			COALESCE(c.status, o.status) || ' ' || COALESCE(c.method, o.method) || ': rollup ' || COALESCE(c.n, 0) || ', orders ' || COALESCE(o.n, 0)
			FROM order_day_counts c FULL OUTER JOIN (SELECT ordered_day, paid_day, site, status, method, COUNT(*) AS n FROM orders
				GROUP BY ordered_day, paid_day, site, status, method) o
			ON o.ordered_day = c.ordered_day AND o.paid_day = c.paid_day AND o.site = c.site AND o.status = c.status AND o.method = c.method
			WHERE COALESCE(c.n, 0) <> COALESCE(o.n, 0) ORDER BY 1`)
	}},
	{"주문목록's rollup by month equals the orders", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT COALESCE(c.ordered_month, o.m) || ' paid ' || COALESCE(c.paid_month, o.pm) || ' ' || COALESCE(c.site, o.site) || ' ' ||
			COALESCE(c.status, o.status) || ' ' || COALESCE(c.method, o.method) || ': rollup ' || COALESCE(c.n, 0) || ', orders ' || COALESCE(o.n, 0)
			FROM order_month_counts c FULL OUTER JOIN (SELECT SUBSTR(ordered_day, 1, 7) AS m, SUBSTR(paid_day, 1, 7) AS pm, site, status, method, COUNT(*) AS n
				FROM orders GROUP BY SUBSTR(ordered_day, 1, 7), SUBSTR(paid_day, 1, 7), site, status, method) o
			ON o.m = c.ordered_month AND o.pm = c.paid_month AND o.site = c.site AND o.status = c.status AND o.method = c.method
			WHERE COALESCE(c.n, 0) <> COALESCE(o.n, 0) ORDER BY 1`)
	}},
	{"every order's number lies within its order day's bounds", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT 'order ' || o.order_no || ' of ' || o.ordered_day || ': bounds ' || COALESCE(d.min_no, -1) || '-' || COALESCE(d.max_no, -1)
			FROM orders o LEFT JOIN order_days d ON d.day = o.ordered_day
			WHERE d.day IS NULL OR o.order_no < d.min_no OR o.order_no > d.max_no ORDER BY o.order_no`)
	}},
	{"every order's title is in the titles 주문명 is searched in", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT 'order ' || o.order_no || ': title ' || o.title || ' is not in order_titles'
			FROM orders o LEFT JOIN order_titles t ON t.title = o.title WHERE t.title IS NULL ORDER BY o.order_no`)
	}},
	{"the daily sales rollup equals the journal", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT COALESCE(r.site, j.site) || ' ' || COALESCE(r.day, j.business_day) || ' ' || COALESCE(r.method, j.method) ||
			': rollup ' || COALESCE(r.captured, 0) || '/' || COALESCE(r.returned, 0) || ', journal ' || COALESCE(j.cap, 0) || '/' || COALESCE(j.ret, 0)
			FROM sales_daily r FULL OUTER JOIN (SELECT site, business_day, method, SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS cap,
				-SUM(CASE WHEN amount < 0 THEN amount ELSE 0 END) AS ret FROM journal GROUP BY site, business_day, method) j
			ON j.site = r.site AND j.business_day = r.day AND j.method = r.method
			WHERE COALESCE(r.captured, 0) <> COALESCE(j.cap, 0) OR COALESCE(r.returned, 0) <> COALESCE(j.ret, 0)`)
	}},
	{"the daily sales rollup counts the journal's orders and refunds", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT COALESCE(r.site, j.site) || ' ' || COALESCE(r.day, j.business_day) || ' ' || COALESCE(r.method, j.method) ||
			': rollup ' || COALESCE(r.orders, 0) || ' orders/' || COALESCE(r.refunds, 0) || ' refunds, journal ' || COALESCE(j.o, 0) || '/' || COALESCE(j.r, 0)
			FROM sales_daily r FULL OUTER JOIN (SELECT site, business_day, method, SUM(CASE WHEN amount >= 0 THEN 1 ELSE 0 END) AS o,
				SUM(CASE WHEN amount < 0 THEN 1 ELSE 0 END) AS r FROM journal GROUP BY site, business_day, method) j
			ON j.site = r.site AND j.business_day = r.day AND j.method = r.method
			WHERE COALESCE(r.orders, 0) <> COALESCE(j.o, 0) OR COALESCE(r.refunds, 0) <> COALESCE(j.r, 0)`)
	}},
	{"the sales rollup by product adds up to the journal, day by day", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT COALESCE(r.site, j.site) || ' ' || COALESCE(r.day, j.business_day) ||
			': products ' || COALESCE(r.cap, 0) || '/' || COALESCE(r.ret, 0) || ', journal ' || COALESCE(j.cap, 0) || '/' || COALESCE(j.ret, 0)
			FROM (SELECT site, day, SUM(captured) AS cap, SUM(returned) AS ret FROM sales_products GROUP BY site, day) r
			FULL OUTER JOIN (SELECT site, business_day, SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS cap,
				-SUM(CASE WHEN amount < 0 THEN amount ELSE 0 END) AS ret FROM journal GROUP BY site, business_day) j
			ON j.site = r.site AND j.business_day = r.day
			WHERE COALESCE(r.cap, 0) <> COALESCE(j.cap, 0) OR COALESCE(r.ret, 0) <> COALESCE(j.ret, 0)`)
	}},
	{"the monthly sales rollup by product adds up its days", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT COALESCE(m.site, d.site) || ' ' || COALESCE(m.month, d.month) || ' product ' || COALESCE(m.product_id, d.product_id) ||
			': month ' || COALESCE(m.captured, 0) || '/' || COALESCE(m.returned, 0) || '/' || COALESCE(m.orders, 0) || '/' || COALESCE(m.refunds, 0) ||
			', days ' || COALESCE(d.cap, 0) || '/' || COALESCE(d.ret, 0) || '/' || COALESCE(d.n, 0) || '/' || COALESCE(d.r, 0)
			FROM sales_products_monthly m FULL OUTER JOIN (SELECT site, substr(day, 1, 7) AS month, product_id, SUM(captured) AS cap,
				SUM(returned) AS ret, SUM(orders) AS n, SUM(refunds) AS r FROM sales_products GROUP BY site, substr(day, 1, 7), product_id) d
			ON d.site = m.site AND d.month = m.month AND d.product_id = m.product_id
			WHERE COALESCE(m.captured, 0) <> COALESCE(d.cap, 0) OR COALESCE(m.returned, 0) <> COALESCE(d.ret, 0)
				OR COALESCE(m.orders, 0) <> COALESCE(d.n, 0) OR COALESCE(m.refunds, 0) <> COALESCE(d.r, 0)`)
	}},
	{"the sales rollup by product holds each product's items", func(ctx context.Context, a *App) ([]string, error) {
		// Each product's received money is what its items of captured orders
		// were paid, its returned money what they got back, and its order
		// count the captured orders that hold it (order.rollProducts).
		return lines(ctx, a, `SELECT COALESCE(r.site, i.site) || ' product ' || COALESCE(r.product_id, i.product_id) ||
			': rollup ' || COALESCE(r.cap, 0) || '/' || COALESCE(r.ret, 0) || ' in ' || COALESCE(r.n, 0) || ' orders, items ' ||
			COALESCE(i.cap, 0) || '/' || COALESCE(i.ret, 0) || ' in ' || COALESCE(i.n, 0) || ' orders'
			FROM (SELECT site, product_id, SUM(captured) AS cap, SUM(returned) AS ret, SUM(orders) AS n FROM sales_products
				WHERE product_id <> 0 GROUP BY site, product_id) r
			FULL OUTER JOIN (SELECT o.site, it.product_id, SUM(it.paid) AS cap, SUM(it.refunded) AS ret, COUNT(DISTINCT o.id) AS n
				FROM orders o JOIN order_items it ON it.order_id = o.id
				WHERE EXISTS (SELECT 1 FROM journal j WHERE j.order_id = o.id AND j.kind = 'capture') GROUP BY o.site, it.product_id) i
			ON i.site = r.site AND i.product_id = r.product_id
			WHERE COALESCE(r.cap, 0) <> COALESCE(i.cap, 0) OR COALESCE(r.ret, 0) <> COALESCE(i.ret, 0) OR COALESCE(r.n, 0) <> COALESCE(i.n, 0)`)
	}},
	{"every gateway cancel or refund claimed over a minute ago is recorded", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT 'order ' || o.order_no || ': ' || c.kind || ' ' || c.idem_key || ' (' || c.amount || '원, 0 = all) called but not recorded; the server records it at start and every minute'
			FROM gateway_calls c JOIN orders o ON o.id = c.order_id WHERE c.state = 'open' AND c.claimed_at < $1 ORDER BY c.claimed_at`,
			sqldb.Instant(a.Now().Add(-order.RecoverAfter)))
	}},
	{"an order is claimed only by its open gateway call", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT 'order ' || o.order_no || ': claimed by ' || o.gateway_call || ', which is not open'
			FROM orders o WHERE o.gateway_call <> '' AND NOT EXISTS (SELECT 1 FROM gateway_calls c WHERE c.idem_key = o.gateway_call AND c.state = 'open')
			UNION ALL SELECT 'order ' || o.order_no || ': open gateway call ' || c.idem_key || ' does not hold the order'
			FROM gateway_calls c JOIN orders o ON o.id = c.order_id WHERE c.state = 'open' AND o.gateway_call <> c.idem_key`)
	}},
	{"no cancelled order keeps an open refund request", func(ctx context.Context, a *App) ([]string, error) {
		return lines(ctx, a, `SELECT 'order ' || o.order_no || ': cancelled with refund request ' || r.id || ' still requested'
			FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.status = 'requested' AND o.status = 'cancelled' ORDER BY r.id`)
	}},
	{"the sandbox gateway holds what the books say, no more", sandboxHoldings},
	{"schema is migrated to the latest version", func(ctx context.Context, a *App) ([]string, error) {
		applied, latest, err := a.DB.Version(ctx)
		if err != nil || applied == latest {
			return nil, err
		}
		return []string{fmt.Sprintf("schema at version %d, binary expects %d", applied, latest)}, nil
	}},
	{"every resident registration number decrypts with the configured key", func(ctx context.Context, a *App) ([]string, error) {
		rows, err := a.DB.Read().QueryContext(ctx, `SELECT id, rrn_enc FROM members WHERE rrn_enc <> '' ORDER BY id`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var bad []string
		for rows.Next() {
			var id int64
			var enc string
			if err := rows.Scan(&id, &enc); err != nil {
				return nil, err
			}
			if _, err := a.Members.Box.Open(enc); err != nil {
				bad = append(bad, fmt.Sprintf("member %d: resident registration number does not decrypt (wrong ORDERDESK_SECRET_KEY?)", id))
			}
		}
		return bad, rows.Err()
	}},
	{"site admins and viewers have at least one site", func(ctx context.Context, a *App) ([]string, error) {
		rows, err := a.DB.Read().QueryContext(ctx, `SELECT login FROM staff s WHERE role <> 'super_admin'
			AND NOT EXISTS (SELECT 1 FROM staff_sites x WHERE x.staff_id = s.id) ORDER BY login`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var bad []string
		for rows.Next() {
			var login string
			if err := rows.Scan(&login); err != nil {
				return nil, err
			}
			bad = append(bad, "staff "+login+" has no site")
		}
		return bad, rows.Err()
	}},
}

// Verify runs every check, prints each broken invariant and returns
// ErrVerifyFailed when there was any.
func (a *App) Verify(ctx context.Context, w io.Writer) error {
	broken := 0
	for _, c := range checks {
		lines, err := c.run(ctx, a)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		status := "ok"
		if len(lines) > 0 {
			status = fmt.Sprintf("BROKEN (%d)", len(lines))
		}
		fmt.Fprintf(w, "%-70s %s\n", c.name, status)
		for _, l := range lines {
			fmt.Fprintln(w, "  "+l)
		}
		broken += len(lines)
	}
	if broken > 0 {
		return ErrVerifyFailed
	}
	fmt.Fprintln(w, "all checks passed")
	return nil
}

// sandboxHoldings compares every approved balance at the built-in gateway
// with the order it belongs to: a payment the order never took is an
// over-capture (money taken from a buyer that no order records); the order's
// own payment holds what it received less what it returned (a virtual-account
// order may have returned money by bank transfer instead).
func sandboxHoldings(ctx context.Context, a *App) ([]string, error) {
	hs, err := a.Sandbox.Holdings(ctx)
	if err != nil {
		return nil, err
	}
	type ord struct {
		no                          int64
		gateway, key, method, state string
		collected, refunded         int64
	}
	rows, err := a.DB.Read().QueryContext(ctx, `SELECT order_no, gateway, payment_key, method, status, collected, refunded FROM orders
		WHERE gateway = 'sandbox' AND payment_key <> '' ORDER BY order_no`)
	if err != nil {
		return nil, err
	}
	byNo := map[string]ord{}
	var taken []ord
	for rows.Next() {
		var o ord
		if err := rows.Scan(&o.no, &o.gateway, &o.key, &o.method, &o.state, &o.collected, &o.refunded); err != nil {
			rows.Close()
			return nil, err
		}
		byNo[fmt.Sprint(o.no)] = o
		taken = append(taken, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var bad []string
	held := map[string]int64{}
	for _, h := range hs {
		o, ok := byNo[h.OrderNo]
		switch {
		case !ok || o.key != h.PaymentKey:
			bad = append(bad, fmt.Sprintf("order %s: over-capture of %d won: the sandbox holds payment %s (%s) that the order never took",
				h.OrderNo, h.Balance, h.PaymentKey, h.Status))
		default:
			held[h.PaymentKey] = h.Balance
		}
	}
	for _, o := range taken {
		want, got := o.collected-o.refunded, held[o.key]
		if got == want || (o.method == "vbank" && got > want && got <= o.collected) {
			continue
		}
		what := "under-capture"
		if got > want {
			what = "over-capture"
		}
		bad = append(bad, fmt.Sprintf("order %d: %s: the sandbox holds %d won under %s, the books %d won (received %d, returned %d, %s)",
			o.no, what, got, o.key, want, o.collected, o.refunded, o.state))
	}
	return bad, nil
}
