package app_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/staff"
)

func postForm(t *testing.T, c *http.Client, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, html.UnescapeString(string(b))
}

// A bad or reversed date range on any console search says which field and why.
func TestConsoleDateRanges(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if err := e.app.LoadDemo(ctx, io.Discard); err != nil {
			t.Fatal(err)
		}
		if _, err := e.app.Staff.Create(ctx, access.System(), staff.NewStaff{Login: "root", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
			t.Fatal(err)
		}
		c := e.consoleClient("root", "correct horse battery")
		for _, tt := range []struct{ path, want string }{
			{"/orders?ordered_from=2020-12-31&ordered_to=2020-01-01", "주문일 끝 날짜(2020-01-01)가 시작 날짜(2020-12-31)보다 앞섭니다"},
			{"/orders?paid_from=2026-02-30", "결제일 시작 날짜 \"2026-02-30\"는 없는 날짜"},
			{"/orders/export.xlsx?ordered_from=2020-12-31&ordered_to=2020-01-01", "주문일 끝 날짜(2020-01-01)가 시작 날짜(2020-12-31)보다 앞섭니다"},
			{"/refunds?from=2020-02-01&to=2020-01-01", "요청일 끝 날짜(2020-01-01)가 시작 날짜(2020-02-01)보다 앞섭니다"},
			{"/refunds?to=2020-13-01", "요청일 끝 날짜 \"2020-13-01\"는 없는 날짜"},
			{"/refunds/export.xlsx?from=2020-02-01&to=2020-01-01", "요청일 끝 날짜(2020-01-01)가"},
			{"/audit?from=2020-02-01&to=2020-01-01", "기간 끝 날짜(2020-01-01)가 시작 날짜(2020-02-01)보다 앞섭니다"},
			{"/marketplace-orders?from=2020-02-01&to=2020-01-01", "기간 끝 날짜(2020-01-01)가"},
			{"/settlement-reports?report=market&from=2020-02-01&to=2020-01-01", "기간 끝 날짜(2020-01-01)가"},
			{"/coupons?from=2020-12-31&to=2020-01-01", "유효기간 끝 날짜(2020-01-01)가 시작 날짜(2020-12-31)보다 앞섭니다"},
		} {
			code, body := get(t, c, e.srv.URL+tt.path)
			if code != 422 || !strings.Contains(html.UnescapeString(body), tt.want) {
				t.Errorf("%s = %d, want 422 saying %q; got %.300s", tt.path, code, tt.want, body)
			}
		}
		// 과정 선택 tells the courses of one name apart by 년도 / 차수.
		if _, body := get(t, c, e.srv.URL+"/refunds"); !strings.Contains(body, ">전자상거래 근로자카드 (2019 / 07)</option>") ||
			!strings.Contains(body, ">전자상거래 근로자카드 (2019 / 10)</option>") {
			t.Errorf("환불관리's 과정 선택 does not tell 전자상거래 근로자카드 2019/07 from 2019/10")
		}
		if code, _ := get(t, c, e.srv.URL+"/orders?ordered_from=2020-01-01&ordered_to=2020-01-01"); code != 200 {
			t.Errorf("a one-day range = %d", code)
		}
	})
}

// The refund screens: the request form keeps 은행명 and 예금주 after a
// refused submission; amounts have separators; 환불불가 can send its SMS;
// 환불방법, bank and 환불일시 are corrected by form and by PATCH.
func TestConsoleRefundForms(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, _ := demoEnv(t, e)
		ctx := context.Background()
		if _, err := e.app.Staff.Create(ctx, access.System(), staff.NewStaff{Login: "clerk", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
			t.Fatal(err)
		}
		c := e.consoleClient("clerk", "correct horse battery")
		course := e.do("POST", "/api/v1/products", tok, map[string]any{"site": "malgn", "kind": "course", "name": "고가 과정", "sale_price": 1280000,
			"delivery": "online", "schedule": "always_open", "access_days": 90, "study_hours": 30}).json(t)
		placed := e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "bank_deposit",
			"items": []map[string]any{{"product_id": course["id"], "qty": 1}}}).json(t)
		no := strconv.FormatInt(int64(placed["order_no"].(float64)), 10)
		if r := e.do("POST", "/api/v1/orders/"+no+"/confirm-deposit", tok, nil); r.Status != 200 {
			t.Fatalf("confirm = %d %s", r.Status, r.Body)
		}
		item := fmt.Sprint(int64(placed["items"].([]any)[0].(map[string]any)["item_id"].(float64)))
		// A too-short account: refused, the bank and holder stay typed.
		code, body := postForm(t, c, e.srv.URL+"/refunds/new", url.Values{"order_no": {no}, "item_id": {item}, "method": {"bank_transfer"},
			"bank_name": {"국민은행"}, "bank_account": {"12"}, "bank_holder": {"홍길금2"}, "reason": {"변심"}})
		if code != 422 || !strings.Contains(body, `name="bank_name" size="10" value="국민은행"`) || !strings.Contains(body, `name="bank_holder" size="8" value="홍길금2"`) {
			t.Fatalf("refused request = %d; bank fields lost: %.2000s", code, body)
		}
		if strings.Contains(body, `value="12"`) {
			t.Fatalf("the account number was sent back")
		}
		code, body = postForm(t, c, e.srv.URL+"/refunds/new", url.Values{"order_no": {no}, "item_id": {item}, "method": {"bank_transfer"},
			"bank_name": {"국민은행"}, "bank_account": {"123-45-678901"}, "bank_holder": {"홍길금2"}, "reason": {"변심"}})
		if code != 200 {
			t.Fatalf("request = %d %.500s", code, body)
		}
		list := e.do("GET", "/api/v1/refunds?q="+no+"&field=order_no", tok, nil).json(t)
		id := fmt.Sprint(int64(list["items"].([]any)[0].(map[string]any)["id"].(float64)))
		// Amounts carry separators; the amount box starts at 0 (the clerk decides).
		_, page := get(t, c, e.srv.URL+"/refunds/"+id)
		if !strings.Contains(page, `id="refund-amount" value="0"`) || !strings.Contains(page, "1,280,000원") ||
			!strings.Contains(page, `<td id="refund-order-status">결제완료</td>`) {
			t.Fatalf("refund page without separators: %.3000s", page)
		}
		// Corrected by the form: bank name, holder and 환불일시; the account kept.
		when := time.Now().In(kst.Seoul).AddDate(0, 0, 1).Truncate(time.Minute)
		code, page = postForm(t, c, e.srv.URL+"/refunds/"+id+"/edit", url.Values{"method": {"bank_transfer"}, "bank_name": {"신한은행"},
			"bank_account": {""}, "bank_holder": {"홍길동"}, "refund_at": {"2099-01-01T10:00"}})
		if code != 422 || !strings.Contains(page, `value="신한은행"`) {
			t.Fatalf("a 환불일시 out of range = %d: %.500s", code, page)
		}
		code, page = postForm(t, c, e.srv.URL+"/refunds/"+id+"/edit", url.Values{"method": {"bank_transfer"}, "bank_name": {"신한은행"},
			"bank_account": {""}, "bank_holder": {"홍길동"}, "refund_at": {when.Format("2006-01-02T15:04")}})
		got := e.do("GET", "/api/v1/refunds/"+id, tok, nil).json(t)
		bank := got["bank"].(map[string]any)
		if code != 200 || bank["name"] != "신한은행" || bank["holder"] != "홍길동" || !strings.HasSuffix(bank["account"].(string), "8901") || got["refund_at"] != when.UTC().Format(time.RFC3339) {
			t.Fatalf("after the form = %d %v %v", code, bank, got["refund_at"])
		}
		// By PATCH, a merge patch: only what is given changes; other fields are refused.
		for body, want := range map[string]int{`{"status":"completed"}`: 422, `{"bank":{"nmae":"x"}}`: 422, `{"method":"cash"}`: 422, `{"method":"pg_cancel"}`: 422} {
			if r := e.do("PATCH", "/api/v1/refunds/"+id, tok, body); r.Status != want {
				t.Errorf("PATCH %s = %d %s, want %d", body, r.Status, r.Body, want)
			}
		}
		r := e.do("PATCH", "/api/v1/refunds/"+id, tok, `{"bank":{"holder":"홍길순"},"refund_at":null}`)
		if r.Status != 200 {
			t.Fatalf("PATCH = %d %s", r.Status, r.Body)
		}
		if p := r.json(t); p["bank"].(map[string]any)["holder"] != "홍길순" || p["bank"].(map[string]any)["name"] != "신한은행" || p["refund_at"] != nil {
			t.Fatalf("patched = %s", r.Body)
		}
		// 환불불가 with its SMS (the demo member's phone is a mobile).
		code, page = postForm(t, c, e.srv.URL+"/refunds/"+id+"/deny", url.Values{"deny_reason": {"수강 진행"}, "deny_notify_sms": {"1"}})
		if code != 200 || !strings.Contains(page, "환불불가") {
			t.Fatalf("deny = %d", code)
		}
		var n int
		if err := e.app.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM sms_outbox WHERE body LIKE '[환불불가]%'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("deny SMS queued %d %v", n, err)
		}
	})
}
