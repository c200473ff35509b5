package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/api"
	"github.com/orderdesk/orderdesk/internal/market"
)

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// raw sends one request exactly as given (path and query unescaped by nobody).
func (e *env) raw(method, pathQuery, token, contentType string, body []byte, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+pathQuery, rd)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, pathQuery, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, pathQuery, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// fuzzData is the demo data plus one of each thing a path names.
type fuzzData struct {
	token                                        string
	memberID, productID, orderNo, itemID, refund int64
	ruleID, importID                             int64
	enrollmentID, marketOrderID, spareTokenID    int64
	couponID                                     int64
}

func fuzzSetup(t *testing.T, e *env) fuzzData {
	tok, memberID, productID := demoEnv(t, e)
	d := fuzzData{token: tok, memberID: memberID, productID: productID}
	placed := e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "bank_deposit",
		"items": []map[string]any{{"product_id": productID, "qty": 2}}})
	if placed.Status != 201 {
		t.Fatalf("place = %d %s", placed.Status, placed.Body)
	}
	o := placed.json(t)
	d.orderNo = int64(o["order_no"].(float64))
	d.itemID = int64(o["items"].([]any)[0].(map[string]any)["item_id"].(float64))
	enrollment, ok := o["items"].([]any)[0].(map[string]any)["enrollment_id"].(float64)
	if !ok {
		t.Fatalf("the course item has no enrollment_id: %s", placed.Body)
	}
	d.enrollmentID = int64(enrollment)
	if r := e.do("POST", fmt.Sprintf("/api/v1/orders/%d/confirm-deposit", d.orderNo), tok, nil); r.Status != 200 {
		t.Fatalf("confirm deposit = %d %s", r.Status, r.Body)
	}
	req := e.do("POST", "/api/v1/refunds", tok, map[string]any{"order_no": d.orderNo, "item_ids": []int64{d.itemID}, "reason": "변심",
		"method": "bank_transfer", "bank": map[string]string{"name": "국민은행", "account": "123-45-678901", "holder": "홍길금2"}})
	if req.Status != 201 {
		t.Fatalf("refund = %d %s", req.Status, req.Body)
	}
	d.refund = int64(req.json(t)["id"].(float64))
	rule := e.do("POST", "/api/v1/settlement-rules", tok, map[string]any{"marketplace": "11st", "title": "11번가", "sale": "code11", "settle": "code14", "enabled": true})
	if rule.Status != 201 {
		t.Fatalf("rule = %d %s", rule.Status, rule.Body)
	}
	d.ruleID = int64(rule.json(t)["id"].(float64))
	cp := e.do("POST", "/api/v1/coupons", tok, map[string]any{"site": "malgn", "name": "퍼즈", "kind": "fixed", "amount": 1000, "count": 3,
		"valid_from": "2000-01-01", "valid_to": "2100-12-31"})
	if cp.Status != 201 {
		t.Fatalf("coupon = %d %s", cp.Status, cp.Body)
	}
	d.couponID = int64(cp.json(t)["id"].(float64))
	file, err := os.ReadFile("../market/testdata/11st.xls")
	if err != nil {
		t.Fatal(err)
	}
	_, imp, err := e.app.Market.Import(context.Background(), access.System(), market.ImportInput{Marketplace: "11st", Filename: "11st.xls", Data: file})
	if err != nil {
		t.Fatal(err)
	}
	d.importID = imp.ID
	orders := e.do("GET", "/api/v1/marketplace-orders?marketplace=11st&per_page=1", tok, nil)
	if orders.Status != 200 || len(orders.json(t)["items"].([]any)) == 0 {
		t.Fatalf("marketplace orders = %d %s", orders.Status, orders.Body)
	}
	d.marketOrderID = int64(orders.json(t)["items"].([]any)[0].(map[string]any)["id"].(float64))
	// DELETE /tokens/{id} revokes a spare token, not the one the fuzz uses.
	spare := e.newToken("root", "fuzz-spare")
	d.spareTokenID = e.tokenIDs(spare)["fuzz-spare"]
	return d
}

// fuzzBodies are valid bodies of the routes that take JSON; the fuzz turns
// each of their values into something hostile. Every body route must have one.
func fuzzBodies(d fuzzData) map[string]string {
	return map[string]string{
		"POST /api/v1/sites":          `{"code":"fz","name":"퍼즈"}`,
		"PATCH /api/v1/sites/{code}":  `{"name":"맑은소프트"}`,
		"POST /api/v1/members":        `{"site":"malgn","login":"fuzz","name":"퍼즈","affiliation":"소속","phone":"010-1234-5678","email":"a@b.kr","status":"active","rrn":"900101-1234567","education":"university"}`,
		"PATCH /api/v1/members/{id}":  `{"name":"홍길금2","phone":"010-0000-2122","email":"hoge@naver.com"}`,
		"POST /api/v1/products":       `{"site":"malgn","kind":"textbook","name":"퍼즈 교재","display":"visible","list_price":1000,"sale_price":900,"isbn":"979-11","author":"저자","publisher":"출판"}`,
		"PATCH /api/v1/products/{id}": `{"name":"파워포인트","sale_price":4000}`,
		"POST /api/v1/orders": fmt.Sprintf(`{"site":"malgn","member_id":%d,"items":[{"product_id":%d,"qty":1}],"payment_method":"card","coupon_code":"",`+
			`"shipping":{"recipient":"홍","phone":"010-1111-2222","zipcode":"12345","address":"서울","request":"문앞"}}`, d.memberID, d.productID),
		"POST /api/v1/orders/{order_no}/payments/prepare": `{"gateway":"sandbox"}`,
		"POST /api/v1/orders/{order_no}/payments/confirm": `{"gateway":"sandbox","payment_key":"fz-key","amount":8000}`,
		"POST /api/v1/orders/{order_no}/confirm-deposit":  ``,
		"POST /api/v1/orders/{order_no}/cancel":           `{"reason":"변심"}`,
		"POST /api/v1/webhooks/{gateway}":                 `{"eventType":"DEPOSIT_CALLBACK","data":{"paymentKey":"k","status":"DONE"}}`,
		"POST /api/v1/members/{id}/reveal-rrn":            ``,
		"POST /api/v1/refunds": fmt.Sprintf(`{"order_no":%d,"item_ids":[%d],"reason":"변심","method":"bank_transfer","bank":{"name":"국민","account":"123","holder":"홍"}}`,
			d.orderNo, d.itemID),
		"POST /api/v1/refunds/quote":            `{"policy":"by_days","amount":280000,"total_days":30,"elapsed_days":3}`,
		"POST /api/v1/refunds/{id}/complete":    `{"amount":1000,"memo":"메모","notify_sms":false}`,
		"POST /api/v1/refunds/{id}/deny":        `{"reason":"불가"}`,
		"POST /api/v1/enrollments/approve":      `{"enrollment_ids":[1,2]}`,
		"POST /api/v1/enrollments/{id}/cancel":  `{"reason":"수강 포기"}`,
		"POST /api/v1/settlement/evaluate":      `{"formula":"code11 + 1","vars":{"code11":5}}`,
		"POST /api/v1/settlement/recompute":     `{"from":"2025-10-01","to":"2025-10-31","marketplace":"11st"}`,
		"POST /api/v1/settlement-rules":         `{"marketplace":"11st","title":"규칙","sale":"code11","settle":"code14","enabled":true,"period_from":"2025-01-01"}`,
		"PUT /api/v1/settlement-rules/{id}":     `{"marketplace":"11st","title":"규칙","sale":"code11","settle":"code14","enabled":true}`,
		"DELETE /api/v1/settlement-rules/{id}":  ``,
		"POST /api/v1/marketplaces":             `{"code":"fzm","name":"퍼즈마켓"}`,
		"POST /api/v1/suppliers":                `{"code":"fzs","name":"퍼즈공급"}`,
		"POST /api/v1/sheet-formats":            `{"marketplace":"esm","fields":{"order_no":"주문번호"},"codes":{"11":"판매가"}}`,
		"PUT /api/v1/enrollments/{id}/progress": `{"hours":2.5}`,
		"PATCH /api/v1/refunds/{id}": fmt.Sprintf(`{"method":"bank_transfer","bank":{"name":"신한은행","account":"110-123-456789","holder":"홍길금2"},"refund_at":%q}`,
			time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339)),
		"PUT /api/v1/product-matches": fmt.Sprintf(`{"marketplace":"11st","product_code":"FUZZ-1","option":"","items":[{"product_id":%d,"count":1}]}`,
			d.productID),
		"DELETE /api/v1/tokens/{id}": ``,
		"POST /api/v1/coupons": `{"site":"malgn","name":"퍼즈 쿠폰","scope":"all","min_price":1000,"kind":"rate","rate":10,"max_discount":5000,` +
			`"shared":false,"count":2,"valid_from":"2020-01-01","valid_to":"2030-12-31","status":"active"}`,
		"PATCH /api/v1/coupons/{id}":                    `{"name":"퍼즈 쿠폰 2","valid_to":"2031-12-31","status":"stopped"}`,
		"POST /api/v1/coupons/{id}/codes":               `{"count":1}`,
		"POST /api/v1/coupons/{id}/codes/{code}/assign": fmt.Sprintf(`{"member_id":%d}`, d.memberID),
		"POST /api/v1/coupons/{id}/codes/{code}/recall": ``,
		"POST /api/v1/coupons/quote": fmt.Sprintf(`{"site":"malgn","member_id":%d,"items":[{"product_id":%d,"qty":1}],"coupon_code":"ABCDEFGHJKMN"}`,
			d.memberID, d.productID),
		"POST /api/v1/carriers":          `{"code":"FZ","name":"퍼즈택배","url_template":"https://fz.example/t?n={n}","number_form":""}`,
		"PATCH /api/v1/carriers/{code}":  `{"name":"퍼즈","url_template":"https://fz.example/{n}","number_form":"cj","retired":false}`,
		"DELETE /api/v1/carriers/{code}": ``,
		"PATCH /api/v1/deliveries/{item_id}": `{"state":"preparing","carrier":"CJ","tracking_no":"1234567890","shipped_on":"2026-01-02","delivered_on":"2026-01-03",` +
			`"shipping":{"recipient":"홍","phone":"010","zipcode":"12345","address":"서울","request":"문앞"}}`,
		"POST /api/v1/deliveries/bulk-state":                           `{"item_ids":[1],"state":"preparing","carrier":"CJ","tracking_no":"1234567890"}`,
		"POST /api/v1/payout-formats":                                  `{"marketplace":"esm","format":{"fields":{"order_no":"장바구니번호","net":"송금대상액"},"fees":["서비스이용료"],"holdback_percent":0,"tolerance":0}}`,
		"POST /api/v1/reconciliation/refresh":                          `{"marketplace":"11st","from":"2025-10","to":"2025-10"}`,
		"POST /api/v1/settlement/periods/{marketplace}/{month}/close":  `{"reason":"마감"}`,
		"POST /api/v1/settlement/periods/{marketplace}/{month}/reopen": `{"reason":"재개"}`,
	}
}

// mutations turns a valid JSON body into hostile ones: each string leaf with
// NUL or invalid UTF-8, each number leaf overflowing, an unknown field.
func mutations(t *testing.T, body string) map[string][]byte {
	out := map[string][]byte{}
	if body == "" {
		out["unknown field"] = []byte(`{"nope":1}`)
		out["not json"] = []byte(`{"`)
		return out
	}
	var doc any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("sample body %s: %v", body, err)
	}
	const marker = "\uE000MARK\uE000"
	var walk func(path string, v any, set func(any))
	walk = func(path string, v any, set func(any)) {
		emit := func(name string, repl any, raw []byte) {
			set(repl)
			b, _ := json.Marshal(doc)
			if raw != nil {
				b = bytes.ReplaceAll(b, []byte(marker), raw)
			}
			out[path+" "+name] = b
			set(v)
		}
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(path+"."+k, c, func(n any) { x[k] = n })
			}
			// an unknown field beside the known ones
			x["zz_unknown"] = 1
			b, _ := json.Marshal(doc)
			delete(x, "zz_unknown")
			out[path+" unknown field"] = b
		case []any:
			for i, c := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), c, func(n any) { x[i] = n })
			}
		case string:
			emit("NUL", x+"\x00z", nil)
			emit("invalid UTF-8", marker, []byte("a\xff\xfeb"))
			emit("60000 chars", strings.Repeat("가", 60000), nil)
			emit("number", 9223372036854775807, nil)
		case float64, bool:
			emit("int64 max", json.Number("9223372036854775807"), nil)
			emit("1e30", json.Number("1e30"), nil)
			emit("-1", -1, nil)
			emit("string", "\x00", nil)
			emit("null", nil, nil)
		}
	}
	walk("", doc, func(n any) { doc = n })
	return out
}

// hostileQueries go on every route.
var hostileQueries = []string{
	"q=a%00b", "q=%FF%FE", "%FF=1", "q%00=1", "field=%00&q=x", "site=%00", "marketplace=%FF",
	"page=9223372036854775807", "page=1000001", "page=-1", "page=1e30", "per_page=9223372036854775807", "per_page=1e30", "per_page=-1",
	"page=99999999999999999999999", "q=" + strings.Repeat("x", 60000), "q=" + strings.Repeat("%25", 3000),
	"from=2026-02-30&to=2026-03-01", "ordered_from=2026-02-30", "day=2026-02-30", "from=%00", "supplier_id=abc", "supplier_id=9223372036854775808",
	"product_id=-1", "status=%00", "entity_id=%00", "actor=%FF", "include_pending=%00", "method=%FF", "period_by=%00&from=2025-01-01",
}

// hostilePathValues replace each {param} in turn.
var hostilePathValues = []string{"%00", "%FF%FE", "9223372036854775808", "-1", "1e30", "0", strings.Repeat("9", 400)}

var paramRE = regexp.MustCompile(`\{[a-z_]+\}`)

// TestFuzzEveryRouteNo5xx sends NUL, invalid UTF-8, overflowing numbers and
// pages, unknown fields, wrong content types and huge keywords to every API
// route of the route table: no answer is a 5xx, and verify holds after.
func TestFuzzEveryRouteNo5xx(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		d := fuzzSetup(t, e)
		bodies := fuzzBodies(d)
		values := map[string]string{"{id}": "", "{code}": "malgn", "{order_no}": strconv.FormatInt(d.orderNo, 10), "{gateway}": "sandbox", "{name}": "by-marketplace",
			"{item_id}": strconv.FormatInt(d.itemID, 10), "{marketplace}": "11st", "{month}": "2025-10"}
		idFor := func(pattern string) string {
			switch {
			case strings.Contains(pattern, "/members/"):
				return strconv.FormatInt(d.memberID, 10)
			case strings.Contains(pattern, "/products/"):
				return strconv.FormatInt(d.productID, 10)
			case strings.Contains(pattern, "/refunds/"):
				return strconv.FormatInt(d.refund, 10)
			case strings.Contains(pattern, "/settlement-rules/"):
				return strconv.FormatInt(d.ruleID, 10)
			case strings.Contains(pattern, "/imports/"):
				return strconv.FormatInt(d.importID, 10)
			case strings.Contains(pattern, "/marketplace-orders/"):
				return strconv.FormatInt(d.marketOrderID, 10)
			case strings.Contains(pattern, "/enrollments/"):
				return strconv.FormatInt(d.enrollmentID, 10)
			case strings.Contains(pattern, "/tokens/"):
				return strconv.FormatInt(d.spareTokenID, 10)
			case strings.Contains(pattern, "/coupons/"):
				return strconv.FormatInt(d.couponID, 10)
			case strings.Contains(pattern, "/payouts/"), strings.Contains(pattern, "/reconciliation/"):
				return "1"
			}
			t.Fatalf("no id for %s", pattern)
			return ""
		}
		var failures []string
		n := 0
		check := func(what string, r response) {
			n++
			if r.Status >= 500 {
				failures = append(failures, fmt.Sprintf("%s → %d %.200s", what, r.Status, r.Body))
			}
		}
		for _, rt := range api.Routes() {
			method, pattern, _ := strings.Cut(rt.Pattern, " ")
			fill := func(p string) string {
				return paramRE.ReplaceAllStringFunc(p, func(m string) string {
					if m == "{id}" {
						return idFor(p)
					}
					return values[m]
				})
			}
			path := fill(pattern)
			sample, hasBody := bodies[rt.Pattern]
			if method != "GET" && !rt.Multipart && !hasBody {
				t.Errorf("%s: no sample body in fuzzBodies: add one so the fuzz covers it", rt.Pattern)
			}
			ct := "application/json"
			var body []byte
			if sample != "" {
				body = []byte(sample)
			}
			if rt.Multipart {
				ct, body = multipartBody(map[string]string{"marketplace": "11st", "dry_run": "true"}, "11st.xls", []byte("not a sheet"))
			}
			for _, q := range hostileQueries {
				check(rt.Pattern+"?"+q, e.raw(method, path+"?"+q, d.token, ct, body))
			}
			for _, m := range paramRE.FindAllString(pattern, -1) {
				for _, v := range hostilePathValues {
					p := strings.Replace(pattern, m, v, 1)
					check(rt.Pattern+" with "+m+"="+v, e.raw(method, fill(p), d.token, ct, body))
				}
			}
			for _, h := range [][2]string{{"X-Request-Id", "\xff\xfe"}, {"User-Agent", "a\xffb"}, {"Idempotency-Key", "k\xff"},
				{"Idempotency-Key", strings.Repeat("k", 201)}, {"Idempotency-Key", "a b"}, {"Accept-Language", "\xff"}} {
				check(rt.Pattern+" header "+h[0], e.raw(method, path, d.token, ct, body, h[0], h[1]))
			}
			if method == "GET" {
				continue
			}
			check(rt.Pattern+" text/plain", e.raw(method, path, d.token, "text/plain", []byte(sample)))
			check(rt.Pattern+" no content type", e.raw(method, path, d.token, "", []byte(sample)))
			if rt.Multipart {
				for name, v := range map[string]string{"NUL": "11\x00st", "invalid UTF-8": "11\xffst", "long": strings.Repeat("가", 60000)} {
					ct, b := multipartBody(map[string]string{"marketplace": v, "dry_run": "true", "encoding": v, "password": v}, "a"+v+".csv", []byte("a,b\n1,2\n"))
					check(rt.Pattern+" multipart "+name, e.raw(method, path, d.token, ct, b))
					ct, b = multipartBody(map[string]string{"marketplace": "11st", "dry_run": "true"}, "a"+v+".csv", []byte("a,b\n1,2\n"))
					check(rt.Pattern+" multipart filename "+name, e.raw(method, path, d.token, ct, b))
				}
				continue
			}
			muts := mutations(t, sample)
			names := make([]string, 0, len(muts))
			for k := range muts {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				check(rt.Pattern+" body"+k, e.raw(method, path, d.token, "application/json", muts[k]))
			}
		}
		t.Logf("%d hostile requests", n)
		for _, f := range failures {
			t.Error(f)
		}
		var out bytes.Buffer
		if err := e.app.Verify(context.Background(), &out); err != nil {
			t.Fatalf("verify after the fuzz: %v\n%s", err, out.String())
		}
	})
}

func multipartBody(fields map[string]string, filename string, file []byte) (string, []byte) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", filename)
	_, _ = fw.Write(file)
	mw.Close()
	return mw.FormDataContentType(), body.Bytes()
}

// problemAt asserts a problem document of the status that names location.
func problemAt(t *testing.T, what string, r response, status int, location string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s = %d %.300s, want %d", what, r.Status, r.Body, status)
		return
	}
	if r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s: content type %q", what, r.Header.Get("Content-Type"))
	}
	if location != "" && !strings.Contains(string(r.Body), `"location":"`+location+`"`) {
		t.Errorf("%s: no error at %q in %s", what, location, r.Body)
	}
}

// Text that PostgreSQL cannot store is refused at the edge with 422 naming
// the field, on both engines (SQLite would have stored it, or a U+FFFD).
func TestTextInputRefusedAtTheEdge(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, _ := demoEnv(t, e)
		problemAt(t, "NUL in q", e.raw("GET", "/api/v1/members?q=a%00b", tok, "", nil), 422, "q")
		problemAt(t, "invalid UTF-8 in q", e.raw("GET", "/api/v1/orders?q=%FF%FE", tok, "", nil), 422, "q")
		problemAt(t, "NUL in site", e.raw("GET", "/api/v1/products?site=%00", tok, "", nil), 422, "site")
		problemAt(t, "NUL in JSON", e.raw("POST", "/api/v1/members", tok, "application/json",
			[]byte(`{"site":"malgn","login":"nul","name":"a\u0000b"}`)), 422, "name")
		problemAt(t, "invalid UTF-8 in JSON", e.raw("POST", "/api/v1/members", tok, "application/json",
			[]byte("{\"site\":\"malgn\",\"login\":\"bad\",\"name\":\"a\xffb\"}")), 422, "name")
		problemAt(t, "NUL deep in JSON", e.raw("POST", "/api/v1/orders", tok, "application/json",
			[]byte(fmt.Sprintf(`{"site":"malgn","member_id":%d,"items":[{"product_id":1,"qty":1}],"payment_method":"card","shipping":{"recipient":"\u0000"}}`, memberID))), 422, "shipping.recipient")
		problemAt(t, "NUL in a merge patch", e.raw("PATCH", fmt.Sprintf("/api/v1/members/%d", memberID), tok, "application/json",
			[]byte(`{"name":"\u0000"}`)), 422, "name")
		for _, login := range []string{"nul", "bad"} {
			if r := e.do("GET", "/api/v1/members?q="+login+"&field=login", tok, nil).json(t); r["total"].(float64) != 0 {
				t.Errorf("refused member %s was stored", login)
			}
		}
		// A 200-character keyword is fine; 201 is refused, on the console too.
		if r := e.do("GET", "/api/v1/members?q="+strings.Repeat("가", 200), tok, nil); r.Status != 200 {
			t.Errorf("200-character keyword = %d %s", r.Status, r.Body)
		}
		problemAt(t, "60,000-character keyword", e.raw("GET", "/api/v1/members?q="+strings.Repeat("x", 60000), tok, "", nil), 422, "q")
		problemAt(t, "201-character keyword", e.raw("GET", "/api/v1/settlement-rules?q="+strings.Repeat("가", 201), tok, "", nil), 422, "q")
	})
}

// page is bounded so that the offset cannot overflow: PostgreSQL answered
// 500 and SQLite page 1 labelled as the asked page.
func TestPageBounded(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		for _, q := range []string{"page=9223372036854775807", "page=1000001", "page=4611686018427387904&per_page=2"} {
			problemAt(t, "members?"+q, e.raw("GET", "/api/v1/members?"+q, tok, "", nil), 422, "page")
		}
		if r := e.do("GET", "/api/v1/members?page=1000000", tok, nil); r.Status != 200 || len(r.json(t)["items"].([]any)) != 0 {
			t.Errorf("page 1,000,000 = %d %s", r.Status, r.Body)
		}
	})
}

// Every list takes page and per_page and answers {items,total,page,per_page}.
func TestEveryListPages(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		d := fuzzSetup(t, e)
		e.do("POST", "/api/v1/settlement-rules", d.token, map[string]any{"marketplace": "esm", "title": "ESM", "sale": "code11", "settle": "code14", "enabled": true})
		e.do("POST", "/api/v1/suppliers", d.token, map[string]any{"code": "s2", "name": "둘째"})
		e.do("POST", "/api/v1/suppliers", d.token, map[string]any{"code": "s3", "name": "셋째"})
		for _, code := range []string{"P-1", "P-2"} {
			if r := e.do("PUT", "/api/v1/product-matches", d.token, map[string]any{"marketplace": "11st", "product_code": code,
				"items": []map[string]any{{"product_id": d.productID, "count": 1}}}); r.Status != 200 {
				t.Fatalf("match %s = %d %s", code, r.Status, r.Body)
			}
		}
		for _, path := range []string{"/api/v1/sites", "/api/v1/marketplaces", "/api/v1/suppliers", "/api/v1/sheet-formats", "/api/v1/settlement-rules",
			"/api/v1/orders/288/transactions", "/api/v1/members", "/api/v1/products", "/api/v1/orders", "/api/v1/refunds",
			"/api/v1/marketplace-orders", "/api/v1/audit", "/api/v1/tokens", "/api/v1/product-matches?marketplace=11st",
			"/api/v1/carriers", "/api/v1/deliveries"} {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			all := e.do("GET", path+sep+"per_page=500", d.token, nil)
			if all.Status != 200 {
				t.Errorf("%s = %d %s", path, all.Status, all.Body)
				continue
			}
			total := all.json(t)["total"].(float64)
			if total < 2 {
				t.Errorf("%s: %v items, want at least 2 to see paging", path, total)
				continue
			}
			p := e.do("GET", path+sep+"page=2&per_page=1", d.token, nil).json(t)
			items, _ := p["items"].([]any)
			if p["page"] != 2.0 || p["per_page"] != 1.0 || p["total"] != total || len(items) != 1 {
				t.Errorf("%s?page=2&per_page=1 = page %v per_page %v total %v (of %v) with %d items", path, p["page"], p["per_page"], p["total"], total, len(items))
			}
			if want := all.json(t)["items"].([]any)[1]; fmt.Sprint(items) != fmt.Sprint([]any{want}) {
				t.Errorf("%s page 2 is not the second item", path)
			}
			problemAt(t, path+sep+"per_page=501", e.raw("GET", path+sep+"per_page=501", d.token, "", nil), 422, "per_page")
		}
	})
}

// Documented filters work or are refused, never ignored.
func TestListFiltersRefusedOrApplied(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		d := fuzzSetup(t, e)
		file, err := os.ReadFile("../market/testdata/esm_utf8.csv")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.app.Market.Import(context.Background(), access.System(), market.ImportInput{Marketplace: "esm", Filename: "esm.csv", Data: file}); err != nil {
			t.Fatal(err)
		}
		problemAt(t, "supplier_id=abc", e.raw("GET", "/api/v1/settlement-rules?supplier_id=abc", d.token, "", nil), 422, "supplier_id")
		problemAt(t, "rules from=2026-02-30", e.raw("GET", "/api/v1/settlement-rules?from=2026-02-30", d.token, "", nil), 422, "from")
		problemAt(t, "audit from=2026-02-30", e.raw("GET", "/api/v1/audit?from=2026-02-30", d.token, "", nil), 422, "from")
		problemAt(t, "audit to=2026-13-01", e.raw("GET", "/api/v1/audit?to=2026-13-01", d.token, "", nil), 422, "to")
		problemAt(t, "orders ordered_to=2026-02-30", e.raw("GET", "/api/v1/orders?ordered_to=2026-02-30", d.token, "", nil), 422, "ordered_to")
		problemAt(t, "report to=2026-02-30", e.raw("GET", "/api/v1/settlement/reports/by-marketplace?from=2026-02-01&to=2026-02-30", d.token, "", nil), 422, "to")
		for _, name := range []string{"by-marketplace", "by-product"} {
			all := e.do("GET", "/api/v1/settlement/reports/"+name+"?from=2000-01-01&to=2030-12-31", d.token, nil)
			one := e.do("GET", "/api/v1/settlement/reports/"+name+"?from=2000-01-01&to=2030-12-31&marketplace=esm", d.token, nil)
			if all.Status != 200 || one.Status != 200 {
				t.Fatalf("%s = %d / %d %s", name, all.Status, one.Status, one.Body)
			}
			seen := map[string]bool{}
			for _, row := range all.json(t)["rows"].([]any) {
				seen[row.(map[string]any)["marketplace"].(string)] = true
			}
			if !seen["esm"] || !seen["11st"] {
				t.Fatalf("%s: want rows of esm and 11st, have %v", name, seen)
			}
			for _, row := range one.json(t)["rows"].([]any) {
				if mp := row.(map[string]any)["marketplace"]; mp != "esm" {
					t.Errorf("%s?marketplace=esm has a row of %v", name, mp)
				}
			}
		}
	})
}

// HTTP semantics: 405 with Allow, WWW-Authenticate on every 401, 415 for a
// body that is not JSON, Cache-Control: no-store, and headers kept sane.
func TestHTTPSemantics(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, _ := demoEnv(t, e)
		r := e.raw("DELETE", "/api/v1/members", tok, "", nil)
		problemAt(t, "DELETE /members", r, 405, "")
		if got := r.Header.Get("Allow"); got != "GET, HEAD, POST" {
			t.Errorf("Allow = %q", got)
		}
		if r := e.raw("POST", "/api/v1/settlement-rules/1", tok, "application/json", []byte(`{}`)); r.Status != 405 || r.Header.Get("Allow") != "GET, HEAD, PUT, DELETE" {
			t.Errorf("POST a rule = %d Allow %q", r.Status, r.Header.Get("Allow"))
		}
		problemAt(t, "unknown path", e.raw("GET", "/api/v1/nope", tok, "", nil), 404, "")
		for _, rt := range api.Routes() {
			if rt.Public {
				continue
			}
			method, pattern, _ := strings.Cut(rt.Pattern, " ")
			path := paramRE.ReplaceAllString(pattern, "1")
			if strings.Contains(pattern, "{name}") {
				path = strings.Replace(pattern, "{name}", "by-product.xlsx", 1)
			}
			r := e.raw(method, path, "", "", nil)
			if r.Status != 401 || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s without a token = %d, WWW-Authenticate %q", rt.Pattern, r.Status, r.Header.Get("WWW-Authenticate"))
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: Cache-Control %q", rt.Pattern, r.Header.Get("Cache-Control"))
			}
		}
		if r := e.do("GET", "/api/v1/members", tok, nil); r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("200: Cache-Control %q", r.Header.Get("Cache-Control"))
		}
		body := []byte(`{"site":"malgn","login":"plain","name":"플레인"}`)
		problemAt(t, "text/plain body", e.raw("POST", "/api/v1/members", tok, "text/plain", body), 415, "")
		problemAt(t, "form body", e.raw("POST", "/api/v1/members", tok, "application/x-www-form-urlencoded", []byte("site=malgn")), 415, "")
		problemAt(t, "no content type", e.raw("PATCH", fmt.Sprintf("/api/v1/members/%d", memberID), tok, "", []byte(`{"name":"x"}`)), 415, "")
		if r := e.raw("POST", "/api/v1/members", tok, "application/json; charset=utf-8", body); r.Status != 201 {
			t.Errorf("application/json; charset=utf-8 = %d %s", r.Status, r.Body)
		}
		// Idempotency-Key: visible ASCII up to 200 characters.
		for _, key := range []string{"a b", "ké", strings.Repeat("k", 201), "k\xff"} {
			problemAt(t, fmt.Sprintf("Idempotency-Key %q", key), e.raw("POST", "/api/v1/sites", tok, "application/json", []byte(`{"code":"idem","name":"x"}`), "Idempotency-Key", key), 400, "")
		}
		if r := e.raw("POST", "/api/v1/sites", tok, "application/json", []byte(`{"code":"idem","name":"x"}`), "Idempotency-Key", strings.Repeat("k", 200)); r.Status != 201 {
			t.Errorf("200-character key = %d %s", r.Status, r.Body)
		}
		// A request id that is not visible ASCII is replaced, not echoed or stored.
		r = e.raw("PATCH", fmt.Sprintf("/api/v1/members/%d", memberID), tok, "application/json", []byte(`{"affiliation":"소속"}`), "X-Request-Id", "\xff\xfe")
		if id := r.Header.Get("X-Request-Id"); r.Status != 200 || id == "" || !utf8.ValidString(id) || strings.ContainsRune(id, 0xFFFD) {
			t.Errorf("bad request id: %d, answered id %q", r.Status, id)
		}
		if r := e.raw("GET", "/api/v1/members", tok, "", nil, "X-Request-Id", "proxy-1"); r.Header.Get("X-Request-Id") != "proxy-1" {
			t.Errorf("a sane request id is not kept: %q", r.Header.Get("X-Request-Id"))
		}
	})
}

// PATCH is a merge patch over the fields that can change: id, site and kind
// cannot, and saying otherwise is a 422, not a silent no-op.
func TestPatchRefusesFixedFields(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, productID := demoEnv(t, e)
		e.do("POST", "/api/v1/sites", tok, map[string]string{"code": "other", "name": "다른"})
		p := fmt.Sprintf("/api/v1/products/%d", productID)
		before := e.do("GET", p, tok, nil).json(t)
		problemAt(t, "product site", e.raw("PATCH", p, tok, "application/json", []byte(`{"site":"other","name":"x"}`)), 422, "site")
		problemAt(t, "product kind", e.raw("PATCH", p, tok, "application/json", []byte(`{"kind":"textbook"}`)), 422, "kind")
		problemAt(t, "product id", e.raw("PATCH", p, tok, "application/json", []byte(`{"id":999999}`)), 422, "id")
		if after := e.do("GET", p, tok, nil).json(t); after["name"] != before["name"] || after["site"] != before["site"] {
			t.Errorf("refused patch changed the product: %v", after)
		}
		// The same values are no change: a client may send back what it read.
		same := fmt.Sprintf(`{"id":%d,"site":%q,"kind":%q,"name":"새 이름"}`, productID, before["site"], before["kind"])
		if r := e.raw("PATCH", p, tok, "application/merge-patch+json", []byte(same)); r.Status != 200 || r.json(t)["name"] != "새 이름" {
			t.Errorf("patch with unchanged fixed fields = %d %s", r.Status, r.Body)
		}
		m := fmt.Sprintf("/api/v1/members/%d", memberID)
		problemAt(t, "member site", e.raw("PATCH", m, tok, "application/json", []byte(`{"site":"other"}`)), 422, "site")
		problemAt(t, "member id", e.raw("PATCH", m, tok, "application/json", []byte(`{"id":1}`)), 422, "id")
		if r := e.raw("PATCH", m, tok, "application/json", []byte(fmt.Sprintf(`{"id":%d,"site":"malgn","affiliation":"소속"}`, memberID))); r.Status != 200 || r.json(t)["affiliation"] != "소속" {
			t.Errorf("member patch with unchanged id and site = %d %s", r.Status, r.Body)
		}
		problemAt(t, "member unknown", e.raw("PATCH", m, tok, "application/json", []byte(`{"nmae":"x"}`)), 422, "nmae")
		problemAt(t, "site code", e.raw("PATCH", "/api/v1/sites/malgn", tok, "application/json", []byte(`{"code":"x","name":"y"}`)), 422, "code")
	})
}

// The console refuses what the database cannot store without a 500: the
// login form with NUL or invalid UTF-8, impossible dates in its filters,
// huge keywords and pages; a User-Agent that is not UTF-8 still logs in.
func TestConsoleHostileInputNo500(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		demoEnv(t, e)
		ctx := context.Background()
		e.staffToken("clerk", access.SuperAdmin)
		post := func(form string, header ...string) response {
			return e.raw("POST", "/login", "", "application/x-www-form-urlencoded", []byte(form), header...)
		}
		for _, form := range []string{"login=cl%00erk&password=x", "login=%FF%FE&password=x", "login=clerk&password=%00", "login=clerk&password=%FF", "login%00=1", "next=%00&login=clerk&password=x"} {
			if r := post(form); r.Status != 422 {
				t.Errorf("login %q = %d %.200s, want 422", form, r.Status, r.Body)
			}
		}
		if r := post("login=clerk&password="+url.QueryEscape("correct horse battery"), "User-Agent", "Mozilla\xff\xfe"); r.Status != http.StatusSeeOther {
			t.Errorf("login with a non-UTF-8 User-Agent = %d %.200s", r.Status, r.Body)
		}
		c := e.consoleClient("clerk", "correct horse battery")
		for _, path := range []string{"/orders?ordered_from=2026-02-30", "/orders?paid_to=2026-13-01", "/audit?from=2026-02-30", "/settlement-rules?from=2026-02-30",
			"/settlement-rules?supplier_id=abc", "/settlement-reports?report=by-marketplace&from=2026-02-30&to=2026-03-01", "/refunds?from=2026-02-30",
			"/marketplace-orders?from=2026-02-30", "/members?q=" + strings.Repeat("x", 60000), "/products?q=" + strings.Repeat("x", 60000),
			"/orders?q=" + strings.Repeat("x", 60000), "/settlement-rules?q=" + strings.Repeat("x", 60000), "/refunds?q=" + strings.Repeat("x", 60000),
			"/marketplace-orders?q=" + strings.Repeat("x", 60000), "/members?q=%00", "/orders?q=%FF", "/members?page=9223372036854775807",
			"/orders?page=9223372036854775807", "/audit?page=9223372036854775807"} {
			status, body := get(t, c, e.srv.URL+path)
			if status >= 500 {
				t.Errorf("console %.80s = %d %.200s", path, status, body)
			}
		}
		if status, _ := get(t, c, e.srv.URL+"/members?q="+strings.Repeat("x", 201)); status != 422 {
			t.Errorf("console 201-character keyword = %d, want 422", status)
		}
		if status, _ := get(t, c, e.srv.URL+"/audit?from=2026-02-30"); status != 422 {
			t.Errorf("console audit from=2026-02-30 = %d, want 422", status)
		}
		var out bytes.Buffer
		if err := e.app.Verify(ctx, &out); err != nil {
			t.Fatalf("verify: %v\n%s", err, out.String())
		}
	})
}
