package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
)

func (s *Server) listPayoutFormats(r *http.Request, _ access.Actor) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	list, err := s.Payouts.Formats(r.Context())
	if err != nil {
		return 0, nil, err
	}
	out := []payout.FormatInfo{}
	for _, f := range list {
		if mp := r.URL.Query().Get("marketplace"); mp == "" || mp == f.Marketplace {
			out = append(out, f)
		}
	}
	return http.StatusOK, paging.Slice(out, p), nil
}

func (s *Server) savePayoutFormat(r *http.Request, a access.Actor) (int, any, error) {
	var in struct {
		Marketplace string        `json:"marketplace"`
		Format      payout.Format `json:"format"`
	}
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	f, err := s.Payouts.SaveFormat(r.Context(), a, in.Marketplace, in.Format)
	return http.StatusOK, f, err
}

// importPayouts takes multipart file + marketplace (+ dry_run, encoding, password).
func (s *Server) importPayouts(r *http.Request, a access.Actor) (int, any, error) {
	up, err := ReadUpload(r)
	if err != nil {
		return 0, nil, err
	}
	in := payout.ImportInput{Marketplace: up.Marketplace, Filename: up.Filename, Data: up.Data, Encoding: up.Encoding, Password: up.Password, DryRun: up.DryRun}
	prev, st, err := s.Payouts.Import(r.Context(), a, in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"preview": prev, "statement": st}, nil
}

func (s *Server) listPayouts(r *http.Request, _ access.Actor) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	page, err := s.Payouts.Statements(r.Context(), r.URL.Query().Get("marketplace"), p)
	return http.StatusOK, page, err
}

// exportPayouts is GET /api/v1/payouts as an Excel workbook (API.md: "….xlsx too").
func (s *Server) exportPayouts(w http.ResponseWriter, r *http.Request, _ access.Actor) {
	mp := r.URL.Query().Get("marketplace")
	// Check the filter before the first byte of the workbook.
	if _, err := s.Payouts.Statements(r.Context(), mp, paging.Params{PerPage: 1}); err != nil {
		web.WriteProblem(w, r, s.Log, err)
		return
	}
	n := export.ReportName("정산내역", "payouts", "", "", mp, kst.Day(s.Payouts.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.PayoutStatements(r.Context(), s.Payouts, mp, out) }); err != nil {
		web.WriteProblem(w, r, s.Log, err)
	}
}

func (s *Server) getPayout(r *http.Request, _ access.Actor) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	st, err := s.Payouts.Statement(r.Context(), id)
	return http.StatusOK, st, err
}

func (s *Server) listReconciliation(r *http.Request, _ access.Actor) (int, any, error) {
	f := payout.ParseFilter(r.URL.Query().Get)
	var err error
	if f.Params, err = pageParams(r); err != nil {
		return 0, nil, err
	}
	res, err := s.Payouts.List(r.Context(), f)
	return http.StatusOK, res, err
}

func (s *Server) exportReconciliation(w http.ResponseWriter, r *http.Request, _ access.Actor) {
	f := payout.ParseFilter(r.URL.Query().Get)
	// Check the filter before the first byte of the workbook.
	f.Params = paging.Params{PerPage: 1}
	if _, err := s.Payouts.List(r.Context(), f); err != nil {
		web.WriteProblem(w, r, s.Log, err)
		return
	}
	n := export.ReportName("정산대사", "reconciliation", f.From, f.To, f.Marketplace, kst.Day(s.Payouts.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.Reconciliation(r.Context(), s.Payouts, f, out) }); err != nil {
		web.WriteProblem(w, r, s.Log, err)
	}
}

func (s *Server) getReconciliationLine(r *http.Request, _ access.Actor) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	d, err := s.Payouts.GetLine(r.Context(), id)
	return http.StatusOK, d, err
}

func (s *Server) refreshReconciliation(r *http.Request, a access.Actor) (int, any, error) {
	var in struct {
		Marketplace string `json:"marketplace"`
		From        string `json:"from"`
		To          string `json:"to"`
	}
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	if a.Role == access.Viewer {
		return 0, nil, access.ErrReadOnly
	}
	if in.To == "" {
		in.To = in.From
	}
	n, err := s.Payouts.Refresh(r.Context(), in.Marketplace, in.From, in.To)
	return http.StatusOK, map[string]any{"months": n}, err
}

func (s *Server) setPeriod(closed bool) handlerFunc {
	return func(r *http.Request, a access.Actor) (int, any, error) {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := web.DecodeJSON(nil, r, &in); err != nil {
			return 0, nil, err
		}
		mp, month := r.PathValue("marketplace"), r.PathValue("month")
		if _, err := strconv.Atoi(month[:min(4, len(month))]); err != nil || len(month) != 7 {
			return 0, nil, apperr.New(apperr.NotFound, "달은 YYYY-MM 형식입니다: "+month, "month is YYYY-MM: "+month)
		}
		if closed {
			p, err := s.Settle.ClosePeriod(r.Context(), a, mp, month, in.Reason)
			return http.StatusOK, p, err
		}
		p, err := s.Settle.ReopenPeriod(r.Context(), a, mp, month, in.Reason)
		return http.StatusOK, p, err
	}
}

func (s *Server) listPeriods(r *http.Request, _ access.Actor) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	list, err := s.Settle.Periods(r.Context(), r.URL.Query().Get("marketplace"))
	return http.StatusOK, paging.Slice(list, p), err
}
