package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPI)
	if err != nil {
		t.Fatalf("openapi.json does not load: %v", err)
	}
	return doc
}

// The document is a valid OpenAPI 3.1 document: every $ref resolves, every
// schema, example and default is well formed, every operation has an id.
func TestOpenAPIDocumentValidates(t *testing.T) {
	doc := loadDoc(t)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0 (API.md)", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableSchemaPatternValidation(), openapi3.EnableExamplesValidation(),
		openapi3.EnableSchemaDefaultsValidation()); err != nil {
		t.Fatalf("openapi.json is not valid: %v", err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
			for code, resp := range op.Responses.Map() {
				if code[0] == '2' || resp.Value == nil {
					continue
				}
				if _, ok := resp.Value.Content["application/problem+json"]; !ok {
					t.Errorf("%s %s answers %s without a problem+json schema", method, path, code)
				}
			}
		}
	}
}

const catchAll = "/api/v1/"

// routeMux registers the route table as Handler registers it (each route and
// the catch-all), to ask which route a request reaches.
func routeMux(t *testing.T) (*http.ServeMux, map[string]Route) {
	t.Helper()
	mux := http.NewServeMux()
	table := map[string]Route{}
	for _, rt := range Routes() {
		mux.HandleFunc(rt.Pattern, func(http.ResponseWriter, *http.Request) {})
		table[rt.Pattern] = rt
	}
	mux.HandleFunc(catchAll, func(http.ResponseWriter, *http.Request) {})
	if len(table) < 40 {
		t.Fatalf("found only %d routes in the route table; has it changed shape?", len(table))
	}
	return mux, table
}

// operation is one operation of the document and the request that calls it.
type operation struct {
	name string // "GET /api/v1/orders/{order_no}"
	req  func() *http.Request
}

func operations(t *testing.T) []operation {
	t.Helper()
	doc := loadDoc(t)
	var out []operation
	for docPath, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			path := strings.NewReplacer("{id}", "1", "{order_no}", "1", "{code}", "malgn", "{gateway}", "sandbox").Replace(docPath)
			out = append(out, operation{method + " " + docPath, func() *http.Request { return httptest.NewRequest(method, path, nil) }})
		}
	}
	if len(out) < 40 {
		t.Fatalf("the document has only %d operations", len(out))
	}
	return out
}

// Every route of the API's route table serves some operation of the
// document: a request of that operation reaches the route. (A route with a
// wildcard such as /settlement/reports/{name} is covered by the documented
// reports; /marketplace-orders/{id} is not covered by export.xlsx, which has
// its own route.)
func TestEveryRouteIsInTheDocument(t *testing.T) {
	mux, table := routeMux(t)
	covered := map[string]bool{}
	for _, op := range operations(t) {
		_, pattern := mux.Handler(op.req())
		covered[pattern] = true
	}
	for pattern := range table {
		if pattern == "GET /api/v1/openapi.json" { // the document itself
			continue
		}
		if !strings.Contains(pattern, " ") {
			t.Errorf("route %q has no method: every API route names its method", pattern)
		}
		if !covered[pattern] {
			t.Errorf("route %q has no operation in openapi.json", pattern)
		}
	}
}

// Every operation of the document reaches a route of its own, not the
// catch-all that answers "no such API path" (404) or "not this method" (405):
// the route table has a pattern for it, and Handler, asked without a token,
// answers the challenge of that route (401) — public routes excepted.
func TestEveryDocumentedOperationIsServed(t *testing.T) {
	mux, table := routeMux(t)
	h := (&Server{}).Handler()
	for _, op := range operations(t) {
		_, pattern := mux.Handler(op.req())
		if pattern == "" || pattern == catchAll {
			t.Errorf("%s is in openapi.json but no route of the table serves it (pattern %q)", op.name, pattern)
			continue
		}
		if table[pattern].Public {
			continue
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, op.req())
		if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("%s without a token: Handler answered %d (WWW-Authenticate %q), want 401 with a Bearer challenge from route %q",
				op.name, rec.Code, rec.Header().Get("WWW-Authenticate"), pattern)
		}
	}
}

// The server answers the embedded document as JSON.
func TestOpenAPIServed(t *testing.T) {
	rec := httptest.NewRecorder()
	(&Server{}).Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") || rec.Body.String() != string(openAPI) {
		t.Fatalf("GET /api/v1/openapi.json = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
}

// The document states the rules the API enforces on these bodies, so that a
// client validating against it is refused what the server refuses.
func TestDocumentStatesTheInputRules(t *testing.T) {
	doc := loadDoc(t)
	tests := []struct {
		schema, body string
		ok           bool
	}{
		{"RuleInput", `{"marketplace":"11st","title":"t","sale":"code11","settle":"code14"}`, true},
		{"RuleInput", `{"marketplace":"11st","title":"t","sale":"code11","rate":"88"}`, true},
		{"RuleInput", `{"marketplace":"11st","title":"t","sale":"code11","settle":"code14","rate":" "}`, true},
		{"RuleInput", `{"marketplace":"11st","title":"t","sale":"code11","settle":"code14","rate":"88"}`, false},
		{"RuleInput", `{"marketplace":"11st","title":"t","sale":"code11"}`, false},
		{"ProgressInput", `{"hours":7.5}`, true},
		{"ProgressInput", `{"sessions":3}`, true},
		{"ProgressInput", `{"hours":1,"sessions":1}`, false},
		{"ProgressInput", `{}`, false},
		{"ProgressInput", `{"hours":-1}`, false},
		{"QuoteInput", `{"policy":"by_progress","amount":1000,"total_units":7.5,"used_units":2.25,"unit":"hours"}`, true},
		{"QuoteInput", `{"policy":"by_progress","amount":1000,"total_units":7.5,"unit":"days"}`, false},
		{"RefundPatch", `{"bank":{"holder":"홍길순"}}`, true},
		{"RefundPatch", `{"method":"pg_cancel","bank":null,"refund_at":null}`, true},
		{"RefundPatch", `{"refund_at":"2026-11-30T10:00:00+09:00"}`, true},
		{"RefundPatch", `{"method":"cash"}`, false},
		{"DenyInput", `{"reason":"수강 완료","notify_sms":true}`, true},
		{"DenyInput", `{"reason":" "}`, false},
		{"MatchInput", `{"marketplace":"11st","product_code":"A1","option":"","items":[{"product_id":1,"count":2}]}`, true},
		{"MatchInput", `{"marketplace":"11st","product_code":"A1"}`, true},
		{"MatchInput", `{"marketplace":"11st","product_code":"A1","items":[{"product_id":1,"count":0}]}`, false},
		{"MatchInput", `{"marketplace":"11st","product_code":" "}`, false},
	}
	for _, tt := range tests {
		ref, ok := doc.Components.Schemas[tt.schema]
		if !ok {
			t.Fatalf("no schema %s", tt.schema)
		}
		var v any
		if err := json.Unmarshal([]byte(tt.body), &v); err != nil {
			t.Fatal(err)
		}
		err := ref.Value.VisitJSON(v)
		if (err == nil) != tt.ok {
			t.Errorf("%s %s: accepted = %v, want %v (%v)", tt.schema, tt.body, err == nil, tt.ok, err)
		}
	}
}
