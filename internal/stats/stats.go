// Package stats is 매출통계: the daily, monthly and per-course sales reports
// and the figures of the home page. It reads only the rollups that order's
// book() keeps in the transaction of each journal row (sales_daily: Seoul day
// × site × payment method; sales_products: Seoul day × site × product), never
// the orders, so a report reads days × products rows however many orders
// there are.
//
// Definitions (the same under every report and in the README):
//   - 주문 금액 / 건수: money received that Seoul day and the orders it came
//     from: card and transfer at approval, deposit orders at 입금확인, 무과금
//     orders with 0원.
//   - 환불 금액 / 건수: money returned that Seoul day: refunds completed and
//     cancels of paid orders, each one 건.
//   - 매출 금액 = 주문 금액 − 환불 금액.
package stats

import (
	"context"
	"fmt"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Service answers the reports.
type Service struct {
	DB  *sqldb.DB
	Now func() time.Time
}

// Row is one day (YYYY-MM-DD) or month (YYYY-MM) of the daily and monthly
// reports, or their total (Period "합계").
type Row struct {
	Period       string `json:"period"`
	Sales        int64  `json:"sales"`         // 매출 금액 = 주문 금액 − 환불 금액
	OrderAmount  int64  `json:"order_amount"`  // 주문 금액
	Orders       int64  `json:"orders"`        // 주문 건수
	RefundAmount int64  `json:"refund_amount"` // 환불 금액
	Refunds      int64  `json:"refunds"`       // 환불 건수
}

func (r *Row) add(o Row) {
	r.OrderAmount += o.OrderAmount
	r.Orders += o.Orders
	r.RefundAmount += o.RefundAmount
	r.Refunds += o.Refunds
	r.Sales = r.OrderAmount - r.RefundAmount
}

// Report is the daily or monthly report: every day (month) of the period,
// those with nothing included, and the total.
type Report struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Site  string `json:"site"` // "" = every site of the staff member
	Rows  []Row  `json:"rows"`
	Total Row    `json:"total"`
}

// Filter is the period (days for Daily, months YYYY-MM for Monthly) and an
// optional site.
type Filter struct {
	From, To string
	Site     string
}

// Bounds of one report, so that an answer stays small.
const (
	MaxDays   = 3700 // ten years of days
	MaxMonths = 240  // twenty years of months
)

func invalid(field, ko, en string) error {
	return &apperr.Error{Code: apperr.Invalid, Message: ko, English: en, Fields: []apperr.FieldError{{Location: field, Message: ko, English: en}}}
}

// scope adds the site condition of the actor and the filter to w.
func scope(w *sqldb.Where, a access.Actor, site string) error {
	if s := a.ReadScope(); s != nil {
		w.In("site", s)
	}
	if site != "" {
		if !a.CanRead(site) {
			return apperr.NotFoundf("사이트", "site")
		}
		w.Add("site = ?", site)
	}
	return nil
}

// Defaults fills an empty period: for Daily this month up to today, for
// Monthly this year up to this month (Seoul).
func (s *Service) Defaults(f Filter, monthly bool) Filter {
	t := s.Now().In(kst.Seoul)
	if monthly {
		if f.From == "" {
			f.From = t.Format("2006") + "-01"
		}
		if f.To == "" {
			f.To = t.Format("2006-01")
		}
		return f
	}
	if f.From == "" {
		f.From = t.Format("2006-01") + "-01"
	}
	if f.To == "" {
		f.To = t.Format(kst.DayLayout)
	}
	return f
}

// Daily is 일별매출통계: one row per Seoul day from f.From to f.To.
func (s *Service) Daily(ctx context.Context, a access.Actor, f Filter) (Report, error) {
	from, err := parseDay("from", f.From)
	if err != nil {
		return Report{}, err
	}
	to, err := parseDay("to", f.To)
	if err != nil {
		return Report{}, err
	}
	if to.Before(from) {
		return Report{}, invalid("to", fmt.Sprintf("끝 날짜(%s)가 시작 날짜(%s)보다 앞섭니다.", f.To, f.From),
			fmt.Sprintf("the end %s is before the start %s", f.To, f.From))
	}
	if to.Sub(from) > MaxDays*24*time.Hour {
		return Report{}, invalid("to", fmt.Sprintf("일별매출통계는 한 번에 %d일까지 봅니다.", MaxDays), fmt.Sprintf("at most %d days at once", MaxDays))
	}
	var days []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format(kst.DayLayout))
	}
	return s.periods(ctx, a, f, "day", f.From, f.To, days)
}

// Monthly is 월별매출통계: one row per Seoul month from f.From to f.To
// (YYYY-MM, or a day YYYY-MM-DD as the API's dates are: its month).
func (s *Service) Monthly(ctx context.Context, a access.Actor, f Filter) (Report, error) {
	var from, to time.Time
	var err error
	if from, f.From, err = parseMonth("from", f.From); err != nil {
		return Report{}, err
	}
	if to, f.To, err = parseMonth("to", f.To); err != nil {
		return Report{}, err
	}
	if to.Before(from) {
		return Report{}, invalid("to", fmt.Sprintf("끝 달(%s)이 시작 달(%s)보다 앞섭니다.", f.To, f.From),
			fmt.Sprintf("the end %s is before the start %s", f.To, f.From))
	}
	var months []string
	for m := from; !m.After(to); m = m.AddDate(0, 1, 0) {
		months = append(months, m.Format("2006-01"))
		if len(months) > MaxMonths {
			return Report{}, invalid("to", fmt.Sprintf("월별매출통계는 한 번에 %d개월까지 봅니다.", MaxMonths), fmt.Sprintf("at most %d months at once", MaxMonths))
		}
	}
	return s.periods(ctx, a, f, "substr(day, 1, 7)", f.From+"-01", f.To+"-31", months)
}

// periods sums sales_daily by key over [lo, hi] and lays the sums on every
// one of periods.
func (s *Service) periods(ctx context.Context, a access.Actor, f Filter, key, lo, hi string, periods []string) (Report, error) {
	var w sqldb.Where
	if err := scope(&w, a, f.Site); err != nil {
		return Report{}, err
	}
	w.Add("day >= ?", lo)
	w.Add("day <= ?", hi)
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+key+`, SUM(captured), SUM(orders), SUM(returned), SUM(refunds) FROM sales_daily`+
		w.SQL()+` GROUP BY `+key, w.Args()...)
	if err != nil {
		return Report{}, err
	}
	defer rows.Close()
	got := map[string]Row{}
	for rows.Next() {
		var r Row
		if err := rows.Scan(&r.Period, &r.OrderAmount, &r.Orders, &r.RefundAmount, &r.Refunds); err != nil {
			return Report{}, err
		}
		r.Sales = r.OrderAmount - r.RefundAmount
		got[r.Period] = r
	}
	if err := rows.Err(); err != nil {
		return Report{}, err
	}
	rep := Report{From: f.From, To: f.To, Site: f.Site, Rows: make([]Row, 0, len(periods)), Total: Row{Period: "합계"}}
	for _, p := range periods {
		r := got[p]
		r.Period = p
		rep.Rows = append(rep.Rows, r)
		rep.Total.add(r)
	}
	return rep, nil
}

func parseDay(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, invalid(field, "기간의 날짜를 적어 주세요.", "the period's day is required")
	}
	t, err := kst.ParseDay(v)
	if err != nil {
		return t, invalid(field, fmt.Sprintf("날짜 %q는 없는 날짜이거나 형식이 틀렸습니다. 2026-11-29처럼 YYYY-MM-DD로 적어 주세요.", v),
			fmt.Sprintf("%q is not a real day; write it YYYY-MM-DD", v))
	}
	return t, nil
}

// parseMonth reads a month YYYY-MM, or the month of a day YYYY-MM-DD, and
// returns it with its YYYY-MM.
func parseMonth(field, v string) (time.Time, string, error) {
	if v == "" {
		return time.Time{}, "", invalid(field, "기간의 달을 적어 주세요.", "the period's month is required")
	}
	if len(v) == len(kst.DayLayout) {
		if _, err := kst.ParseDay(v); err == nil {
			v = v[:7]
		}
	}
	t, err := time.ParseInLocation("2006-01", v, kst.Seoul)
	if err != nil {
		return t, v, invalid(field, fmt.Sprintf("달 %q는 형식이 틀렸습니다. 2026-11처럼 YYYY-MM(또는 그 달의 날짜 YYYY-MM-DD)으로 적어 주세요.", v),
			fmt.Sprintf("%q is not a month; write it YYYY-MM (or a day of it, YYYY-MM-DD)", v))
	}
	return t, v, nil
}
