package console

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/settlement"
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

func reportParams(r *http.Request) (kind string, f settlement.ReportFilter, err error) {
	q := r.URL.Query()
	kind, f.From, f.To, f.Marketplace = q.Get("report"), q.Get("from"), q.Get("to"), q.Get("marketplace")
	if kind == "" {
		kind = "daily"
	}
	today := kst.Day(time.Now())
	if f.From == "" {
		f.From = today
	}
	if f.To == "" || kind == "daily" {
		f.To = f.From
	}
	if v := q.Get("supplier_id"); v != "" {
		if f.SupplierID, err = strconv.ParseInt(v, 10, 64); err != nil || f.SupplierID < 0 {
			err = &apperr.Error{Code: apperr.Invalid, Message: "공급처를 목록에서 골라 주세요.", English: "supplier_id must be a supplier's number",
				Fields: []apperr.FieldError{{Location: "supplier_id", Message: "없는 공급처입니다.", English: "no such supplier"}}}
		}
	}
	return kind, f, err
}

// report runs the report of kind; v is its rows and totals, write its xlsx.
func (s *Server) report(r *http.Request, kind string, f settlement.ReportFilter) (v any, write func(io.Writer) error, err error) {
	switch kind {
	case "product":
		rep, err := s.Settle.ByProduct(r.Context(), f)
		return rep, func(w io.Writer) error { return export.ProductReport(rep, w) }, err
	case "supplier":
		rep, err := s.Settle.BySupplier(r.Context(), f)
		return rep, func(w io.Writer) error { return export.SupplierReport(rep, w) }, err
	default:
		rep, err := s.Settle.ByMarketplace(r.Context(), f)
		title := "판매처별정산통계"
		if kind == "daily" {
			title = "당일판매분요약표"
		}
		return rep, func(w io.Writer) error { return export.MarketReport(rep, title, w) }, err
	}
}

func (s *Server) reports(w http.ResponseWriter, r *http.Request) {
	kind, f, err := reportParams(r)
	data := map[string]any{"Kind": kind, "From": f.From, "To": f.To, "Shortcuts": shortcuts(time.Now()), "Marketplace": f.Marketplace, "SupplierID": f.SupplierID}
	if err == nil {
		err = checkDates(url.Values{"from": {f.From}, "to": {f.To}}, periodDates...)
	}
	if err == nil {
		var v any
		v, _, err = s.report(r, kind, f)
		switch kind {
		case "product":
			data["Product"] = v
		case "supplier":
			data["Supplier"] = v
		default:
			data["Market"] = v
		}
	}
	q := r.URL.Query()
	q.Set("from", f.From)
	q.Set("to", f.To)
	q.Set("report", kind)
	data["Export"] = "/settlement-reports/export.xlsx?" + q.Encode()
	data["Marketplaces"], _ = s.Market.Marketplaces(r.Context())
	data["Suppliers"], _ = s.Market.Suppliers(r.Context())
	if err != nil {
		s.render(w, r, web.Status(err), "reports", "정산통계", data, err)
		return
	}
	s.render(w, r, http.StatusOK, "reports", "정산통계", data, nil)
}

func (s *Server) reportExport(w http.ResponseWriter, r *http.Request) {
	kind, f, err := reportParams(r)
	if err == nil {
		err = checkDates(url.Values{"from": {f.From}, "to": {f.To}}, periodDates...)
	}
	var write func(io.Writer) error
	if err == nil {
		_, write, err = s.report(r, kind, f)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	title, en := "판매처별정산통계", "by-marketplace"
	switch kind {
	case "daily":
		title, en = "당일판매분요약표", "daily-summary"
	case "product":
		title, en = "판매처상품매출통계", "by-product"
	case "supplier":
		title, en = "공급처별정산통계", "by-supplier"
	}
	n := export.ReportName(title, en, f.From, f.To, f.Marketplace, kst.Day(s.Orders.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, write); err != nil {
		s.fail(w, r, err)
	}
}
