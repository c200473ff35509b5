package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/orderdesk/orderdesk/internal/sheet"
)

// The API tests exercise the contract: every request that they send to
// /api/v1 through env.do (or env.send) and its answer are checked against
// internal/api/openapi.json, the document the server publishes.
//
//   - The answer must be one the document describes for the operation: its
//     status, content type, headers and body schema (unknown fields included).
//   - A request the document calls invalid must be refused (4xx); the server
//     accepting it means the document and the code disagree.
//   - A path the document lacks must be answered 404; a method it lacks on a
//     path it has, 405.

var contract struct {
	once   sync.Once
	router routers.Router
	err    error
}

func contractRouter(t testing.TB) routers.Router {
	contract.once.Do(func() {
		data, err := os.ReadFile("../api/openapi.json")
		if err != nil {
			contract.err = err
			return
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(data)
		if err != nil {
			contract.err = err
			return
		}
		// The server "/" is wherever the document was fetched from: here, any host.
		doc.Servers = nil
		contract.router, contract.err = legacy.NewRouter(doc)
	})
	if contract.err != nil {
		t.Fatalf("openapi.json: %v", contract.err)
	}
	return contract.router
}

// bearerOnly accepts a request that carries a bearer token; whether the token
// is good is the server's business (it answers 401, which the document describes).
func bearerOnly(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme.Type == "http" && in.SecurityScheme.Scheme == "bearer" {
		if h := in.RequestValidationInput.Request.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") && len(h) > len("Bearer ") {
			return nil
		}
		return errors.New("no bearer token")
	}
	return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func init() {
	// The exports are checked for their status, type and headers; sheet.ReadAll in
	// the tests reads what they hold.
	openapi3filter.RegisterBodyDecoder(xlsxType, openapi3filter.FileBodyDecoder)
}

// checkContract validates one exchange with the API against the document.
// It returns the operation ("POST /api/v1/orders") that the request called, if any.
func checkContract(t testing.TB, req *http.Request, body []byte, r response) string {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") || req.URL.Path == "/api/v1/openapi.json" {
		return ""
	}
	router := contractRouter(t)
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	what := req.Method + " " + req.URL.RequestURI()
	route, params, err := router.FindRoute(vreq)
	if err != nil {
		// Outside the document: the server must say so.
		if (errors.Is(err, routers.ErrPathNotFound) || strings.Contains(err.Error(), routers.ErrPathNotFound.Error())) && r.Status == 404 {
			return ""
		}
		if (errors.Is(err, routers.ErrMethodNotAllowed) || strings.Contains(err.Error(), routers.ErrMethodNotAllowed.Error())) && r.Status == 405 {
			return ""
		}
		t.Errorf("contract: %s is not in openapi.json (%v) but answered %d", what, err, r.Status)
		return ""
	}
	opts := &openapi3filter.Options{AuthenticationFunc: bearerOnly, IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	if reqErr != nil && r.Status < 400 {
		t.Errorf("contract: openapi.json refuses the request %s, but the server answered %d:\n%s", what, r.Status, brief(reqErr))
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.Status, Header: r.Header, Options: opts}
	out.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("contract: the answer %d to %s is not the one openapi.json describes:\n%s\nbody: %.600s", r.Status, what, brief(err), r.Body)
	}
	return route.Method + " " + route.Path
}

var schemaDump = regexp.MustCompile(`(?s)\nSchema:\n.*?\nValue:\n`)

// brief is a validation error without the schemas that kin-openapi prints in full.
func brief(err error) string {
	s := schemaDump.ReplaceAllString(err.Error(), "\nValue: ")
	if len(s) > 3000 {
		s = s[:3000] + " …"
	}
	return s
}

// calledOperation reports whether a request of this env called op.
func (e *env) calledOperation(op string) bool {
	_, ok := e.ops.Load(op)
	return ok
}

// recordTB collects what checkContract reports instead of failing the test.
type recordTB struct {
	testing.TB
	errs []string
}

func (r *recordTB) Helper() {}
func (r *recordTB) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recordTB) Fatalf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// The contract check itself finds drift: an answer with a field the document
// lacks, a status it does not list, a request it refuses that the server
// accepted, and a path it does not have.
func TestContractCheckFindsDrift(t *testing.T) {
	page := `{"items":[],"total":0,"page":1,"per_page":20}`
	jsonHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Cache-Control": {"no-store"}}
	problemHeader := http.Header{"Content-Type": {"application/problem+json"}, "Cache-Control": {"no-store"}}
	workbook := func(disposition string) http.Header {
		return http.Header{"Content-Type": {xlsxType}, "Cache-Control": {"no-store"}, "Content-Disposition": {disposition}}
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		answer                   string
		header                   http.Header
		drift                    bool
		why                      string // in the report, when set
	}{
		{"documented answer", "GET", "/api/v1/members?status=active", "", 200, page, jsonHeader, false, ""},
		{"unknown field in the answer", "GET", "/api/v1/members", "", 200, `{"items":[],"total":0,"page":1,"per_page":20,"next":2}`, jsonHeader, true, ""},
		{"missing field in the answer", "GET", "/api/v1/members", "", 200, `{"items":[],"total":0,"page":1}`, jsonHeader, true, ""},
		{"undocumented status", "GET", "/api/v1/members", "", 418, page, jsonHeader, true, ""},
		{"error that is not a problem document", "GET", "/api/v1/members", "", 422, `{"error":"x"}`, jsonHeader, true, ""},
		{"401 without WWW-Authenticate", "GET", "/api/v1/members", "", 401,
			`{"type":"about:blank","title":"Unauthorized","status":401,"detail":"x"}`, problemHeader, true, ""},
		{"answer without Cache-Control: no-store", "GET", "/api/v1/members", "", 200, page, http.Header{"Content-Type": {"application/json"}}, true, "Cache-Control"},
		{"answer that a cache may keep", "GET", "/api/v1/members", "", 200, page,
			http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"max-age=60"}}, true, "Cache-Control"},
		{"workbook with its Korean name", "GET", "/api/v1/orders/export.xlsx", "", 200, "PK",
			workbook(`attachment; filename="orders_2026-11-29.xlsx"; filename*=UTF-8''%EC%A3%BC%EB%AC%B8.xlsx`), false, ""},
		{"workbook without filename*", "GET", "/api/v1/orders/export.xlsx", "", 200, "PK", workbook(`attachment; filename="orders.xlsx"`), true, "Content-Disposition"},
		{"refused request refused", "GET", "/api/v1/members?status=asleep", "", 422,
			`{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"x"}`, problemHeader, false, ""},
		{"refused request accepted", "GET", "/api/v1/members?status=asleep", "", 200, page, jsonHeader, true, "refuses the request"},
		{"unknown body field accepted", "POST", "/api/v1/sites", `{"code":"ab","name":"x","nmae":"y"}`, 201,
			`{"code":"ab","name":"x","created_at":"2026-11-29T00:00:00Z"}`, jsonHeader, true, "refuses the request"},
		{"bank transfer without a bank accepted", "POST", "/api/v1/refunds", `{"order_no":1,"item_ids":[1],"method":"bank_transfer"}`, 201,
			`{}`, jsonHeader, true, "refuses the request"},
		{"scheduled course without dates accepted", "POST", "/api/v1/products",
			`{"site":"a","kind":"course","name":"x","delivery":"online","schedule":"scheduled"}`, 201, `{}`, jsonHeader, true, "refuses the request"},
		{"path outside the document answered", "GET", "/api/v1/nothing", "", 200, page, jsonHeader, true, ""},
		{"path outside the document refused", "GET", "/api/v1/nothing", "", 404,
			`{"type":"about:blank","title":"Not Found","status":404,"detail":"x"}`, problemHeader, false, ""},
		{"method outside the document answered 404", "DELETE", "/api/v1/orders", "", 404,
			`{"type":"about:blank","title":"Not Found","status":404,"detail":"x"}`, problemHeader, true, ""},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, "http://127.0.0.1:1"+tt.path, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer od_x")
		req.Header.Set("Content-Type", "application/json")
		rec := &recordTB{TB: t}
		checkContract(rec, req, []byte(tt.body), response{Status: tt.status, Header: tt.header, Body: []byte(tt.answer)})
		if got := len(rec.errs) > 0; got != tt.drift {
			t.Errorf("%s: drift found = %v, want %v %q", tt.name, got, tt.drift, rec.errs)
		}
		if tt.why != "" && !strings.Contains(strings.Join(rec.errs, "\n"), tt.why) {
			t.Errorf("%s: no %q in %q", tt.name, tt.why, rec.errs)
		}
	}
}

// documentedOperations lists "METHOD /path" of every operation in the document.
func documentedOperations(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// A tour of the API over the demo data calls every documented operation at
// least once, so that each schema in openapi.json is checked against what the
// server really answers, not only those that other tests happen to call.
func TestContractTour(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, productID := demoEnv(t, e)
		ok := func(r response, want int) response {
			t.Helper()
			if r.Status != want {
				t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
			}
			return r
		}
		id := func(v any) string { return strconv.FormatInt(int64(v.(float64)), 10) }
		member := "/api/v1/members/" + strconv.FormatInt(memberID, 10)

		ok(e.do("GET", "/api/v1/sites?page=1&per_page=5", tok, nil), 200)
		ok(e.do("POST", "/api/v1/sites", tok, map[string]string{"code": "tour", "name": "투어"}), 201)
		ok(e.do("PATCH", "/api/v1/sites/tour", tok, map[string]string{"name": "투어 사이트"}), 200)
		ok(e.do("GET", "/api/v1/members?site=malgn&status=active&field=login&q=sample", tok, nil), 200)
		tourist := ok(e.do("POST", "/api/v1/members", tok, map[string]string{"site": "tour", "login": "tourist", "name": "여행자", "rrn": "900101-1234567",
			"phone": "010-1234-5678", "email": "t@example.com", "education": "college"}), 201).json(t)
		ok(e.do("GET", member, tok, nil), 200)
		ok(e.do("PATCH", member, tok, map[string]string{"affiliation": "맑은소프트"}), 200)
		ok(e.do("POST", "/api/v1/members/"+id(tourist["id"])+"/reveal-rrn", tok, nil), 200)
		ok(e.do("GET", "/api/v1/products?site=malgn&kind=course&display=visible", tok, nil), 200)
		ok(e.do("GET", "/api/v1/products/"+strconv.FormatInt(productID, 10), tok, nil), 200)
		course := ok(e.do("POST", "/api/v1/products", tok, map[string]any{"site": "tour", "kind": "course", "name": "정규 과정",
			"delivery": "offline", "schedule": "scheduled", "start_date": "2026-01-05", "end_date": "2026-02-27", "list_price": 100000,
			"sale_price": 90000, "study_hours": 30, "refund_policy": "hagwon"}), 201).json(t)
		ok(e.do("PATCH", "/api/v1/products/"+id(course["id"]), tok, map[string]any{"display": "hidden"}), 200)
		ok(e.do("GET", "/api/v1/audit?from=2000-01-01&to=2100-12-31&entity=member&per_page=5", tok, nil), 200)

		// Orders: a bank-deposit order cancelled, a card order prepared, a virtual account paid by webhook.
		place := func(method string) map[string]any {
			return ok(e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": method,
				"items": []map[string]any{{"product_id": productID, "qty": 1}}}), 201).json(t)
		}
		bank := "/api/v1/orders/" + id(place("bank_deposit")["order_no"])
		ok(e.do("POST", bank+"/cancel", tok, map[string]string{"reason": "고객 요청"}), 200)
		ok(e.do("GET", bank, tok, nil), 200)
		card := "/api/v1/orders/" + id(place("card")["order_no"])
		ok(e.do("POST", card+"/payments/prepare", tok, nil), 200)
		vbank := "/api/v1/orders/" + id(place("vbank")["order_no"])
		ok(e.do("POST", vbank+"/payments/confirm", tok, map[string]any{"gateway": "sandbox", "payment_key": "vb-tour", "amount": 8000}), 200)
		body, headers, err := e.app.Sandbox.Deposit(context.Background(), "vb-tour")
		if err != nil {
			t.Fatal(err)
		}
		ok(e.do("POST", "/api/v1/webhooks/sandbox", "", body, "X-Sandbox-Signature", headers["x-sandbox-signature"]), 200)
		ok(e.do("GET", vbank+"/transactions", tok, nil), 200)
		ok(e.do("GET", "/api/v1/orders?include_pending=true&method=vbank&paid_from=2000-01-01&paid_to=2100-12-31", tok, nil), 200)
		ok(e.do("GET", "/api/v1/orders/export.xlsx?method=card", tok, nil), 200)

		// Refunds: the demo's, one denied, the calculator.
		paid := place("bank_deposit")
		paidPath := "/api/v1/orders/" + id(paid["order_no"])
		ok(e.do("POST", paidPath+"/confirm-deposit", tok, nil), 200)
		item := paid["items"].([]any)[0].(map[string]any)["item_id"]
		enrollment := paid["items"].([]any)[0].(map[string]any)["enrollment_id"]
		ok(e.do("PUT", "/api/v1/enrollments/"+id(enrollment)+"/progress", tok, map[string]any{"hours": 2.5}), 200)
		refund := ok(e.do("POST", "/api/v1/refunds", tok, map[string]any{"order_no": paid["order_no"], "item_ids": []any{item},
			"reason": "변심", "method": "bank_transfer", "bank": map[string]string{"name": "국민은행", "account": "123-45-678901", "holder": "홍길동"}}), 201).json(t)
		ok(e.do("PATCH", "/api/v1/refunds/"+id(refund["id"]), tok, map[string]any{"bank": map[string]string{"holder": "홍길순"},
			"refund_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}), 200)
		ok(e.do("GET", "/api/v1/refunds/"+id(refund["id"]), tok, nil), 200)
		ok(e.do("POST", "/api/v1/refunds/"+id(refund["id"])+"/deny", tok, map[string]any{"reason": "수강 완료", "notify_sms": true}), 200)
		again := ok(e.do("POST", "/api/v1/refunds", tok, map[string]any{"order_no": paid["order_no"], "item_ids": []any{item},
			"method": "bank_transfer", "bank": map[string]string{"name": "국민은행", "account": "123-45-678901", "holder": "홍길동"}}), 201).json(t)
		ok(e.do("POST", "/api/v1/refunds/"+id(again["id"])+"/complete", tok, map[string]any{"amount": 3000, "memo": "일부", "notify_sms": true}), 200)
		ok(e.do("GET", "/api/v1/refunds?status=requested&from=2000-01-01&to=2100-12-31&field=order_no&q=283", tok, nil), 200)
		ok(e.do("GET", "/api/v1/refunds/export.xlsx?status=completed", tok, nil), 200)
		ok(e.do("POST", "/api/v1/refunds/quote", tok, map[string]any{"policy": "hagwon", "amount": 300000, "total_days": 30,
			"elapsed_days": 5, "months": 3, "current_month": 1}), 200)

		// 근로자카드주문: the list by cohort, its exports, 수강승인 of order 202 and 수강취소 of 무과금 order 285.
		ok(e.do("GET", "/api/v1/voucher-orders?year=2019&round=7&enrollment_status=active&item_status=paid&field=course&q=%EC%A0%84%EC%9E%90"+
			"&ordered_from=2019-01-01&ordered_to=2020-12-31&paid_from=2019-01-01&paid_to=2020-12-31&per_page=50&page=1", tok, nil), 200)
		ok(e.do("GET", "/api/v1/voucher-orders/export.xlsx?awaiting=true&site=malgn", tok, nil), 200)
		ok(e.do("GET", "/api/v1/voucher-orders/members.xlsx?reason=HRD-Net%20%EB%93%B1%EB%A1%9D&product_id="+strconv.FormatInt(productID, 10), tok, nil), 200)
		enrollmentOf := func(no string) any {
			return ok(e.do("GET", "/api/v1/orders/"+no, tok, nil), 200).json(t)["items"].([]any)[0].(map[string]any)["enrollment_id"]
		}
		ok(e.do("POST", "/api/v1/enrollments/approve", tok, map[string]any{"enrollment_ids": []any{enrollmentOf("202")}}), 200)
		ok(e.do("POST", "/api/v1/enrollments/"+id(enrollmentOf("285"))+"/cancel", tok, map[string]string{"reason": "수강 포기"}), 200)
		// Shipping: couriers, 배송관리 and its EXCEL, one item, a bulk change, the tracking upload.
		ok(e.do("GET", "/api/v1/carriers?include_retired=true", tok, nil), 200)
		ok(e.do("POST", "/api/v1/carriers", tok, map[string]string{"code": "TR", "name": "투어택배", "url_template": "https://tour.example/track?no="}), 201)
		ok(e.do("PATCH", "/api/v1/carriers/TR", tok, map[string]any{"name": "투어택배2", "number_form": "cj"}), 200)
		ok(e.do("DELETE", "/api/v1/carriers/TR", tok, nil), 200)
		shipped := ok(e.do("GET", "/api/v1/deliveries?state=shipped&paid_from=2000-01-01&paid_to=2100-12-31", tok, nil), 200).json(t)["items"].([]any)
		if len(shipped) == 0 {
			t.Fatal("the demo has no shipped textbook")
		}
		shippedItem := id(shipped[0].(map[string]any)["item_id"])
		ok(e.do("PATCH", "/api/v1/deliveries/"+shippedItem, tok, map[string]any{"state": "delivered", "delivered_on": "2019-05-29",
			"shipping": map[string]string{"recipient": "홍길동1", "phone": "010-0000-0000", "zipcode": "08797", "address": "서울시 관악구 인현6길 9 1층"}}), 200)
		ok(e.do("GET", "/api/v1/deliveries/export.xlsx?state=delivered", tok, nil), 200)
		ok(e.do("POST", "/api/v1/deliveries/bulk-state", tok, map[string]any{"item_ids": []any{shipped[0].(map[string]any)["item_id"]}, "state": "delivered"}), 200)
		var upload bytes.Buffer
		umw := multipart.NewWriter(&upload)
		_ = umw.WriteField("carrier", "PO")
		_ = umw.WriteField("state", "shipped")
		_ = umw.WriteField("dry_run", "true")
		ufw, _ := umw.CreateFormFile("file", "tracking.csv")
		_, _ = io.WriteString(ufw, "항목번호,송장번호\n"+shippedItem+",444555888\n99999,123\n")
		umw.Close()
		ureq, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/deliveries/tracking-upload", bytes.NewReader(upload.Bytes()))
		ureq.Header.Set("Authorization", "Bearer "+tok)
		ureq.Header.Set("Content-Type", umw.FormDataContentType())
		ok(e.send(ureq, upload.Bytes()), 200)

		// Marketplaces, an import with a refused row, settlement rules and reports.
		ok(e.do("GET", "/api/v1/marketplaces", tok, nil), 200)
		ok(e.do("POST", "/api/v1/marketplaces", tok, map[string]any{"code": "tourmall", "name": "투어몰", "active": true}), 201)
		ok(e.do("GET", "/api/v1/suppliers", tok, nil), 200)
		supplier := ok(e.do("POST", "/api/v1/suppliers", tok, map[string]string{"code": "tourbooks", "name": "투어북스"}), 201).json(t)
		formats := ok(e.do("GET", "/api/v1/sheet-formats?marketplace=esm", tok, nil), 200).json(t)
		esm := formats["items"].([]any)[0].(map[string]any)
		esm["marketplace"] = "tourmall"
		ok(e.do("POST", "/api/v1/sheet-formats", tok, esm), 200)
		file, err := os.ReadFile("../market/testdata/esm_utf8.csv")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(file), "\n")
		broken := strings.Join(lines[:2], "") + strings.Repeat("x,", strings.Count(lines[0], ",")) + "x\n"
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		_ = mw.WriteField("marketplace", "tourmall")
		fw, _ := mw.CreateFormFile("file", "tour.csv")
		_, _ = io.WriteString(fw, broken)
		mw.Close()
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/marketplace-orders/import", bytes.NewReader(form.Bytes()))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		imp := ok(e.send(req, form.Bytes()), 200).json(t)["import"].(map[string]any)
		ok(e.do("GET", "/api/v1/marketplace-orders/imports/"+id(imp["id"])+"/errors.xlsx", tok, nil), 200)
		listed := ok(e.do("GET", "/api/v1/marketplace-orders?marketplace=tourmall&status=active&matched=no&settled=no&from=2000-01-01&to=2100-12-31", tok, nil), 200).json(t)
		line := listed["items"].([]any)[0].(map[string]any)
		ok(e.do("GET", "/api/v1/marketplace-orders/"+id(line["id"]), tok, nil), 200)
		ok(e.do("PUT", "/api/v1/product-matches", tok, map[string]any{"marketplace": "tourmall", "product_code": line["product_code"], "option": line["option"],
			"items": []map[string]any{{"product_id": productID, "count": 1}}}), 200)
		ok(e.do("GET", "/api/v1/product-matches?marketplace=tourmall&page=1&per_page=5", tok, nil), 200)
		ok(e.do("GET", "/api/v1/marketplace-orders/export.xlsx?marketplace=tourmall", tok, nil), 200)
		rule := ok(e.do("POST", "/api/v1/settlement-rules", tok, map[string]any{"marketplace": "tourmall", "title": "투어몰", "sale": "shop_price * qty",
			"rate": "88", "enabled": true, "period_from": "2000-01-01", "rounding": "round"}), 201).json(t)
		rulePath := "/api/v1/settlement-rules/" + id(rule["id"])
		ok(e.do("GET", "/api/v1/settlement-rules?marketplace=tourmall&period_by=applies&from=2000-01-01&to=2100-12-31", tok, nil), 200)
		ok(e.do("GET", rulePath, tok, nil), 200)
		rule2 := map[string]any{"marketplace": "tourmall", "title": "투어몰 2", "sale": "shop_price * qty", "settle": "shop_price * qty * 0.9", "enabled": true}
		ok(e.do("PUT", rulePath, tok, rule2), 200)
		ok(e.do("POST", "/api/v1/settlement/evaluate", tok, map[string]any{"formula": "code11 * 2", "vars": map[string]any{"code11": 3}}), 200)
		ok(e.do("POST", "/api/v1/settlement/recompute", tok, map[string]string{"from": "2000-01-01", "to": "2100-12-31", "marketplace": "tourmall"}), 200)
		ok(e.do("GET", "/api/v1/marketplace-orders?marketplace=tourmall&settled=yes&matched=yes", tok, nil), 200)
		ok(e.do("GET", "/api/v1/marketplace-orders/"+id(line["id"]), tok, nil), 200)
		for _, rep := range []string{"daily-summary", "by-marketplace", "by-product", "by-supplier"} {
			q := "?from=2000-01-01&to=2100-12-31&marketplace=tourmall"
			if rep == "daily-summary" {
				q = "?day=2025-10-13"
			}
			ok(e.do("GET", "/api/v1/settlement/reports/"+rep+q, tok, nil), 200)
			ok(e.do("GET", "/api/v1/settlement/reports/"+rep+".xlsx"+q, tok, nil), 200)
		}
		ok(e.do("GET", "/api/v1/settlement/reports/by-supplier?from=2000-01-01&to=2100-12-31&supplier_id="+id(supplier["id"]), tok, nil), 200)
		ok(e.do("DELETE", rulePath, tok, nil), 200)
		for _, q := range []string{"daily?from=2018-08-01&to=2018-08-31&site=malgn", "monthly?from=2018-01&to=2020-12",
			"courses?from=2018-01-01&to=2020-12-31&delivery=online&schedule=always_open&display=visible"} {
			name, args, _ := strings.Cut(q, "?")
			ok(e.do("GET", "/api/v1/stats/"+name+"?"+args, tok, nil), 200)
			ok(e.do("GET", "/api/v1/stats/"+name+".xlsx?"+args, tok, nil), 200)
		}

		// API tokens: the caller's own, one revoked.
		spare := e.newToken("root", "tour-spare")
		ok(e.do("GET", "/api/v1/tokens?page=1&per_page=5", tok, nil), 200)
		ok(e.do("DELETE", "/api/v1/tokens/"+strconv.FormatInt(e.tokenIDs(spare)["tour-spare"], 10), tok, nil), 204)
		// Coupons: a 개별 coupon, more codes, a member chosen and recalled, a quote, an order with a code.
		cp := ok(e.do("POST", "/api/v1/coupons", tok, map[string]any{"site": "malgn", "name": "투어 쿠폰", "kind": "rate", "rate": 10,
			"max_discount": 500, "count": 1, "valid_from": "2000-01-01", "valid_to": "2100-12-31", "status": "active"}), 201).json(t)
		cpPath := "/api/v1/coupons/" + id(cp["id"])
		ok(e.do("GET", "/api/v1/coupons?site=malgn&scope=all&kind=rate&shared=individual&status=active&from=2000-01-01&to=2100-12-31&q=투어", tok, nil), 200)
		ok(e.do("GET", cpPath, tok, nil), 200)
		ok(e.do("PATCH", cpPath, tok, map[string]any{"name": "투어 쿠폰 2", "min_price": 1000}), 200)
		codes := ok(e.do("POST", cpPath+"/codes", tok, map[string]any{"count": 2}), 201).json(t)["codes"].([]any)
		ok(e.do("POST", cpPath+"/codes/"+codes[0].(string)+"/assign", tok, map[string]any{"member_id": memberID}), 200)
		ok(e.do("POST", cpPath+"/codes/"+codes[0].(string)+"/recall", tok, nil), 200)
		cart := []map[string]any{{"product_id": productID, "qty": 1}}
		ok(e.do("POST", "/api/v1/coupons/quote", tok, map[string]any{"site": "malgn", "member_id": memberID, "items": cart, "coupon_code": codes[1]}), 200)
		ok(e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "bank_deposit",
			"items": cart, "coupon_code": codes[1]}), 201)
		ok(e.do("GET", cpPath+"/codes?used=used&q=홍", tok, nil), 200)
		ok(e.do("GET", cpPath+"/codes/export.xlsx?used=unused", tok, nil), 200)
		ok(e.do("GET", "/api/v1/coupons/export.xlsx?status=active", tok, nil), 200)

		// 정산대사: a payout format, a payout file, the reconciliation, a closed month.
		pf := ok(e.do("GET", "/api/v1/payout-formats?marketplace=esm", tok, nil), 200).json(t)["items"].([]any)[0].(map[string]any)
		ok(e.do("POST", "/api/v1/payout-formats", tok, map[string]any{"marketplace": "tourmall", "format": pf["format"]}), 200)
		payoutFile, err := os.ReadFile("../payout/testdata/esm_payout.csv")
		if err != nil {
			t.Fatal(err)
		}
		form.Reset()
		mw = multipart.NewWriter(&form)
		_ = mw.WriteField("marketplace", "tourmall")
		fw, _ = mw.CreateFormFile("file", "esm_payout.csv")
		_, _ = fw.Write(payoutFile)
		mw.Close()
		req, _ = http.NewRequest("POST", e.srv.URL+"/api/v1/payouts/import", bytes.NewReader(form.Bytes()))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		stmt := ok(e.send(req, form.Bytes()), 200).json(t)["statement"].(map[string]any)
		ok(e.do("GET", "/api/v1/payouts?marketplace=tourmall", tok, nil), 200)
		if rows, err := sheet.ReadAll(bytes.NewReader(ok(e.do("GET", "/api/v1/payouts/export.xlsx?marketplace=tourmall", tok, nil), 200).Body)); err != nil ||
			len(rows) != 2 || rows[1][0] != id(stmt["id"]) || rows[1][2] != "esm_payout.csv" {
			t.Fatalf("정산내역 EXCEL: %v %v", rows, err)
		}
		ok(e.do("GET", "/api/v1/payouts/"+id(stmt["id"]), tok, nil), 200)
		recon := ok(e.do("GET", "/api/v1/reconciliation?marketplace=tourmall&basis=order&from=2025-10-01&to=2025-10-31&q=", tok, nil), 200).json(t)
		ok(e.do("GET", "/api/v1/reconciliation/"+id(recon["items"].([]any)[0].(map[string]any)["id"]), tok, nil), 200)
		ok(e.do("GET", "/api/v1/reconciliation/export.xlsx?marketplace=tourmall&state=unmatched", tok, nil), 200)
		ok(e.do("POST", "/api/v1/reconciliation/refresh", tok, map[string]string{"marketplace": "tourmall", "from": "2025-10"}), 200)
		ok(e.do("POST", "/api/v1/settlement/periods/tourmall/2025-10/close", tok, map[string]string{"reason": "대사 완료"}), 200)
		ok(e.do("POST", "/api/v1/settlement/recompute", tok, map[string]string{"from": "2025-10-01", "to": "2025-10-31", "marketplace": "tourmall"}), 409)
		ok(e.do("GET", "/api/v1/settlement/periods?marketplace=tourmall", tok, nil), 200)
		ok(e.do("POST", "/api/v1/settlement/periods/tourmall/2025-10/reopen", tok, map[string]string{"reason": "정정"}), 200)

		var missing []string
		for _, op := range documentedOperations(t) {
			if !e.calledOperation(op) {
				missing = append(missing, op)
			}
		}
		if len(missing) > 0 {
			t.Errorf("the tour calls no request of %d documented operations:\n%s", len(missing), strings.Join(missing, "\n"))
		}
	})
}
