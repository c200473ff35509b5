package api

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

func ruleID(r *http.Request) (int64, error) { return pathNumber(r, "id", "정산룰", "rule") }

// ruleAnswer is a saved rule with the warnings a clerk should read.
type ruleAnswer struct {
	settlement.Rule
	Warnings []string `json:"warnings"`
}

func (s *Server) listRules(r *http.Request, _ access.Actor) (int, any, error) {
	f, err := settlement.ParseFilter(r.URL.Query().Get)
	if err != nil {
		return 0, nil, err
	}
	if f.Params, err = pageParams(r); err != nil {
		return 0, nil, err
	}
	page, err := s.Settle.List(r.Context(), f)
	return http.StatusOK, page, err
}

// ruleIn is a rule as sent: a rule sent without "enabled" is enabled.
type ruleIn struct {
	settlement.Rule
	Enabled *bool `json:"enabled"`
}

func (s *Server) saveRule(r *http.Request, a access.Actor, id int64) (int, any, error) {
	var body ruleIn
	if err := web.DecodeJSON(nil, r, &body); err != nil {
		return 0, nil, err
	}
	in := body.Rule
	in.Enabled = body.Enabled == nil || *body.Enabled
	in.ID = id
	out, err := s.Settle.Save(r.Context(), a, id, in)
	if err != nil {
		return 0, nil, err
	}
	warn, err := s.Settle.Warnings(r.Context(), out)
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	return status, ruleAnswer{Rule: out, Warnings: warn}, err
}

func (s *Server) createRule(r *http.Request, a access.Actor) (int, any, error) {
	return s.saveRule(r, a, 0)
}

func (s *Server) putRule(r *http.Request, a access.Actor) (int, any, error) {
	id, err := ruleID(r)
	if err != nil {
		return 0, nil, err
	}
	return s.saveRule(r, a, id)
}

func (s *Server) getRule(r *http.Request, _ access.Actor) (int, any, error) {
	id, err := ruleID(r)
	if err != nil {
		return 0, nil, err
	}
	out, err := s.Settle.Get(r.Context(), id)
	return http.StatusOK, out, err
}

func (s *Server) deleteRule(r *http.Request, a access.Actor) (int, any, error) {
	id, err := ruleID(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"deleted": id}, s.Settle.Delete(r.Context(), a, id)
}

func (s *Server) recompute(r *http.Request, a access.Actor) (int, any, error) {
	var in struct {
		From        string `json:"from"`
		To          string `json:"to"`
		Marketplace string `json:"marketplace"`
	}
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	n, err := s.Settle.Recompute(r.Context(), a, in.From, in.To, in.Marketplace, nil)
	return http.StatusOK, map[string]any{"order_numbers": n}, err
}

// report answers a settlement report as JSON, or as xlsx when the path ends in .xlsx.
func (s *Server) report(w http.ResponseWriter, r *http.Request, _ access.Actor) {
	name := r.PathValue("name")
	xlsx := strings.HasSuffix(name, ".xlsx")
	name = strings.TrimSuffix(name, ".xlsx")
	q := r.URL.Query()
	f := settlement.ReportFilter{From: q.Get("from"), To: q.Get("to"), Marketplace: q.Get("marketplace")}
	if day := q.Get("day"); day != "" {
		f.From, f.To = day, day
	}
	var v any
	var err error
	title := map[string]string{"daily-summary": "당일판매분요약표", "by-marketplace": "판매처별정산통계", "by-product": "판매처상품매출통계",
		"by-supplier": "공급처별정산통계"}[name]
	if sid := q.Get("supplier_id"); sid != "" {
		if f.SupplierID, err = strconv.ParseInt(sid, 10, 64); err != nil || f.SupplierID <= 0 {
			err = &apperr.Error{Code: apperr.Invalid, Message: "공급처 번호가 숫자가 아닙니다.", English: "supplier_id must be a number",
				Fields: []apperr.FieldError{{Location: "supplier_id", Message: "공급처 번호는 숫자입니다.", English: "must be a number"}}}
		}
	}
	write := func(io.Writer) error { return nil }
	switch {
	case err != nil:
	case name == "daily-summary" || name == "by-marketplace":
		if name == "daily-summary" && f.From != f.To {
			err = apperr.New(apperr.Invalid, "당일판매분요약표는 하루(day=YYYY-MM-DD)를 봅니다.", "daily-summary takes one day (day=YYYY-MM-DD)")
			break
		}
		var rep settlement.Report[settlement.MarketRow]
		rep, err = s.Settle.ByMarketplace(r.Context(), f)
		v = rep
		write = func(out io.Writer) error { return export.MarketReport(rep, title, out) }
	case name == "by-product":
		var rep settlement.Report[settlement.ProductRow]
		rep, err = s.Settle.ByProduct(r.Context(), f)
		v = rep
		write = func(out io.Writer) error { return export.ProductReport(rep, out) }
	case name == "by-supplier":
		var rep settlement.Report[settlement.SupplierRow]
		rep, err = s.Settle.BySupplier(r.Context(), f)
		v = rep
		write = func(out io.Writer) error { return export.SupplierReport(rep, out) }
	default:
		err = apperr.New(apperr.NotFound, "없는 보고서입니다.", "no such report")
	}
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
		return
	}
	if xlsx {
		n := export.ReportName(title, name, f.From, f.To, f.Marketplace, kst.Day(s.Orders.Now()))
		if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, write); err != nil {
			web.WriteProblem(w, r, s.Log, err)
		}
		return
	}
	web.WriteJSON(w, http.StatusOK, v)
}
