package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/platform/won"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

// Each marketplace line shows the rule and version that settled it (list,
// detail, EXCEL, API, console), with 결제금액 (CS 조회용); a rule's page lists
// its versions with who saved each and what changed.
func TestLinesShowTheirRuleAndVersion(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e) // the demo's esm marketplace has its 기본 정산룰
		ctx := context.Background()
		file, err := os.ReadFile("../market/testdata/esm_utf8.csv")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.app.Market.Import(ctx, access.System(), market.ImportInput{Marketplace: "esm", Filename: "esm.csv", Data: file}); err != nil {
			t.Fatal(err)
		}
		rules, err := e.app.Settle.List(ctx, settlement.Filter{Marketplace: "esm"})
		if err != nil || len(rules.Items) != 1 || rules.Items[0].Title != settlement.DefaultTitle {
			t.Fatalf("esm rules %+v, %v", rules, err)
		}
		rule := rules.Items[0]
		rule.Payment = "shop_price + 1"
		if _, err := e.app.Settle.Save(ctx, access.System(), rule.ID, rule); err != nil {
			t.Fatal(err)
		}
		if _, err := e.app.Settle.Recompute(ctx, access.System(), "2025-01-01", "2025-12-31", "esm", nil); err != nil {
			t.Fatal(err)
		}
		list := e.do("GET", "/api/v1/marketplace-orders?marketplace=esm", tok, nil).json(t)
		items := list["items"].([]any)
		if len(items) == 0 {
			t.Fatal("no esm lines")
		}
		first := items[0].(map[string]any)
		st := first["settlement"].(map[string]any)
		if st["rule_title"] != settlement.DefaultTitle || st["rule_version_no"] != float64(2) || st["rule_id"] != float64(rule.ID) {
			t.Fatalf("list settlement %v", st)
		}
		id := int64(first["id"].(float64))
		one := e.do("GET", fmt.Sprintf("/api/v1/marketplace-orders/%d", id), tok, nil)
		if one.Status != 200 {
			t.Fatalf("detail %d %s", one.Status, one.Body)
		}
		d := one.json(t)
		ds := d["settlement"].(map[string]any)
		if ds["rule_title"] != settlement.DefaultTitle || ds["payment"] != first["shop_price"].(float64)+1 {
			t.Fatalf("detail settlement %v", ds)
		}
		// The line's kept cells, by the sheet's headers, come with its detail
		// (not with the list).
		raw, _ := d["raw"].(map[string]any)
		sentNo := ""
		for h, v := range raw {
			if v == d["order_no"] {
				sentNo = h
			}
		}
		if len(raw) < 5 || sentNo == "" || first["raw"] != nil {
			t.Fatalf("detail raw %v (list raw %v)", raw, first["raw"])
		}
		if r := e.do("GET", "/api/v1/marketplace-orders/999999", tok, nil); r.Status != 404 {
			t.Fatalf("unknown line: %d", r.Status)
		}
		// EXCEL: rule, version and 결제금액 columns.
		x := e.do("GET", "/api/v1/marketplace-orders/export.xlsx?marketplace=esm", tok, nil)
		f, err := excelize.OpenReader(bytes.NewReader(x.Body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil || len(rows) < 2 {
			t.Fatalf("export rows %v %v", len(rows), err)
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for _, h := range []string{"정산룰", "정산룰 버전", "결제금액(CS 조회용)", "수수료"} {
			if _, ok := col[h]; !ok {
				t.Fatalf("export lacks %s: %v", h, rows[0])
			}
		}
		if rows[1][col["정산룰"]] != settlement.DefaultTitle || rows[1][col["정산룰 버전"]] != "2" {
			t.Fatalf("export row %v", rows[1])
		}
		// Console: the line's page and the rule's versions.
		c := e.consoleClient("root", "correct horse battery")
		code, body := get(t, c, fmt.Sprintf("%s/marketplace-orders/%d", e.srv.URL, id))
		if code != 200 || !strings.Contains(body, settlement.DefaultTitle+"</a> v2") || !strings.Contains(body, `id="cs-payment"`) {
			t.Fatalf("line page %d", code)
		}
		if !strings.Contains(body, `id="market-order-cells"`) || !strings.Contains(body, fmt.Sprintf("<tr><td>%s</td><td>%s</td></tr>", sentNo, d["order_no"])) {
			t.Fatalf("line page lacks the sheet's cells (%s → %v)", sentNo, d["order_no"])
		}
		// The list shows 결제금액 too, as the manual's order searches do.
		_, body = get(t, c, e.srv.URL+"/marketplace-orders?marketplace=esm")
		if want := fmt.Sprintf(`<td class="num payment">%s</td>`, won.Number(int64(ds["payment"].(float64)))); !strings.Contains(body, "<th>결제금액</th>") || !strings.Contains(body, want) {
			t.Fatalf("the marketplace order list lacks 결제금액 %s", want)
		}
		code, body = get(t, c, fmt.Sprintf("%s/settlement-rules/edit?id=%d", e.srv.URL, rule.ID))
		if code != 200 || !strings.Contains(body, `id="rule-versions"`) || !strings.Contains(body, "<td>v2</td><td>system</td>") ||
			!strings.Contains(body, "<strong>결제금액</strong>: shop_price &#43; 1") {
			t.Fatalf("rule page %d lacks its versions", code)
		}
		// The playground keeps the chosen order and shows won with separators.
		resp, err := c.PostForm(e.srv.URL+"/settlement-rules/edit", url.Values{"id": {fmt.Sprint(rule.ID)}, "marketplace": {"esm"}, "title": {rule.Title},
			"sale": {rule.Sale}, "settle": {rule.Settle}, "play": {"1"}, "play_formula": {"code11 * 1000"}, "play_order": {fmt.Sprint(id)}})
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(page), fmt.Sprintf(`<option value="%d" selected>`, id)) {
			t.Fatalf("the playground lost its order %d", id)
		}
		if want := won.Number(int64(first["shop_price"].(float64))*1000) + "원"; !strings.Contains(string(page), want) {
			t.Fatalf("the playground's value lacks %s", want)
		}
		// The rule list names the marketplace; 수정 and 삭제 want a ticked
		// rule; a 우선순위 that is not a number is refused, nothing saved.
		if code, body := get(t, c, e.srv.URL+"/settlement-rules?marketplace=esm"); code != 200 || !strings.Contains(body, "<td>G마켓/옥션</td>") {
			t.Errorf("rule list (%d) does not name ESM's marketplace", code)
		}
		for _, tt := range []struct{ method, path, want string }{
			{"GET", "/settlement-rules/edit?selected=1", "하나만 선택해"},
			{"GET", fmt.Sprintf("/settlement-rules/edit?selected=1&id=%d&id=%d", rule.ID, rule.ID+1), "하나만 선택해"},
			{"POST", "/settlement-rules/delete", "삭제할 정산룰을 선택해"},
		} {
			var resp *http.Response
			if tt.method == "GET" {
				resp, err = c.Get(e.srv.URL + tt.path)
			} else {
				resp, err = c.PostForm(e.srv.URL+tt.path, url.Values{})
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Request.URL.Path != "/settlement-rules" || !strings.Contains(string(body), tt.want) {
				t.Errorf("%s %s: %d at %s, want the list saying %q", tt.method, tt.path, resp.StatusCode, resp.Request.URL.Path, tt.want)
			}
		}
		if code, body := get(t, c, fmt.Sprintf("%s/settlement-rules/edit?selected=1&id=%d", e.srv.URL, rule.ID)); code != 200 || !strings.Contains(body, rule.Title) {
			t.Errorf("수정 of one ticked rule: %d", code)
		}
		resp, err = c.PostForm(e.srv.URL+"/settlement-rules/edit", url.Values{"id": {fmt.Sprint(rule.ID)}, "marketplace": {"esm"}, "title": {rule.Title},
			"sale": {rule.Sale}, "settle": {rule.Settle}, "priority": {"높음"}})
		if err != nil {
			t.Fatal(err)
		}
		page, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 422 || !strings.Contains(string(page), "우선순위는 정수입니다") {
			t.Errorf("a priority of 높음: %d", resp.StatusCode)
		}
		if vs, _ := e.app.Settle.Versions(ctx, rule.ID); len(vs) != 2 {
			t.Errorf("a refused priority saved a version: %d versions", len(vs))
		}
		// It rounds as the rule's draft rounds, as settling it would.
		for rounding, want := range map[string]string{"": "2원 (절사, 정확한 값 5/2)", "floor": "2원 (절사", "round": "3원 (반올림", "ceil": "3원 (절상"} {
			resp, err := c.PostForm(e.srv.URL+"/settlement-rules/edit", url.Values{"id": {fmt.Sprint(rule.ID)}, "marketplace": {"esm"}, "title": {rule.Title},
				"sale": {rule.Sale}, "settle": {rule.Settle}, "rounding": {rounding}, "play": {"1"}, "play_formula": {"5 / 2"}, "play_order": {fmt.Sprint(id)}})
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(page), want) {
				t.Errorf("the playground of a %q rule lacks %q", rounding, want)
			}
		}
		vs, err := e.app.Settle.Versions(ctx, rule.ID)
		if err != nil || len(vs) != 2 || vs[0].Version != 2 || len(vs[0].Changes) != 1 || vs[0].Changes[0].Field != "결제금액" ||
			vs[0].Changes[0].Before != "" || vs[0].Changes[0].After != "shop_price + 1" || vs[0].CreatedBy == "" {
			t.Fatalf("versions %+v, %v", vs, err)
		}
	})
}

// A rule sent without "enabled" is enabled; recompute refuses a reversed
// range or an unknown marketplace (422, CLI exit 2) instead of "settled 0".
func TestRuleAPIDefaultsAndRecomputeRefusals(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		r := e.do("POST", "/api/v1/settlement-rules", tok, map[string]any{"marketplace": "esm", "title": "요율", "sale": "code11", "rate": "90"})
		if r.Status != 201 || r.json(t)["enabled"] != true {
			t.Fatalf("rule without enabled: %d %s", r.Status, r.Body)
		}
		r = e.do("POST", "/api/v1/settlement-rules", tok, map[string]any{"marketplace": "esm", "title": "꺼짐", "sale": "code11", "rate": "90", "enabled": false})
		if r.Status != 201 || r.json(t)["enabled"] != false {
			t.Fatalf("rule with enabled false: %d %s", r.Status, r.Body)
		}
		for _, body := range []map[string]any{{"from": "2025-10-31", "to": "2025-10-01"}, {"from": "2025-10-01", "to": "2025-10-31", "marketplace": "nowhere"}} {
			if r := e.do("POST", "/api/v1/settlement/recompute", tok, body); r.Status != 422 {
				t.Fatalf("recompute %v: %d %s", body, r.Status, r.Body)
			}
		}
	})
}

func TestCLIRecomputeRefusals(t *testing.T) {
	env := map[string]string{"ORDERDESK_DB": sqldbtest.DSN(t, "sqlite"), "ORDERDESK_SECRET_KEY": testKey, "ORDERDESK_LOG_LEVEL": "warn"}
	if code, _, errs := runCLI(t, env, "migrate"); code != 0 {
		t.Fatal(errs)
	}
	for _, args := range [][]string{{"--from", "2025-10-31", "--to", "2025-10-01"}, {"--from", "2025-10-01", "--to", "2025-10-31", "--marketplace", "nowhere"},
		{"--from", "2025-02-30", "--to", "2025-03-01"}} {
		code, out, errs := runCLI(t, env, append([]string{"settlement", "recompute"}, args...)...)
		if code != 2 || errs == "" || strings.Contains(out, "settled 0") {
			t.Fatalf("CLI recompute %v: exit %d, %q %q", args, code, out, errs)
		}
	}
}
