package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/sheet"
	"github.com/orderdesk/orderdesk/internal/staff"
)

// demoEnv is an env with the demo data and a super_admin token.
func demoEnv(t *testing.T, e *env) (token string, memberID int64, productID int64) {
	t.Helper()
	ctx := context.Background()
	if err := e.app.LoadDemo(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	token = e.staffToken("root", access.SuperAdmin)
	m, err := e.app.Members.List(ctx, access.System(), member.Filter{Q: "sample2122", Field: "login"})
	if err != nil || m.Total != 1 {
		t.Fatalf("demo member: %v", err)
	}
	list := e.do("GET", "/api/v1/products?q="+"파워포인트", token, nil).json(t)
	productID = int64(list["items"].([]any)[0].(map[string]any)["id"].(float64))
	return token, m.Items[0].ID, productID
}

func TestPlaceOrderIdempotently(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, productID := demoEnv(t, e)
		body := fmt.Sprintf(`{"site":"malgn","member_id":%d,"items":[{"product_id":%d,"qty":1}],"payment_method":"card"}`, memberID, productID)
		var wg sync.WaitGroup
		results := make([]response, 4)
		for i := range results {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				results[i] = e.do("POST", "/api/v1/orders", tok, body, "Idempotency-Key", "checkout-1")
			}(i)
		}
		wg.Wait()
		created := 0
		for _, r := range results {
			switch r.Status {
			case 201:
				created++
			case 409: // the first is still running
			default:
				t.Fatalf("concurrent replay = %d %s", r.Status, r.Body)
			}
		}
		again := e.do("POST", "/api/v1/orders", tok, body, "Idempotency-Key", "checkout-1")
		if created < 1 || again.Status != 201 || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("created %d, replay %d", created, again.Status)
		}
		no := int64(again.json(t)["order_no"].(float64))
		other := strings.Replace(body, `"qty":1`, `"qty":2`, 1)
		if r := e.do("POST", "/api/v1/orders", tok, other, "Idempotency-Key", "checkout-1"); r.Status != 422 {
			t.Fatalf("same key, other body = %d", r.Status)
		}
		list := e.do("GET", "/api/v1/orders?include_pending=1&field=member_login&q=sample2122&status=pending", tok, nil).json(t)
		if list["total"].(float64) != 1 {
			t.Fatalf("pending orders of the member = %v, want exactly 1", list["total"])
		}
		// Prepare and confirm through the sandbox, replay the confirmation, then look at 결제내역.
		path := "/api/v1/orders/" + strconv.FormatInt(no, 10)
		prep := e.do("POST", path+"/payments/prepare", tok, map[string]any{"gateway": "sandbox"}).json(t)
		key, _ := prep["payment_key"].(string)
		if !strings.HasPrefix(key, "sbx_") || prep["amount"].(float64) != 8000 {
			t.Fatalf("prepare = %v", prep)
		}
		for i := 0; i < 2; i++ {
			r := e.do("POST", path+"/payments/confirm", tok, map[string]any{"gateway": "sandbox", "payment_key": key, "amount": 8000})
			if r.Status != 200 || r.json(t)["status"] != "paid" {
				t.Fatalf("confirm %d = %d %s", i, r.Status, r.Body)
			}
		}
		txs := e.do("GET", path+"/transactions", tok, nil).json(t)
		if txs["total"].(float64) != 2 {
			t.Fatalf("결제내역 rows = %v", txs["total"])
		}
		if r := e.do("GET", "/api/v1/orders?ordered_from=2020-13-01", tok, nil); r.Status != 422 {
			t.Fatalf("bad date = %d", r.Status)
		}
	})
}

func TestWebhookEndpoint(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, productID := demoEnv(t, e)
		r := e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "vbank",
			"items": []map[string]any{{"product_id": productID, "qty": 1}}})
		no := int64(r.json(t)["order_no"].(float64))
		path := "/api/v1/orders/" + strconv.FormatInt(no, 10)
		if r := e.do("POST", path+"/payments/confirm", tok, map[string]any{"payment_key": "vb-x", "amount": 8000}); r.json(t)["status"] != "awaiting_deposit" {
			t.Fatalf("vbank confirm = %s", r.Body)
		}
		body, headers, err := e.app.Sandbox.Deposit(context.Background(), "vb-x")
		if err != nil {
			t.Fatal(err)
		}
		if r := e.do("POST", "/api/v1/webhooks/sandbox", "", body, "X-Sandbox-Signature", "00ff"); r.Status != 401 {
			t.Fatalf("bad signature = %d", r.Status)
		}
		for i := 0; i < 2; i++ {
			if r := e.do("POST", "/api/v1/webhooks/sandbox", "", body, "X-Sandbox-Signature", headers["x-sandbox-signature"]); r.Status != 200 {
				t.Fatalf("webhook %d = %d %s", i, r.Status, r.Body)
			}
		}
		if got := e.do("GET", path, tok, nil).json(t)["status"]; got != "paid" {
			t.Fatalf("after webhook: %v", got)
		}
		e.verified(t, "")
	})
}

// The xlsx export holds the same rows as the screen, Korean headers, won as numbers.
func TestOrderExportMatchesList(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		query := "status=paid&ordered_from=2018-01-01&ordered_to=2020-12-31"
		list := e.do("GET", "/api/v1/orders?"+query, tok, nil).json(t)
		items := list["items"].([]any)
		if len(items) < 3 {
			t.Fatalf("demo has %d paid orders", len(items))
		}
		r := e.do("GET", "/api/v1/orders/export.xlsx?"+query, tok, nil)
		if r.Status != 200 {
			t.Fatalf("export = %d %s", r.Status, r.Body)
		}
		rows, err := sheet.ReadAll(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rows[0], ",") != strings.Join(export.OrderListHeaders, ",") {
			t.Fatalf("headers = %v", rows[0])
		}
		if len(rows)-1 != len(items) {
			t.Fatalf("export has %d rows, screen %d", len(rows)-1, len(items))
		}
		for i, it := range items {
			m := it.(map[string]any)
			row := rows[i+1]
			if row[1] != fmt.Sprint(int64(m["order_no"].(float64))) || row[5] != fmt.Sprint(int64(m["total"].(float64))) || row[7] != m["member_login"] {
				t.Errorf("row %d = %v, screen %v", i, row, m)
			}
			if row[10] != "결제완료" || row[13] != "paid" {
				t.Errorf("row %d status = %q/%q", i, row[10], row[13])
			}
		}
	})
}

// 결제내역's 결제일시 is when each record's operation happened: the approval
// of the payment, and the cancel's own time for a cancel, whose gateway
// answer repeats the payment's approval (demo order 250: paid 2019-05-26,
// 1,000원 returned 2019-05-31 11:00).
func TestTransactionTimes(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		txs := e.do("GET", "/api/v1/orders/250/transactions", tok, nil).json(t)["items"].([]any)
		if len(txs) != 2 {
			t.Fatalf("order 250's 결제내역: %v", txs)
		}
		approval, cancel := txs[0].(map[string]any), txs[1].(map[string]any)
		if approval["kind"] != "confirm" || approval["at"] != approval["paid_at"] || approval["at"] != "2019-05-26T05:00:00Z" {
			t.Errorf("the approval's time: at %v, paid_at %v", approval["at"], approval["paid_at"])
		}
		if cancel["kind"] != "cancel" || cancel["at"] != cancel["created_at"] || cancel["at"] != "2019-05-31T02:00:00Z" || cancel["paid_at"] != approval["paid_at"] {
			t.Errorf("the cancel's time: at %v, created_at %v, paid_at %v", cancel["at"], cancel["created_at"], cancel["paid_at"])
		}
		ctx := context.Background()
		if _, err := e.app.Staff.Create(ctx, access.System(), staff.NewStaff{Login: "clerk", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
			t.Fatal(err)
		}
		_, body := get(t, e.consoleClient("clerk", "correct horse battery"), e.srv.URL+"/orders/250/transactions")
		_, cancelRow, _ := strings.Cut(body, "취소 완료</summary>")
		if !strings.Contains(cancelRow, "<td>2019.05.31 11:00:00</td><td>2019.05.26 14:00:00</td>") {
			t.Errorf("결제내역 of 250 does not show the cancel at 2019.05.31 11:00:\n%s", body)
		}
		// 응답메시지 opens 결제정보: the answer's fields by their Korean names.
		if !strings.Contains(cancelRow, `<th title="balanceAmount">취소 가능 금액</th><td>34500</td>`) || !strings.Contains(cancelRow, `<th title="status">결과상태</th><td>PARTIAL_CANCELED</td>`) {
			t.Errorf("결제내역 of 250 lacks the cancel's 결제정보:\n%s", cancelRow)
		}
	})
}

// 무과금 takes no payment: 주문목록 and 근로자카드주문 show no 결제일 for it
// ("-", as the manual's 285, 274, 259 …), in the API as on the screens,
// while a paid order shows its day.
func TestFreeOrdersHaveNoPaidDay(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		for _, path := range []string{"/api/v1/orders?method=free", "/api/v1/voucher-orders?per_page=100"} {
			items := e.do("GET", path, tok, nil).json(t)["items"].([]any)
			free, paid := 0, 0
			for _, it := range items {
				r := it.(map[string]any)
				switch {
				case r["payment_method"] == "free":
					free++
					if r["paid_day"] != "" {
						t.Errorf("%s: 무과금 order %v shows 결제일 %v", path, r["order_no"], r["paid_day"])
					}
				case r["paid_day"] != "":
					paid++
				}
			}
			if free == 0 || path != "/api/v1/orders?method=free" && paid == 0 {
				t.Fatalf("%s: %d free orders, %d with a 결제일 in %v", path, free, paid, items)
			}
		}
		ctx := context.Background()
		if _, err := e.app.Staff.Create(ctx, access.System(), staff.NewStaff{Login: "clerk", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
			t.Fatal(err)
		}
		c := e.consoleClient("clerk", "correct horse battery")
		for _, path := range []string{"/orders", "/voucher-orders"} {
			_, body := get(t, c, e.srv.URL+path)
			if !strings.Contains(body, "<td>2020.06.03</td><td>-</td>") {
				t.Errorf("%s: order 285 (무과금, 2020.06.03) does not show 결제일 -", path)
			}
		}
	})
}

// A request that takes no fields refuses one, as every other refuses an
// unknown field, and changes nothing: 입금확인 with a body {"x":1} does not
// confirm the deposit; with no body, or {}, it does.
func TestBodilessRequestsRefuseFields(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		if r := e.do("POST", "/api/v1/orders/290/confirm-deposit", tok, map[string]any{"x": 1}); r.Status != 422 || !strings.Contains(string(r.Body), "x") {
			t.Fatalf("입금확인 with a field = %d %s", r.Status, r.Body)
		}
		if o := e.do("GET", "/api/v1/orders/290", tok, nil).json(t); o["status"] != "awaiting_deposit" {
			t.Fatalf("a refused 입금확인 changed order 290: %v", o["status"])
		}
		if r := e.do("POST", "/api/v1/members/1/reveal-rrn", tok, map[string]any{"reason": "x"}); r.Status != 422 {
			t.Fatalf("reveal-rrn with a field = %d %s", r.Status, r.Body)
		}
		if r := e.do("POST", "/api/v1/orders/290/confirm-deposit", tok, map[string]any{}); r.Status != 200 || r.json(t)["status"] != "paid" {
			t.Fatalf("입금확인 with {} = %d %s", r.Status, r.Body)
		}
	})
}

// A filter value the list does not know is refused (422, naming it), as
// orders?status=bogus always was, instead of answering a list filtered by
// nothing or by no row.
func TestUnknownFilterValuesAreRefused(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		for path, field := range map[string]string{
			"/api/v1/orders?include_pending=yes": "include_pending", "/api/v1/products?kind=bogus": "kind",
			"/api/v1/products?display=bogus": "display", "/api/v1/members?status=bogus": "status", "/api/v1/members?field=bogus&q=x": "field",
		} {
			if r := e.do("GET", path, tok, nil); r.Status != 422 || !strings.Contains(string(r.Body), `"location":"`+field+`"`) {
				t.Errorf("%s = %d %s", path, r.Status, r.Body)
			}
		}
		for _, path := range []string{"/api/v1/orders?include_pending=true", "/api/v1/orders?include_pending=0", "/api/v1/products?kind=textbook&display=visible",
			"/api/v1/members?status=withdrawn&field=name&q=박"} {
			if r := e.do("GET", path, tok, nil); r.Status != 200 {
				t.Errorf("%s = %d %s", path, r.Status, r.Body)
			}
		}
	})
}
