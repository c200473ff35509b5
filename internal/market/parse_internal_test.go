package market

import (
	"encoding/json"
	"maps"
	"slices"
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

// A line's raw cells are stored as an array against its import's headers and
// read back as header → cell: the cells of the kept columns that are not
// blank, whitespace kept as sent; the columns not kept never appear. Lines
// stored before migration 0028 (an object) read as they did.
func TestRawCellsRoundTrip(t *testing.T) {
	p := compilePlan(Format{}, nil, []string{"주문번호", "", "옵션", "배송메모", "", "수량", "요청"})
	headers, _ := json.Marshal(p.rawHeaders())
	if string(headers) != `["주문번호","옵션","배송메모","수량","요청"]` {
		t.Fatalf("headers %s", headers)
	}
	for _, c := range []struct {
		row  []string
		raw  string
		want map[string]string
	}{
		{[]string{"A-1", "900101-1234567", "", "  ", "x", "2", ""}, `["A-1","","","2"]`, map[string]string{"주문번호": "A-1", "수량": "2"}},
		{[]string{"", "x", " 파랑 ", "문 앞 \"조심\"", "z", "1", "연락 주세요"}, `[""," 파랑 ","문 앞 \"조심\"","1","연락 주세요"]`,
			map[string]string{"옵션": " 파랑 ", "배송메모": "문 앞 \"조심\"", "수량": "1", "요청": "연락 주세요"}},
		{[]string{"B-2"}, `["B-2"]`, map[string]string{"주문번호": "B-2"}},
		{[]string{" ", "y"}, `[]`, map[string]string{}},
	} {
		raw := string(p.appendRaw(nil, c.row))
		if raw != c.raw {
			t.Errorf("appendRaw(%q) = %s, want %s", c.row, raw, c.raw)
		}
		got, err := rawCells(raw, string(headers))
		if err != nil || !maps.Equal(cellMap(got), c.want) {
			t.Errorf("rawCells(%s) = %v %v, want %v", raw, got, err, c.want)
		}
	}
	// The cells come in the sheet's column order, for an array and for an
	// object of before 0028 (read in the order it was written).
	got, err := rawCells(`["A-1","","메모","2"]`, string(headers))
	if want := []Cell{{"주문번호", "A-1"}, {"배송메모", "메모"}, {"수량", "2"}}; err != nil || !slices.Equal(got, want) {
		t.Errorf("cells in order: %v %v, want %v", got, err, want)
	}
	old, err := rawCells(`{"주문번호":"C-3","수량":"4","옵션":"파랑"}`, "")
	if want := []Cell{{"주문번호", "C-3"}, {"수량", "4"}, {"옵션", "파랑"}}; err != nil || !slices.Equal(old, want) {
		t.Errorf("an object of before 0028 reads %v %v, want %v", old, err, want)
	}
	if _, err := rawCells(`["a","b"]`, `["only one"]`); err == nil {
		t.Error("more cells than headers read without an error")
	}
}

// A 배송번호 bundles a line only when it looks like one; anything else
// falls back to the address (bundleKey).
func TestShipmentNo(t *testing.T) {
	for s, want := range map[string]bool{"7000012345": true, "642500000101": true, "SH-2025-001": true, "": false, "0": false, "-": false,
		"000": false, "1.2E+14": false, "배송 1": false, "12 34": false} {
		if got := shipmentNo(s); got != want {
			t.Errorf("shipmentNo(%q) = %v, want %v", s, got, want)
		}
	}
	a := parsed{Order: Order{OrderDay: "2025-10-13", Recipient: "김도윤", Phone: "010-1", Address: "서울"}, shipNo: "0"}
	if k := bundleKey(a); k != "2025-10-13|김도윤|0101|서울" {
		t.Errorf("bundleKey with a placeholder 배송번호 = %q, want the address key", k)
	}
	a.shipNo = "7000012345"
	if k := bundleKey(a); k != "배송번호|7000012345" {
		t.Errorf("bundleKey = %q", k)
	}
}
