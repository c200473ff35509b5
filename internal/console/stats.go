package console

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/platform/won"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/site"
	"github.com/orderdesk/orderdesk/internal/stats"
)

// statsMessages are the English of the 매출통계 screens and the home page.
var statsMessages = map[string]string{
	"날짜": "Day", "월": "Month", "매출 금액": "Sales", "주문 금액 / 건수": "Received / orders", "환불 금액 / 건수": "Refunded / refunds",
	"주문 건수 / 금액": "Orders / received", "환불 건수 / 금액": "Refunds / refunded", "금액": "Amount", "건수": "Count", "합계": "Total",
	"주문월": "Month", "주문일": "Order date", "카테고리": "Category", "구분": "Type", "과정명": "Course", "수강료": "Price",
	"정규/상시": "Scheduled / always open", "온라인": "Online", "집합": "Classroom", "정규": "Scheduled", "상시": "Always open",
	"정상": "Visible", "숨김": "Hidden", "도서": "Book", "배송비": "Shipping", "프리패스": "Free pass", "연장": "Extension",
	"이전 달": "Previous month", "다음 달": "Next month", "오늘": "Today", "이번 주": "This week", "이번 달": "This month",
	"이전 해": "Previous year", "다음 해": "Next year", "올해": "This year", "금일": "Today", "금주": "This week", "금월": "This month",
	"금년": "This year", "3년간": "3 years", "월별 매출 금액": "Sales by month", "일별 매출 금액": "Sales by day",
	"오늘의 업무": "Today's work", "입금대기": "Awaiting deposit", "환불요청": "Refund requests", "수강 승인대기": "Enrollments awaiting approval",
	"배송대기": "Orders to ship", "오늘 매출": "Today's sales", "이번 달 매출": "This month's sales", "가장 오래된 주문": "oldest order",
	"주문": "received", "환불": "refunded", "최근 14일 매출 금액 (주문 금액 − 환불 금액)": "Sales of the last 14 days (received − refunded)",
	statsNote: statsNoteEN, statsNote + courseNote: statsNoteEN + courseNoteEN,
}

const statsNoteEN = "Received / orders: the money received that Seoul day and the orders it came from (card and transfer at approval, deposit orders at deposit confirmation, free orders with 0 won). " +
	"Refunded / refunds: refunds completed and cancellations of paid orders that day. Sales = received − refunded. All from the money journal, through rollups by day, site and product kept in the same transaction."

const courseNoteEN = " An order's payment is split over its products at each item's paid amount; the rest, the shipping fee, is on the line Shipping. A refund is split at its per-item amounts; returned shipping is on Shipping. Price is today's sale price."

func init() {
	for k, v := range statsMessages {
		if _, ok := messages[k]; !ok {
			messages[k] = v
		}
	}
}

func (s *Server) statsRoutes(mux *http.ServeMux) {
	s.page(mux, "GET /stats/daily", s.statsSales)
	s.page(mux, "GET /stats/monthly", s.statsSales)
	s.page(mux, "GET /stats/courses", s.statsCourses)
	s.page(mux, "GET /stats/daily/export.xlsx", s.statsExport)
	s.page(mux, "GET /stats/monthly/export.xlsx", s.statsExport)
	s.page(mux, "GET /stats/courses/export.xlsx", s.statsExport)
}

// statsNote is the definition written under each 매출통계 report.
const statsNote = "주문 금액 / 건수: 그날(서울 기준) 받은 돈과 그 돈이 온 주문 수입니다. 카드·이체는 승인 시, 무통장(자체계좌) 주문은 입금확인 시 셉니다. 무과금 주문은 0원으로 건수에 들어갑니다. " +
	"환불 금액 / 건수: 그날 완료된 환불과 결제된 주문의 취소(결제취소)로 돌려준 돈과 그 건수입니다. 매출 금액 = 주문 금액 − 환불 금액. " +
	"모두 돈의 장부(journal)에서 일자·사이트·상품별로 같은 거래 안에서 모은 집계로 계산합니다."

// courseNote adds how an order's money is split over its products.
const courseNote = " 한 주문의 결제는 각 항목의 실결제금액대로 상품에 나누고 남는 배송비는 '배송비' 줄에 둡니다. 환불은 환불 항목별 금액대로 나누고 돌려준 배송비는 '배송비' 줄에 둡니다. 주문 건수는 그 상품이 든 결제된 주문 수, 환불 건수는 그 상품의 돈을 돌려준 환불·취소 수입니다. 수강료는 현재 판매가입니다."

// statsSites is the site filter, by name as on the other screens: a select
// only for staff with several sites.
func (s *Server) statsSites(r *http.Request) []site.Site {
	sites, err := s.Sites.List(r.Context(), actorOf(r))
	if err != nil || len(sites) < 2 {
		return nil
	}
	return sites
}

type statsLink struct{ Label, URL string }

func withQuery(path string, q url.Values, set map[string]string) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	for k, v := range set {
		if v == "" {
			c.Del(k)
		} else {
			c.Set(k, v)
		}
	}
	c.Del("flash")
	if len(c) == 0 {
		return path
	}
	return path + "?" + c.Encode()
}

// salesFilter reads a daily or monthly report's period, with its defaults.
func (s *Server) salesFilter(r *http.Request, monthly bool) stats.Filter {
	q := r.URL.Query()
	return s.Stats.Defaults(stats.Filter{From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")), Site: q.Get("site")}, monthly)
}

// statsSales is 일별매출통계 (/stats/daily) and 월별매출통계 (/stats/monthly).
func (s *Server) statsSales(w http.ResponseWriter, r *http.Request) {
	monthly := r.URL.Path == "/stats/monthly"
	f := s.salesFilter(r, monthly)
	var rep stats.Report
	var err error
	title, base := "일별매출통계", "/stats/daily"
	if monthly {
		title, base = "월별매출통계", "/stats/monthly"
		rep, err = s.Stats.Monthly(r.Context(), actorOf(r), f)
	} else {
		rep, err = s.Stats.Daily(r.Context(), actorOf(r), f)
	}
	q := r.URL.Query()
	data := map[string]any{"Monthly": monthly, "From": f.From, "To": f.To, "Site": f.Site, "Sites": s.statsSites(r), "Note": statsNote,
		"Links": salesLinks(base, q, f, monthly, s.Orders.Now()), "Base": base}
	if err == nil {
		data["Report"] = rep
		data["Chart"] = barChart(rep.Rows, monthly)
		data["Period"] = periodText(f)
		data["Export"] = withQuery(base+"/export.xlsx", q, map[string]string{"from": f.From, "to": f.To})
		s.render(w, r, http.StatusOK, "stats", title, data, nil)
		return
	}
	s.render(w, r, web.Status(err), "stats", title, data, err)
}

func periodText(f stats.Filter) string {
	d := func(v string) string { return strings.ReplaceAll(v, "-", ".") }
	return "통계 기간 : " + d(f.From) + " 부터 " + d(f.To) + " 까지"
}

// salesLinks are the period buttons: [이전 달] [다음 달] [오늘] [이번 주]
// [이번 달] by day, [이전 해] [다음 해] [이번 달] [올해] by month.
func salesLinks(base string, q url.Values, f stats.Filter, monthly bool, now time.Time) []statsLink {
	t := now.In(kst.Seoul)
	day := func(x time.Time) string { return x.Format(kst.DayLayout) }
	link := func(label, from, to string) statsLink {
		return statsLink{label, withQuery(base, q, map[string]string{"from": from, "to": to})}
	}
	if monthly {
		from, err := time.ParseInLocation("2006-01", f.From, kst.Seoul)
		if err != nil {
			from = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, kst.Seoul)
		}
		y := from.Year()
		return []statsLink{
			link("이전 해", fmt.Sprintf("%04d-01", y-1), fmt.Sprintf("%04d-12", y-1)),
			link("다음 해", fmt.Sprintf("%04d-01", y+1), fmt.Sprintf("%04d-12", y+1)),
			link("이번 달", t.Format("2006-01"), t.Format("2006-01")),
			link("올해", t.Format("2006")+"-01", t.Format("2006-01")),
		}
	}
	from, err := kst.ParseDay(f.From)
	if err != nil {
		from = t
	}
	month := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, kst.Seoul)
	prev, next := month.AddDate(0, -1, 0), month.AddDate(0, 1, 0)
	thisMonth := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, kst.Seoul)
	weekStart := t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
	return []statsLink{
		link("이전 달", day(prev), day(month.AddDate(0, 0, -1))),
		link("다음 달", day(next), day(next.AddDate(0, 1, -1))),
		link("오늘", day(t), day(t)),
		link("이번 주", day(weekStart), day(t)),
		link("이번 달", day(thisMonth), day(t)),
	}
}

// courseFilter reads 과정매출통계's search form.
func courseFilter(r *http.Request) stats.CourseFilter {
	q := r.URL.Query()
	g := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return stats.CourseFilter{From: g("from"), To: g("to"), Site: g("site"), Category: g("category"), Delivery: g("delivery"), Schedule: g("schedule"), Display: g("display")}
}

// courseLinks are [금일] [금주] [금월] [금년] [3년간] [전체].
func courseLinks(q url.Values, now time.Time) []statsLink {
	t := now.In(kst.Seoul)
	day := func(x time.Time) string { return x.Format(kst.DayLayout) }
	link := func(label, from, to string) statsLink {
		return statsLink{label, withQuery("/stats/courses", q, map[string]string{"from": from, "to": to})}
	}
	return []statsLink{
		link("금일", day(t), day(t)),
		link("금주", day(t.AddDate(0, 0, -((int(t.Weekday())+6)%7))), day(t)),
		link("금월", day(time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, kst.Seoul)), day(t)),
		link("금년", day(time.Date(t.Year(), 1, 1, 0, 0, 0, 0, kst.Seoul)), day(t)),
		link("3년간", day(t.AddDate(-3, 0, 1)), day(t)),
		link("전체", "", ""),
	}
}

func (s *Server) statsCourses(w http.ResponseWriter, r *http.Request) {
	f := courseFilter(r)
	q := r.URL.Query()
	cats, _ := s.Stats.Categories(r.Context(), actorOf(r))
	data := map[string]any{"F": f, "Sites": s.statsSites(r), "Categories": cats, "Note": statsNote + courseNote,
		"Links": courseLinks(q, s.Orders.Now()), "Export": withQuery("/stats/courses/export.xlsx", q, nil)}
	rep, err := s.Stats.Courses(r.Context(), actorOf(r), f)
	if err != nil {
		s.render(w, r, web.Status(err), "stats_courses", "과정매출통계", data, err)
		return
	}
	data["Report"] = rep
	s.render(w, r, http.StatusOK, "stats_courses", "과정매출통계", data, nil)
}

// statsExport is the EXCEL button of the three reports: the same numbers.
func (s *Server) statsExport(w http.ResponseWriter, r *http.Request) {
	kind := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/stats/"), "/export.xlsx")
	var write func(io.Writer) error
	var err error
	var title, from, to, site string
	switch kind {
	case "courses":
		f := courseFilter(r)
		var rep stats.CourseReport
		rep, err = s.Stats.Courses(r.Context(), actorOf(r), f)
		title, from, to, site = "과정매출통계", f.From, f.To, f.Site
		write = func(out io.Writer) error { return export.CourseSales(rep, out) }
	default:
		monthly := kind == "monthly"
		f := s.salesFilter(r, monthly)
		var rep stats.Report
		period := "날짜"
		title = "일별매출통계"
		if monthly {
			title, period = "월별매출통계", "월"
			rep, err = s.Stats.Monthly(r.Context(), actorOf(r), f)
		} else {
			rep, err = s.Stats.Daily(r.Context(), actorOf(r), f)
		}
		from, to, site = f.From, f.To, f.Site
		write = func(out io.Writer) error { return export.SalesReport(rep, title, period, out) }
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := export.StatsName(title, "sales-"+kind, from, to, site, kst.Day(s.Orders.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, write); err != nil {
		s.fail(w, r, err)
	}
}

// barChart draws 매출 금액 per row as an SVG bar chart on the server: no
// script, black on white so that it prints. A negative day (more refunded
// than received) is drawn below the axis.
func barChart(rows []stats.Row, monthly bool) template.HTML {
	if len(rows) == 0 {
		return ""
	}
	const width, height, top, bottom, left = 900.0, 220.0, 16.0, 28.0, 70.0
	hi, lo := int64(0), int64(0)
	for _, r := range rows {
		hi, lo = max(hi, r.Sales), min(lo, r.Sales)
	}
	span := hi - lo
	if span == 0 {
		span = 1
	}
	plot := height - top - bottom
	y := func(v int64) float64 { return top + plot*float64(hi-v)/float64(span) }
	slot := (width - left - 8) / float64(len(rows))
	bw := max(slot*0.7, 1)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="sales-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="매출 금액 막대그래프" style="width:100%%;max-width:%.0fpx;height:auto;background:#fff">`, width, height, width)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#000" stroke-width="1"/>`, left, y(0), width-4, y(0))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="13" text-anchor="end" fill="#000">%s</text>`, left-4, y(hi)+4, html.EscapeString(won.Format(hi)))
	if lo < 0 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="13" text-anchor="end" fill="#000">%s</text>`, left-4, y(lo)+4, html.EscapeString(won.Format(lo)))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="13" text-anchor="end" fill="#000">0원</text>`, left-4, y(0)+4)
	every := 1 + len(rows)/32
	for i, r := range rows {
		x := left + float64(i)*slot + (slot-bw)/2
		y0, y1 := y(max(r.Sales, 0)), y(min(r.Sales, 0))
		label := r.Period
		if monthly {
			label = strings.ReplaceAll(label, "-", ".")
		} else if len(label) == 10 {
			label = label[8:]
		}
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#444" stroke="#000" stroke-width="0.5" data-period="%s" data-sales="%d"><title>%s %s</title></rect>`,
			x, y0, bw, max(y1-y0, 0), html.EscapeString(r.Period), r.Sales, html.EscapeString(strings.ReplaceAll(r.Period, "-", ".")), html.EscapeString(won.Format(r.Sales)))
		if i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle" fill="#000">%s</text>`, x+bw/2, height-10, html.EscapeString(label))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built above from numbers and escaped text only
}

// homeWork is the day's work on the home page, each figure with the link to
// its filtered list.
type homeWork struct {
	AwaitingDeposit int
	Oldest          *order.ListRow
	Requested       int
	Approval        int64
	ToShip          int64
	Today, Month    stats.Row
	TodayURL        string
	MonthURL        string
	Chart           template.HTML
}

func (s *Server) homeWork(r *http.Request) (homeWork, error) {
	ctx, a := r.Context(), actorOf(r)
	var h homeWork
	waiting, err := s.Orders.List(ctx, a, order.Filter{Status: order.StatusAwaitingDeposit, Params: paging.Params{PerPage: 1}})
	if err != nil {
		return h, err
	}
	h.AwaitingDeposit = waiting.Total
	if waiting.Total > 0 { // newest first: the last page of one is the oldest
		last, err := s.Orders.List(ctx, a, order.Filter{Status: order.StatusAwaitingDeposit, Params: paging.Params{Page: min(waiting.Total, paging.MaxPage), PerPage: 1}})
		if err != nil {
			return h, err
		}
		if len(last.Items) == 1 {
			h.Oldest = &last.Items[0]
		}
	}
	requested, err := s.Refunds.List(ctx, a, refund.Filter{Status: refund.StatusRequested, Params: paging.Params{PerPage: 1}})
	if err != nil {
		return h, err
	}
	h.Requested = requested.Total
	wk, err := s.Orders.CountWaiting(ctx, a)
	if err != nil {
		return h, err
	}
	h.Approval, h.ToShip = wk.AwaitingApproval, wk.ToShip
	now := s.Orders.Now().In(kst.Seoul)
	today := now.Format(kst.DayLayout)
	month, err := s.Stats.Daily(ctx, a, s.Stats.Defaults(stats.Filter{}, false))
	if err != nil {
		return h, err
	}
	h.Month = month.Total
	h.Month.Period = now.Format("2006-01")
	h.Today = month.Rows[len(month.Rows)-1]
	last14, err := s.Stats.Daily(ctx, a, stats.Filter{From: now.AddDate(0, 0, -13).Format(kst.DayLayout), To: today})
	if err != nil {
		return h, err
	}
	h.Chart = barChart(last14.Rows, false)
	h.TodayURL = "/stats/daily?from=" + today + "&to=" + today
	h.MonthURL = "/stats/daily?from=" + month.From + "&to=" + month.To
	return h, nil
}
