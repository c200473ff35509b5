package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/staff"
)

// consoleClient logs in through the form and keeps the session cookie.
func (e *env) consoleClient(login, password string) *http.Client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(e.srv.URL+"/login", url.Values{"login": {login}, "password": {password}, "next": {"/"}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/" {
		e.t.Fatalf("login ended at %s with %d", resp.Request.URL, resp.StatusCode)
	}
	return c
}

// demoConsole loads the demo and returns the console of a super_admin,
// "root".
func (e *env) demoConsole() *http.Client {
	e.t.Helper()
	ctx := context.Background()
	if err := e.app.LoadDemo(ctx, io.Discard); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.app.Staff.Create(ctx, access.System(), staff.NewStaff{Login: "root", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
		e.t.Fatal(err)
	}
	return e.consoleClient("root", "correct horse battery")
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Every screen of the menu renders for a super_admin, in Korean and English.
func TestConsoleScreensRender(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if err := e.app.LoadDemo(ctx, io.Discard); err != nil {
			t.Fatal(err)
		}
		if _, err := e.app.Staff.Create(ctx, access.System(), staff.NewStaff{Login: "root", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
			t.Fatal(err)
		}
		c := e.consoleClient("root", "correct horse battery")
		paths := []string{"/", "/members", "/members?status=withdrawn&q=박&field=name&site=malgn", "/members/new", "/members/1", "/members/1/edit",
			"/products", "/products?kind=course&display=visible", "/products/new?kind=course", "/products/new?kind=textbook",
			"/products/new?kind=freepass", "/products/1/edit", "/products/5/edit", "/sites", "/staff", "/audit", "/audit?entity=member&entity_id=1",
			"/orders", "/orders?include_pending=1&method=card&status=paid&q=sample1&field=member_login&ordered_from=2019-01-01&ordered_to=2020-12-31",
			"/orders/202", "/orders/290", "/orders/288", "/orders/202/print", "/orders/202/transactions", "/orders/290/confirm-deposit", "/orders/290/cancel",
			"/refunds", "/refunds?status=completed&kind=partial&item_kind=textbook&from=2019-01-01&to=2020-12-31&q=250&field=order_no", "/refunds/1", "/refunds/2",
			"/refunds/new?order_no=202&item_id=2", "/marketplaces", "/sheet-formats", "/sheet-formats?marketplace=esm", "/marketplace-orders",
			"/marketplace-orders?marketplace=11st&status=active&matched=no&from=2025-01-01&q=x", "/product-matching", "/product-matching?marketplace=11st",
			"/settlement-rules", "/settlement-rules?period_by=created&from=2020-01-01&to=2030-01-01&field=sale&q=code", "/settlement-rules/edit", "/settlement-rules/edit?marketplace=esm",
			"/settlement-reports", "/settlement-reports?report=marketplace&from=2025-10-01&to=2025-10-31", "/settlement-reports?report=product&from=2025-10-01&to=2025-10-31&marketplace=11st", "/deliveries", "/deliveries?state=delivered&status=paid&item_status=paid&ordered_from=2018-01-01&ordered_to=2020-12-31&q=포토샵",
			"/deliveries/upload", "/carriers", "/deliveries/orders/202", "/deliveries/orders/250", "/refunds", "/voucher-orders", "/stats/daily", "/stats/monthly", "/stats/courses", "/coupons",
		}
		for _, lang := range []string{"ko", "en"} {
			if lang == "en" {
				resp, err := c.PostForm(e.srv.URL+"/settings/lang", url.Values{"lang": {"en"}, "back": {"/"}})
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			for _, p := range paths {
				status, body := get(t, c, e.srv.URL+p)
				if status != 200 {
					t.Errorf("%s %s = %d", lang, p, status)
				}
				if lang == "en" && !strings.Contains(body, "Members &amp; products") {
					t.Errorf("%s %s is not in English", lang, p)
				}
			}
		}
		status, body := get(t, c, e.srv.URL+"/orders/202")
		for _, want := range []string{"10,000원 = 18,000원 - 8,000원 - 0원 + 0원", "1111-****-****-2222", "900101-1******", "건축기사 건축계획 외 1건",
			`<td id="shipping-kind">선불</td><th>배송비</th><td>0원</td>`} {
			if !strings.Contains(body, want) {
				t.Errorf("order 202 page lacks %q", want)
			}
		}
		// 배송정보 warns as the manual does: an escrow payment is settled on
		// the shipping details.
		if _, body = get(t, c, e.srv.URL+"/deliveries/orders/202"); !strings.Contains(body, "에스크로 주문은 배송정보(배송업체, 송장번호)를 정확히 입력하셔야") {
			t.Errorf("배송정보 of 202 lacks the manual's escrow warning")
		}
		status, body = get(t, c, e.srv.URL+"/orders/290/confirm-deposit")
		if !strings.Contains(body, "8,000원의 입금을 확인하시겠습니까?") {
			t.Errorf("confirm page lacks the question")
		}
		// 배송관리 counts orders as the manual does (Total: 3 건 over five
		// item rows): order 250's two textbooks are one order, one No.
		status, body = get(t, c, e.srv.URL+"/deliveries?ordered_to=2019-12-31")
		if status != 200 || !strings.Contains(body, "Total : <strong>3</strong> 건") || strings.Count(body, `class="order-first"`) != 3 ||
			strings.Count(body, `data-order="250"`) != 2 || strings.Count(body, `class="no"`) != 3 || !strings.Contains(body, "박주란 (탈퇴회원)") ||
			strings.Count(body, "환불불가") != 1 {
			t.Errorf("배송관리 of 2019 (orders 250, 202, 133 with five textbook rows; 133's buyer withdrawn, its 포토샵 교재 환불불가): %d\n%s", status, body)
		}
		// 입금확인 on 주문목록 is for staff who may confirm; a viewer sees the status.
		if status, body = get(t, c, e.srv.URL+"/orders?status=awaiting_deposit"); status != 200 || !strings.Contains(body, "/confirm-deposit") {
			t.Errorf("주문목록 of 입금대기 offers no 입금확인 to a super_admin (%d)", status)
		}
		if _, err := e.app.Staff.Create(ctx, access.System(), staff.NewStaff{Login: "look", Password: "correct horse battery", Role: access.Viewer, Sites: []string{"malgn"}}); err != nil {
			t.Fatal(err)
		}
		if status, body = get(t, e.consoleClient("look", "correct horse battery"), e.srv.URL+"/orders?status=awaiting_deposit"); status != 200 ||
			strings.Contains(body, "/confirm-deposit") || !strings.Contains(body, "입금대기") {
			t.Errorf("주문목록 offers 입금확인 to a viewer (%d)", status)
		}
		status, body = get(t, c, e.srv.URL+"/refunds?status=completed")
		if !strings.Contains(body, "Total : <strong>1</strong> 건") || !strings.Contains(body, "부분환불") {
			t.Errorf("환불관리 completed filter lacks order 250's partial refund")
		}
		status, body = get(t, c, e.srv.URL+"/refunds/1")
		if !strings.Contains(body, "수강료 기준 200,000원 X") || !strings.Contains(body, "학습시간 기준 200,000원 X 0.00% = 0원") {
			t.Errorf("refund screen lacks the estimate lines")
		}
		status, body = get(t, c, e.srv.URL+"/members?status=withdrawn")
		if status != 200 || !strings.Contains(body, "Total : <strong>1</strong> 건") || !strings.Contains(body, "박주란") {
			t.Errorf("withdrawn filter: %d, body lacks the one withdrawn member", status)
		}
	})
}

func TestConsoleRefusesCrossSiteAndAnonymous(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if _, err := e.app.Staff.Create(ctx, access.System(), staff.NewStaff{Login: "root", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
			t.Fatal(err)
		}
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirect.Get(e.srv.URL + "/members")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Fatalf("anonymous /members = %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		c := e.consoleClient("root", "correct horse battery")
		req, _ := http.NewRequest("POST", e.srv.URL+"/sites", strings.NewReader("code=evil&name=evil"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err = c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site POST = %d, want 403", resp.StatusCode)
		}
		if _, err := e.app.Sites.Get(ctx, access.System(), "evil"); err == nil {
			t.Fatalf("the cross-site POST created a site")
		}
	})
}

// The [입금확인] button exists for 자체계좌 orders only: the demo's order 287
// (가상계좌) waits for the gateway's deposit webhook, 290 (자체계좌, 세금계산서) does not.
func TestConfirmDepositButtonOnlyForBankDeposit(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if err := e.app.LoadDemo(ctx, io.Discard); err != nil {
			t.Fatal(err)
		}
		if _, err := e.app.Staff.Create(ctx, access.System(), staff.NewStaff{Login: "root", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
			t.Fatal(err)
		}
		c := e.consoleClient("root", "correct horse battery")
		if _, body := get(t, c, e.srv.URL+"/orders/287"); !strings.Contains(body, "입금대기") || strings.Contains(body, `id="confirm-deposit"`) {
			t.Fatalf("the 가상계좌 order 287 shows 입금확인 (or is not 입금대기)")
		}
		if _, body := get(t, c, e.srv.URL+"/orders/290"); !strings.Contains(body, `id="confirm-deposit"`) {
			t.Fatalf("the 자체계좌 order 290 lacks 입금확인")
		}
		_, list := get(t, c, e.srv.URL+"/orders?status=awaiting_deposit")
		if !strings.Contains(list, "/orders/290/confirm-deposit") || strings.Contains(list, "/orders/287/confirm-deposit") || !strings.Contains(list, "/orders/287\"") {
			t.Fatalf("주문목록 of 입금대기:\n%s", list)
		}
	})
}

// 발주서 포맷: a code number the rows do not show (쿠팡's code1–code10) is
// added by 다른 번호; a bad or taken number is refused with nothing saved.
func TestSheetFormatAddsAnyCodeNumber(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e) // root, super_admin
		c := e.consoleClient("root", "correct horse battery")
		format := func() map[string]any {
			return e.do("GET", "/api/v1/sheet-formats?marketplace=coupang", tok, nil).json(t)["items"].([]any)[0].(map[string]any)
		}
		before := format()
		codes := before["codes"].(map[string]any)
		if _, ok := codes["3"]; ok {
			t.Fatalf("쿠팡 already maps code3: %v", codes)
		}
		if _, body := get(t, c, e.srv.URL+"/sheet-formats?marketplace=coupang"); !strings.Contains(body, `<option value="3">code3</option>`) {
			t.Fatalf("the format page offers no code3 to add")
		}
		form := url.Values{"marketplace": {"coupang"}}
		for k, v := range before["fields"].(map[string]any) {
			form.Set("field_"+k, v.(string))
		}
		for k, v := range codes {
			form.Set("code_"+k, v.(string))
		}
		for _, tt := range []struct{ no, header string }{{"", "옵션ID"}, {"100", "옵션ID"}, {"11", "다른 헤더"}} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set("add_code_no", tt.no)
			f.Set("add_code_header", tt.header)
			if code, _ := postForm(t, c, e.srv.URL+"/sheet-formats", f); code != 422 {
				t.Errorf("add code %q %q: %d, want 422", tt.no, tt.header, code)
			}
		}
		if after := format()["codes"].(map[string]any); len(after) != len(codes) {
			t.Fatalf("a refused addition saved codes %v", after)
		}
		form.Set("add_code_no", "3")
		form.Set("add_code_header", "옵션ID")
		if code, body := postForm(t, c, e.srv.URL+"/sheet-formats", form); code != 200 || !strings.Contains(body, "저장했습니다") {
			t.Fatalf("add code3: %d", code)
		}
		if after := format()["codes"].(map[string]any); after["3"] != "옵션ID" || len(after) != len(codes)+1 {
			t.Fatalf("codes after adding code3: %v", after)
		}
	})
}
