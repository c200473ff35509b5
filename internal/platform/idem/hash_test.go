package idem_test

import (
	"testing"

	"github.com/orderdesk/orderdesk/internal/platform/idem"
)

// A JSON body counts by its value: other spacing and key order are the same
// request; another value, path or method is not; a body that is not JSON
// counts by its bytes.
func TestHashReadsJSONByValue(t *testing.T) {
	s := &idem.Store{HashKey: []byte("k")}
	h := func(method, path, body string) string { return s.Hash(method, path, []byte(body)) }
	base := h("POST", "/api/v1/orders/1/cancel", `{"reason":"test","amount":1000}`)
	for _, same := range []string{`{ "amount" : 1000, "reason" : "test" }`, "{\"reason\":\"test\",\n \"amount\":1000}\n"} {
		if h("POST", "/api/v1/orders/1/cancel", same) != base {
			t.Errorf("%q is not the same request", same)
		}
	}
	for _, other := range []string{`{"reason":"test","amount":1001}`, `{"reason":"test","amount":1000.0}`, `{"reason":"test"}`} {
		if h("POST", "/api/v1/orders/1/cancel", other) == base {
			t.Errorf("%q is the same request", other)
		}
	}
	if h("POST", "/api/v1/orders/2/cancel", `{"reason":"test","amount":1000}`) == base || h("PUT", "/api/v1/orders/1/cancel", `{"reason":"test","amount":1000}`) == base {
		t.Error("another path or method is the same request")
	}
	if h("POST", "/x", "a=1&b=2") == h("POST", "/x", "b=2&a=1") {
		t.Error("a form body counts by value")
	}
}
