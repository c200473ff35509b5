// Package sheet reads and writes spreadsheets (xlsx, xls, csv) for imports
// and exports. Exports stream rows, so a large list needs little memory, and
// neutralise text that a spreadsheet would run as a formula.
package sheet

import (
	"archive/zip"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Writer streams the sheets of an xlsx workbook, one after another.
type Writer struct {
	f    *excelize.File
	sw   *excelize.StreamWriter
	row  int
	name string
	bold int
}

// NewWriter starts a workbook whose first sheet is called name, with a bold
// header row.
func NewWriter(name string, headers []string) (*Writer, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"EEF1F6"}, Pattern: 1}})
	if err != nil {
		return nil, err
	}
	w := &Writer{f: f, bold: bold}
	if err := w.start(name, headers); err != nil {
		return nil, err
	}
	return w, nil
}

// Sheet ends the current sheet and starts another called name, with its
// own bold header row; rows then go to it.
func (w *Writer) Sheet(name string, headers []string) error {
	if err := w.sw.Flush(); err != nil {
		return err
	}
	if _, err := w.f.NewSheet(name); err != nil {
		return err
	}
	return w.start(name, headers)
}

func (w *Writer) start(name string, headers []string) error {
	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	cells := make([]any, len(headers))
	for i, h := range headers {
		cells[i] = excelize.Cell{StyleID: w.bold, Value: h}
		_ = sw.SetColWidth(i+1, i+1, float64(max(10, min(40, 2*len([]rune(h))+4))))
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	w.sw, w.row, w.name = sw, 1, name
	return nil
}

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
// empty string leaves the cell empty (no cell at all).
func (w *Writer) Row(values ...any) error {
	w.row++
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
	cell, _ := excelize.CoordinatesToCellName(1, w.row)
	return w.sw.SetRow(cell, cells)
}

// Finish writes the workbook to out.
func (w *Writer) Finish(out io.Writer) error {
	if err := w.sw.Flush(); err != nil {
		return err
	}
	defer w.f.Close()
	// The zip goes straight to out, not into a buffer first.
	w.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(out) })
	if _, err := w.f.WriteToBuffer(); err != nil {
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
