package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/app"
	"github.com/orderdesk/orderdesk/internal/config"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/staff"
)

const testKey = "0101010101010101010101010101010101010101010101010101010101010101"

// env is one running orderdesk on one engine, served by httptest.
type env struct {
	t   *testing.T
	app *app.App
	srv *httptest.Server
	ops sync.Map // the documented operations its requests called
}

// logWriter shows the server's warnings and errors in the test's output.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func newEnv(t *testing.T, engine sqldb.Engine) *env {
	t.Helper()
	cfg := config.Default()
	cfg.DB = sqldbtest.DSN(t, engine)
	cfg.SecretKey = testKey
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	h, err := a.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, app: a, srv: srv}
}

// eachEngine runs fn on SQLite and, when configured, PostgreSQL.
func eachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) { fn(t, newEnv(t, engine)) })
	}
}

// staffToken creates an account and returns an API token for it.
func (e *env) staffToken(login string, role access.Role, sites ...string) string {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.app.Staff.Create(ctx, access.System(), staff.NewStaff{Login: login, Password: "correct horse battery", Role: role, Sites: sites}); err != nil {
		e.t.Fatal(err)
	}
	tok, err := e.app.Staff.CreateToken(ctx, access.System(), login, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return v
}

func (e *env) do(method, path, token string, body any, header ...string) response {
	e.t.Helper()
	var data []byte
	switch b := body.(type) {
	case nil:
	case string:
		data = []byte(b)
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(data))
	if err != nil {
		e.t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = nil, 0
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.send(req, data)
}

// send sends req, whose body is body, and checks the exchange against the
// OpenAPI document (openapi_test.go).
func (e *env) send(req *http.Request, body []byte) response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: data}
	if op := checkContract(e.t, req, body, r); op != "" {
		e.ops.Store(op, true)
	}
	return r
}

// verified fails the test unless `orderdesk verify` passes every check on
// e's database; when says at what point ("after the races", say).
func (e *env) verified(t *testing.T, when string) {
	t.Helper()
	var out bytes.Buffer
	if err := e.app.Verify(context.Background(), &out); err != nil {
		if when != "" {
			when = " " + when
		}
		t.Fatalf("verify%s: %v\n%s", when, err, out.String())
	}
}
