package api

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/refund"
)

func orderNo(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("order_no"), 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.New(apperr.NotFound, "없는 주문번호입니다: "+r.PathValue("order_no"), "No such order: "+r.PathValue("order_no"))
	}
	return n, nil
}

func (s *Server) placeOrder(r *http.Request, a access.Actor) (int, any, error) {
	var in order.PlaceInput
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	o, err := s.Orders.Place(r.Context(), a, in)
	return http.StatusCreated, o, err
}

func (s *Server) listOrders(r *http.Request, a access.Actor) (int, any, error) {
	f, err := order.ParseFilter(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	page, err := s.Orders.List(r.Context(), a, f)
	return http.StatusOK, page, err
}

// orderDetail is one order with its payment transactions and its refund
// requests (API.md: "payments and refunds").
type orderDetail struct {
	order.Order
	Payments []order.Transaction `json:"payments"`
	Refunds  []refund.Refund     `json:"refunds"` // newest first, as GET /refunds lists them
}

func (s *Server) getOrder(r *http.Request, a access.Actor) (int, any, error) {
	no, err := orderNo(r)
	if err != nil {
		return 0, nil, err
	}
	o, err := s.Orders.Get(r.Context(), a, no)
	if err != nil {
		return 0, nil, err
	}
	txs, err := s.Orders.Transactions(r.Context(), a, no)
	if err != nil {
		return 0, nil, err
	}
	d := orderDetail{Order: o, Payments: txs, Refunds: []refund.Refund{}}
	err = s.Refunds.Each(r.Context(), a, refund.Filter{Q: strconv.FormatInt(no, 10), Field: "order_no"}, func(rf refund.Refund) error {
		d.Refunds = append(d.Refunds, rf)
		return nil
	})
	return http.StatusOK, d, err
}

func (s *Server) confirmPayment(r *http.Request, a access.Actor) (int, any, error) {
	no, err := orderNo(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Gateway    string `json:"gateway"`
		PaymentKey string `json:"payment_key"`
		Amount     int64  `json:"amount"`
	}
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	if in.Gateway == "" {
		in.Gateway = "sandbox"
	}
	o, err := s.Orders.ConfirmPayment(r.Context(), a, no, in.Gateway, in.PaymentKey, in.Amount)
	return http.StatusOK, o, err
}

func (s *Server) preparePayment(r *http.Request, a access.Actor) (int, any, error) {
	no, err := orderNo(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Gateway string `json:"gateway"`
	}
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(nil, r, &in); err != nil {
			return 0, nil, err
		}
	}
	if in.Gateway == "" {
		in.Gateway = "sandbox"
	}
	c, err := s.Orders.PreparePayment(r.Context(), a, no, in.Gateway)
	return http.StatusOK, c, err
}

func (s *Server) confirmDeposit(r *http.Request, a access.Actor) (int, any, error) {
	no, err := orderNo(r)
	if err != nil {
		return 0, nil, err
	}
	if err := web.DecodeNone(nil, r); err != nil {
		return 0, nil, err
	}
	o, err := s.Orders.ConfirmDeposit(r.Context(), a, no)
	return http.StatusOK, o, err
}

func (s *Server) cancelOrder(r *http.Request, a access.Actor) (int, any, error) {
	no, err := orderNo(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(nil, r, &in); err != nil {
			return 0, nil, err
		}
	}
	o, err := s.Orders.Cancel(r.Context(), a, no, in.Reason)
	return http.StatusOK, o, err
}

func (s *Server) orderTransactions(r *http.Request, a access.Actor) (int, any, error) {
	no, err := orderNo(r)
	if err != nil {
		return 0, nil, err
	}
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	txs, err := s.Orders.Transactions(r.Context(), a, no)
	return http.StatusOK, paging.Slice(txs, p), err
}

// exportOrders streams the filtered orders as xlsx.
func (s *Server) exportOrders(w http.ResponseWriter, r *http.Request, a access.Actor) {
	f, err := order.ParseFilter(r.URL.Query())
	if err == nil {
		n := export.OrderListName(f, kst.Day(s.Orders.Now()))
		err = web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.OrderList(r.Context(), s.Orders, a, f, out) })
	}
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
	}
}

// webhook takes a gateway's callback; the signature, not a token, authenticates it.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 256<<10))
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
		return
	}
	headers := map[string]string{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	if err := s.Orders.Webhook(r.Context(), r.PathValue("gateway"), headers, body); err != nil {
		web.WriteProblem(w, r, s.Log, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// putProgress records a learner's study of one enrollment:
// {"hours": 7.5} or {"sessions": 3}.
func (s *Server) putProgress(r *http.Request, a access.Actor) (int, any, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, nil, apperr.New(apperr.NotFound, "없는 수강정보입니다.", "No such enrollment.")
	}
	var in order.ProgressInput
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.Orders.SetProgress(r.Context(), a, id, in)
	return http.StatusOK, out, err
}
