package sheet

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"

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

func utf16(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), 0)
	}
	return b
}

// checkZip refuses zip bombs and sheets with formulas before excelize
// unpacks anything.
func checkZip(data io.ReaderAt, size int64, lim Limits) error {
	zr, err := zip.NewReader(data, size)
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
