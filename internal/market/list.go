package market

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

const orderColumns = `o.id, m.code, o.order_no, o.sub_no, o.order_day, o.ordered_at, o.product_code, o.product_name, o.option_text, o.qty,
	o.shop_price, o.pay_type, o.org_trans_who, o.buyer, o.recipient, o.phone, o.phone2, o.zipcode, o.address, o.request, o.status,
	o.cancelled, o.cancelled_day, o.codes, o.bundle_id,
	EXISTS (SELECT 1 FROM product_matches pm WHERE pm.marketplace_id = o.marketplace_id AND pm.product_code = o.product_code AND pm.option_text = o.option_text),
	s.market_order_id IS NOT NULL, COALESCE(s.sale, 0), COALESCE(s.settle, 0), COALESCE(s.prepaid, 0), COALESCE(s.margin, 0), COALESCE(s.payment, 0),
	s.rule_version_id, COALESCE(s.unsettled, ''), COALESCE(rv.rule_id, 0), COALESCE(rv.title, ''), COALESCE(rv.version, 0)`

// orderFrom joins a line with its settlement and the rule version that made it.
const orderFrom = ` FROM market_orders o JOIN marketplaces m ON m.id = o.marketplace_id
	LEFT JOIN market_settlements s ON s.market_order_id = o.id LEFT JOIN settlement_rule_versions rv ON rv.id = s.rule_version_id`

func scanOrder(row interface{ Scan(...any) error }) (Order, error) {
	var o Order
	var codes string
	var settled bool
	var st Settlement
	err := row.Scan(&o.ID, &o.Marketplace, &o.OrderNo, &o.SubNo, &o.OrderDay, &o.OrderedAt, &o.ProductCode, &o.ProductName, &o.Option, &o.Qty,
		&o.ShopPrice, &o.PayType, &o.OrgTransWho, &o.Buyer, &o.Recipient, &o.Phone, &o.Phone2, &o.Zipcode, &o.Address, &o.Request, &o.Status,
		&o.Cancelled, &o.CancelledDay, &codes, &o.BundleID, &o.Matched, &settled, &st.Sale, &st.Settle, &st.Prepaid, &st.Margin, &st.Payment,
		&st.RuleVersion, &st.Unsettled, &st.RuleID, &st.RuleTitle, &st.RuleVersionNo)
	if settled {
		o.Settlement = &st
	}
	if err == nil {
		err = json.Unmarshal([]byte(codes), &o.Codes)
	}
	return o, err
}

// ParseFilter reads the marketplace order list's filters.
func ParseFilter(get func(string) string) (Filter, error) {
	f := Filter{Marketplace: get("marketplace"), From: get("from"), To: get("to"), Status: get("status"), Matched: get("matched"), Settled: get("settled"), Q: get("q")}
	var fe apperr.Fields
	for name, v := range map[string]string{"status": f.Status, "matched": f.Matched, "settled": f.Settled} {
		ok := v == "" || v == "yes" || v == "no"
		if name == "status" {
			ok = v == "" || v == "cancelled" || v == "active"
		}
		if !ok {
			fe.Add(name, fmt.Sprintf("알 수 없는 값입니다: %q", v), fmt.Sprintf("unknown value %q", v))
		}
	}
	for name, v := range map[string]string{"from": f.From, "to": f.To} {
		if v != "" {
			if _, err := kst.ParseDay(v); err != nil {
				fe.Add(name, "날짜는 YYYY-MM-DD 형식입니다.", "dates are YYYY-MM-DD")
			}
		}
	}
	for name, dst := range map[string]*int64{"supplier_id": &f.SupplierID, "product_id": &f.ProductID} {
		if v := get(name); v != "" {
			if _, err := fmt.Sscan(v, dst); err != nil {
				fe.Add(name, "번호가 숫자가 아닙니다.", name+" must be a number")
			}
		}
	}
	return f, fe.Err()
}

func where(f Filter) sqldb.Where {
	var w sqldb.Where
	if f.Marketplace != "" {
		w.Add("m.code = ?", f.Marketplace)
	}
	if f.From != "" {
		w.Add("o.order_day >= ?", f.From)
	}
	if f.To != "" {
		w.Add("o.order_day <= ?", f.To)
	}
	switch f.Status {
	case "cancelled":
		w.Add("o.cancelled = TRUE")
	case "active":
		w.Add("o.cancelled = FALSE")
	}
	switch f.Settled {
	case "yes":
		w.Add("s.rule_version_id IS NOT NULL")
	case "no":
		w.Add("o.cancelled = FALSE AND s.rule_version_id IS NULL")
	}
	matched := `EXISTS (SELECT 1 FROM product_matches pm WHERE pm.marketplace_id = o.marketplace_id AND pm.product_code = o.product_code AND pm.option_text = o.option_text)`
	switch f.Matched {
	case "yes":
		w.Add(matched)
	case "no":
		w.Add("NOT " + matched)
	}
	if f.ProductID != 0 {
		w.Add(`EXISTS (SELECT 1 FROM product_matches pm WHERE pm.marketplace_id = o.marketplace_id AND pm.product_code = o.product_code
			AND pm.option_text = o.option_text AND pm.product_id = ?)`, f.ProductID)
	}
	if f.SupplierID != 0 {
		w.Add(`EXISTS (SELECT 1 FROM product_matches pm JOIN products p ON p.id = pm.product_id WHERE pm.marketplace_id = o.marketplace_id
			AND pm.product_code = o.product_code AND pm.option_text = o.option_text AND p.supplier_id = ?)`, f.SupplierID)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := sqldb.Like(q)
		w.Add("(o.order_no = ? OR LOWER(o.product_name) LIKE ? ESCAPE '\\' OR o.recipient = ? OR o.buyer = ? OR o.product_code = ?)", q, like, q, q, q)
	}
	return w
}

// List returns marketplace orders, newest order day first.
func (s *Service) List(ctx context.Context, _ access.Actor, f Filter) (paging.Page[Order], error) {
	f.Params = f.Params.Normalize()
	page := paging.Page[Order]{Page: f.Page, PerPage: f.PerPage, Items: []Order{}}
	w := where(f)
	from := ` FROM market_orders o JOIN marketplaces m ON m.id = o.marketplace_id`
	if f.Settled != "" {
		from += ` LEFT JOIN market_settlements s ON s.market_order_id = o.id`
	}
	if err := s.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*)`+from+w.SQL(), w.Args()...).Scan(&page.Total); err != nil {
		return page, err
	}
	err := s.each(ctx, w, fmt.Sprintf(" LIMIT %d OFFSET %d", f.PerPage, f.Offset()), func(o Order) error {
		page.Items = append(page.Items, o)
		return nil
	})
	return page, err
}

// Order returns one marketplace order line with its settlement.
func (s *Service) Order(ctx context.Context, _ access.Actor, id int64) (Order, error) {
	o, err := scanOrder(s.DB.Read().QueryRowContext(ctx, `SELECT `+orderColumns+orderFrom+` WHERE o.id = $1`, id))
	if err != nil {
		return o, sqldb.NotFound(err, "판매처 주문", "marketplace order")
	}
	// One line's detail carries its kept cells; the lists do not.
	if o.Cells, err = s.cells(ctx, id); err != nil {
		return o, err
	}
	o.Raw = cellMap(o.Cells)
	return o, nil
}

// Each streams the orders of the filter.
func (s *Service) Each(ctx context.Context, _ access.Actor, f Filter, fn func(Order) error) error {
	return s.each(ctx, where(f), "", fn)
}

func (s *Service) each(ctx context.Context, w sqldb.Where, limit string, fn func(Order) error) error {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+orderColumns+orderFrom+w.SQL()+` ORDER BY o.order_day DESC, o.id DESC`+limit, w.Args()...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	return rows.Err()
}

// cells reads the kept cells of one stored order line (those of the
// columns its sheet format maps) as the marketplace sent them, in the sheet's
// column order, blank cells left out.
func (s *Service) cells(ctx context.Context, id int64) ([]Cell, error) {
	var raw, headers string
	if err := s.DB.Read().QueryRowContext(ctx, `SELECT o.raw, COALESCE(i.raw_headers, '') FROM market_orders o
		LEFT JOIN market_imports i ON i.id = o.import_id WHERE o.id = $1`, id).Scan(&raw, &headers); err != nil {
		return nil, sqldb.NotFound(err, "판매처 주문", "marketplace order")
	}
	return rawCells(raw, headers)
}
