package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/config"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/staff"
)

// tokenIDs lists the ids of the caller's tokens by name.
func (e *env) tokenIDs(tok string) map[string]int64 {
	e.t.Helper()
	r := e.do("GET", "/api/v1/tokens", tok, nil)
	if r.Status != 200 {
		e.t.Fatalf("GET /api/v1/tokens = %d %s", r.Status, r.Body)
	}
	v := r.json(e.t)
	out := map[string]int64{}
	for _, it := range v["items"].([]any) {
		m := it.(map[string]any)
		out[m["name"].(string)] = int64(m["id"].(float64))
	}
	if int(v["total"].(float64)) != len(out) || v["page"].(float64) != 1 || v["per_page"] == nil {
		e.t.Fatalf("token list shape: %s", r.Body)
	}
	return out
}

func (e *env) newToken(login, name string) string {
	e.t.Helper()
	tok, err := e.app.Staff.CreateToken(context.Background(), access.System(), login, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func TestTokenListAndRevokeAPI(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.twoSites()
		kim := e.staffToken("kim", access.SiteAdmin, "sitea") // named "test"
		kim2 := e.newToken("kim", "script")
		lee := e.staffToken("lee", access.Viewer, "siteb")
		root := e.staffToken("root", access.SuperAdmin)
		r := e.do("GET", "/api/v1/tokens", kim, nil)
		for _, secret := range []string{kim, kim2, lee, "token_hash", "od_"} {
			if strings.Contains(string(r.Body), secret) {
				t.Fatalf("token list shows %q: %s", secret, r.Body)
			}
		}
		if !strings.Contains(string(r.Body), `"created_at"`) {
			t.Fatalf("token list lacks created_at: %s", r.Body)
		}
		ids := e.tokenIDs(kim)
		leeID := e.tokenIDs(lee)["test"]
		if len(ids) != 2 || ids["script"] == 0 || leeID == 0 {
			t.Fatalf("kim's tokens %v, lee's %d", ids, leeID)
		}
		// Another person's token does not exist for a site_admin.
		if r := e.do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", leeID), kim, nil); r.Status != http.StatusNotFound {
			t.Fatalf("kim revoking lee's token = %d %s", r.Status, r.Body)
		}
		if r := e.do("GET", "/api/v1/tokens", lee, nil); r.Status != 200 {
			t.Fatalf("lee's token after kim's try = %d", r.Status)
		}
		if r := e.do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", ids["script"]), kim, nil); r.Status != http.StatusNoContent || len(r.Body) != 0 {
			t.Fatalf("kim revoking own token = %d %q", r.Status, r.Body)
		}
		if r := e.do("GET", "/api/v1/products", kim2, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("revoked token = %d, want 401", r.Status)
		}
		if r := e.do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", ids["script"]), kim, nil); r.Status != http.StatusNotFound {
			t.Fatalf("revoking twice = %d", r.Status)
		}
		if got := e.tokenIDs(kim); len(got) != 1 || got["test"] != ids["test"] {
			t.Fatalf("kim's tokens after revoking one: %v", got)
		}
		// A super_admin may revoke anyone's.
		if r := e.do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", leeID), root, nil); r.Status != http.StatusNoContent {
			t.Fatalf("super_admin revoking lee's token = %d %s", r.Status, r.Body)
		}
		if r := e.do("GET", "/api/v1/tokens", lee, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("lee's revoked token = %d", r.Status)
		}
		if r := e.do("DELETE", "/api/v1/tokens/abc", root, nil); r.Status != http.StatusNotFound {
			t.Fatalf("DELETE /tokens/abc = %d", r.Status)
		}
		page, err := e.app.Audit.List(ctx, access.System(), audit.Filter{Action: "token.revoke"})
		if err != nil || page.Total != 2 {
			t.Fatalf("token.revoke audit rows = %d, %v; want 2", page.Total, err)
		}
	})
}

func TestCLITokenRevoke(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			env := map[string]string{"ORDERDESK_DB": sqldbtest.DSN(t, engine), "ORDERDESK_SECRET_KEY": testKey, "ORDERDESK_LOG_LEVEL": "warn"}
			if code, _, errs := runCLI(t, env, "admin", "create", "--login", "kim", "--password", "correct horse", "--role", "super_admin"); code != 0 {
				t.Fatalf("admin create = %d %q", code, errs)
			}
			code, out, _ := runCLI(t, env, "token", "create", "--login", "kim", "--name", "one")
			if code != 0 {
				t.Fatalf("token create = %d", code)
			}
			tok := strings.TrimSpace(out)
			e := newEnvWith(t, engine, func(c *config.Config) { c.DB = env["ORDERDESK_DB"] })
			id := e.tokenIDs(tok)["one"]
			if code, out, errs := runCLI(t, env, "token", "revoke", "--id", fmt.Sprint(id)); code != 0 || !strings.Contains(out, "revoked") {
				t.Fatalf("token revoke = %d %q %q", code, out, errs)
			}
			// The command line is another process: the server, which saw the
			// token a moment ago, refuses it once its cache of a second has
			// passed (staff.TokenCacheTTL).
			deadline := time.Now().Add(staff.TokenCacheTTL + time.Second)
			for {
				r := e.do("GET", "/api/v1/tokens", tok, nil)
				if r.Status == http.StatusUnauthorized {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("revoked token = %d %s after the cache's TTL, want 401", r.Status, r.Body)
				}
				time.Sleep(50 * time.Millisecond)
			}
			for _, args := range [][]string{{"--id", fmt.Sprint(id)}, {"--id", "9999"}, {}, {"--id", "x"}} {
				code, _, errs := runCLI(t, env, append([]string{"token", "revoke"}, args...)...)
				if code != 2 || errs == "" || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
					t.Errorf("token revoke %v = %d %q, want 2 and one line", args, code, errs)
				}
			}
		})
	}
}

func TestConsoleTokenRevoke(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.twoSites()
		kim := e.staffToken("kim", access.SiteAdmin, "sitea")
		e.newToken("kim", "nightly-export")
		lee := e.staffToken("lee", access.Viewer, "siteb")
		leeID := e.tokenIDs(lee)["test"]
		id := e.tokenIDs(kim)["test"]
		c := e.consoleClient("kim", "correct horse battery")
		status, body := get(t, c, e.srv.URL+"/tokens")
		if status != 200 || !strings.Contains(body, "nightly-export") || !strings.Contains(body, "폐기") || !strings.Contains(body, "내 API 토큰") ||
			strings.Contains(body, kim) {
			t.Fatalf("/tokens = %d %s", status, body)
		}
		resp, err := c.PostForm(e.srv.URL+fmt.Sprintf("/tokens/%d/revoke", leeID), url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("console revoking lee's token = %d", resp.StatusCode)
		}
		resp, err = c.PostForm(e.srv.URL+fmt.Sprintf("/tokens/%d/revoke", id), url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Request.URL.Path != "/tokens" {
			t.Fatalf("console revoke ended at %s with %d", resp.Request.URL, resp.StatusCode)
		}
		if r := e.do("GET", "/api/v1/products", kim, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("token revoked in the console = %d, want 401", r.Status)
		}
		if r := e.do("GET", "/api/v1/products", lee, nil); r.Status != 200 {
			t.Fatalf("lee's token = %d", r.Status)
		}
		resp, err = c.PostForm(e.srv.URL+"/settings/lang", url.Values{"lang": {"en"}, "back": {"/tokens"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if status, body := get(t, c, e.srv.URL+"/tokens"); status != 200 || !strings.Contains(body, "My API tokens") || !strings.Contains(body, "Revoke") {
			t.Fatalf("English /tokens = %d %s", status, body)
		}
	})
}
