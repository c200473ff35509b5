package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The API tests exercise the contract: every request that they send to
// /api/v1 through env.do (or env.send) and its answer are checked against
// internal/api/openapi.json, the document the server publishes.
//
//   - The answer must be one the document describes for the operation: its
//     status, content type, headers and body schema (unknown fields included).
//   - A request the document calls invalid must be refused (4xx); the server
//     accepting it means the document and the code disagree.
//   - A path or method the document lacks must be answered 404 or 405.

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
func checkContract(t testing.TB, req *http.Request, body []byte, r response) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") || req.URL.Path == "/api/v1/openapi.json" {
		return
	}
	router := contractRouter(t)
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	what := req.Method + " " + req.URL.RequestURI()
	route, params, err := router.FindRoute(vreq)
	if err != nil {
		// Outside the document: the server must say so.
		if (errors.Is(err, routers.ErrPathNotFound) || strings.Contains(err.Error(), routers.ErrPathNotFound.Error())) && r.Status == 404 {
			return
		}
		if (errors.Is(err, routers.ErrMethodNotAllowed) || strings.Contains(err.Error(), routers.ErrMethodNotAllowed.Error())) && (r.Status == 405 || r.Status == 404) {
			return
		}
		t.Errorf("contract: %s is not in openapi.json (%v) but answered %d", what, err, r.Status)
		return
	}
	opts := &openapi3filter.Options{AuthenticationFunc: bearerOnly, IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	if reqErr != nil && r.Status < 400 {
		t.Errorf("contract: openapi.json refuses the request %s, but the server answered %d:\n%v", what, r.Status, reqErr)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.Status, Header: r.Header, Options: opts}
	out.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("contract: the answer %d to %s is not the one openapi.json describes:\n%v\nbody: %.600s", r.Status, what, err, r.Body)
	}
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
	jsonHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	tests := []struct {
		name, method, path, body string
		status                   int
		answer                   string
		header                   http.Header
		drift                    bool
	}{
		{"documented answer", "GET", "/api/v1/members?status=active", "", 200, page, jsonHeader, false},
		{"unknown field in the answer", "GET", "/api/v1/members", "", 200, `{"items":[],"total":0,"page":1,"per_page":20,"next":2}`, jsonHeader, true},
		{"missing field in the answer", "GET", "/api/v1/members", "", 200, `{"items":[],"total":0,"page":1}`, jsonHeader, true},
		{"undocumented status", "GET", "/api/v1/members", "", 418, page, jsonHeader, true},
		{"error that is not a problem document", "GET", "/api/v1/members", "", 422, `{"error":"x"}`, jsonHeader, true},
		{"401 without WWW-Authenticate", "GET", "/api/v1/members", "", 401,
			`{"type":"about:blank","title":"Unauthorized","status":401,"detail":"x"}`, http.Header{"Content-Type": {"application/problem+json"}}, true},
		{"refused request refused", "GET", "/api/v1/members?status=asleep", "", 422,
			`{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"x"}`, http.Header{"Content-Type": {"application/problem+json"}}, false},
		{"refused request accepted", "GET", "/api/v1/members?status=asleep", "", 200, page, jsonHeader, true},
		{"unknown body field accepted", "POST", "/api/v1/sites", `{"code":"ab","name":"x","nmae":"y"}`, 201,
			`{"code":"ab","name":"x","created_at":"2026-11-29T00:00:00Z"}`, jsonHeader, true},
		{"path outside the document answered", "GET", "/api/v1/nothing", "", 200, page, jsonHeader, true},
		{"path outside the document refused", "GET", "/api/v1/nothing", "", 404,
			`{"type":"about:blank","title":"Not Found","status":404,"detail":"x"}`, http.Header{"Content-Type": {"application/problem+json"}}, false},
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
	}
}
