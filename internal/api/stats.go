package api

import (
	"io"
	"net/http"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/stats"
)

// salesStats answers 일별매출통계, 월별매출통계 or 과정매출통계 as JSON, or as
// xlsx when the path ends in .xlsx; the numbers are the console's.
func (s *Server) salesStats(w http.ResponseWriter, r *http.Request, a access.Actor) {
	path := strings.TrimPrefix(r.URL.Path, "/api/v1/stats/")
	xlsx := strings.HasSuffix(path, ".xlsx")
	name := strings.TrimSuffix(path, ".xlsx")
	q := r.URL.Query()
	var v any
	var write func(io.Writer) error
	var err error
	title, from, to := "", "", ""
	switch name {
	case "daily", "monthly":
		monthly := name == "monthly"
		f := s.Stats.Defaults(stats.Filter{From: q.Get("from"), To: q.Get("to"), Site: q.Get("site")}, monthly)
		var rep stats.Report
		period := "날짜"
		title = "일별매출통계"
		if monthly {
			title, period = "월별매출통계", "월"
			rep, err = s.Stats.Monthly(r.Context(), a, f)
		} else {
			rep, err = s.Stats.Daily(r.Context(), a, f)
		}
		v, from, to = rep, f.From, f.To
		write = func(out io.Writer) error { return export.SalesReport(rep, title, period, out) }
	default:
		f := stats.CourseFilter{From: q.Get("from"), To: q.Get("to"), Site: q.Get("site"), Category: q.Get("category"),
			Delivery: q.Get("delivery"), Schedule: q.Get("schedule"), Display: q.Get("display")}
		var rep stats.CourseReport
		rep, err = s.Stats.Courses(r.Context(), a, f)
		v, title, from, to = rep, "과정매출통계", f.From, f.To
		write = func(out io.Writer) error { return export.CourseSales(rep, out) }
	}
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
		return
	}
	if xlsx {
		n := export.StatsName(title, "sales-"+name, from, to, q.Get("site"), kst.Day(s.Orders.Now()))
		if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, write); err != nil {
			web.WriteProblem(w, r, s.Log, err)
		}
		return
	}
	web.WriteJSON(w, http.StatusOK, v)
}
