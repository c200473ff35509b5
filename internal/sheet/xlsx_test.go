package sheet

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

func TestWriterRoundTripAndSafety(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "주문목록", []string{"주문번호", "주문명", "주문금액"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Row(int64(290), "=HYPERLINK(\"http://x\")", int64(8000)); err != nil {
		t.Fatal(err)
	}
	if err := w.Row(int64(285), "-1+2", int64(0)); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(); err != nil {
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
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "주문", []string{"항목", "값", "비고"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Row("결제일", "", "-"); err != nil {
		t.Fatal(err)
	}
	if err := w.Row("메모", "-1+2", "@SUM(A1)"); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(); err != nil {
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
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "주문", []string{"항목"})
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
	if err := w.Finish(); err != nil {
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

// countingWriter counts what reached it.
type countingWriter struct {
	buf bytes.Buffer
}

func (c *countingWriter) Write(p []byte) (int, error) { return c.buf.Write(p) }

// Rows leave for out as they are added, long before Finish; nothing leaves
// before the first row, so an error up to then can still be answered.
func TestWriterStreams(t *testing.T) {
	var out countingWriter
	w, err := NewWriter(&out, "주문목록", []string{"No", "주문번호", "주문명"})
	if err != nil {
		t.Fatal(err)
	}
	if out.buf.Len() != 0 {
		t.Fatalf("%d bytes out before the first row", out.buf.Len())
	}
	const n = 20_000
	for i := 1; i <= n; i++ {
		if err := w.Row(int64(i), fmt.Sprintf("2020%06d", i), fmt.Sprintf("과정 %d", i%300)); err != nil {
			t.Fatal(err)
		}
	}
	before := out.buf.Len()
	if before < 20_000 {
		t.Fatalf("only %d bytes out after %d rows, before Finish: the rows are held back", before, n)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if out.buf.Len()-before > 64<<10 {
		t.Errorf("Finish wrote %d bytes: more than the package's parts and the last rows", out.buf.Len()-before)
	}
	f, err := excelize.OpenReader(bytes.NewReader(out.buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("주문목록")
	if err != nil || len(rows) != n+1 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	if got := rows[n]; got[0] != "20000" || got[1] != "2020020000" || got[2] != "과정 200" {
		t.Errorf("last row %v", got)
	}
	if typ, _ := f.GetCellType("주문목록", "B2"); typ != excelize.CellTypeInlineString {
		t.Errorf("an identifier is type %v, want text", typ)
	}
	if typ, _ := f.GetCellType("주문목록", "A2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("No is type %v, want a number", typ)
	}
	if bold, _ := f.GetCellStyle("주문목록", "A1"); bold == 0 {
		t.Errorf("header without its style")
	}
}

// Text that needs care reads back as excelize's own StreamWriter writes it:
// markup, control characters, _xHHHH_, spaces at the ends, line breaks,
// characters XML cannot hold, bad UTF-8 and text past a cell's 32,767
// characters.
func TestWriterTextLikeExcelize(t *testing.T) {
	values := []any{"a & b <c> \"d\" 'e'", "bell\x07here", "_x0041_ and _x005F_ and _xZZ_", " lead", "trail ", "two\nlines",
		"cr\rx", "tab\tx", "\uFFFE\uFFFF", "bad \xff utf8", strings.Repeat("가", 40000), strings.Repeat("😀", 20000), "a\x00b",
		int64(-12), 3.25, true, false, uint64(7), 12, "=1+1", "-", "@x", "+82", "한글 주문명", ""}
	headers := []string{"h"}
	var ours bytes.Buffer
	w, err := NewWriter(&ours, "s", headers)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Row(values...); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	ref := excelize.NewFile()
	sw, err := ref.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	_ = sw.SetRow("A1", []any{"h"})
	cells := make([]any, len(values))
	for i, v := range values {
		if s, ok := v.(string); ok {
			if s == "" {
				continue
			}
			v = Safe(s)
		}
		cells[i] = v
	}
	if err := sw.SetRow("A2", cells); err != nil {
		t.Fatal(err)
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	theirs, err := ref.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	read := func(b []byte, sheet string) [][]string {
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	got, want := read(ours.Bytes(), "s"), read(theirs.Bytes(), "Sheet1")
	if len(got) != 2 || len(want) != 2 || len(got[1]) != len(want[1]) {
		t.Fatalf("rows %d/%d, cells %v vs %v", len(got), len(want), len(got[1]), len(want[1]))
	}
	for i := range want[1] {
		if got[1][i] != want[1][i] {
			g, x := got[1][i], want[1][i]
			if len(g) > 40 {
				g, x = fmt.Sprintf("%d bytes %q…", len(g), g[:20]), fmt.Sprintf("%d bytes %q…", len(x), x[:20])
			}
			t.Errorf("cell %d (%T): %s, excelize reads back %s", i, values[i], g, x)
		}
	}
}
