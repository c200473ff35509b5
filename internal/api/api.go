// Package api is the JSON API under /api/v1 for the storefront and scripts.
// Handlers parse, call one service method and answer; the services enforce
// roles and site scoping.
package api

import (
	"bytes"
	"context"
	_ "embed"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/idem"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/settlement"
	"github.com/orderdesk/orderdesk/internal/site"
	"github.com/orderdesk/orderdesk/internal/staff"
)

//go:embed openapi.json
var openAPI []byte

// Server holds what the handlers call.
type Server struct {
	Log     *slog.Logger
	Staff   *staff.Service
	Sites   *site.Service
	Members *member.Service
	Catalog *catalog.Service
	Audit   *audit.Service
	Idem    *idem.Store
	Orders  *order.Service
	Refunds *refund.Service
	Market  *market.Service
	Settle  *settlement.Service
}

// Handler returns the API's routes, to be mounted at /api/v1/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	})
	s.route(mux, "GET /api/v1/sites", s.listSites)
	s.route(mux, "POST /api/v1/sites", s.createSite)
	s.route(mux, "PATCH /api/v1/sites/{code}", s.patchSite)
	s.route(mux, "GET /api/v1/members", s.listMembers)
	s.route(mux, "POST /api/v1/members", s.createMember)
	s.route(mux, "GET /api/v1/members/{id}", s.getMember)
	s.route(mux, "PATCH /api/v1/members/{id}", s.patchMember)
	s.route(mux, "POST /api/v1/members/{id}/reveal-rrn", s.revealRRN)
	s.route(mux, "GET /api/v1/products", s.listProducts)
	s.route(mux, "POST /api/v1/products", s.createProduct)
	s.route(mux, "GET /api/v1/products/{id}", s.getProduct)
	s.route(mux, "PATCH /api/v1/products/{id}", s.patchProduct)
	s.route(mux, "GET /api/v1/audit", s.listAudit)
	s.route(mux, "POST /api/v1/orders", s.placeOrder)
	s.route(mux, "GET /api/v1/orders", s.listOrders)
	mux.HandleFunc("GET /api/v1/orders/export.xlsx", s.exportOrders)
	s.route(mux, "GET /api/v1/orders/{order_no}", s.getOrder)
	s.route(mux, "POST /api/v1/orders/{order_no}/payments/prepare", s.preparePayment)
	s.route(mux, "POST /api/v1/orders/{order_no}/payments/confirm", s.confirmPayment)
	s.route(mux, "POST /api/v1/orders/{order_no}/confirm-deposit", s.confirmDeposit)
	s.route(mux, "POST /api/v1/orders/{order_no}/cancel", s.cancelOrder)
	s.route(mux, "GET /api/v1/orders/{order_no}/transactions", s.orderTransactions)
	mux.HandleFunc("POST /api/v1/webhooks/{gateway}", s.webhook)
	s.route(mux, "POST /api/v1/refunds", s.requestRefund)
	s.route(mux, "GET /api/v1/refunds", s.listRefunds)
	mux.HandleFunc("GET /api/v1/refunds/export.xlsx", s.exportRefunds)
	s.route(mux, "POST /api/v1/refunds/quote", s.quoteRefund)
	s.route(mux, "GET /api/v1/refunds/{id}", s.getRefund)
	s.route(mux, "POST /api/v1/refunds/{id}/complete", s.completeRefund)
	s.route(mux, "POST /api/v1/refunds/{id}/deny", s.denyRefund)
	s.route(mux, "POST /api/v1/settlement/evaluate", s.evaluateFormula)
	s.route(mux, "POST /api/v1/settlement/recompute", s.recompute)
	mux.HandleFunc("GET /api/v1/settlement/reports/{name}", s.report)
	s.route(mux, "GET /api/v1/settlement-rules", s.listRules)
	s.route(mux, "POST /api/v1/settlement-rules", s.createRule)
	s.route(mux, "GET /api/v1/settlement-rules/{id}", s.getRule)
	s.route(mux, "PUT /api/v1/settlement-rules/{id}", s.putRule)
	s.route(mux, "DELETE /api/v1/settlement-rules/{id}", s.deleteRule)
	s.route(mux, "GET /api/v1/marketplaces", s.listMarketplaces)
	s.route(mux, "POST /api/v1/marketplaces", s.createMarketplace)
	s.route(mux, "GET /api/v1/suppliers", s.listSuppliers)
	s.route(mux, "POST /api/v1/suppliers", s.createSupplier)
	s.route(mux, "GET /api/v1/sheet-formats", s.listFormats)
	s.route(mux, "POST /api/v1/sheet-formats", s.saveFormat)
	s.route(mux, "POST /api/v1/marketplace-orders/import", s.importOrders)
	s.route(mux, "GET /api/v1/marketplace-orders", s.listMarketOrders)
	s.route(mux, "GET /api/v1/marketplace-orders/{id}", s.getMarketOrder)
	mux.HandleFunc("GET /api/v1/marketplace-orders/export.xlsx", s.exportMarketOrders)
	mux.HandleFunc("GET /api/v1/marketplace-orders/imports/{id}/errors.xlsx", s.importErrors)
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		web.WriteProblem(w, r, s.Log, apperr.New(apperr.NotFound, "없는 API 경로입니다.", "No such API path."))
	})
	return mux
}

// handlerFunc is an API handler: it returns the status and value to answer, or an error.
type handlerFunc func(r *http.Request, a access.Actor) (int, any, error)

// route wraps h with bearer authentication and Idempotency-Key handling.
func (s *Server) route(mux *http.ServeMux, pattern string, h handlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		a, err := s.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="orderdesk"`)
			web.WriteProblem(w, r, s.Log, err)
			return
		}
		if r.Method == http.MethodPost && r.Header.Get("Idempotency-Key") != "" {
			s.idempotent(w, r, a, h)
			return
		}
		s.answer(w, r, a, h)
	})
}

func (s *Server) authenticate(r *http.Request) (access.Actor, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return access.Actor{}, staff.ErrNoSession
	}
	st, err := s.Staff.Token(r.Context(), strings.TrimSpace(tok))
	if err != nil {
		return access.Actor{}, err
	}
	a := st.Actor()
	a.RequestID = web.RequestID(r.Context())
	return a, nil
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, a access.Actor, h handlerFunc) {
	status, v, err := h(r, a)
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
		return
	}
	web.WriteJSON(w, status, v)
}

// recorder keeps the answer to store it under the Idempotency-Key.
type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (r *recorder) WriteHeader(s int) { r.status = s; r.ResponseWriter.WriteHeader(s) }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, a access.Actor, h handlerFunc) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		web.WriteProblem(w, r, s.Log, apperr.New(apperr.Invalid, "Idempotency-Key는 200자 이하입니다.", "Idempotency-Key is longer than 200 characters."))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, web.MaxJSONBody))
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	saved, err := s.Idem.Begin(r.Context(), a.StaffID, key, r.Method, r.URL.Path, idem.Hash(r.Method, r.URL.Path, body))
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
		return
	}
	if saved != nil {
		w.Header().Set("Idempotent-Replayed", "true")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(saved.Status)
		_, _ = io.WriteString(w, saved.Body)
		return
	}
	rec := &recorder{ResponseWriter: w}
	defer func() {
		// Store the answer even if the client has gone away.
		if err := s.Idem.Finish(context.WithoutCancel(r.Context()), a.StaffID, key, rec.status, rec.buf.String()); err != nil {
			s.Log.ErrorContext(r.Context(), "idempotency finish", "err", err)
		}
	}()
	s.answer(rec, r, a, h)
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.NotFound, "없는 번호입니다: "+r.PathValue("id"), "No such id: "+r.PathValue("id"))
	}
	return id, nil
}

// pageParams reads page and per_page; bad numbers are input errors.
func pageParams(r *http.Request) (paging.Params, error) { return paging.FromQuery(r.URL.Query()) }
