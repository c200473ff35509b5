// Package sheet reads and writes spreadsheets (xlsx, xls, csv) for imports
// and exports. Exports stream rows, so a large list needs little memory, and
// neutralise text that a spreadsheet would run as a formula.
package sheet

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Writer streams one sheet of an xlsx workbook.
type Writer struct {
	f    *excelize.File
	sw   *excelize.StreamWriter
	row  int
	name string
}

// NewWriter starts a workbook whose first sheet is called name, with a bold
// header row.
func NewWriter(name string, headers []string) (*Writer, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"EEF1F6"}, Pattern: 1}})
	if err != nil {
		return nil, err
	}
	cells := make([]any, len(headers))
	for i, h := range headers {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
		_ = sw.SetColWidth(i+1, i+1, float64(max(10, min(40, 2*len([]rune(h))+4))))
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return nil, err
	}
	return &Writer{f: f, sw: sw, row: 1, name: name}, nil
}

// Safe neutralises text that starts like a formula (= + - @, tab, CR) by
// prefixing an apostrophe, as spreadsheet-injection advice recommends.
func Safe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Row appends one row: strings are made safe, numbers stay numbers.
func (w *Writer) Row(values ...any) error {
	w.row++
	cells := make([]any, len(values))
	for i, v := range values {
		if s, ok := v.(string); ok {
			v = Safe(s)
		}
		cells[i] = v
	}
	cell, _ := excelize.CoordinatesToCellName(1, w.row)
	return w.sw.SetRow(cell, cells)
}

// Finish writes the workbook to out.
func (w *Writer) Finish(out io.Writer) error {
	if err := w.sw.Flush(); err != nil {
		return err
	}
	defer w.f.Close()
	if _, err := w.f.WriteTo(out); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// ReadAll returns every row of the first sheet of an xlsx (for tests and small files).
func ReadAll(r io.Reader) ([][]string, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.GetRows(f.GetSheetName(0), excelize.Options{RawCellValue: true})
}
