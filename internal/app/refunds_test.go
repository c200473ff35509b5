package app_test

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
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
		if r := e.do("POST", "/api/v1/refunds/quote", tok, map[string]any{"policy": "by_days", "total_days": 10, "elapsed_days": 1}); r.Status != 422 || !strings.Contains(string(r.Body), `"location":"amount"`) {
			t.Fatalf("a quote without its amount = %d %s", r.Status, r.Body)
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
		// The list's row carries the same estimate and items as the refund's own page.
		listed := e.do("GET", "/api/v1/refunds?q="+no, tok, nil)
		one := e.do("GET", fmt.Sprintf("/api/v1/refunds/%d", id), tok, nil)
		var row map[string]any
		for _, it := range listed.json(t)["items"].([]any) {
			if m := it.(map[string]any); int64(m["id"].(float64)) == id {
				row = m
			}
		}
		if listed.Status != 200 || one.Status != 200 || row == nil || row["estimate"] == nil || !reflect.DeepEqual(row["estimate"], one.json(t)["estimate"]) ||
			!reflect.DeepEqual(row["items"], one.json(t)["items"]) {
			t.Fatalf("the list's row differs from the refund: %v\n%s", row, one.Body)
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
		e.verified(t, "")
	})
}

// Fractional study hours through the API: the quote and the recorded progress.
func TestStudyProgressAPI(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, _ := demoEnv(t, e)
		q := e.do("POST", "/api/v1/refunds/quote", tok, `{"policy":"by_progress","amount":280000,"total_units":30,"used_units":7.5,"unit":"hours"}`)
		if q.Status != 200 || q.json(t)["deduction"].(float64) != 70000 || !strings.Contains(q.json(t)["line"].(string), "30시간 중 7.5시간") {
			t.Fatalf("fractional quote = %d %s", q.Status, q.Body)
		}
		if r := e.do("POST", "/api/v1/refunds/quote", tok, `{"policy":"by_progress","amount":1,"total_units":30,"used_units":7.12345}`); r.Status != 422 {
			t.Fatalf("five decimals = %d %s", r.Status, r.Body)
		}
		course := e.do("POST", "/api/v1/products", tok, map[string]any{"site": "malgn", "kind": "course", "name": "30시간 과정", "sale_price": 90000,
			"delivery": "online", "schedule": "always_open", "access_days": 90, "study_hours": 30})
		if course.Status != 201 {
			t.Fatalf("course = %d %s", course.Status, course.Body)
		}
		placed := e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "bank_deposit",
			"items": []map[string]any{{"product_id": course.json(t)["id"], "qty": 1}}}).json(t)
		no := strconv.FormatInt(int64(placed["order_no"].(float64)), 10)
		if r := e.do("POST", "/api/v1/orders/"+no+"/confirm-deposit", tok, nil); r.Status != 200 {
			t.Fatalf("confirm = %d %s", r.Status, r.Body)
		}
		item := e.do("GET", "/api/v1/orders/"+no, tok, nil).json(t)["items"].([]any)[0].(map[string]any)
		enr := fmt.Sprintf("/api/v1/enrollments/%v/progress", item["enrollment_id"])
		for body, want := range map[string]int{`{"hours": 30.5}`: 422, `{"hours": 1, "sessions": 1}`: 422, `{}`: 422, `{"hours": "7.5"}`: 422, `{"minutes": 5}`: 422} {
			if r := e.do("PUT", enr, tok, body); r.Status != want {
				t.Errorf("%s = %d %s, want %d", body, r.Status, r.Body, want)
			}
		}
		if r := e.do("PUT", "/api/v1/enrollments/999999/progress", tok, `{"hours": 1}`); r.Status != 404 {
			t.Fatalf("unknown enrollment = %d", r.Status)
		}
		if r := e.do("POST", "/api/v1/sites", tok, map[string]any{"code": "other", "name": "다른 사이트"}); r.Status != 201 {
			t.Fatalf("site = %d %s", r.Status, r.Body)
		}
		other := e.staffToken("ba", access.SiteAdmin, "other")
		if r := e.do("PUT", enr, other, `{"hours": 1}`); r.Status != 404 && r.Status != 403 {
			t.Fatalf("another site's admin = %d %s", r.Status, r.Body)
		}
		r := e.do("PUT", enr, tok, `{"hours": 7.5}`)
		if r.Status != 200 {
			t.Fatalf("progress = %d %s", r.Status, r.Body)
		}
		if p := r.json(t)["progress"].(map[string]any); p["studied"].(float64) != 7.5 || p["unit"] != "hours" || p["total_hours"].(float64) != 30 {
			t.Fatalf("progress = %s", r.Body)
		}
		req := e.do("POST", "/api/v1/refunds", tok, map[string]any{"order_no": placed["order_no"], "item_ids": []any{item["item_id"]},
			"method": "bank_transfer", "bank": map[string]string{"name": "국민은행", "account": "123-45-678901", "holder": "홍길금2"}})
		est := req.json(t)["estimate"].(map[string]any)["by_progress"].(map[string]any)
		if est["deduction"].(float64) != 22500 || !strings.Contains(est["line"].(string), "30시간 중 7.5시간 (25.00%)") {
			t.Fatalf("estimate = %v", est)
		}
	})
}
