package console

import (
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

// reconciliation is 정산대사: the payout-file upload, the filters, totals per
// state, the lines, the statements, and closing a month.
func (s *Server) reconciliation(w http.ResponseWriter, r *http.Request) {
	s.reconciliationPage(w, r, http.StatusOK, nil, nil, nil)
}

func (s *Server) reconciliationPage(w http.ResponseWriter, r *http.Request, status int, prev *payout.Preview, st *payout.Statement, cause error) {
	q := r.URL.Query()
	f := payout.ParseFilter(q.Get)
	f.Params = pageOf(r)
	if err := checkDates(q, periodDates...); err != nil && cause == nil {
		cause, status = err, http.StatusUnprocessableEntity
		f.From, f.To = "", ""
	}
	res, err := s.Payouts.List(r.Context(), f)
	if err != nil {
		if cause == nil {
			cause, status = err, web.Status(err)
		}
		res, err = s.Payouts.List(r.Context(), payout.Filter{Params: f.Params})
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	mps, err := s.Market.Marketplaces(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	stmts, err := s.Payouts.Statements(r.Context(), f.Marketplace, paging.Params{PerPage: 10})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	periods, err := s.Settle.Periods(r.Context(), f.Marketplace)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	exp := url.Values{}
	for k, v := range q {
		exp[k] = v
	}
	exp.Del("page")
	exp.Del("flash")
	links := map[string]string{}
	for _, st := range payout.States {
		l := url.Values{}
		for k, v := range exp {
			l[k] = v
		}
		l.Set("state", st.Code)
		links[st.Code] = "/reconciliation?" + l.Encode()
	}
	month := ""
	if len(f.From) >= 7 {
		month = f.From[:7]
	}
	s.render(w, r, status, "reconciliation", "정산대사", map[string]any{"Result": res, "Pager": pagerOf(res.Page, q), "Marketplaces": mps,
		"Statements": stmts.Items, "Periods": periods, "Preview": prev, "Statement": st, "States": payout.States, "StateLinks": links,
		"Export": "/reconciliation/export.xlsx?" + exp.Encode(), "Month": month,
		"Form": map[string]string{"marketplace": r.FormValue("marketplace")}}, cause)
}

// payoutImport previews (미리보기) or imports (가져오기) a payout file.
func (s *Server) payoutImport(w http.ResponseWriter, r *http.Request) {
	up, err := readUpload(r)
	if err != nil {
		s.reconciliationPage(w, r, web.Status(err), nil, nil, err)
		return
	}
	in := payout.ImportInput{Marketplace: up.Marketplace, Filename: up.Filename, Data: up.Data, Encoding: up.Encoding, Password: up.Password,
		DryRun: r.FormValue("commit") != "1"}
	prev, st, err := s.Payouts.Import(r.Context(), actorOf(r), in)
	if err != nil {
		s.reconciliationPage(w, r, web.Status(err), &prev, nil, err)
		return
	}
	s.reconciliationPage(w, r, http.StatusOK, &prev, st, nil)
}

func (s *Server) reconciliationExport(w http.ResponseWriter, r *http.Request) {
	f := payout.ParseFilter(r.URL.Query().Get)
	f.Params = paging.Params{PerPage: 1}
	if _, err := s.Payouts.List(r.Context(), f); err != nil {
		s.fail(w, r, err)
		return
	}
	n := export.ReportName("정산대사", "reconciliation", f.From, f.To, f.Marketplace, kst.Day(s.Payouts.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.Reconciliation(r.Context(), s.Payouts, f, out) }); err != nil {
		s.fail(w, r, err)
	}
}

// reconciliationLine shows a line: our formula inputs next to their rows.
func (s *Server) reconciliationLine(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, apperr.NotFoundf("대사 라인", "reconciliation line"))
		return
	}
	d, err := s.Payouts.GetLine(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "reconciliation_line", "정산대사 라인", d, nil)
}

// periodSet closes or reopens a marketplace month from the 정산대사 screen.
func (s *Server) periodSet(w http.ResponseWriter, r *http.Request) {
	mp, month, reason := r.FormValue("marketplace"), r.FormValue("month"), r.FormValue("reason")
	var err error
	var p settlement.Period
	if r.FormValue("action") == "reopen" {
		p, err = s.Settle.ReopenPeriod(r.Context(), actorOf(r), mp, month, reason)
	} else {
		p, err = s.Settle.ClosePeriod(r.Context(), actorOf(r), mp, month, reason)
	}
	if err != nil {
		r.URL.RawQuery = url.Values{"marketplace": {mp}}.Encode()
		s.reconciliationPage(w, r, web.Status(err), nil, nil, err)
		return
	}
	word := "마감했습니다"
	if !p.Closed {
		word = "다시 열었습니다"
	}
	http.Redirect(w, r, "/reconciliation?"+url.Values{"marketplace": {mp}, "flash": {mp + " " + month + " 정산을 " + word + "."}}.Encode(), http.StatusSeeOther)
}

// reconciliationRefresh reconciles a month again with the current settlement.
func (s *Server) reconciliationRefresh(w http.ResponseWriter, r *http.Request) {
	mp, month := r.FormValue("marketplace"), r.FormValue("month")
	if actorOf(r).Role == access.Viewer {
		s.fail(w, r, access.ErrReadOnly)
		return
	}
	if _, err := s.Payouts.Refresh(r.Context(), mp, month, month); err != nil {
		r.URL.RawQuery = url.Values{"marketplace": {mp}}.Encode()
		s.reconciliationPage(w, r, web.Status(err), nil, nil, err)
		return
	}
	http.Redirect(w, r, "/reconciliation?"+url.Values{"marketplace": {mp}, "flash": {mp + " " + month + " 대사를 다시 했습니다."}}.Encode(), http.StatusSeeOther)
}
