package stats

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// ShippingProduct is the product id of the 배송비 line: the part of a movement
// that belongs to no item (order.ShippingProduct).
const ShippingProduct = 0

// CourseFilter is 과정매출통계's search: an empty field is 전체.
type CourseFilter struct {
	From, To string // 주문일 (the day the money moved); "" = open
	Site     string
	Category string
	Delivery string // online / offline (구분)
	Schedule string // scheduled / always_open (정규/상시)
	Display  string // visible / hidden (상태)
}

// CourseRow is one product of 과정매출통계, or the 합계 row (ProductID 0 and
// Name "합계"), or the 배송비 line (ProductID 0, Kind "shipping").
type CourseRow struct {
	ProductID    int64  `json:"product_id"`
	Kind         string `json:"kind"`     // course, textbook, freepass, extension, shipping; "" on the total
	Delivery     string `json:"delivery"` // online / offline for courses
	Label        string `json:"label"`    // 구분 as shown: 온라인, 집합, 도서, 프리패스, 연장, 배송비
	Name         string `json:"name"`
	Price        int64  `json:"price"` // 수강료: the product's 판매가 today
	Sales        int64  `json:"sales"`
	Orders       int64  `json:"orders"`
	OrderAmount  int64  `json:"order_amount"`
	Refunds      int64  `json:"refunds"`
	RefundAmount int64  `json:"refund_amount"`
}

// CourseReport is 과정매출통계.
type CourseReport struct {
	From  string      `json:"from"`
	To    string      `json:"to"`
	Site  string      `json:"site"`
	Rows  []CourseRow `json:"rows"`
	Total CourseRow   `json:"total"`
}

var (
	deliveries = map[string]bool{"online": true, "offline": true}
	schedules  = map[string]bool{"scheduled": true, "always_open": true}
	displays   = map[string]bool{"visible": true, "hidden": true}
)

// Courses is 과정매출통계: per product, the money of the period from the
// product rollup, largest 매출 first. With a product filter (category, 구분,
// 정규/상시, 상태) only products that match are listed and 배송비 is left out.
func (s *Service) Courses(ctx context.Context, a access.Actor, f CourseFilter) (CourseReport, error) {
	for _, c := range []struct {
		field, v string
		ok       map[string]bool
	}{{"delivery", f.Delivery, deliveries}, {"schedule", f.Schedule, schedules}, {"display", f.Display, displays}} {
		if c.v != "" && !c.ok[c.v] {
			return CourseReport{}, invalid(c.field, fmt.Sprintf("%q는 고를 수 있는 값이 아닙니다.", c.v), fmt.Sprintf("%q is not one of the choices", c.v))
		}
	}
	if f.From != "" {
		if _, err := parseDay("from", f.From); err != nil {
			return CourseReport{}, err
		}
	}
	if f.To != "" {
		if _, err := parseDay("to", f.To); err != nil {
			return CourseReport{}, err
		}
	}
	if f.From != "" && f.To != "" && f.To < f.From {
		return CourseReport{}, invalid("to", fmt.Sprintf("끝 날짜(%s)가 시작 날짜(%s)보다 앞섭니다.", f.To, f.From),
			fmt.Sprintf("the end %s is before the start %s", f.To, f.From))
	}
	var pw sqldb.Where
	agg, err := productSums(&pw, a, f)
	if err != nil {
		return CourseReport{}, err
	}
	pw.Add("1 = 1")
	if f.Category != "" {
		pw.Add("p.category = ?", f.Category)
	}
	if f.Delivery != "" {
		pw.Add("p.kind = 'course' AND p.delivery = ?", f.Delivery)
	}
	if f.Schedule != "" {
		pw.Add("p.kind = 'course' AND p.schedule = ?", f.Schedule)
	}
	if f.Display != "" {
		pw.Add("p.display = ?", f.Display)
	}
	if f.Category != "" || f.Delivery != "" || f.Schedule != "" || f.Display != "" {
		pw.Add("p.id IS NOT NULL")
	}
	pw.Add("(s.cap <> 0 OR s.ret <> 0 OR s.n <> 0 OR s.r <> 0)")
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT s.product_id, COALESCE(p.kind, ''), COALESCE(p.delivery, ''), COALESCE(p.name, ''), COALESCE(p.sale_price, 0),
		s.cap, s.ret, s.n, s.r FROM (`+agg+`) s LEFT JOIN products p ON p.id = s.product_id`+pw.SQL()+
		` ORDER BY s.cap - s.ret DESC, s.product_id`, pw.Args()...)
	if err != nil {
		return CourseReport{}, err
	}
	defer rows.Close()
	rep := CourseReport{From: f.From, To: f.To, Site: f.Site, Rows: []CourseRow{}, Total: CourseRow{Name: "합계"}}
	for rows.Next() {
		var r CourseRow
		if err := rows.Scan(&r.ProductID, &r.Kind, &r.Delivery, &r.Name, &r.Price, &r.OrderAmount, &r.RefundAmount, &r.Orders, &r.Refunds); err != nil {
			return CourseReport{}, err
		}
		if r.ProductID == ShippingProduct {
			r.Kind, r.Name = "shipping", "배송비"
		}
		r.Label = label(r.Kind, r.Delivery)
		r.Sales = r.OrderAmount - r.RefundAmount
		rep.Rows = append(rep.Rows, r)
		t := &rep.Total
		t.OrderAmount += r.OrderAmount
		t.RefundAmount += r.RefundAmount
		t.Orders += r.Orders
		t.Refunds += r.Refunds
		t.Sales = t.OrderAmount - t.RefundAmount
	}
	return rep, rows.Err()
}

// label is the 구분 column: a course by its delivery, a textbook as 도서.
func label(kind, delivery string) string {
	switch kind {
	case "course":
		if delivery == "offline" {
			return "집합"
		}
		return "온라인"
	case "textbook":
		return "도서"
	case "freepass":
		return "프리패스"
	case "extension":
		return "연장"
	case "shipping":
		return "배송비"
	}
	return "-"
}

// Categories lists the product categories of the staff member's sites, for
// 과정매출통계's 카테고리 filter.
func (s *Service) Categories(ctx context.Context, a access.Actor) ([]string, error) {
	var w sqldb.Where
	if err := scope(&w, a, ""); err != nil {
		return nil, err
	}
	w.Add("category <> ''")
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT DISTINCT category FROM products`+w.SQL()+` ORDER BY category`, w.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// productSums is the query of each product's sums over [f.From, f.To]
// (either may be open): the whole months from sales_products_monthly and
// the days of a partial first or last month from sales_products, so that
// years read months × products rows. Its placeholders are numbered in w.
func productSums(w *sqldb.Where, a access.Actor, f CourseFilter) (string, error) {
	site := func() (string, error) {
		var cond []string
		if sc := a.ReadScope(); sc != nil {
			ph := make([]string, len(sc))
			for i, v := range sc {
				ph[i] = w.Arg(v)
			}
			cond = append(cond, "site IN ("+strings.Join(ph, ", ")+")")
		}
		if f.Site != "" {
			if !a.CanRead(f.Site) {
				return "", apperr.NotFoundf("사이트", "site")
			}
			cond = append(cond, "site = "+w.Arg(f.Site))
		}
		if len(cond) == 0 {
			return "1 = 1", nil
		}
		return strings.Join(cond, " AND "), nil
	}
	const cols = `product_id, captured AS cap, returned AS ret, orders AS n, refunds AS r`
	var parts []string
	days := func(from, to string) error {
		sc, err := site()
		if err != nil {
			return err
		}
		q := `SELECT ` + cols + ` FROM sales_products WHERE ` + sc
		if from != "" {
			q += " AND day >= " + w.Arg(from)
		}
		if to != "" {
			q += " AND day <= " + w.Arg(to)
		}
		parts = append(parts, q)
		return nil
	}
	// The whole months of the range: from the month of From (or the next
	// one when From is not its first day) to the month of To (or the one
	// before when To is not its last day).
	mFrom, mTo := "", ""
	if f.From != "" {
		t, _ := kst.ParseDay(f.From)
		if t.Day() != 1 {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, kst.Seoul)
		}
		mFrom = t.Format("2006-01")
	}
	if f.To != "" {
		t, _ := kst.ParseDay(f.To)
		if t.AddDate(0, 0, 1).Day() != 1 {
			t = time.Date(t.Year(), t.Month(), 0, 0, 0, 0, 0, kst.Seoul)
		}
		mTo = t.Format("2006-01")
	}
	if mFrom != "" && mTo != "" && mFrom > mTo { // no whole month: days only
		if err := days(f.From, f.To); err != nil {
			return "", err
		}
	} else {
		sc, err := site()
		if err != nil {
			return "", err
		}
		q := `SELECT ` + cols + ` FROM sales_products_monthly WHERE ` + sc
		if mFrom != "" {
			q += " AND month >= " + w.Arg(mFrom)
		}
		if mTo != "" {
			q += " AND month <= " + w.Arg(mTo)
		}
		parts = append(parts, q)
		if f.From != "" && f.From[:7] != mFrom { // the days before the first whole month
			if err := days(f.From, f.From[:7]+"-31"); err != nil {
				return "", err
			}
		}
		if f.To != "" && f.To[:7] != mTo { // the days after the last whole month
			if err := days(f.To[:7]+"-01", f.To); err != nil {
				return "", err
			}
		}
	}
	return `SELECT product_id, SUM(cap) AS cap, SUM(ret) AS ret, SUM(n) AS n, SUM(r) AS r FROM (` + strings.Join(parts, " UNION ALL ") +
		`) u GROUP BY product_id`, nil
}
