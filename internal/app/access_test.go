package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/site"
	"github.com/orderdesk/orderdesk/internal/staff"
)

// twoSites makes sites a and b with one textbook each and the 11st
// marketplace; it returns the products' ids.
func (e *env) twoSites() (pa, pb int64) {
	e.t.Helper()
	ctx := context.Background()
	sys := access.System()
	for _, code := range []string{"sitea", "siteb"} {
		if _, err := e.app.Sites.Create(ctx, sys, site.Site{Code: code, Name: code}); err != nil {
			e.t.Fatal(err)
		}
	}
	a, err := e.app.Catalog.Create(ctx, sys, catalog.Product{Site: "sitea", Kind: "textbook", Name: "에이교재", SalePrice: 10000})
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := e.app.Catalog.Create(ctx, sys, catalog.Product{Site: "siteb", Kind: "textbook", Name: "비밀교재", SalePrice: 20000})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.app.Market.CreateMarketplace(ctx, sys, market.Marketplace{Code: "11st", Name: "11번가"}); err != nil {
		e.t.Fatal(err)
	}
	return a.ID, b.ID
}

func (e *env) matchOf(code string) []market.MatchItem {
	e.t.Helper()
	list, err := e.app.Market.Matches(context.Background(), access.System(), "11st")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range list {
		if m.ProductCode == code {
			return m.Items
		}
	}
	return nil
}

// A site-A admin or viewer neither sees site B's products on 상품매칭 nor
// matches a marketplace product to one, in the console or the API.
func TestProductMatchingKeepsSitesApart(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		pa, pb := e.twoSites()
		// The super_admin matched BK-B to site B's product.
		if err := e.app.Market.SetMatch(ctx, access.System(), market.Match{Marketplace: "11st", ProductCode: "BK-B", Items: []market.MatchItem{{ProductID: pb, Count: 1}}}); err != nil {
			t.Fatal(err)
		}
		for _, login := range []string{"aadmin", "aview"} {
			role := access.SiteAdmin
			if login == "aview" {
				role = access.Viewer
			}
			if _, err := e.app.Staff.Create(ctx, access.System(), staff.NewStaff{Login: login, Password: "correct horse battery", Role: role, Sites: []string{"sitea"}}); err != nil {
				t.Fatal(err)
			}
			c := e.consoleClient(login, "correct horse battery")
			status, body := get(t, c, e.srv.URL+"/product-matching?marketplace=11st")
			if status != 200 || strings.Contains(body, "비밀교재") {
				t.Errorf("%s: 상품매칭 = %d, lists site B's product: %v", login, status, strings.Contains(body, "비밀교재"))
			}
		}
		c := e.consoleClient("aadmin", "correct horse battery")
		for _, pid := range []int64{pb, 99999} {
			resp, err := c.PostForm(e.srv.URL+"/product-matching", url.Values{"marketplace": {"11st"}, "product_code": {"BK-A"}, "option": {""},
				"product_id": {strconv.FormatInt(pid, 10)}, "count": {"1"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("console match to product %d = %d, want 404", pid, resp.StatusCode)
			}
		}
		if got := e.matchOf("BK-A"); got != nil {
			t.Fatalf("console saved a match to an invisible product: %+v", got)
		}
		// Replacing the match that holds site B's product is refused too.
		resp, err := c.PostForm(e.srv.URL+"/product-matching", url.Values{"marketplace": {"11st"}, "product_code": {"BK-B"},
			"product_id": {strconv.FormatInt(pa, 10)}, "count": {"1"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := e.matchOf("BK-B"); resp.StatusCode != http.StatusForbidden || len(got) != 1 || got[0].ProductID != pb {
			t.Fatalf("site-A admin replacing site B's match = %d, match now %+v", resp.StatusCode, got)
		}

		tok := e.staffToken("aapi", access.SiteAdmin, "sitea")
		view := e.staffToken("aviewapi", access.Viewer, "sitea")
		for _, who := range []string{tok, view} {
			r := e.do("GET", "/api/v1/product-matches?marketplace=11st", who, nil)
			if r.Status != 200 || strings.Contains(string(r.Body), "비밀교재") || strings.Contains(string(r.Body), "BK-B") {
				t.Errorf("API matches = %d %s", r.Status, r.Body)
			}
		}
		r := e.do("PUT", "/api/v1/product-matches", tok, map[string]any{"marketplace": "11st", "product_code": "BK-A", "items": []map[string]any{{"product_id": pb, "count": 1}}})
		if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "없는 상품입니다") {
			t.Fatalf("API match to site B's product = %d %s", r.Status, r.Body)
		}
		if got := e.matchOf("BK-A"); got != nil {
			t.Fatalf("API saved a match to an invisible product: %+v", got)
		}
		r = e.do("PUT", "/api/v1/product-matches", tok, map[string]any{"marketplace": "11st", "product_code": "BK-A", "items": []map[string]any{{"product_id": pa, "count": 2}}})
		if r.Status != 200 || !strings.Contains(string(r.Body), "에이교재") {
			t.Fatalf("API match to own product = %d %s", r.Status, r.Body)
		}
		if got := e.matchOf("BK-A"); len(got) != 1 || got[0].ProductID != pa || got[0].Count != 2 {
			t.Fatalf("match = %+v", got)
		}
		r = e.do("PUT", "/api/v1/product-matches", view, map[string]any{"marketplace": "11st", "product_code": "BK-C", "items": []map[string]any{{"product_id": pa, "count": 1}}})
		if r.Status != http.StatusForbidden {
			t.Fatalf("viewer PUT match = %d", r.Status)
		}
	})
}
