package market

import (
	"encoding/json"
	"testing"
)

// appendJSONString writes what json.Marshal writes, for plain text and for
// every kind of character json.Marshal escapes.
func TestAppendJSONStringIsJSONMarshal(t *testing.T) {
	for _, s := range []string{"", "plain", "주문번호", "서울특별시 강남구 테헤란로 152 (역삼동)", "31,000", "a\"b", `back\slash`, "<b>&amp;</b>",
		"tab\there", "line\nbreak", "\x00\x01\x1f", "\u2028\u2029", "\xff\xfe bad utf-8", "ok \xe2\x82 cut", "\ufffd", "é\u00a0x", "🙂 emoji"} {
		want, _ := json.Marshal(s)
		if got := string(appendJSONString(nil, s)); got != string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("주문 <1> & \"2\"")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := string(appendJSONString(nil, s)); got != string(want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

// The codes of a row are written as json.Marshal writes the map of them.
func TestAppendCodesIsJSONMarshal(t *testing.T) {
	f := Format{Fields: map[string]string{"order_no": "주문번호"}, Codes: map[int]string{2: "B", 11: "A", 1: "C", 99: "없음"}}
	p := compilePlan(f, map[string]int{"주문번호": 0, "A": 1, "B": 2, "C": 3}, nil)
	row := []string{"1", " 31,000 ", "<x>", ""}
	want, _ := json.Marshal(p.codesMap(row))
	if got := string(p.appendCodes(nil, row)); got != string(want) {
		t.Fatalf("appendCodes = %s, want %s", got, want)
	}
}
