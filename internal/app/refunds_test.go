package app_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
)

func TestRefundAPIAndVerify(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, productID := demoEnv(t, e)
		if r := e.do("POST", "/api/v1/refunds/quote", tok, map[string]any{"policy": "by_days", "amount": 280000, "total_days": 2197, "elapsed_days": 464}); r.Status != 200 || r.json(t)["deduction"].(float64) != 59135 {
			t.Fatalf("quote = %d %s", r.Status, r.Body)
		}
		if r := e.do("POST", "/api/v1/refunds/quote", tok, map[string]any{"policy": "nope", "amount": 1}); r.Status != 422 {
			t.Fatalf("bad quote = %d", r.Status)
		}
		// A bank-deposit order of 8,000원, paid; two refund requests race to complete.
		placed := e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "bank_deposit",
			"items": []map[string]any{{"product_id": productID, "qty": 2}}}).json(t)
		no := strconv.FormatInt(int64(placed["order_no"].(float64)), 10)
		if r := e.do("POST", "/api/v1/orders/"+no+"/confirm-deposit", tok, nil); r.Status != 200 {
			t.Fatalf("confirm = %d %s", r.Status, r.Body)
		}
		item := placed["items"].([]any)[0].(map[string]any)["item_id"]
		req := e.do("POST", "/api/v1/refunds", tok, map[string]any{"order_no": placed["order_no"], "item_ids": []any{item}, "reason": "변심",
			"method": "bank_transfer", "bank": map[string]string{"name": "국민은행", "account": "123-45-678901", "holder": "홍길금2"}})
		if req.Status != 201 {
			t.Fatalf("request = %d %s", req.Status, req.Body)
		}
		id := int64(req.json(t)["id"].(float64))
		if est := req.json(t)["estimate"]; est == nil {
			t.Fatalf("refund has no estimate: %s", req.Body)
		}
		var wg sync.WaitGroup
		statuses := make([]int, 6)
		for i := range statuses {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				statuses[i] = e.do("POST", fmt.Sprintf("/api/v1/refunds/%d/complete", id), tok, map[string]any{"amount": 16000}).Status
			}(i)
		}
		wg.Wait()
		ok := 0
		for _, s := range statuses {
			if s == 200 {
				ok++
			} else if s != 409 {
				t.Fatalf("complete answered %d", s)
			}
		}
		if ok != 1 {
			t.Fatalf("%d completions succeeded, want 1", ok)
		}
		got := e.do("GET", "/api/v1/orders/"+no, tok, nil).json(t)
		if got["status"] != "refunded" || got["refunded"].(float64) != 16000 {
			t.Fatalf("order after refund: %v %v", got["status"], got["refunded"])
		}
		viewer := e.staffToken("viewer1", access.Viewer, "malgn")
		if r := e.do("POST", fmt.Sprintf("/api/v1/refunds/%d/deny", id), viewer, map[string]string{"reason": "x"}); r.Status != 403 {
			t.Fatalf("viewer deny = %d", r.Status)
		}
		list := e.do("GET", "/api/v1/refunds?status=completed&kind=full", tok, nil).json(t)
		if list["total"].(float64) < 1 {
			t.Fatalf("completed full refunds = %v", list["total"])
		}
		var out bytes.Buffer
		if err := e.app.Verify(context.Background(), &out); err != nil {
			t.Fatalf("verify: %v\n%s", err, out.String())
		}
	})
}
