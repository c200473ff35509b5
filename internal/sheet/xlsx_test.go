package sheet

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

func TestWriterRoundTripAndSafety(t *testing.T) {
	w, err := NewWriter("주문목록", []string{"주문번호", "주문명", "주문금액"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Row(int64(290), "=HYPERLINK(\"http://x\")", int64(8000)); err != nil {
		t.Fatal(err)
	}
	if err := w.Row(int64(285), "-1+2", int64(0)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Finish(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.GetCellValue("주문목록", "B2"); v != "'=HYPERLINK(\"http://x\")" {
		t.Fatalf("B2 = %q", v)
	}
	if formula, _ := f.GetCellFormula("주문목록", "B2"); formula != "" {
		t.Fatalf("B2 became a formula: %q", formula)
	}
	if typ, _ := f.GetCellType("주문목록", "C2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Fatalf("money is text, want a number")
	}
	rows, err := ReadAll(bytes.NewReader(buf.Bytes()))
	if err != nil || len(rows) != 3 || rows[0][0] != "주문번호" || rows[2][2] != "0" {
		t.Fatalf("rows = %v, %v", rows, err)
	}
}

// An empty text is an empty cell and a lone "-" stays "-"; formulas are
// still neutralised.
func TestEmptyCellsAndSheets(t *testing.T) {
	w, err := NewWriter("주문", []string{"항목", "값", "비고"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Row("결제일", "", "-"); err != nil {
		t.Fatal(err)
	}
	if err := w.Row("메모", "-1+2", "@SUM(A1)"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Finish(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for cell, want := range map[string]string{"B2": "", "C2": "-", "B3": "'-1+2", "C3": "'@SUM(A1)"} {
		if v, _ := f.GetCellValue("주문", cell); v != want {
			t.Errorf("%s = %q, want %q", cell, v, want)
		}
	}
	if typ, _ := f.GetCellType("주문", "B2"); typ != excelize.CellTypeUnset {
		t.Errorf("empty cell has type %v", typ)
	}
}

// A second sheet streams after the first, with its own header row.
func TestSecondSheet(t *testing.T) {
	w, err := NewWriter("주문", []string{"항목"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Row("결제일"); err != nil {
		t.Fatal(err)
	}
	if err := w.Sheet("결제내역", []string{"금액"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Row(int64(8000)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Finish(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.GetCellValue("결제내역", "A2"); v != "8000" {
		t.Errorf("second sheet A2 = %q", v)
	}
	if v, _ := f.GetCellValue("주문", "A2"); v != "결제일" {
		t.Errorf("first sheet A2 = %q", v)
	}
}

// TestOpenStreamsRows: Open reads a CSV row by row, tells UTF-8 from CP949
// by the whole file (a Korean letter split across the 64 KiB read chunks is
// still UTF-8; a CP949 byte far past the first chunk makes the file CP949),
// and refuses part-way with the row limit.
func TestOpenStreamsRows(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("이름,값\n")
	for b.Len() < 200<<10 {
		b.WriteString("가나다라마바사,1\n")
	}
	utf := b.Bytes()
	read := func(data []byte, lim Limits) ([]string, int, error) {
		it, kind, err := Open(bytes.NewReader(data), int64(len(data)), "x.csv", ReadOptions{Limits: lim})
		if err != nil || kind != KindCSV {
			return nil, 0, err
		}
		defer it.Close()
		var first []string
		n := 0
		for it.Next() {
			if n == 1 {
				first = append([]string(nil), it.Row()...)
			}
			n++
		}
		return first, n, it.Err()
	}
	first, n, err := read(utf, DefaultLimits)
	if err != nil || first[0] != "가나다라마바사" || n != bytes.Count(utf, []byte("\n")) {
		t.Fatalf("utf-8: %q %d %v", first, n, err)
	}
	cp := append(append([]byte(nil), utf...), 0xB0, 0xA1, ',', '2', '\n') // 가 in CP949
	first, _, err = read(cp, DefaultLimits)
	if err != nil || first[0] == "가나다라마바사" {
		t.Fatalf("cp949 past the first chunk was read as UTF-8: %q %v", first, err)
	}
	if _, _, err := read(utf, Limits{MaxBytes: 1 << 20, MaxRows: 100, MaxUncompressed: 1 << 20}); !refusedWith(err, "행이 너무 많습니다") {
		t.Fatalf("row limit: %v", err)
	}
}

func refusedWith(err error, word string) bool {
	e, ok := apperr.As(err)
	return ok && e.Code == apperr.Invalid && strings.Contains(e.Message, word)
}
