package console

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/platform/won"
	"github.com/orderdesk/orderdesk/internal/settlement"
	"github.com/orderdesk/orderdesk/internal/settlement/formula"
)

func (s *Server) rules(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := settlement.ParseFilter(q.Get)
	var page paging.Page[settlement.Rule]
	if err == nil {
		f.Params = pageOf(r)
		page, err = s.Settle.List(r.Context(), f)
	}
	if err != nil && web.Status(err) >= 500 {
		s.fail(w, r, err)
		return
	}
	mps, _ := s.Market.Marketplaces(r.Context())
	sups, _ := s.Market.Suppliers(r.Context())
	status := http.StatusOK
	if err != nil {
		status = web.Status(err)
	}
	// The list names the marketplace and the supplier, as the manual's does.
	mpNames, supNames := map[string]string{}, map[int64]string{}
	for _, m := range mps {
		mpNames[m.Code] = m.Name
	}
	for _, x := range sups {
		supNames[x.ID] = x.Name
	}
	s.render(w, r, status, "rules", "정산룰", map[string]any{"Rules": page.Items, "Total": page.Total, "Pager": pagerOf(page, q), "Marketplaces": mps, "Suppliers": sups,
		"MPNames": mpNames, "SupNames": supNames}, err)
}

func (s *Server) ruleDelete(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	ids := r.PostForm["id"]
	if len(ids) == 0 {
		redirect(w, r, "/settlement-rules", "삭제할 정산룰을 선택해 주세요.")
		return
	}
	for _, v := range ids {
		id, _ := strconv.ParseInt(v, 10, 64)
		if err := s.Settle.Delete(r.Context(), actorOf(r), id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	redirect(w, r, "/settlement-rules", fmt.Sprintf("정산룰 %d개를 삭제했습니다.", len(ids)))
}

type ruleView struct {
	R            settlement.Rule
	Marketplaces []market.Marketplace
	Suppliers    []market.Supplier
	Mapping      []mapRow // the marketplace's sheet headers and where they land
	Warnings     []string
	Orders       []market.Order // latest orders for the playground
	Play         *playResult
	Dry          *settlement.Preview
	DryCurrent   *settlement.Preview // the saved version on the same lines, to compare
	Roundings    []struct{ Code, Label string }
	Versions     []settlement.Version // newest first, with who saved each and what it changed
	Mappings     map[string][]mapRow  // every marketplace's headers: the table follows the chosen 판매처
}

type mapRow struct{ Target, Header string }

type playResult struct {
	OrderID int64
	Formula string
	Value   string
	Error   string
	Vars    []string
}

func (s *Server) ruleEdit(w http.ResponseWriter, r *http.Request) {
	// 수정 on the list sends the ticked rules: exactly one is edited.
	if r.URL.Query().Has("selected") && len(r.URL.Query()["id"]) != 1 {
		redirect(w, r, "/settlement-rules", "수정할 정산룰을 하나만 선택해 주세요.")
		return
	}
	id, _ := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
	rule := settlement.Rule{Enabled: true, Rounding: "floor", Marketplace: r.URL.Query().Get("marketplace")}
	if id != 0 {
		var err error
		if rule, err = s.Settle.Get(r.Context(), id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.rulePage(w, r, http.StatusOK, rule, nil, nil)
}

func (s *Server) rulePage(w http.ResponseWriter, r *http.Request, status int, rule settlement.Rule, play *playResult, cause error) {
	v := ruleView{R: rule, Play: play, Roundings: settlement.Roundings}
	v.Marketplaces, _ = s.Market.Marketplaces(r.Context())
	v.Suppliers, _ = s.Market.Suppliers(r.Context())
	if rule.Marketplace == "" && len(v.Marketplaces) > 0 {
		v.R.Marketplace = v.Marketplaces[0].Code
	}
	v.Mappings = map[string][]mapRow{}
	for _, m := range v.Marketplaces {
		f, err := s.Market.Format(r.Context(), m.Code)
		if err != nil {
			continue
		}
		var rows []mapRow
		for code, h := range f.Fields {
			rows = append(rows, mapRow{Target: code, Header: h})
		}
		for n, h := range f.Codes {
			rows = append(rows, mapRow{Target: market.CodeName(n), Header: h})
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].Target < rows[j].Target })
		v.Mappings[m.Code] = rows
	}
	v.Mapping = v.Mappings[v.R.Marketplace]
	if page, err := s.Market.List(r.Context(), actorOf(r), market.Filter{Marketplace: v.R.Marketplace, Params: paging.Params{PerPage: 20}}); err == nil {
		v.Orders = page.Items
	}
	if v.R.Sale != "" {
		v.Dry = s.dryRun(r, v.R)
		if cause == nil {
			v.Warnings, _ = s.Settle.Warnings(r.Context(), v.R)
		}
	}
	if v.R.ID != 0 {
		if cur, err := s.Settle.Get(r.Context(), v.R.ID); err == nil {
			v.DryCurrent = s.dryRun(r, cur)
		}
		v.Versions, _ = s.Settle.Versions(r.Context(), v.R.ID)
	}
	s.render(w, r, status, "rule_edit", "정산룰", v, cause)
}

// dryRun is the domain's preview of the rule on the latest lines of its
// marketplace (nil when the rule cannot be previewed yet): the console shows
// it and computes nothing.
func (s *Server) dryRun(r *http.Request, rule settlement.Rule) *settlement.Preview {
	p, err := s.Settle.Preview(r.Context(), rule)
	if err != nil {
		return nil
	}
	return &p
}

func readRule(r *http.Request) settlement.Rule {
	rule := settlement.Rule{Marketplace: r.PostFormValue("marketplace"), Title: r.PostFormValue("title"), ProductCodes: r.PostFormValue("product_codes"),
		PeriodFrom: strings.TrimSpace(r.PostFormValue("period_from")), PeriodTo: strings.TrimSpace(r.PostFormValue("period_to")),
		Enabled: r.PostFormValue("enabled") == "1", Rounding: r.PostFormValue("rounding"), Sale: r.PostFormValue("sale"),
		Settle: r.PostFormValue("settle"), Rate: r.PostFormValue("rate"), Prepaid: r.PostFormValue("prepaid"), Margin: r.PostFormValue("margin"),
		Payment: r.PostFormValue("payment")}
	rule.ID, _ = strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if sid, err := strconv.ParseInt(r.PostFormValue("supplier_id"), 10, 64); err == nil && sid > 0 {
		rule.SupplierID = &sid
	}
	return rule
}

func (s *Server) ruleSave(w http.ResponseWriter, r *http.Request) {
	rule := readRule(r)
	if p := strings.TrimSpace(r.PostFormValue("priority")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			s.rulePage(w, r, http.StatusUnprocessableEntity, rule, nil, &apperr.Error{Code: apperr.Invalid,
				Message: "우선순위는 정수입니다: " + p, English: "priority must be a whole number",
				Fields: []apperr.FieldError{{Location: "priority", Message: "정수로 적어 주세요 (큰 값이 우선).", English: "a whole number"}}})
			return
		}
		rule.Priority = n
	}
	if r.PostFormValue("preview") != "" { // 미리보기: the draft on the latest lines, nothing saved
		s.rulePage(w, r, http.StatusOK, rule, nil, nil)
		return
	}
	if r.PostFormValue("play") != "" { // the formula playground, on one imported order
		p := &playResult{Formula: r.PostFormValue("play_formula")}
		p.OrderID, _ = strconv.ParseInt(r.PostFormValue("play_order"), 10, 64)
		vars, err := s.Settle.LineVars(r.Context(), p.OrderID)
		if err == nil {
			var res formula.Result
			// Rounded as the rule's draft rounds, as settling it would.
			if res, err = formula.EvaluateIn(p.Formula, vars, rule.Rounding); err == nil {
				p.Value = fmt.Sprintf("%s원 (%s, 정확한 값 %s)", won.Number(res.Value), settlement.RoundingLabel(rule.Rounding), res.Exact)
			}
			for k, v := range vars {
				val := v.Str
				if v.Num != nil && (v.Kind == formula.Number) {
					val = v.Num.RatString()
				}
				p.Vars = append(p.Vars, k+" = "+val)
			}
			sort.Strings(p.Vars)
		}
		if err != nil {
			p.Error = err.Error()
		}
		s.rulePage(w, r, http.StatusOK, rule, p, nil)
		return
	}
	out, err := s.Settle.Save(r.Context(), actorOf(r), rule.ID, rule)
	if err != nil {
		s.rulePage(w, r, web.Status(err), rule, nil, err)
		return
	}
	redirect(w, r, "/settlement-rules/edit?id="+strconv.FormatInt(out.ID, 10), "저장했습니다. 이전 주문에 적용하려면 정산 재생성을 누르세요.")
}

// ruleRecompute starts a 정산 재생성 in the background (a settlement job owned
// by the app, stopped at shutdown) and shows its page, which refreshes itself.
func (s *Server) ruleRecompute(w http.ResponseWriter, r *http.Request) {
	job, err := s.Settle.Start(r.Context(), actorOf(r), r.PostFormValue("from"), r.PostFormValue("to"), r.PostFormValue("marketplace"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/settlement-rules/recompute/"+strconv.FormatInt(job.ID, 10), http.StatusSeeOther)
}

func (s *Server) recomputeProgress(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, apperr.New(apperr.NotFound, "없는 작업입니다.", "no such job"))
		return
	}
	job, err := s.Settle.Job(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view := map[string]any{"Done": job.Done, "Total": job.Total, "Finished": job.Status != settlement.JobRunning, "Err": job.Error, "From": job.From,
		"To": job.To, "Job": job}
	s.render(w, r, http.StatusOK, "recompute", "정산 재생성", view, nil)
}
