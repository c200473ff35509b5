package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/settlement/formula"
)

func refundID(r *http.Request) (int64, error) { return pathNumber(r, "id", "환불", "refund") }

func (s *Server) requestRefund(r *http.Request, a access.Actor) (int, any, error) {
	var in refund.RequestInput
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.Refunds.Request(r.Context(), a, in)
	return http.StatusCreated, out, err
}

func refundFilter(r *http.Request) (refund.Filter, error) {
	f, err := refund.ParseFilter(r.URL.Query().Get)
	if err != nil {
		return f, err
	}
	f.Params, err = pageParams(r)
	return f, err
}

func (s *Server) listRefunds(r *http.Request, a access.Actor) (int, any, error) {
	f, err := refundFilter(r)
	if err != nil {
		return 0, nil, err
	}
	page, err := s.Refunds.ListFull(r.Context(), a, f)
	return http.StatusOK, page, err
}

func (s *Server) getRefund(r *http.Request, a access.Actor) (int, any, error) {
	id, err := refundID(r)
	if err != nil {
		return 0, nil, err
	}
	out, err := s.Refunds.Get(r.Context(), a, id)
	return http.StatusOK, out, err
}

func (s *Server) quoteRefund(r *http.Request, _ access.Actor) (int, any, error) {
	var in refund.QuoteRequest
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	q, err := in.Calculate()
	return http.StatusOK, q, err
}

func (s *Server) completeRefund(r *http.Request, a access.Actor) (int, any, error) {
	id, err := refundID(r)
	if err != nil {
		return 0, nil, err
	}
	var in refund.CompleteInput
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.Refunds.Complete(r.Context(), a, id, in)
	return http.StatusOK, out, err
}

func (s *Server) denyRefund(r *http.Request, a access.Actor) (int, any, error) {
	id, err := refundID(r)
	if err != nil {
		return 0, nil, err
	}
	var in refund.DenyInput
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.Refunds.Deny(r.Context(), a, id, in)
	return http.StatusOK, out, err
}

// patchRefund corrects 환불방법, bank details and 환불일시 of a request that is
// not completed: a JSON merge patch of method, bank {name, account, holder}
// and refund_at.
func (s *Server) patchRefund(r *http.Request, a access.Actor) (int, any, error) {
	id, err := refundID(r)
	if err != nil {
		return 0, nil, err
	}
	var in refund.Correction
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.Refunds.Correct(r.Context(), a, id, in)
	return http.StatusOK, out, err
}

func (s *Server) exportRefunds(w http.ResponseWriter, r *http.Request, a access.Actor) {
	f, err := refundFilter(r)
	if err == nil {
		n := export.RefundListName(f, kst.Day(s.Refunds.Now()))
		err = web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.RefundList(r.Context(), s.Refunds, a, f, out) })
	}
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
	}
}

// evaluateFormula is the formula playground: {formula, vars} → {value, exact}.
func (s *Server) evaluateFormula(r *http.Request, _ access.Actor) (int, any, error) {
	var in struct {
		Formula       string          `json:"formula"`
		Vars          json.RawMessage `json:"vars"`
		MarketOrderID int64           `json:"marketplace_order_id"`
	}
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	if len(in.Vars) > 0 && string(in.Vars) != "null" && in.MarketOrderID != 0 {
		return 0, nil, &apperr.Error{Code: apperr.Invalid, Message: "vars와 marketplace_order_id 중 하나만 보내 주세요.", English: "send vars or marketplace_order_id, not both",
			Fields: []apperr.FieldError{{Location: "vars", Message: "marketplace_order_id와 함께 쓸 수 없습니다.", English: "not with marketplace_order_id"}}}
	}
	if len(in.Vars) == 0 {
		in.Vars = json.RawMessage("{}")
	}
	v, err := formula.VarsFromJSON(in.Vars)
	if err == nil && in.MarketOrderID != 0 {
		if v, err = s.Settle.LineVars(r.Context(), in.MarketOrderID); err != nil {
			return 0, nil, err
		}
	}
	if err != nil {
		return 0, nil, &apperr.Error{Code: apperr.Invalid, Message: "변수를 읽을 수 없습니다: " + err.Error(), English: err.Error(),
			Fields: []apperr.FieldError{{Location: "vars", Message: err.Error()}}}
	}
	res, err := formula.Evaluate(in.Formula, v)
	if err != nil {
		fe, _ := err.(*formula.Error)
		loc := "formula"
		if fe != nil {
			loc = "formula:" + strconv.Itoa(fe.Pos)
			return 0, nil, &apperr.Error{Code: apperr.Invalid, Message: fe.Message, English: fe.English,
				Fields: []apperr.FieldError{{Location: loc, Message: fe.Message, English: fe.English}}}
		}
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}
