package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
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

// newEnvWith is newEnv with a changed configuration.
func newEnvWith(t *testing.T, engine sqldb.Engine, edit func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.DB = sqldbtest.DSN(t, engine)
	cfg.SecretKey = testKey
	edit(&cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
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

// postLogin posts the login form (without following the redirect).
func (e *env) postLogin(login, password, next string, header ...string) *http.Response {
	e.t.Helper()
	form := url.Values{"login": {login}, "password": {password}, "next": {next}}
	req, _ := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (e *env) account(login string) {
	e.t.Helper()
	if _, err := e.app.Staff.Create(context.Background(), access.System(), staff.NewStaff{Login: login, Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
		e.t.Fatal(err)
	}
}

// Without trusted proxies X-Forwarded-For is ignored: a burst of wrong
// passwords from one peer blocks that peer whatever the header says. With
// the proxy trusted, two staff members behind it with different client
// addresses do not lock each other out.
func TestLoginLimitTrustsOnlyConfiguredProxies(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			for _, trusted := range []string{"", "127.0.0.1/32,::1"} {
				e := newEnvWith(t, engine, func(c *config.Config) { c.TrustedProxies = trusted })
				e.account("kim")
				e.account("lee")
				for i := 0; i < 5; i++ {
					if resp := e.postLogin("kim", "wrong password", "/", "X-Forwarded-For", fmt.Sprintf("198.51.100.%d, 203.0.113.1", i)); resp.StatusCode != http.StatusUnauthorized {
						t.Fatalf("trusted %q: wrong password = %d", trusted, resp.StatusCode)
					}
				}
				resp := e.postLogin("lee", "correct horse battery", "/orders", "X-Forwarded-For", "203.0.113.2")
				switch trusted {
				case "":
					if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
						t.Errorf("no proxy trusted: another login from the same peer = %d (Retry-After %q), want 429", resp.StatusCode, resp.Header.Get("Retry-After"))
					}
				default:
					if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/orders" {
						t.Errorf("proxy trusted: lee behind it = %d %q, want 303 to /orders", resp.StatusCode, resp.Header.Get("Location"))
					}
					// The client address of kim's burst is blocked, whatever the left part says.
					if resp := e.postLogin("lee", "correct horse battery", "/", "X-Forwarded-For", "198.51.100.77, 203.0.113.1"); resp.StatusCode != http.StatusTooManyRequests {
						t.Errorf("proxy trusted: from kim's address = %d, want 429", resp.StatusCode)
					}
				}
			}
		})
	}
}

// Over HTTP: 30 wrong logins at once are answered 401 at most five times
// and 429 otherwise; a login with whitespace around it is locked with it; a
// login's redirect stays on the site.
func TestConsoleLoginLimitAndRedirect(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.account("root")
		for _, next := range []string{"/%09/evil.example", "//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)"} {
			resp := e.postLogin("root", "correct horse battery", next)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
				t.Errorf("next=%q: %d to %q, want 303 to /", next, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		e.account("aview")
		var mu sync.Mutex
		got := map[int]int{}
		var wg sync.WaitGroup
		for i := 0; i < 30; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp := e.postLogin("aview", "wrong password", "/")
				mu.Lock()
				got[resp.StatusCode]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if got[http.StatusUnauthorized] > 5 || got[http.StatusTooManyRequests] < 25 {
			t.Fatalf("30 concurrent wrong logins answered %v; want at most five 401 and the rest 429", got)
		}
		for _, login := range []string{" aview", "aview\t", "aview"} {
			resp := e.postLogin(login, "correct horse battery", "/")
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Errorf("locked %q with the right password = %d, want 429", login, resp.StatusCode)
			}
			// The lock ends 15 minutes after the first failure, moments ago.
			if after, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || after < 850 || after > 900 {
				t.Errorf("locked %q: Retry-After %q, want the seconds left of 15 minutes", login, resp.Header.Get("Retry-After"))
			}
		}
	})
}
