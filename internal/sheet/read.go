package sheet

import (
	"archive/zip"
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

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

// Limits bound what an upload may hold.
type Limits struct {
	MaxBytes        int64 // the file itself
	MaxRows         int
	MaxUncompressed int64 // an xlsx's unpacked size (zip bombs)
}

// MaxCols bounds a row's width: order sheets have tens of columns; a cell
// at column XFD would otherwise make every row 16,384 wide.
const MaxCols = 1000

var errTooWide = refuse(fmt.Sprintf("열이 너무 많습니다 (최대 %d열).", MaxCols), fmt.Sprintf("more than %d columns", MaxCols))

// DefaultLimits: 50 MiB files, 200,000 rows, 500 MiB unpacked.
var DefaultLimits = Limits{MaxBytes: 50 << 20, MaxRows: 200_000, MaxUncompressed: 500 << 20}

// ReadOptions tell how to read a file.
type ReadOptions struct {
	Encoding string // for CSV: "" (detect), "utf-8" or "cp949"
	Password string // for an encrypted xlsx
	Limits   Limits
}

// Kind of a spreadsheet file, found from its first bytes.
const (
	KindXLSX = "xlsx"
	KindXLS  = "xls"
	KindCSV  = "csv"
)

var cfbMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

func refuse(ko, en string) error { return apperr.New(apperr.Invalid, ko, en) }

// Read returns every row of the file's first sheet as text, and the file's
// kind. It refuses files that are not spreadsheets, are too large, unpack to
// too much, or contain formulas; nothing partial is returned on error.
func Read(data []byte, name string, opt ReadOptions) ([][]string, string, error) {
	lim := opt.Limits
	if lim.MaxBytes == 0 {
		lim = DefaultLimits
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, "", refuse(fmt.Sprintf("파일이 너무 큽니다 (최대 %dMB).", lim.MaxBytes>>20), fmt.Sprintf("file over %d MiB", lim.MaxBytes>>20))
	}
	if len(data) == 0 {
		return nil, "", refuse("빈 파일입니다.", "the file is empty")
	}
	var rows [][]string
	var kind string
	var err error
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		kind = KindXLSX
		rows, err = readXLSX(data, "", lim)
	case bytes.HasPrefix(data, cfbMagic):
		if strings.HasSuffix(strings.ToLower(name), ".xlsx") || bytes.Contains(data, utf16("EncryptionInfo")) {
			kind = KindXLSX
			if opt.Password == "" {
				return nil, kind, refuse("암호가 걸린 엑셀 파일입니다. 다운로드할 때 정한 비밀번호를 함께 입력해 주세요.",
					"the xlsx is encrypted: give the password set when downloading it")
			}
			rows, err = readXLSX(data, opt.Password, lim)
		} else {
			kind = KindXLS
			rows, err = readXLS(data, lim)
		}
	default:
		kind = KindCSV
		rows, err = readCSV(data, opt.Encoding, lim)
	}
	if err != nil {
		return nil, kind, err
	}
	if len(rows) > lim.MaxRows+20 {
		return nil, kind, refuse(fmt.Sprintf("행이 너무 많습니다 (최대 %d행).", lim.MaxRows), fmt.Sprintf("more than %d rows", lim.MaxRows))
	}
	return rows, kind, nil
}

func utf16(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), 0)
	}
	return b
}

// checkZip refuses zip bombs and sheets with formulas before excelize
// unpacks anything.
func checkZip(data []byte, lim Limits) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return refuse("엑셀(xlsx) 파일이 손상되었습니다.", "the xlsx is damaged: "+err.Error())
	}
	if len(zr.File) > 2000 {
		return refuse("엑셀 파일의 구성 요소가 너무 많습니다.", "too many parts in the xlsx")
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > 200 && f.UncompressedSize64 > 10<<20 {
			return refuse("압축 비율이 비정상적인 파일입니다 (zip bomb).", "suspicious compression ratio (zip bomb)")
		}
	}
	if total > uint64(lim.MaxUncompressed) {
		return refuse("압축을 풀면 너무 큰 파일입니다.", "the xlsx unpacks to too much")
	}
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "xl/worksheets/") || !strings.HasSuffix(f.Name, ".xml") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return refuse("엑셀(xlsx) 파일이 손상되었습니다.", "the xlsx is damaged: "+err.Error())
		}
		found, err := containsFormula(io.LimitReader(rc, lim.MaxUncompressed))
		rc.Close()
		if err != nil {
			return refuse("엑셀(xlsx) 파일이 손상되었습니다.", "the xlsx is damaged: "+err.Error())
		}
		if found {
			return refuse("수식이 들어 있는 시트는 가져오지 않습니다. 값으로 붙여넣은 파일을 올려 주세요.", "sheets with formulas are refused; paste values first")
		}
	}
	return nil
}

// containsFormula scans sheet XML for a formula element <f> or <f ...>.
func containsFormula(r io.Reader) (bool, error) {
	buf := make([]byte, 64<<10)
	var carry []byte
	for {
		n, err := r.Read(buf)
		chunk := append(carry, buf[:n]...)
		if bytes.Contains(chunk, []byte("<f>")) || bytes.Contains(chunk, []byte("<f ")) || bytes.Contains(chunk, []byte("<x:f")) {
			return true, nil
		}
		if len(chunk) > 4 {
			carry = append([]byte(nil), chunk[len(chunk)-4:]...)
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}

func readXLSX(data []byte, password string, lim Limits) ([][]string, error) {
	if password == "" {
		if err := checkZip(data, lim); err != nil {
			return nil, err
		}
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{Password: password, UnzipSizeLimit: lim.MaxUncompressed, UnzipXMLSizeLimit: lim.MaxUncompressed})
	if err != nil {
		if password != "" {
			return nil, refuse("엑셀 파일을 열 수 없습니다. 비밀번호를 확인해 주세요.", "cannot open the xlsx: check the password")
		}
		return nil, refuse("엑셀(xlsx) 파일을 열 수 없습니다.", "cannot open the xlsx: "+err.Error())
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	it, err := f.Rows(sheet)
	if err != nil {
		return nil, refuse("엑셀 시트를 읽을 수 없습니다.", "cannot read the sheet: "+err.Error())
	}
	defer it.Close()
	var rows [][]string
	for it.Next() {
		cols, err := it.Columns()
		if err != nil {
			return nil, refuse("엑셀 시트를 읽을 수 없습니다.", "cannot read the sheet: "+err.Error())
		}
		if len(cols) > MaxCols {
			return nil, errTooWide
		}
		rows = append(rows, cols)
		if len(rows) > lim.MaxRows+20 {
			break
		}
	}
	return rows, it.Error()
}

func readXLS(data []byte, lim Limits) (rows [][]string, err error) {
	defer func() { // the BIFF reader panics on some broken files
		if p := recover(); p != nil {
			rows, err = nil, refuse("엑셀 97-2003(xls) 파일이 손상되었습니다.", fmt.Sprintf("the xls is damaged (%v)", p))
		}
	}()
	if err := checkCFB(data); err != nil {
		return nil, refuse("엑셀 97-2003(xls) 파일이 손상되었습니다.", "the xls is damaged: "+err.Error())
	}
	wb, err := xls.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, refuse("엑셀 97-2003(xls) 파일을 열 수 없습니다.", "cannot open the xls: "+err.Error())
	}
	if wb.GetNumberSheets() == 0 {
		return nil, refuse("시트가 없는 파일입니다.", "the workbook has no sheet")
	}
	sh, err := wb.GetSheet(0)
	if err != nil {
		return nil, refuse("엑셀 시트를 읽을 수 없습니다.", "cannot read the sheet: "+err.Error())
	}
	n := sh.GetNumberRows()
	if n > lim.MaxRows+20 {
		return nil, refuse(fmt.Sprintf("행이 너무 많습니다 (최대 %d행).", lim.MaxRows), fmt.Sprintf("more than %d rows", lim.MaxRows))
	}
	for i := 0; i < n; i++ {
		row, err := sh.GetRow(i)
		if err != nil {
			rows = append(rows, nil)
			continue
		}
		cols := row.GetCols()
		if len(cols) > MaxCols {
			return nil, errTooWide
		}
		vals := make([]string, len(cols))
		for j, c := range cols {
			if strings.Contains(fmt.Sprintf("%T", c), "Formula") {
				return nil, refuse("수식이 들어 있는 시트는 가져오지 않습니다. 값으로 붙여넣은 파일을 올려 주세요.", "sheets with formulas are refused; paste values first")
			}
			vals[j] = c.GetString()
		}
		rows = append(rows, vals)
	}
	return rows, nil
}

func readCSV(data []byte, encoding string, lim Limits) ([][]string, error) {
	if bytes.IndexByte(data[:min(len(data), 8192)], 0) >= 0 {
		return nil, refuse("스프레드시트 파일이 아닙니다 (xlsx, xls, csv만 가져옵니다).", "not a spreadsheet: use xlsx, xls or csv")
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	switch strings.ToLower(encoding) {
	case "", "auto":
		if !utf8.Valid(data) {
			encoding = "cp949"
		}
	case "utf-8", "utf8":
		if !utf8.Valid(data) {
			return nil, refuse("UTF-8이 아닌 파일입니다. CP949(EUC-KR)로 읽어 보세요.", "the file is not UTF-8; try cp949")
		}
	case "cp949", "euc-kr", "euckr":
		encoding = "cp949"
	default:
		return nil, refuse("인코딩은 utf-8 또는 cp949입니다.", "encoding must be utf-8 or cp949")
	}
	var r io.Reader = bytes.NewReader(data)
	if encoding == "cp949" {
		r = transform.NewReader(r, korean.EUCKR.NewDecoder())
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var rows [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, refuse(fmt.Sprintf("CSV %d행을 읽을 수 없습니다.", pe.Line), fmt.Sprintf("CSV row %d: %v", pe.Line, pe.Err))
			}
			return nil, refuse("CSV를 읽을 수 없습니다.", "cannot read the CSV: "+err.Error())
		}
		if len(rec) > MaxCols {
			return nil, errTooWide
		}
		rows = append(rows, rec)
		if len(rows) > lim.MaxRows+20 {
			break
		}
	}
	return rows, nil
}
