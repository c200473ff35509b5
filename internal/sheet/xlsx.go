// Package sheet reads and writes spreadsheets (xlsx, xls, csv) for imports
// and exports. Exports stream rows to the response as they come, so a large
// list needs little memory, and neutralise text that a spreadsheet would run
// as a formula.
package sheet

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Writer streams an xlsx workbook to an io.Writer: its sheets one after
// another, each row compressed and sent as it is added.
//
// excelize's StreamWriter keeps a whole sheet (in memory, then in a temporary
// file) until File.Write assembles the zip, so its first byte leaves only
// after the last row is rendered. Writer therefore writes the worksheet parts
// itself, as excelize's StreamWriter writes them (inline strings, numbers,
// one bold header row, column widths), into a zip.Writer on out; excelize
// still builds every other part of the package (workbook, styles, theme,
// content types, relationships) when Finish is called.
//
// Nothing reaches out before the first data row is added (or Finish or
// Sheet is called): a failure before that, such as a query that fails to
// start, can still be answered with an error page.
type Writer struct {
	out    io.Writer
	f      *excelize.File
	zw     *zip.Writer
	part   io.Writer // the current worksheet's zip entry, nil until started
	sheets []string  // names, in order: sheet i+1 is xl/worksheets/sheet{i+1}.xml
	heads  []string  // the current sheet's headers, until it is started
	row    int
	bold   int
	buf    []byte
	cols   []string // column letters: A, B, …
}

// NewWriter starts a workbook written to out, whose first sheet is called
// name, with a bold header row.
func NewWriter(out io.Writer, name string, headers []string) (*Writer, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"EEF1F6"}, Pattern: 1}})
	if err != nil {
		return nil, err
	}
	zw := zip.NewWriter(out)
	// The fastest deflate: the sheet's XML still shrinks about tenfold, and
	// compression would otherwise take a third of the export's time.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	return &Writer{out: out, f: f, zw: zw, bold: bold, sheets: []string{name}, heads: headers, buf: make([]byte, 0, 64<<10)}, nil
}

// Sheet ends the current sheet and starts another called name, with its
// own bold header row; rows then go to it.
func (w *Writer) Sheet(name string, headers []string) error {
	if err := w.endSheet(); err != nil {
		return err
	}
	if _, err := w.f.NewSheet(name); err != nil {
		return err
	}
	w.sheets, w.heads, w.part = append(w.sheets, name), headers, nil
	return w.startSheet()
}

// startSheet opens the current sheet's zip entry and writes its start,
// column widths and header row.
func (w *Writer) startSheet() error {
	n := len(w.sheets)
	part, err := w.zw.Create(sheetPath(n))
	if err != nil {
		return err
	}
	w.part, w.row = part, 1
	b := append(w.buf[:0], `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`...)
	if n == 1 {
		b = append(b, `<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>`...)
	} else {
		b = append(b, `<sheetViews><sheetView workbookViewId="0"/></sheetViews>`...)
	}
	b = append(b, `<sheetFormatPr defaultRowHeight="15"/>`...)
	if len(w.heads) > 0 {
		b = append(b, `<cols>`...)
		for i, h := range w.heads {
			width := max(10, min(40, 2*utf8.RuneCountInString(h)+4))
			b = append(b, `<col min="`...)
			b = strconv.AppendInt(b, int64(i+1), 10)
			b = append(b, `" max="`...)
			b = strconv.AppendInt(b, int64(i+1), 10)
			b = append(b, `" width="`...)
			b = strconv.AppendInt(b, int64(width), 10)
			b = append(b, `" customWidth="1"/>`...)
		}
		b = append(b, `</cols>`...)
	}
	b = append(b, `<sheetData><row r="1">`...)
	for i, h := range w.heads {
		b = w.appendString(b, i, h, w.bold)
	}
	b = append(b, `</row>`...)
	w.buf = b
	return w.flush(0)
}

func (w *Writer) endSheet() error {
	if w.part == nil {
		if err := w.startSheet(); err != nil {
			return err
		}
	}
	w.buf = append(w.buf, `</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`...)
	return w.flush(0)
}

// flush sends the buffered XML to the zip entry once it holds more than
// atLeast bytes.
func (w *Writer) flush(atLeast int) error {
	if len(w.buf) <= atLeast {
		return nil
	}
	_, err := w.part.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

func sheetPath(n int) string { return "xl/worksheets/sheet" + strconv.Itoa(n) + ".xml" }

// Safe neutralises text that starts like a formula (= + - @, tab, CR) by
// prefixing an apostrophe, as spreadsheet-injection advice recommends. An
// empty text stays empty, and a lone "-" stays as it is: it cannot be a
// formula, and a prefixed '- reads as a stray mark in the cell.
func Safe(s string) string {
	if s != "" && s != "-" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Row appends one row: strings are made safe, numbers stay numbers, and an
// empty string (or nil) leaves the cell empty (no cell at all).
func (w *Writer) Row(values ...any) error {
	if w.part == nil {
		if err := w.startSheet(); err != nil {
			return err
		}
	}
	w.row++
	b := append(w.buf, `<row r="`...)
	b = strconv.AppendInt(b, int64(w.row), 10)
	b = append(b, `">`...)
	for i, v := range values {
		switch v := v.(type) {
		case nil:
		case string:
			if v != "" {
				b = w.appendString(b, i, Safe(v), 0)
			}
		case int64:
			b = strconv.AppendInt(w.appendRef(b, i, 0, ""), v, 10)
			b = append(b, `</v></c>`...)
		case int:
			b = strconv.AppendInt(w.appendRef(b, i, 0, ""), int64(v), 10)
			b = append(b, `</v></c>`...)
		case int32:
			b = strconv.AppendInt(w.appendRef(b, i, 0, ""), int64(v), 10)
			b = append(b, `</v></c>`...)
		case uint64:
			b = strconv.AppendUint(w.appendRef(b, i, 0, ""), v, 10)
			b = append(b, `</v></c>`...)
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("sheet: %v is not a number a cell can hold", v)
			}
			b = strconv.AppendFloat(w.appendRef(b, i, 0, ""), v, 'f', -1, 64)
			b = append(b, `</v></c>`...)
		case bool:
			b = w.appendRef(b, i, 0, "b")
			if v {
				b = append(b, `1</v></c>`...)
			} else {
				b = append(b, `0</v></c>`...)
			}
		default: // as excelize writes any other value: its text
			if t := fmt.Sprint(v); t != "" {
				b = w.appendString(b, i, Safe(t), 0)
			}
		}
	}
	w.buf = append(b, `</row>`...)
	return w.flush(32 << 10)
}

// appendRef starts a cell of column i (0-based) of the current row with its
// style and type, up to its value: <c r="B2" s=".." t=".."><v>.
func (w *Writer) appendRef(b []byte, i, style int, typ string) []byte {
	for len(w.cols) <= i {
		w.cols = append(w.cols, colName(len(w.cols)+1))
	}
	b = append(b, `<c r="`...)
	b = append(b, w.cols[i]...)
	b = strconv.AppendInt(b, int64(w.row), 10)
	if style != 0 {
		b = append(b, `" s="`...)
		b = strconv.AppendInt(b, int64(style), 10)
	}
	if typ != "" {
		b = append(b, `" t="`...)
		b = append(b, typ...)
	}
	return append(b, `"><v>`...)
}

// appendString writes an inline-string cell as excelize does: at most 32,767
// UTF-16 units, XML-escaped, _xHHHH_ escaped, spaces at the ends kept.
func (w *Writer) appendString(b []byte, i int, s string, style int) []byte {
	b = w.appendRef(b, i, style, "inlineStr")
	b = append(b[:len(b)-len(`<v>`)], `<is><t`...) // an inline string has <is><t>, not <v>
	if c := s[0]; c == ' ' || c == '\t' || c == '\n' || c == '\r' {
		b = append(b, ` xml:space="preserve"`...)
	} else if c := s[len(s)-1]; c == ' ' || c == '\t' || c == '\n' || c == '\r' {
		b = append(b, ` xml:space="preserve"`...)
	}
	b = append(b, '>')
	if plainText(s) {
		b = append(b, s...)
	} else {
		b = appendEscaped(b, s)
	}
	return append(b, `</t></is></c>`...)
}

// maxCellChars is the most a cell holds, in UTF-16 units.
const maxCellChars = 32767

// plainText reports whether s can be written as it is: valid UTF-8 of XML
// characters with nothing to escape and short enough for a cell.
func plainText(s string) bool {
	if len(s) > maxCellChars {
		return false
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' || (c == '_' && i+1 < len(s) && s[i+1] == 'x') {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += size
	}
	return true
}

// appendEscaped writes s cut to maxCellChars UTF-16 units, with _xHHHH_
// sequences escaped as _x005F_xHHHH_ (else Excel reads them as a character)
// and XML-escaped by encoding/xml (a character XML cannot hold becomes
// U+FFFD); a line feed stays a line feed.
func appendEscaped(b []byte, s string) []byte {
	units := 0
	for i, r := range s {
		n := 1
		if r >= 0x10000 {
			n = 2
		}
		if units+n > maxCellChars {
			s = s[:i]
			break
		}
		units += n
	}
	var t strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && isBstr(s[i:]) {
			t.WriteString("_x005F")
		}
		t.WriteByte(s[i])
	}
	var x bytes.Buffer
	_ = xml.EscapeText(&x, []byte(t.String()))
	return append(b, bytes.ReplaceAll(x.Bytes(), []byte("&#xA;"), []byte("\n"))...)
}

// isBstr reports whether s starts with _xHHHH_.
func isBstr(s string) bool {
	if len(s) < 7 || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for _, c := range []byte(s[2:6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// colName is a column's letters: 1 → A, 27 → AA.
func colName(n int) string {
	var s []byte
	for ; n > 0; n = (n - 1) / 26 {
		s = append([]byte{byte('A' + (n-1)%26)}, s...)
	}
	return string(s)
}

// Finish ends the last sheet and writes the rest of the workbook: excelize
// writes its parts (all but the worksheets, which are already written) into
// the same zip, which is then closed.
func (w *Writer) Finish() error {
	defer w.f.Close()
	if err := w.endSheet(); err != nil {
		return err
	}
	// The worksheet paths follow the sheets' ids, which excelize gives in
	// order; check it, since a mismatch would leave a sheet without its rows.
	ids := w.f.GetSheetMap()
	for i, name := range w.sheets {
		if ids[i+1] != name {
			return fmt.Errorf("sheet: excelize numbered sheet %q differently (%v)", name, ids)
		}
	}
	parts := &packageWriter{zw: w.zw, skip: map[string]bool{}}
	for i := range w.sheets {
		parts.skip[sheetPath(i+1)] = false
	}
	w.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return parts })
	if _, err := w.f.WriteToBuffer(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	for path, seen := range parts.skip {
		if !seen {
			return fmt.Errorf("sheet: excelize wrote no %s", path)
		}
	}
	return w.zw.Close()
}

// packageWriter gives excelize the workbook's zip, but drops the worksheets
// it would write (empty ones: the rows are already in the zip).
type packageWriter struct {
	zw   *zip.Writer
	skip map[string]bool // the worksheets already written; true once excelize offered its own
}

func (p *packageWriter) Create(name string) (io.Writer, error) {
	if _, ok := p.skip[name]; ok {
		p.skip[name] = true
		return io.Discard, nil
	}
	return p.zw.Create(name)
}

func (p *packageWriter) AddFS(fs.FS) error { return errors.New("sheet: AddFS is not supported") }

func (p *packageWriter) Close() error { return nil }

// ReadAll returns every row of the first sheet of an xlsx (for tests and small files).
func ReadAll(r io.Reader) ([][]string, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.GetRows(f.GetSheetName(0), excelize.Options{RawCellValue: true})
}
