package order

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// load reads an order the actor may see (another site's order does not exist for it).
func (s *Service) load(ctx context.Context, q sqldb.Querier, a access.Actor, orderNo int64) (row, error) {
	o, err := loadOrder(ctx, q, orderNo)
	if err != nil {
		return o, err
	}
	if err := a.CheckRead(o.Site, "주문", "order"); err != nil {
		return row{}, err
	}
	return o, nil
}

// Get returns one order with its items.
func (s *Service) Get(ctx context.Context, a access.Actor, orderNo int64) (Order, error) {
	return s.get(ctx, s.DB.Read(), a, orderNo)
}

// get is Get on q: in a transaction, the order as that transaction leaves it.
func (s *Service) get(ctx context.Context, q sqldb.Querier, a access.Actor, orderNo int64) (Order, error) {
	o, err := loadWithItems(ctx, q, orderNo)
	if err != nil {
		return Order{}, sqldb.NotFound(err, "주문", "order")
	}
	if err := a.CheckRead(o.Site, "주문", "order"); err != nil {
		return Order{}, err
	}
	if o.voucherEnc != "" {
		card, err := s.Box.Open(o.voucherEnc)
		if err != nil {
			return Order{}, err
		}
		o.VoucherCard = secret.MaskCard(card)
	}
	return o.Order, nil
}

// Transactions is 결제내역 of one order, oldest first.
func (s *Service) Transactions(ctx context.Context, a access.Actor, orderNo int64) ([]Transaction, error) {
	q := s.DB.Read()
	o, err := s.load(ctx, q, a, orderNo)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, gateway, kind, payment_key, result_code, result_message, method, company, masked_number,
		installment, amount, approved_at, raw, created_at FROM payment_transactions WHERE order_id = $1 ORDER BY id`, o.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Transaction{}
	for rows.Next() {
		t := Transaction{OrderNo: orderNo, OrderedAt: o.OrderedAt}
		var approved sql.NullTime
		if err := rows.Scan(&t.ID, &t.Gateway, &t.Kind, &t.PaymentKey, &t.Code, &t.Message, &t.Method, &t.Company, &t.MaskedNumber,
			&t.Installment, &t.Amount, &approved, &t.Raw, &t.CreatedAt); err != nil {
			return nil, err
		}
		// A row kept before answers were redacted shows no secret either.
		t.Raw = string(payment.Redact([]byte(t.Raw)))
		t.Details = payment.Details([]byte(t.Raw))
		t.At = t.CreatedAt
		if approved.Valid {
			t.ApprovedAt = &approved.Time
			if t.Kind != "cancel" {
				t.At = approved.Time
			}
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ListRow is one line of 주문목록.
type ListRow struct {
	OrderNo    int64  `json:"order_no"`
	Site       string `json:"site"`
	Title      string `json:"title"`
	Method     string `json:"payment_method"`
	Total      int64  `json:"total"`
	BuyerName  string `json:"buyer_name"`
	BuyerLogin string `json:"member_login"`
	OrderedDay string `json:"ordered_day"`
	PaidDay    string `json:"paid_day"`
	Status     string `json:"status"`
	TaxInvoice bool   `json:"tax_invoice"`
	Refunded   int64  `json:"refunded"`
	HasTx      bool   `json:"has_transactions"`
}

// ParseFilter reads 주문목록's filters from a query and checks them.
func ParseFilter(q url.Values) (Filter, error) {
	p, err := paging.FromQuery(q)
	if err != nil {
		return Filter{}, err
	}
	f := Filter{OrderedFrom: q.Get("ordered_from"), OrderedTo: q.Get("ordered_to"), PaidFrom: q.Get("paid_from"), PaidTo: q.Get("paid_to"),
		IncludePending: q.Get("include_pending") == "true" || q.Get("include_pending") == "1", Method: q.Get("method"), Status: q.Get("status"),
		Q: q.Get("q"), Field: q.Get("field"), Site: q.Get("site"), Params: p}
	var fe apperr.Fields
	switch q.Get("include_pending") {
	case "", "true", "1", "false", "0":
	default:
		fe.Add("include_pending", "include_pending는 true 또는 false입니다.", "include_pending is true or false")
	}
	if v := q.Get("anchor"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 1 {
			fe.Add("anchor", "anchor는 1 이상의 주문번호입니다.", "anchor must be an order number from 1.")
		} else {
			f.Anchor = n
		}
	}
	if v := q.Get("anchor_page"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > paging.MaxPage {
			fe.Add("anchor_page", fmt.Sprintf("anchor_page는 1에서 %d 사이입니다.", paging.MaxPage), fmt.Sprintf("anchor_page must be from 1 to %d.", paging.MaxPage))
		} else {
			f.AnchorPage = n
		}
	}
	if (f.Anchor == 0) != (f.AnchorPage == 0) && fe.Err() == nil {
		fe.Add("anchor", "anchor와 anchor_page는 함께 보냅니다.", "anchor and anchor_page go together.")
	}
	if err := fe.Err(); err != nil {
		return f, err
	}
	return f, ValidateFilter(&f)
}

// ValidateFilter checks the dates and choices of a filter.
func ValidateFilter(f *Filter) error {
	var fe apperr.Fields
	for name, v := range map[string]string{"ordered_from": f.OrderedFrom, "ordered_to": f.OrderedTo, "paid_from": f.PaidFrom, "paid_to": f.PaidTo} {
		if v != "" {
			if _, err := kst.ParseDay(v); err != nil {
				fe.Add(name, "날짜는 YYYY-MM-DD 형식입니다.", "dates are YYYY-MM-DD")
			}
		}
	}
	if f.Method != "" && !knownMethod(f.Method) {
		fe.Add("method", "알 수 없는 결제수단입니다.", "unknown method")
	}
	if f.Status != "" && Label(Statuses, f.Status) == f.Status {
		fe.Add("status", "알 수 없는 상태입니다.", "unknown status")
	}
	switch f.Field {
	case "", "order_no", "title", "buyer_name", "member_login":
	default:
		fe.Add("field", "검색 항목은 order_no, title, buyer_name, member_login입니다.", "field must be order_no, title, buyer_name or member_login")
	}
	return fe.Err()
}

func (s *Service) where(a access.Actor, f Filter) sqldb.Where {
	var w sqldb.Where
	if scope := a.ReadScope(); scope != nil {
		w.In("site", scope)
	}
	if f.Site != "" {
		w.Add("site = ?", f.Site)
	}
	if f.OrderedFrom != "" {
		w.Add("ordered_day >= ?", f.OrderedFrom)
	}
	if f.OrderedTo != "" {
		w.Add("ordered_day <= ?", f.OrderedTo)
	}
	if f.PaidFrom != "" {
		w.Add("paid_day >= ?", f.PaidFrom)
	}
	if f.PaidTo != "" {
		w.Add("paid_day <= ? AND paid_day <> ''", f.PaidTo)
	}
	switch {
	case f.Status != "":
		w.Add("status = ?", f.Status)
	case !f.IncludePending:
		w.Add("status <> 'pending'")
	}
	if f.Method != "" {
		w.Add("method = ?", f.Method)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		no, numErr := strconv.ParseInt(q, 10, 64)
		like := sqldb.Like(q)
		switch f.Field {
		case "order_no":
			if numErr != nil {
				no = -1
			}
			w.Add("order_no = ?", no)
		case "title":
			if f.titles != nil {
				w.Add(inList("title", len(f.titles)), anys(f.titles)...)
			} else {
				w.Add("LOWER(title) LIKE ? ESCAPE '\\'", like)
			}
		case "buyer_name":
			w.Add("buyer_name = ?", q)
		case "member_login":
			w.Add("buyer_login = ?", q)
		default:
			if numErr != nil {
				no = -1
			}
			switch {
			case f.titles != nil && len(f.titles) == 0: // no title holds it: each of the other three reads its index
				w.Add("(order_no = ? OR buyer_login = ? OR buyer_name = ?)", no, q, q)
			case f.titles != nil:
				w.Add("(order_no = ? OR buyer_login = ? OR buyer_name = ? OR "+inList("title", len(f.titles))+")", append([]any{no, q, q}, anys(f.titles)...)...)
			default:
				w.Add("(order_no = ? OR buyer_login = ? OR buyer_name = ? OR LOWER(title) LIKE ? ESCAPE '\\')", no, q, q, like)
			}
		}
	}
	return w
}

// inList is "col IN (?, …)" for n values, "1 = 0" for none.
func inList(col string, n int) string {
	if n == 0 {
		return "1 = 0"
	}
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

func anys(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// maxTitles bounds the titles a search by 주문명 reads by their index; a word
// found in more titles is looked for in every order's title.
const maxTitles = 500

// findTitles looks for the filter's word in order_titles when it searches
// titles (주문명, or every field).
func (s *Service) findTitles(ctx context.Context, q sqldb.Querier, f *Filter) error {
	word := strings.TrimSpace(f.Q)
	if word == "" || (f.Field != "" && f.Field != "title") {
		return nil
	}
	rows, err := q.QueryContext(ctx, `SELECT title FROM order_titles WHERE LOWER(title) LIKE $1 ESCAPE '\' ORDER BY title LIMIT $2`, sqldb.Like(word), maxTitles+1)
	if err != nil {
		return err
	}
	defer rows.Close()
	titles := []string{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return err
		}
		titles = append(titles, t)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(titles) <= maxTitles {
		f.titles = titles
	}
	return nil
}

// List is 주문목록: newest first, one page, with the total.
func (s *Service) List(ctx context.Context, a access.Actor, f Filter) (paging.Page[ListRow], error) {
	f.Params = f.Params.Normalize()
	page := paging.Page[ListRow]{Page: f.Page, PerPage: f.PerPage, Items: []ListRow{}}
	if err := ValidateFilter(&f); err != nil {
		return page, err
	}
	if f.Anchor <= 0 || f.AnchorPage <= 0 {
		f.Anchor, f.AnchorPage = 0, 0
	}
	q := s.DB.Read()
	if err := s.findTitles(ctx, q, &f); err != nil {
		return page, err
	}
	w := s.where(a, f)
	// A keyword counts the orders (by their indexes); any other filter sums
	// its matches by order month from the rollups (listwalk.go), which also
	// find its page.
	var months map[string]int
	if strings.TrimSpace(f.Q) != "" {
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders`+w.SQL(), s.DB.Planned(w.Args())...).Scan(&page.Total); err != nil {
			return page, err
		}
	} else {
		var err error
		if months, err = s.byMonth(ctx, q, a, f); err != nil {
			return page, err
		}
		for _, n := range months {
			page.Total += n
		}
	}
	rows, err := s.readPage(ctx, q, a, f, w, page.Total, months)
	if rows != nil {
		page.Items = rows
	}
	return page, err
}

// Each calls fn for every row of the filter, newest first, streaming from
// the database (the Excel export).
func (s *Service) Each(ctx context.Context, a access.Actor, f Filter, fn func(ListRow) error) error {
	if err := ValidateFilter(&f); err != nil {
		return err
	}
	return s.each(ctx, s.where(a, f), "", fn)
}

func (s *Service) each(ctx context.Context, w sqldb.Where, limit string, fn func(ListRow) error) error {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+listColumns+` FROM orders`+w.SQL()+` ORDER BY order_no DESC`+limit, w.Args()...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanListRow(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanListRow reads a row of listColumns.
func scanListRow(row sqldb.Scanner) (ListRow, error) {
	var r ListRow
	err := row.Scan(&r.OrderNo, &r.Site, &r.Title, &r.Method, &r.Total, &r.BuyerName, &r.BuyerLogin, &r.OrderedDay, &r.PaidDay,
		&r.Status, &r.TaxInvoice, &r.Refunded, &r.HasTx)
	r.PaidDay = shownPaidDay(r.Method, r.PaidDay)
	return r, err
}

// shownPaidDay is an order's 결제일 on the lists: none for 무과금, which
// takes no payment (the manual's 주문목록 and 근로자카드주문 show "-"),
// though it is complete (paid_day, which the 결제일 search reads) the day it
// is placed.
func shownPaidDay(method, paidDay string) string {
	if method == "free" {
		return ""
	}
	return paidDay
}
