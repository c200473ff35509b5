// Package console is the staff web console: server-rendered pages, Korean
// first and English second, over the same services as the API.
package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/platform/won"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/settlement"
	"github.com/orderdesk/orderdesk/internal/shipping"
	"github.com/orderdesk/orderdesk/internal/site"
	"github.com/orderdesk/orderdesk/internal/staff"
	"github.com/orderdesk/orderdesk/internal/stats"
	"github.com/orderdesk/orderdesk/internal/voucher"
)

//go:embed templates static
var files embed.FS

// CookieName is the session cookie.
const CookieName = "od_session"

// Server holds what the pages call.
type Server struct {
	Log     *slog.Logger
	Staff   *staff.Service
	Sites   *site.Service
	Members *member.Service
	Catalog *catalog.Service
	Audit   *audit.Service
	Orders  *order.Service
	Refunds *refund.Service
	Market  *market.Service
	Settle  *settlement.Service
	Coupons *coupon.Service
	Voucher *voucher.Service
	Ship    *shipping.Service
	Stats   *stats.Service
	Payouts *payout.Service
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the
	// client (for the login limit); none by default.
	TrustedProxies []netip.Prefix

	pages map[string]*template.Template
}

// Handler parses the templates (a broken one fails the start, not a click)
// and returns the console's routes with cross-origin protection.
func (s *Server) Handler() (http.Handler, error) {
	if err := s.parse(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	s.page(mux, "POST /logout", s.logout)
	s.page(mux, "GET /{$}", s.home)
	s.page(mux, "POST /settings/lang", s.setLang)
	s.page(mux, "GET /members", s.members)
	s.page(mux, "GET /members/new", s.memberNew)
	s.page(mux, "POST /members/new", s.memberCreate)
	s.page(mux, "GET /members/{id}", s.memberDetail)
	s.page(mux, "GET /members/{id}/edit", s.memberEdit)
	s.page(mux, "POST /members/{id}/edit", s.memberUpdate)
	s.page(mux, "POST /members/{id}/reveal-rrn", s.memberReveal)
	s.page(mux, "GET /products", s.products)
	s.page(mux, "GET /products/new", s.productNew)
	s.page(mux, "POST /products/new", s.productCreate)
	s.page(mux, "GET /products/{id}/edit", s.productEdit)
	s.page(mux, "POST /products/{id}/edit", s.productUpdate)
	s.page(mux, "GET /sites", s.sites)
	s.page(mux, "POST /sites", s.siteCreate)
	s.page(mux, "POST /sites/{code}/name", s.siteRename)
	s.page(mux, "GET /staff", s.staffList)
	s.page(mux, "POST /staff", s.staffCreate)
	s.page(mux, "POST /staff/{id}/disabled", s.staffDisable)
	s.page(mux, "GET /audit", s.auditLog)
	s.page(mux, "GET /tokens", s.tokens)
	s.page(mux, "POST /tokens/{id}/revoke", s.tokenRevoke)
	s.page(mux, "GET /orders", s.orders)
	s.page(mux, "GET /orders/export.xlsx", s.ordersExport)
	s.page(mux, "GET /orders/{no}", s.orderDetail)
	s.page(mux, "GET /orders/{no}/print", s.orderPrint)
	s.page(mux, "GET /orders/{no}/export.xlsx", s.orderExport)
	s.page(mux, "GET /orders/{no}/transactions", s.orderTransactions)
	s.page(mux, "GET /orders/{no}/confirm-deposit", s.orderConfirmDepositAsk)
	s.page(mux, "POST /orders/{no}/confirm-deposit", s.orderConfirmDeposit)
	s.page(mux, "GET /orders/{no}/cancel", s.orderCancelAsk)
	s.page(mux, "POST /orders/{no}/cancel", s.orderCancel)
	s.page(mux, "POST /orders/{no}/reveal-rrn", s.orderReveal)
	s.page(mux, "GET /voucher-orders", s.voucherOrders)
	s.page(mux, "GET /voucher-orders/export.xlsx", s.voucherExport)
	s.page(mux, "GET /voucher-orders/members.xlsx", s.voucherMembers)
	s.page(mux, "POST /voucher-orders/approve", s.voucherApprove)
	s.page(mux, "GET /enrollments/{id}/cancel", s.enrollmentCancelAsk)
	s.page(mux, "POST /enrollments/{id}/cancel", s.enrollmentCancel)
	s.page(mux, "GET /marketplaces", s.marketplaces)
	s.page(mux, "POST /marketplaces", s.marketplaceCreate)
	s.page(mux, "POST /suppliers", s.supplierCreate)
	s.page(mux, "GET /sheet-formats", s.sheetFormat)
	s.page(mux, "POST /sheet-formats", s.sheetFormatSave)
	s.page(mux, "GET /marketplace-orders", s.marketOrders)
	s.page(mux, "POST /marketplace-orders/import", s.marketImport)
	s.page(mux, "GET /marketplace-orders/export.xlsx", s.marketExport)
	s.page(mux, "GET /marketplace-orders/{id}", s.marketOrder)
	s.page(mux, "GET /marketplace-orders/imports/{id}/errors.xlsx", s.marketImportErrors)
	s.page(mux, "POST /marketplace-orders/{id}/split", s.marketSplit)
	s.page(mux, "POST /marketplace-orders/join", s.marketJoin)
	s.page(mux, "GET /product-matching", s.matching)
	s.page(mux, "POST /product-matching", s.matchSave)
	s.page(mux, "GET /settlement-rules", s.rules)
	s.page(mux, "POST /settlement-rules/delete", s.ruleDelete)
	s.page(mux, "GET /settlement-rules/edit", s.ruleEdit)
	s.page(mux, "POST /settlement-rules/edit", s.ruleSave)
	s.page(mux, "POST /settlement-rules/recompute", s.ruleRecompute)
	s.page(mux, "GET /settlement-rules/recompute/{id}", s.recomputeProgress)
	s.page(mux, "GET /settlement-reports", s.reports)
	s.page(mux, "GET /settlement-reports/export.xlsx", s.reportExport)
	s.statsRoutes(mux)
	s.page(mux, "GET /reconciliation", s.reconciliation)
	s.page(mux, "POST /reconciliation/import", s.payoutImport)
	s.page(mux, "GET /reconciliation/export.xlsx", s.reconciliationExport)
	s.page(mux, "GET /reconciliation/{id}", s.reconciliationLine)
	s.page(mux, "POST /reconciliation/periods", s.periodSet)
	s.page(mux, "POST /reconciliation/refresh", s.reconciliationRefresh)
	s.page(mux, "GET /refunds", s.refunds)
	s.page(mux, "GET /refunds/export.xlsx", s.refundsExport)
	s.page(mux, "GET /refunds/new", s.refundNew)
	s.page(mux, "POST /refunds/new", s.refundCreate)
	s.page(mux, "GET /refunds/{id}", s.refundDetail)
	s.page(mux, "POST /refunds/{id}/complete", s.refundComplete)
	s.page(mux, "POST /refunds/{id}/deny", s.refundDeny)
	s.page(mux, "POST /refunds/{id}/edit", s.refundEdit)
	s.page(mux, "GET /coupons", s.coupons)
	s.page(mux, "GET /coupons/export.xlsx", s.couponsExport)
	s.page(mux, "GET /coupons/new", s.couponNew)
	s.page(mux, "POST /coupons/new", s.couponCreate)
	s.page(mux, "GET /coupons/{id}", s.couponDetail)
	s.page(mux, "POST /coupons/{id}/edit", s.couponUpdate)
	s.page(mux, "POST /coupons/{id}/issue", s.couponIssue)
	s.page(mux, "GET /coupons/{id}/codes/export.xlsx", s.couponCodesExport)
	s.page(mux, "GET /coupons/{id}/members", s.couponMembers)
	s.page(mux, "POST /coupons/{id}/assign", s.couponAssign)
	s.page(mux, "POST /coupons/{id}/codes/{code}/recall", s.couponRecall)
	s.page(mux, "GET /deliveries", s.deliveries)
	s.page(mux, "GET /deliveries/export.xlsx", s.deliveriesExport)
	s.page(mux, "POST /deliveries/bulk-state", s.deliveriesBulk)
	s.page(mux, "GET /deliveries/upload", s.deliveryUpload)
	s.page(mux, "POST /deliveries/upload", s.deliveryUploadPost)
	s.page(mux, "GET /deliveries/orders/{no}", s.deliveryOrder)
	s.page(mux, "POST /deliveries/orders/{no}", s.deliveryOrderSave)
	s.page(mux, "POST /deliveries/items/{id}", s.deliveryItemSave)
	s.page(mux, "GET /carriers", s.carriers)
	s.page(mux, "POST /carriers", s.carrierCreate)
	s.page(mux, "POST /carriers/{code}/edit", s.carrierUpdate)
	s.page(mux, "POST /carriers/{code}/delete", s.carrierDelete)
	for _, m := range menu {
		for _, it := range m.Items {
			if it.Pending {
				s.page(mux, "GET "+it.Path, s.pending)
			}
		}
	}
	return http.NewCrossOriginProtection().Handler(web.SecurityHeaders(s.checkInput(mux))), nil
}

// checkInput refuses a query or form that is not valid UTF-8, holds NUL or
// has an overlong keyword, before any screen reads it.
func (s *Server) checkInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := web.CheckInput(r); err != nil {
			p := web.ProblemOf(err, "ko")
			text := p.Detail
			for _, f := range p.Errors {
				text += "\n" + f.Location + ": " + f.Message
			}
			http.Error(w, text, p.Status)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// MenuItem is one link of the left menu.
type MenuItem struct {
	Label, Path string
	Pending     bool // the screen of a later issue: shows 준비 중
}

// MenuGroup is a heading of the left menu, laid out as the manual.
type MenuGroup struct {
	Label    string
	Sections []MenuSection
	Items    []MenuItem
}

// MenuSection is a sub-heading (주문관리, 매출통계).
type MenuSection struct {
	Label string
	Items []MenuItem
}

var menu = func() []MenuGroup {
	orders := MenuSection{"주문관리", []MenuItem{{"주문목록", "/orders", false}, {"배송관리", "/deliveries", false}, {"환불관리", "/refunds", false}, {"근로자카드주문", "/voucher-orders", false}}}
	stats := MenuSection{"매출통계", []MenuItem{{"일별매출통계", "/stats/daily", false}, {"월별매출통계", "/stats/monthly", false}, {"과정매출통계", "/stats/courses", false}}}
	coupons := MenuSection{"쿠폰관리", []MenuItem{{"쿠폰관리", "/coupons", false}}}
	groups := []MenuGroup{
		{Label: "주문결제관리", Sections: []MenuSection{orders, stats, coupons}},
		{Label: "정산관리", Sections: []MenuSection{{"정산관리", []MenuItem{{"판매처", "/marketplaces", false}, {"발주서 포맷", "/sheet-formats", false}, {"판매처 주문", "/marketplace-orders", false}, {"상품매칭", "/product-matching", false}, {"정산룰", "/settlement-rules", false}, {"정산통계", "/settlement-reports", false}, {"정산대사", "/reconciliation", false}}}}},
		{Label: "회원·상품", Sections: []MenuSection{{"회원·상품", []MenuItem{{"회원", "/members", false}, {"상품", "/products", false}, {"사이트", "/sites", false}}}}},
		{Label: "운영", Sections: []MenuSection{{"운영", []MenuItem{{"감사 로그", "/audit", false}, {"직원", "/staff", false}}}}},
	}
	for i := range groups {
		for _, sec := range groups[i].Sections {
			groups[i].Items = append(groups[i].Items, sec.Items...)
		}
	}
	return groups
}()

type ctxKey int

const actorKey ctxKey = 0

func actorOf(r *http.Request) access.Actor {
	a, _ := r.Context().Value(actorKey).(access.Actor)
	return a
}

// page wraps h with the session check: no live session → the login page.
func (s *Server) page(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(CookieName)
		var st staff.Staff
		if err == nil {
			st, err = s.Staff.Session(r.Context(), c.Value)
		}
		if err != nil {
			if apperr.CodeOf(err) != apperr.Unauthorized && !errors.Is(err, http.ErrNoCookie) {
				s.fail(w, r, err)
				return
			}
			next := "/"
			if r.Method == http.MethodGet {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		a := st.Actor()
		a.RequestID = web.RequestID(r.Context())
		h(w, r.WithContext(context.WithValue(r.Context(), actorKey, a)))
	})
}

// view is what every page template gets.
type view struct {
	Title   string
	Lang    string
	Actor   access.Actor
	Menu    []MenuGroup
	Path    string
	Flash   string
	Error   string
	Errors  map[string]string // field → message
	Data    any
	Query   url.Values
	Request *http.Request
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, formErr error) {
	a := actorOf(r)
	lang := a.Lang
	if lang == "" {
		lang = "ko"
	}
	v := view{Title: title, Lang: lang, Actor: a, Menu: menu, Path: r.URL.Path, Data: data, Query: r.URL.Query(),
		Flash: r.URL.Query().Get("flash"), Request: r, Errors: map[string]string{}}
	if formErr != nil {
		if e, ok := apperr.As(formErr); ok {
			v.Error = e.Localized(lang)
			for _, f := range e.Fields {
				msg := f.Message
				if lang == "en" && f.English != "" {
					msg = f.English
				}
				if _, dup := v.Errors[f.Location]; !dup {
					v.Errors[f.Location] = msg
				}
			}
		} else {
			v.Error = web.ProblemOf(formErr, lang).Detail
		}
	}
	t, ok := s.pages[name]
	if !ok {
		s.fail(w, r, fmt.Errorf("no template %s", name))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.fail(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows an error page with the status the error maps to.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := web.Status(err)
	if status >= 500 {
		s.Log.ErrorContext(r.Context(), "console error", "err", err, "path", r.URL.Path)
	}
	if _, ok := s.pages["error"]; !ok || r.Context().Value(actorKey) == nil {
		http.Error(w, web.ProblemOf(err, "ko").Detail, status)
		return
	}
	s.render(w, r, status, "error", http.StatusText(status), nil, err)
}

func (s *Server) parse() error {
	funcs := template.FuncMap{
		"won": won.Format,
		"num": func(v any) string {
			switch n := v.(type) {
			case int:
				return won.Number(int64(n))
			case int64:
				return won.Number(n)
			}
			return fmt.Sprint(v)
		},
		"date": kst.DisplayDate,
		"time": kst.DisplayTime,
		"t":    func(lang, ko string) string { return translate(lang, ko) },
		"label": func(table []catalog.Choice, code string) string {
			return catalog.LabelOf(table, code)
		},
		"mlabel": func(table []struct{ Code, Label string }, code string) string { return member.Label(table, code) },
		"active": func(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") },
		"pageURL": func(q url.Values, page int) string {
			c := url.Values{}
			for k, v := range q {
				c[k] = v
			}
			c.Set("page", strconv.Itoa(page))
			c.Del("flash")
			return "?" + c.Encode()
		},
		"seq": func(from, to int) []int {
			var out []int
			for i := from; i <= to; i++ {
				out = append(out, i)
			}
			return out
		},
		"max":   func(a, b int) int { return max(a, b) },
		"min":   func(a, b int) int { return min(a, b) },
		"add":   func(a, b int) int { return a + b },
		"dots":  func(day string) string { return strings.ReplaceAll(day, "-", ".") },
		"roles": func() []access.Role { return access.Roles },
		"has": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
		"catalog": func() map[string][]catalog.Choice {
			return map[string][]catalog.Choice{"kinds": catalog.Kinds, "deliveries": catalog.Deliveries, "schedules": catalog.Schedules,
				"displays": catalog.Displays, "policies": catalog.RefundPolicies}
		},
		"orderTables": func() map[string][]order.Choice {
			return map[string][]order.Choice{"methods": order.Methods, "statuses": order.Statuses, "items": order.ItemStatuses, "enroll": order.EnrollStatuses,
				"delivery": order.DeliveryStatuses, "kinds": order.KindLabels, "fields": order.SearchFields}
		},
		"olabel": order.Label,
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"hasPrefix":    strings.HasPrefix,
		"trimPrefix":   strings.TrimPrefix,
		"sub":          func(a, b int64) int64 { return a - b },
		"deref":        func(p *int64) int64 { return *p },
		"account":      func(site, login string) member.Account { return member.Account{Site: site, Login: login} },
		"deref2":       func(p *time.Time) time.Time { return *p },
		"marketFields": func() []market.Field { return market.Fields },
		"codeNums": func() []int {
			out := make([]int, market.MaxCode)
			for i := range out {
				out[i] = i + 1
			}
			return out
		},
		"rlabel": refund.Label,
		"clabel": coupon.Label,
		"couponTables": func() map[string][]coupon.Choice {
			return map[string][]coupon.Choice{"scopes": coupon.Scopes, "kinds": coupon.Kinds, "statuses": coupon.Statuses, "periods": coupon.Periods}
		},
		"slabel": shipping.StateLabel,
		"kday":   kdayOf,
		"refundTables": func() map[string][]refund.Choice {
			return map[string][]refund.Choice{"statuses": refund.Statuses, "methods": refund.Methods, "kinds": refund.Kinds}
		},
		"day":    dottedDay,
		"cohort": export.Cohort,
		"memberTables": func() map[string][]struct{ Code, Label string } {
			return map[string][]struct{ Code, Label string }{"status": member.StatusLabels, "education": member.EducationLabels, "fields": member.SearchFields}
		},
	}
	base, err := template.New("").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/parts.html", "templates/order_parts.html")
	if err != nil {
		return err
	}
	entries, err := fs.Glob(files, "templates/page_*.html")
	if err != nil {
		return err
	}
	s.pages = map[string]*template.Template{}
	for _, e := range entries {
		t, err := template.Must(base.Clone()).ParseFS(files, e)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(strings.TrimPrefix(e, "templates/page_"), ".html")
		s.pages[name] = t
	}
	return nil
}

// pageOf reads page from the query (a bad number is page 1).
func pageOf(r *http.Request) paging.Params {
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	return paging.Params{Page: p}
}

// pager is what the pagination part shows.
type pager struct {
	Total, Page, Pages int
	Query              url.Values
}

func pagerOf[T any](p paging.Page[T], q url.Values) pager {
	return pager{Total: p.Total, Page: p.Page, Pages: p.Pages(), Query: q}
}

func redirect(w http.ResponseWriter, r *http.Request, path, flash string) {
	if flash != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "flash=" + url.QueryEscape(flash)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (s *Server) clientIP(r *http.Request) string { return web.ClientIP(r, s.TrustedProxies) }
