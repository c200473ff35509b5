package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/web"
)

// shortcut is one of the report's date buttons.
type shortcut struct{ Label, From, To string }

func shortcuts(now time.Time) []shortcut {
	t := now.In(kst.Seoul)
	day := func(x time.Time) string { return x.Format(kst.DayLayout) }
	monthStart := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, kst.Seoul)
	weekStart := t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
	return []shortcut{
		{"오늘", day(t), day(t)},
		{"어제", day(t.AddDate(0, 0, -1)), day(t.AddDate(0, 0, -1))},
		{"이번 주", day(weekStart), day(t)},
		{"지난 7일", day(t.AddDate(0, 0, -6)), day(t)},
		{"이번 달", day(monthStart), day(t)},
		{"지난 달", day(monthStart.AddDate(0, -1, 0)), day(monthStart.AddDate(0, 0, -1))},
	}
}

func reportParams(r *http.Request) (kind, from, to string) {
	q := r.URL.Query()
	kind, from, to = q.Get("report"), q.Get("from"), q.Get("to")
	if kind == "" {
		kind = "daily"
	}
	today := kst.Day(time.Now())
	if from == "" {
		from = today
	}
	if to == "" || kind == "daily" {
		to = from
	}
	return kind, from, to
}

func (s *Server) reports(w http.ResponseWriter, r *http.Request) {
	kind, from, to := reportParams(r)
	data := map[string]any{"Kind": kind, "From": from, "To": to, "Shortcuts": shortcuts(time.Now()), "Marketplace": r.URL.Query().Get("marketplace")}
	if err := checkDates(url.Values{"from": {from}, "to": {to}}, periodDates...); err != nil {
		data["Marketplaces"], _ = s.Market.Marketplaces(r.Context())
		s.render(w, r, http.StatusUnprocessableEntity, "reports", "정산통계", data, err)
		return
	}
	var err error
	switch kind {
	case "product":
		data["Product"], err = s.Settle.ByProduct(r.Context(), from, to, r.URL.Query().Get("marketplace"))
	default:
		data["Market"], err = s.Settle.ByMarketplace(r.Context(), from, to, r.URL.Query().Get("marketplace"))
	}
	q := r.URL.Query()
	q.Set("from", from)
	q.Set("to", to)
	q.Set("report", kind)
	data["Export"] = "/settlement-reports/export.xlsx?" + q.Encode()
	data["Marketplaces"], _ = s.Market.Marketplaces(r.Context())
	if err != nil {
		s.render(w, r, web.Status(err), "reports", "정산통계", data, err)
		return
	}
	s.render(w, r, http.StatusOK, "reports", "정산통계", data, nil)
}

func (s *Server) reportExport(w http.ResponseWriter, r *http.Request) {
	kind, from, to := reportParams(r)
	if err := checkDates(url.Values{"from": {from}, "to": {to}}, periodDates...); err != nil {
		s.fail(w, r, err)
		return
	}
	title, en := "판매처별정산통계", "by-marketplace"
	switch kind {
	case "daily":
		title, en = "당일판매분요약표", "daily-summary"
	case "product":
		title, en = "판매처상품매출통계", "by-product"
	}
	n := export.ReportName(title, en, from, to, r.URL.Query().Get("marketplace"), kst.Day(s.Orders.Now()))
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	web.Attachment(w, n.Korean, n.ASCII)
	var err error
	switch kind {
	case "product":
		rep, e := s.Settle.ByProduct(r.Context(), from, to, r.URL.Query().Get("marketplace"))
		if err = e; err == nil {
			err = export.ProductReport(rep, w)
		}
	default:
		rep, e := s.Settle.ByMarketplace(r.Context(), from, to, r.URL.Query().Get("marketplace"))
		title := "판매처별정산통계"
		if kind == "daily" {
			title = "당일판매분요약표"
		}
		if err = e; err == nil {
			err = export.MarketReport(rep, title, w)
		}
	}
	if err != nil {
		s.fail(w, r, err)
	}
}
