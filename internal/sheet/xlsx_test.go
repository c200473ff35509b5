package sheet

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"
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
