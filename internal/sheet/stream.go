package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/shakinm/xlsReader/xls"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/transform"
)

// Rows reads the first sheet of a file one row at a time, so that a large
// sheet is never held whole: a CSV is read straight from the file, an
// xlsx's sheet through excelize's row iterator (a sheet that unpacks to more
// than 16 MiB is unpacked to a temporary file, not to memory), an xls sheet
// row by row from its workbook. A refusal found part-way (a broken CSV line,
// more rows than the limit, a formula in an xls cell) ends Next; Err says it.
type Rows struct {
	kind  string
	next  func() ([]string, error) // io.EOF after the last row
	close func() error
	row   []string
	n     int
	max   int
	err   error
}

// Open starts reading the file (size bytes of r). It refuses at once what
// can be told before the first row: files that are not spreadsheets, too
// large, unpacking to too much, xlsx sheets with formulas, damaged
// containers. The kind is returned even with an error when it is known.
func Open(r io.ReaderAt, size int64, name string, opt ReadOptions) (*Rows, string, error) {
	lim := opt.Limits
	if lim.MaxBytes == 0 {
		lim = DefaultLimits
	}
	if size > lim.MaxBytes {
		return nil, "", refuse(fmt.Sprintf("파일이 너무 큽니다 (최대 %dMB).", lim.MaxBytes>>20), fmt.Sprintf("file over %d MiB", lim.MaxBytes>>20))
	}
	if size == 0 {
		return nil, "", refuse("빈 파일입니다.", "the file is empty")
	}
	head := make([]byte, min(size, 8192))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("read the file: %w", err)
	}
	rows := &Rows{max: lim.MaxRows + 20}
	var err error
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		rows.kind = KindXLSX
		err = rows.openXLSX(r, size, "", lim)
	case bytes.HasPrefix(head, cfbMagic):
		data := make([]byte, size)
		if _, err := r.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
			return nil, "", fmt.Errorf("read the file: %w", err)
		}
		if strings.HasSuffix(strings.ToLower(name), ".xlsx") || bytes.Contains(data, utf16("EncryptionInfo")) {
			rows.kind = KindXLSX
			if opt.Password == "" {
				return nil, rows.kind, refuse("암호가 걸린 엑셀 파일입니다. 다운로드할 때 정한 비밀번호를 함께 입력해 주세요.",
					"the xlsx is encrypted: give the password set when downloading it")
			}
			err = rows.openXLSX(bytes.NewReader(data), size, opt.Password, lim)
		} else {
			rows.kind = KindXLS
			err = rows.openXLS(data, lim)
		}
	default:
		rows.kind = KindCSV
		err = rows.openCSV(r, size, head, opt.Encoding)
	}
	if err != nil {
		return nil, rows.kind, err
	}
	return rows, rows.kind, nil
}

// Kind is the file's kind: KindXLSX, KindXLS or KindCSV.
func (r *Rows) Kind() string { return r.kind }

// Next reads the next row; false at the end or on a refusal (see Err).
func (r *Rows) Next() bool {
	if r.err != nil || r.next == nil {
		return false
	}
	row, err := r.next()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			r.err = err
		}
		r.next = nil
		return false
	}
	if len(row) > MaxCols {
		r.err = errTooWide
		return false
	}
	r.n++
	if r.n > r.max {
		r.err = refuse(fmt.Sprintf("행이 너무 많습니다 (최대 %d행).", r.max-20), fmt.Sprintf("more than %d rows", r.max-20))
		return false
	}
	r.row = row
	return true
}

// Row is the row Next read; it is valid only until the next call of Next
// (copy what must outlive it).
func (r *Rows) Row() []string { return r.row }

// Err is the refusal that ended Next, nil at the end of the sheet.
func (r *Rows) Err() error { return r.err }

// Close releases what the reader holds (excelize's temporary files).
func (r *Rows) Close() error {
	r.next = nil
	if r.close != nil {
		c := r.close
		r.close = nil
		return c()
	}
	return nil
}

// Read returns every row of the file's first sheet as text, and the file's
// kind. It refuses files that are not spreadsheets, are too large, unpack to
// too much, or contain formulas; nothing partial is returned on error.
func Read(data []byte, name string, opt ReadOptions) ([][]string, string, error) {
	it, kind, err := Open(bytes.NewReader(data), int64(len(data)), name, opt)
	if err != nil {
		return nil, kind, err
	}
	defer it.Close()
	var rows [][]string
	for it.Next() {
		rows = append(rows, append([]string(nil), it.Row()...))
	}
	if err := it.Err(); err != nil {
		return nil, kind, err
	}
	return rows, kind, nil
}

func (r *Rows) openXLSX(data io.ReaderAt, size int64, password string, lim Limits) error {
	if password == "" {
		if err := checkZip(data, size, lim); err != nil {
			return err
		}
	}
	f, err := excelize.OpenReader(io.NewSectionReader(data, 0, size), excelize.Options{Password: password, UnzipSizeLimit: lim.MaxUncompressed,
		UnzipXMLSizeLimit: min(lim.MaxUncompressed, excelize.StreamChunkSize)})
	if err != nil {
		if password != "" {
			return refuse("엑셀 파일을 열 수 없습니다. 비밀번호를 확인해 주세요.", "cannot open the xlsx: check the password")
		}
		return refuse("엑셀(xlsx) 파일을 열 수 없습니다.", "cannot open the xlsx: "+err.Error())
	}
	it, err := f.Rows(f.GetSheetName(0))
	if err != nil {
		f.Close()
		return refuse("엑셀 시트를 읽을 수 없습니다.", "cannot read the sheet: "+err.Error())
	}
	r.close = func() error {
		it.Close()
		return f.Close()
	}
	r.next = func() ([]string, error) {
		if !it.Next() {
			if err := it.Error(); err != nil {
				return nil, refuse("엑셀 시트를 읽을 수 없습니다.", "cannot read the sheet: "+err.Error())
			}
			return nil, io.EOF
		}
		cols, err := it.Columns()
		if err != nil {
			return nil, refuse("엑셀 시트를 읽을 수 없습니다.", "cannot read the sheet: "+err.Error())
		}
		return cols, nil
	}
	return nil
}

var errXLSDamaged = func(p any) error {
	return refuse("엑셀 97-2003(xls) 파일이 손상되었습니다.", fmt.Sprintf("the xls is damaged (%v)", p))
}

func (r *Rows) openXLS(data []byte, lim Limits) (err error) {
	defer func() { // the BIFF reader panics on some broken files
		if p := recover(); p != nil {
			err = errXLSDamaged(p)
		}
	}()
	if err := checkCFB(data); err != nil {
		return refuse("엑셀 97-2003(xls) 파일이 손상되었습니다.", "the xls is damaged: "+err.Error())
	}
	wb, err := xls.OpenReader(bytes.NewReader(data))
	if err != nil {
		return refuse("엑셀 97-2003(xls) 파일을 열 수 없습니다.", "cannot open the xls: "+err.Error())
	}
	if wb.GetNumberSheets() == 0 {
		return refuse("시트가 없는 파일입니다.", "the workbook has no sheet")
	}
	sh, err := wb.GetSheet(0)
	if err != nil {
		return refuse("엑셀 시트를 읽을 수 없습니다.", "cannot read the sheet: "+err.Error())
	}
	n := sh.GetNumberRows()
	if n > lim.MaxRows+20 {
		return refuse(fmt.Sprintf("행이 너무 많습니다 (최대 %d행).", lim.MaxRows), fmt.Sprintf("more than %d rows", lim.MaxRows))
	}
	i := 0
	r.next = func() (vals []string, err error) {
		defer func() {
			if p := recover(); p != nil {
				vals, err = nil, errXLSDamaged(p)
			}
		}()
		if i >= n {
			return nil, io.EOF
		}
		row, err := sh.GetRow(i)
		i++
		if err != nil {
			return []string{}, nil
		}
		cols := row.GetCols()
		if len(cols) > MaxCols {
			return nil, errTooWide
		}
		vals = make([]string, len(cols))
		for j, c := range cols {
			if strings.Contains(fmt.Sprintf("%T", c), "Formula") {
				return nil, refuse("수식이 들어 있는 시트는 가져오지 않습니다. 값으로 붙여넣은 파일을 올려 주세요.", "sheets with formulas are refused; paste values first")
			}
			vals[j] = c.GetString()
		}
		return vals, nil
	}
	return nil
}

func (r *Rows) openCSV(data io.ReaderAt, size int64, head []byte, encoding string) error {
	if bytes.IndexByte(head, 0) >= 0 {
		return refuse("스프레드시트 파일이 아닙니다 (xlsx, xls, csv만 가져옵니다).", "not a spreadsheet: use xlsx, xls or csv")
	}
	var start int64
	if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
		start = 3
	}
	body := func() io.Reader { return io.NewSectionReader(data, start, size-start) }
	switch strings.ToLower(encoding) {
	case "", "auto":
		ok, err := validUTF8(body())
		if err != nil {
			return fmt.Errorf("read the file: %w", err)
		}
		if !ok {
			encoding = "cp949"
		}
	case "utf-8", "utf8":
		ok, err := validUTF8(body())
		if err != nil {
			return fmt.Errorf("read the file: %w", err)
		}
		if !ok {
			return refuse("UTF-8이 아닌 파일입니다. CP949(EUC-KR)로 읽어 보세요.", "the file is not UTF-8; try cp949")
		}
	case "cp949", "euc-kr", "euckr":
		encoding = "cp949"
	default:
		return refuse("인코딩은 utf-8 또는 cp949입니다.", "encoding must be utf-8 or cp949")
	}
	in := body()
	if encoding == "cp949" {
		in = transform.NewReader(in, korean.EUCKR.NewDecoder())
	}
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	r.next = func() ([]string, error) {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, refuse(fmt.Sprintf("CSV %d행을 읽을 수 없습니다.", pe.Line), fmt.Sprintf("CSV row %d: %v", pe.Line, pe.Err))
			}
			return nil, refuse("CSV를 읽을 수 없습니다.", "cannot read the CSV: "+err.Error())
		}
		return rec, nil
	}
	return nil
}

// validUTF8 reports whether everything r yields is UTF-8, a chunk at a time.
func validUTF8(r io.Reader) (bool, error) {
	const size = 64 << 10
	buf := make([]byte, size+utf8.UTFMax)
	keep := 0
	for {
		n, err := r.Read(buf[keep : keep+size])
		end := keep + n
		cut := end
		if err == nil {
			// An incomplete rune at the end waits for the next read.
			for i := end - 1; i >= 0 && i > end-utf8.UTFMax; i-- {
				if utf8.RuneStart(buf[i]) {
					if !utf8.FullRune(buf[i:end]) {
						cut = i
					}
					break
				}
			}
		}
		if !utf8.Valid(buf[:cut]) {
			return false, nil
		}
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		keep = copy(buf, buf[cut:end])
	}
}
