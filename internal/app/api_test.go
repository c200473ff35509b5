package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
)

func TestHealthAndAuth(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		if r := e.do("GET", "/healthz", "", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"ok"`) {
			t.Fatalf("healthz = %d %s", r.Status, r.Body)
		}
		if r := e.do("GET", "/api/v1/members", "", nil); r.Status != 401 || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("no token = %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		if r := e.do("GET", "/api/v1/members", "od_forged", nil); r.Status != 401 {
			t.Fatalf("bad token = %d", r.Status)
		}
		if r := e.do("GET", "/api/v1/openapi.json", "", nil); r.Status != 200 || r.json(t)["openapi"] != "3.1.0" {
			t.Fatalf("openapi = %d", r.Status)
		}
	})
}

func TestSiteAdminCannotReachAnotherSite(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		root := e.staffToken("root", access.SuperAdmin)
		for _, s := range []string{"malgn", "other"} {
			if r := e.do("POST", "/api/v1/sites", root, map[string]string{"code": s, "name": s}); r.Status != 201 {
				t.Fatalf("create site %s = %d %s", s, r.Status, r.Body)
			}
		}
		r := e.do("POST", "/api/v1/members", root, map[string]string{"site": "other", "login": "theirs", "name": "남의회원", "rrn": "750101-1234567"})
		if r.Status != 201 {
			t.Fatalf("create member = %d %s", r.Status, r.Body)
		}
		theirID := int64(r.json(t)["id"].(float64))
		kim := e.staffToken("kim", access.SiteAdmin, "malgn")
		path := fmt.Sprintf("/api/v1/members/%d", theirID)
		if r := e.do("GET", path, kim, nil); r.Status != 404 {
			t.Fatalf("GET other site's member = %d %s, want 404", r.Status, r.Body)
		}
		if r := e.do("PATCH", path, kim, map[string]string{"name": "탈취"}); r.Status != 404 {
			t.Fatalf("PATCH other site's member = %d, want 404", r.Status)
		}
		if r := e.do("POST", path+"/reveal-rrn", kim, nil); r.Status != 404 {
			t.Fatalf("reveal other site's member = %d, want 404", r.Status)
		}
		if r := e.do("POST", "/api/v1/members", kim, map[string]string{"site": "other", "login": "sneak", "name": "x"}); r.Status != 404 {
			t.Fatalf("create in other site = %d, want 404", r.Status)
		}
		if r := e.do("POST", "/api/v1/sites", kim, map[string]string{"code": "mine", "name": "x"}); r.Status != 403 {
			t.Fatalf("site_admin creating a site = %d, want 403", r.Status)
		}
		if r := e.do("PATCH", "/api/v1/sites/malgn", kim, map[string]string{"name": "x"}); r.Status != 403 {
			t.Fatalf("site_admin renaming a site = %d, want 403", r.Status)
		}
		if r := e.do("PATCH", "/api/v1/sites/malgn", root, map[string]string{"name": "맑은소프트"}); r.Status != 200 || r.json(t)["name"] != "맑은소프트" {
			t.Fatalf("rename = %d %s", r.Status, r.Body)
		}
		if r := e.do("PATCH", "/api/v1/sites/malgn", root, map[string]string{"name": " "}); r.Status != 422 {
			t.Fatalf("empty name = %d", r.Status)
		}
		list := e.do("GET", "/api/v1/members", kim, nil).json(t)
		if list["total"].(float64) != 0 {
			t.Fatalf("site admin lists %v members of another site", list["total"])
		}
		viewer := e.staffToken("view", access.Viewer, "other")
		if r := e.do("GET", path, viewer, nil); r.Status != 200 {
			t.Fatalf("viewer GET own site's member = %d", r.Status)
		}
		if r := e.do("PATCH", path, viewer, map[string]string{"name": "x"}); r.Status != 403 {
			t.Fatalf("viewer PATCH = %d, want 403", r.Status)
		}
		if got := e.do("GET", path, root, nil).json(t)["name"]; got != "남의회원" {
			t.Fatalf("refused writes changed the member: name %v", got)
		}
	})
}

func TestBadInputChangesNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		root := e.staffToken("root", access.SuperAdmin)
		e.do("POST", "/api/v1/sites", root, map[string]string{"code": "malgn", "name": "맑은소프트"})
		ok := e.do("POST", "/api/v1/members", root, map[string]string{"site": "malgn", "login": "hong", "name": "홍길동"})
		if ok.Status != 201 {
			t.Fatalf("create = %d %s", ok.Status, ok.Body)
		}
		tests := []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"no name", map[string]string{"site": "malgn", "login": "lee"}, 422, "name"},
			{"duplicate login", map[string]string{"site": "malgn", "login": "hong", "name": "홍"}, 409, "login"},
			{"unknown field", `{"site":"malgn","login":"lee","name":"이","nmae":"x"}`, 422, ""},
			{"not json", `{"site":`, 422, ""},
			{"wrong type", `{"site":"malgn","login":"lee","name":7}`, 422, "name"},
			{"oversized", `{"site":"malgn","login":"lee","name":"` + strings.Repeat("가", 400000) + `"}`, http.StatusRequestEntityTooLarge, ""},
		}
		for _, tt := range tests {
			r := e.do("POST", "/api/v1/members", root, tt.body)
			if r.Status != tt.status {
				t.Errorf("%s: status %d %s, want %d", tt.name, r.Status, r.Body, tt.status)
				continue
			}
			p := r.json(t)
			if p["detail"] == "" || p["status"].(float64) != float64(tt.status) {
				t.Errorf("%s: problem %v", tt.name, p)
			}
			if tt.field != "" && !strings.Contains(string(r.Body), `"location":"`+tt.field+`"`) {
				t.Errorf("%s: no error for %s in %s", tt.name, tt.field, r.Body)
			}
		}
		list := e.do("GET", "/api/v1/members", root, nil).json(t)
		if list["total"].(float64) != 1 {
			t.Fatalf("bad input stored members: total %v", list["total"])
		}
		if r := e.do("GET", "/api/v1/members?per_page=501", root, nil); r.Status != 422 {
			t.Fatalf("per_page 501 = %d", r.Status)
		}
	})
}

func TestIdempotencyKey(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		root := e.staffToken("root", access.SuperAdmin)
		e.do("POST", "/api/v1/sites", root, map[string]string{"code": "malgn", "name": "맑은소프트"})
		body := map[string]string{"site": "malgn", "login": "hong", "name": "홍길동"}
		first := e.do("POST", "/api/v1/members", root, body, "Idempotency-Key", "k1")
		again := e.do("POST", "/api/v1/members", root, body, "Idempotency-Key", "k1")
		if first.Status != 201 || again.Status != 201 || string(first.Body) != string(again.Body) {
			t.Fatalf("replay: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
		}
		if again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay not marked")
		}
		other := e.do("POST", "/api/v1/members", root, map[string]string{"site": "malgn", "login": "lee", "name": "이"}, "Idempotency-Key", "k1")
		if other.Status != 422 {
			t.Fatalf("same key, other body = %d, want 422", other.Status)
		}
		if total := e.do("GET", "/api/v1/members", root, nil).json(t)["total"]; total.(float64) != 1 {
			t.Fatalf("members = %v, want 1", total)
		}
	})
}

func TestProductsAPI(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		root := e.staffToken("root", access.SuperAdmin)
		e.do("POST", "/api/v1/sites", root, map[string]string{"code": "malgn", "name": "맑은소프트"})
		r := e.do("POST", "/api/v1/products", root, map[string]any{"site": "malgn", "kind": "textbook", "name": "포토샵 교재", "list_price": 18000, "sale_price": 18000, "shipping_fee": 2500})
		if r.Status != 201 {
			t.Fatalf("create = %d %s", r.Status, r.Body)
		}
		id := int64(r.json(t)["id"].(float64))
		p := e.do("PATCH", fmt.Sprintf("/api/v1/products/%d", id), root, map[string]any{"sale_price": 15000})
		if p.Status != 200 || p.json(t)["sale_price"].(float64) != 15000 || p.json(t)["list_price"].(float64) != 18000 {
			t.Fatalf("patch = %d %s", p.Status, p.Body)
		}
		bad := e.do("PATCH", fmt.Sprintf("/api/v1/products/%d", id), root, map[string]any{"sale_price": -1})
		if bad.Status != 422 {
			t.Fatalf("negative price = %d", bad.Status)
		}
		list := e.do("GET", "/api/v1/products?kind=textbook&q=포토샵", root, nil).json(t)
		if list["total"].(float64) != 1 {
			t.Fatalf("list = %v", list)
		}
	})
}

func TestSettlementEvaluateAPI(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok := e.staffToken("root", access.SuperAdmin)
		r := e.do("POST", "/api/v1/settlement/evaluate", tok, map[string]any{"formula": "(code11*(pay_type==\"C\"?0.95:1))", "vars": map[string]any{"code11": "31,000", "pay_type": "C"}})
		if r.Status != 200 || r.json(t)["value"].(float64) != 29450 {
			t.Fatalf("evaluate = %d %s", r.Status, r.Body)
		}
		r = e.do("POST", "/api/v1/settlement/evaluate", tok, map[string]any{"formula": "code11 / cnt_ordr", "vars": map[string]any{}})
		if r.Status != 422 || !strings.Contains(string(r.Body), `"location":"formula:10"`) || !strings.Contains(string(r.Body), "cnt_order") {
			t.Fatalf("misspelt = %d %s", r.Status, r.Body)
		}
		// Variables and a line together: one of them would be ignored.
		r = e.do("POST", "/api/v1/settlement/evaluate", tok, map[string]any{"formula": "code11", "vars": map[string]any{"code11": 1}, "marketplace_order_id": 1})
		if r.Status != 422 || !strings.Contains(string(r.Body), `"location":"vars"`) {
			t.Fatalf("vars and a line together = %d %s", r.Status, r.Body)
		}
	})
}
