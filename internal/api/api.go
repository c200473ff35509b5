// Package api is the JSON API under /api/v1 for the storefront and scripts.
// Handlers parse, call one service method and answer; the services enforce
// roles and site scoping.
package api

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/idem"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/settlement"
	"github.com/orderdesk/orderdesk/internal/shipping"
	"github.com/orderdesk/orderdesk/internal/site"
	"github.com/orderdesk/orderdesk/internal/staff"
	"github.com/orderdesk/orderdesk/internal/stats"
	"github.com/orderdesk/orderdesk/internal/voucher"
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
	Coupons *coupon.Service
	Voucher *voucher.Service
	Ship    *shipping.Service
	Stats   *stats.Service
	Payouts *payout.Service
}

// body is what a route takes as its request body.
type body int

const (
	jsonBody  body = iota // application/json (or none), else 415
	multipart             // multipart/form-data upload
)

// routeDef is one API route. Exactly one of h (a JSON answer), raw (writes
// its own answer, e.g. a workbook) or public (no token) is set.
type routeDef struct {
	pattern string
	h       handlerFunc
	raw     rawFunc
	public  http.HandlerFunc
	body    body
	noStore bool // the answer shows personal data: never stored for an Idempotency-Key
	// inWork reserves an Idempotency-Key in the work's first transaction
	// instead of one of its own before the handler (a commit fewer on
	// SQLite's single writer). Only for handlers whose work before their
	// first transaction is reads and checks, with no call to anything
	// outside the database: a concurrent request with the key is told
	// apart there (idempotent).
	inWork bool
	// keeps is the success status of an inWork handler whose service keeps
	// its answer with its work (idem.Keep): the answer commits in the work's
	// last transaction instead of one of its own after it.
	keeps int
}

// rawFunc is an authenticated handler that writes its own answer.
type rawFunc func(w http.ResponseWriter, r *http.Request, a access.Actor)

// routes is the API's one route table: Handler registers it and the tests
// walk it, so a new route is served and fuzzed alike.
func (s *Server) routes() []routeDef {
	return []routeDef{
		{pattern: "GET /api/v1/openapi.json", public: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(openAPI)
		}},
		{pattern: "GET /api/v1/sites", h: s.listSites},
		{pattern: "POST /api/v1/sites", h: s.createSite},
		{pattern: "PATCH /api/v1/sites/{code}", h: s.patchSite},
		{pattern: "GET /api/v1/members", h: s.listMembers},
		{pattern: "POST /api/v1/members", h: s.createMember},
		{pattern: "GET /api/v1/members/{id}", h: s.getMember},
		{pattern: "PATCH /api/v1/members/{id}", h: s.patchMember},
		{pattern: "POST /api/v1/members/{id}/reveal-rrn", h: s.revealRRN, noStore: true},
		{pattern: "GET /api/v1/products", h: s.listProducts},
		{pattern: "POST /api/v1/products", h: s.createProduct},
		{pattern: "GET /api/v1/products/{id}", h: s.getProduct},
		{pattern: "PATCH /api/v1/products/{id}", h: s.patchProduct},
		{pattern: "GET /api/v1/audit", h: s.listAudit},
		{pattern: "POST /api/v1/orders", h: s.placeOrder, inWork: true, keeps: http.StatusCreated},
		{pattern: "GET /api/v1/orders", h: s.listOrders},
		{pattern: "GET /api/v1/orders/export.xlsx", raw: s.exportOrders},
		{pattern: "GET /api/v1/orders/{order_no}", h: s.getOrder},
		{pattern: "POST /api/v1/orders/{order_no}/payments/prepare", h: s.preparePayment, inWork: true, keeps: http.StatusOK},
		{pattern: "POST /api/v1/orders/{order_no}/payments/confirm", h: s.confirmPayment, inWork: true, keeps: http.StatusOK},
		{pattern: "POST /api/v1/orders/{order_no}/confirm-deposit", h: s.confirmDeposit},
		{pattern: "POST /api/v1/orders/{order_no}/cancel", h: s.cancelOrder},
		{pattern: "GET /api/v1/orders/{order_no}/transactions", h: s.orderTransactions},
		{pattern: "PUT /api/v1/enrollments/{id}/progress", h: s.putProgress},
		{pattern: "POST /api/v1/enrollments/approve", h: s.approveEnrollments},
		{pattern: "POST /api/v1/enrollments/{id}/cancel", h: s.cancelEnrollment},
		{pattern: "GET /api/v1/voucher-orders", h: s.listVoucherOrders},
		{pattern: "GET /api/v1/voucher-orders/export.xlsx", raw: s.exportVoucherOrders},
		{pattern: "GET /api/v1/voucher-orders/members.xlsx", raw: s.exportVoucherMembers},
		{pattern: "POST /api/v1/webhooks/{gateway}", public: s.webhook},
		{pattern: "POST /api/v1/refunds", h: s.requestRefund},
		{pattern: "GET /api/v1/refunds", h: s.listRefunds},
		{pattern: "GET /api/v1/refunds/export.xlsx", raw: s.exportRefunds},
		{pattern: "POST /api/v1/refunds/quote", h: s.quoteRefund},
		{pattern: "GET /api/v1/refunds/{id}", h: s.getRefund},
		{pattern: "PATCH /api/v1/refunds/{id}", h: s.patchRefund},
		{pattern: "POST /api/v1/refunds/{id}/complete", h: s.completeRefund},
		{pattern: "POST /api/v1/refunds/{id}/deny", h: s.denyRefund},
		{pattern: "POST /api/v1/settlement/evaluate", h: s.evaluateFormula},
		{pattern: "POST /api/v1/settlement/recompute", h: s.recompute},
		{pattern: "GET /api/v1/settlement/reports/{name}", raw: s.report},
		{pattern: "GET /api/v1/settlement-rules", h: s.listRules},
		{pattern: "POST /api/v1/settlement-rules", h: s.createRule},
		{pattern: "GET /api/v1/settlement-rules/{id}", h: s.getRule},
		{pattern: "PUT /api/v1/settlement-rules/{id}", h: s.putRule},
		{pattern: "DELETE /api/v1/settlement-rules/{id}", h: s.deleteRule},
		{pattern: "GET /api/v1/marketplaces", h: s.listMarketplaces},
		{pattern: "POST /api/v1/marketplaces", h: s.createMarketplace},
		{pattern: "GET /api/v1/suppliers", h: s.listSuppliers},
		{pattern: "POST /api/v1/suppliers", h: s.createSupplier},
		{pattern: "GET /api/v1/sheet-formats", h: s.listFormats},
		{pattern: "POST /api/v1/sheet-formats", h: s.saveFormat},
		{pattern: "POST /api/v1/marketplace-orders/import", h: s.importOrders, body: multipart},
		{pattern: "GET /api/v1/marketplace-orders", h: s.listMarketOrders},
		{pattern: "GET /api/v1/marketplace-orders/export.xlsx", raw: s.exportMarketOrders},
		{pattern: "GET /api/v1/marketplace-orders/{id}", h: s.getMarketOrder},
		{pattern: "GET /api/v1/marketplace-orders/imports/{id}/errors.xlsx", raw: s.importErrors},
		{pattern: "GET /api/v1/product-matches", h: s.listMatches},
		{pattern: "PUT /api/v1/product-matches", h: s.putMatch},
		{pattern: "GET /api/v1/stats/daily", raw: s.salesStats},
		{pattern: "GET /api/v1/stats/daily.xlsx", raw: s.salesStats},
		{pattern: "GET /api/v1/stats/monthly", raw: s.salesStats},
		{pattern: "GET /api/v1/stats/monthly.xlsx", raw: s.salesStats},
		{pattern: "GET /api/v1/stats/courses", raw: s.salesStats},
		{pattern: "GET /api/v1/stats/courses.xlsx", raw: s.salesStats},
		{pattern: "GET /api/v1/payout-formats", h: s.listPayoutFormats},
		{pattern: "POST /api/v1/payout-formats", h: s.savePayoutFormat},
		{pattern: "POST /api/v1/payouts/import", h: s.importPayouts, body: multipart},
		{pattern: "GET /api/v1/payouts", h: s.listPayouts},
		{pattern: "GET /api/v1/payouts/export.xlsx", raw: s.exportPayouts},
		{pattern: "GET /api/v1/payouts/{id}", h: s.getPayout},
		{pattern: "GET /api/v1/reconciliation", h: s.listReconciliation},
		{pattern: "GET /api/v1/reconciliation/export.xlsx", raw: s.exportReconciliation},
		{pattern: "GET /api/v1/reconciliation/{id}", h: s.getReconciliationLine},
		{pattern: "POST /api/v1/reconciliation/refresh", h: s.refreshReconciliation},
		{pattern: "GET /api/v1/settlement/periods", h: s.listPeriods},
		{pattern: "POST /api/v1/settlement/periods/{marketplace}/{month}/close", h: s.setPeriod(true)},
		{pattern: "POST /api/v1/settlement/periods/{marketplace}/{month}/reopen", h: s.setPeriod(false)},
		{pattern: "GET /api/v1/tokens", h: s.listTokens},
		{pattern: "DELETE /api/v1/tokens/{id}", h: s.revokeToken},
		{pattern: "GET /api/v1/coupons", h: s.listCoupons},
		{pattern: "POST /api/v1/coupons", h: s.createCoupon},
		{pattern: "GET /api/v1/coupons/export.xlsx", raw: s.exportCoupons},
		{pattern: "POST /api/v1/coupons/quote", h: s.quoteCoupon},
		{pattern: "GET /api/v1/coupons/{id}", h: s.getCoupon},
		{pattern: "PATCH /api/v1/coupons/{id}", h: s.patchCoupon},
		{pattern: "GET /api/v1/coupons/{id}/codes", h: s.listCouponCodes},
		{pattern: "POST /api/v1/coupons/{id}/codes", h: s.issueCouponCodes},
		{pattern: "GET /api/v1/coupons/{id}/codes/export.xlsx", raw: s.exportCouponCodes},
		{pattern: "POST /api/v1/coupons/{id}/codes/{code}/assign", h: s.assignCouponCode},
		{pattern: "POST /api/v1/coupons/{id}/codes/{code}/recall", h: s.recallCouponCode},
		{pattern: "GET /api/v1/carriers", h: s.listCarriers},
		{pattern: "POST /api/v1/carriers", h: s.createCarrier},
		{pattern: "PATCH /api/v1/carriers/{code}", h: s.patchCarrier},
		{pattern: "DELETE /api/v1/carriers/{code}", h: s.deleteCarrier},
		{pattern: "GET /api/v1/deliveries", h: s.listDeliveries},
		{pattern: "GET /api/v1/deliveries/export.xlsx", raw: s.exportDeliveries},
		{pattern: "PATCH /api/v1/deliveries/{item_id}", h: s.patchDelivery},
		{pattern: "POST /api/v1/deliveries/bulk-state", h: s.bulkDeliveryState},
		{pattern: "POST /api/v1/deliveries/tracking-upload", h: s.trackingUpload, body: multipart},
	}
}

// Route is one API route as the tests see it.
type Route struct {
	Pattern   string // "METHOD /api/v1/path/{param}"
	Public    bool   // answers without a token
	Multipart bool   // takes a multipart upload instead of JSON
}

// Routes lists every API route of the route table.
func Routes() []Route {
	var out []Route
	for _, rt := range (&Server{}).routes() {
		out = append(out, Route{Pattern: rt.pattern, Public: rt.public != nil, Multipart: rt.body == multipart})
	}
	return out
}

// Handler returns the API's routes, to be mounted at /api/v1/. Every answer
// is Cache-Control: no-store; a known path with a method it lacks is a 405
// with Allow.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		switch {
		case rt.public != nil:
			mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
				if err := web.CheckQuery(r); err != nil {
					web.WriteProblem(w, r, s.Log, err)
					return
				}
				rt.public(w, r)
			})
		case rt.raw != nil:
			s.rawRoute(mux, rt.pattern, rt.raw)
		default:
			s.route(mux, rt)
		}
	}
	const catchAll = "/api/v1/"
	mux.HandleFunc(catchAll, func(w http.ResponseWriter, r *http.Request) {
		// The catch-all hides the mux's own 405: ask it which methods the
		// path has.
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			r2 := r.Clone(r.Context())
			r2.Method = m
			if _, p := mux.Handler(r2); p != catchAll && p != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			web.WriteProblem(w, r, s.Log, apperr.New(apperr.MethodNotAllowed, "이 경로는 "+r.Method+" 요청을 받지 않습니다. 허용: "+strings.Join(allow, ", "),
				"This path does not take "+r.Method+". Allowed: "+strings.Join(allow, ", ")))
			return
		}
		web.WriteProblem(w, r, s.Log, apperr.New(apperr.NotFound, "없는 API 경로입니다.", "No such API path."))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := web.CheckPath(r); err != nil {
			web.WriteProblem(w, r, s.Log, err)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// handlerFunc is an API handler: it returns the status and value to answer, or an error.
type handlerFunc func(r *http.Request, a access.Actor) (int, any, error)

// unauthorized answers a failed authentication with its challenge.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, err error) {
	if web.Status(err) == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="orderdesk"`)
	}
	web.WriteProblem(w, r, s.Log, err)
}

// rawRoute wraps h with bearer authentication and the query check.
func (s *Server) rawRoute(mux *http.ServeMux, pattern string, h rawFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		a, err := s.authenticate(r)
		if err != nil {
			s.unauthorized(w, r, err)
			return
		}
		if err := web.CheckQuery(r); err != nil {
			web.WriteProblem(w, r, s.Log, err)
			return
		}
		h(w, r, a)
	})
}

// route wraps h with bearer authentication, the checks of the query, the
// body's type and the Idempotency-Key, and Idempotency-Key handling.
//
// A route marked noStore answers personal data in clear (a resident
// registration number): its answer is never stored, so an Idempotency-Key is
// not used; calling it again reveals again (audited).
func (s *Server) route(mux *http.ServeMux, rt routeDef) {
	mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
		a, err := s.authenticate(r)
		if err != nil {
			s.unauthorized(w, r, err)
			return
		}
		if err := web.CheckQuery(r); err != nil {
			web.WriteProblem(w, r, s.Log, err)
			return
		}
		if rt.body == jsonBody && r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := web.JSONType(r); err != nil {
				web.WriteProblem(w, r, s.Log, err)
				return
			}
		}
		key, err := web.IdempotencyKey(r)
		if err != nil {
			web.WriteProblem(w, r, s.Log, err)
			return
		}
		if r.Method == http.MethodPost && key != "" && !rt.noStore {
			s.idempotent(w, r, a, rt)
			return
		}
		s.answer(w, r, a, rt.h)
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

// idempotent runs h under the request's Idempotency-Key. The key is
// reserved before h runs, in a transaction of its own, or (inWork) in h's
// first transaction (sqldb.BeforeWork), after a read finds it free: a
// request that finds the key taken there does nothing and answers as if it
// had found it before (the first answer again, 422 for another body, 409
// while the first runs). With keeps, the answer commits in the work's last
// transaction (idem.Keep) and no transaction follows the work.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, a access.Actor, rt routeDef) {
	h, inWork := rt.h, rt.inWork
	key := r.Header.Get("Idempotency-Key") // checked by route (web.IdempotencyKey)
	// As large as the largest body a route takes (an upload); each handler
	// applies its own limit again.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxUpload))
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	hash := s.Idem.Hash(r.Method, r.URL.Path, body)
	var saved *idem.Saved
	if inWork {
		saved, err = s.Idem.Lookup(r.Context(), a.StaffID, key, hash)
	} else {
		saved, err = s.Idem.Begin(r.Context(), a.StaffID, key, r.Method, r.URL.Path, hash)
	}
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
		return
	}
	if saved != nil {
		replay(w, saved)
		return
	}
	rec := &recorder{ResponseWriter: w}
	// The work runs under a context that the client's going away cancels
	// only until a transaction commits: work that committed finishes, and
	// its answer is what the key keeps.
	ctx, committed, stop := idem.Guard(r.Context())
	defer stop()
	if inWork {
		// The first transaction that commits holds the reservation, so
		// committed() also says whether the key is reserved.
		ctx = sqldb.BeforeWork(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
			return s.Idem.Reserve(ctx, tx, a.StaffID, key, r.Method, r.URL.Path, hash)
		})
	}
	var keeper *idem.Keeper
	if inWork && rt.keeps != 0 {
		ctx, keeper = idem.WithKeeper(ctx, func(ctx context.Context, tx *sqldb.Tx, v any) ([]byte, error) {
			body, err := web.EncodeJSON(v)
			if err != nil {
				return nil, err
			}
			return body, s.Idem.Answer(ctx, tx, a.StaffID, key, rt.keeps, web.JSONContentType, string(body))
		})
	}
	work := r.WithContext(ctx)
	status, v, herr := h(work, a)
	var taken *idem.Replay
	if errors.As(herr, &taken) {
		// The key was answered by another request: its answer is sent once
		// the read pool sees it committed (idem.Replay).
		saved, err := s.Idem.Lookup(r.Context(), a.StaffID, key, hash)
		switch {
		case err != nil:
			web.WriteProblem(w, r, s.Log, err)
		case saved == nil:
			web.WriteProblem(w, r, s.Log, idem.ErrInProgress)
		default:
			replay(w, saved)
		}
		return
	}
	if errors.Is(herr, idem.ErrMismatch) || errors.Is(herr, idem.ErrInProgress) {
		web.WriteProblem(w, r, s.Log, herr) // the key is another request's
		return
	}
	var sent []byte // the answer as it committed with the work, sent rather than encoded again
	if herr == nil && keeper != nil && status == rt.keeps {
		sent = keeper.Body(v)
	}
	switch {
	case herr != nil:
		web.WriteProblem(rec, work, s.Log, herr)
	case sent != nil:
		rec.Header().Set("Content-Type", web.JSONContentType)
		rec.WriteHeader(status)
		_, _ = rec.Write(sent)
	default:
		web.WriteJSON(rec, status, v)
	}
	bg := context.WithoutCancel(r.Context())
	abandoned := rec.status == 499 || r.Context().Err() != nil
	var kept []byte
	if keeper != nil {
		kept = keeper.Kept()
	}
	switch {
	case kept != nil && (abandoned || rec.status >= 500 || rec.status == rt.keeps && bytes.Equal(kept, rec.buf.Bytes())):
		// The answer committed with the work (idem.Keep); a client that
		// left meanwhile, or was answered 5xx after it, finds it under the
		// key: the work is done and is never released for a second run.
		// (Had the handler answered otherwise, Finish below would store
		// what it sent instead.)
	case rec.status >= 500 || abandoned && !committed():
		// Nothing was done: the key is free for the retry.
		if !inWork || committed() {
			err = s.Idem.Release(bg, a.StaffID, key)
		}
	case rec.status == 499:
		// Done, but the answer was lost with the client (it left just as the
		// work committed): keep the key, saying so, rather than do it twice.
		p := web.ProblemOf(errAnswerLost, web.Lang(r))
		p.Instance = r.URL.Path
		b, _ := json.Marshal(p)
		err = s.Idem.Finish(bg, a.StaffID, key, p.Status, "application/problem+json", string(b))
	case inWork && !committed():
		// Refused before any work: the key keeps the refusal.
		err = s.Idem.Store(bg, a.StaffID, key, r.Method, r.URL.Path, hash, rec.status, rec.Header().Get("Content-Type"), rec.buf.String())
	default:
		err = s.Idem.Finish(bg, a.StaffID, key, rec.status, rec.Header().Get("Content-Type"), rec.buf.String())
	}
	if err != nil {
		s.Log.ErrorContext(r.Context(), "idempotency finish", "err", err)
	}
}

// replay answers a request with the answer saved under its key.
func replay(w http.ResponseWriter, saved *idem.Saved) {
	w.Header().Set("Idempotent-Replayed", "true")
	w.Header().Set("Content-Type", cmp.Or(saved.ContentType, web.JSONContentType))
	w.WriteHeader(saved.Status)
	_, _ = io.WriteString(w, saved.Body)
}

var errAnswerLost = apperr.New(apperr.Conflict, "이 요청은 처리되었지만 답을 보내기 전에 연결이 끊겼습니다. 결과를 조회해 확인해 주세요.",
	"This request was carried out, but the connection closed before its answer was sent; look the result up.")

func pathID(r *http.Request) (int64, error) { return pathNumber(r, "id", "번호", "id") }

// pathNumber reads the positive number in the path value name; anything
// else is a record that does not exist (404 naming what and the value).
func pathNumber(r *http.Request, name, whatKO, whatEN string) (int64, error) {
	v := r.PathValue(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.New(apperr.NotFound, "없는 "+whatKO+"입니다: "+v, "No such "+whatEN+": "+v)
	}
	return n, nil
}

// pageParams reads page and per_page; bad numbers are input errors.
func pageParams(r *http.Request) (paging.Params, error) { return paging.FromQuery(r.URL.Query()) }
