package market

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderdesk/orderdesk/internal/sheet"
)

// headerIndex finds the header row (sheet.FindHeader): the first of the top
// rows that holds the most of the format's headers. Every header the format
// names must be in it but 배송번호's (bundleKey).
func headerIndex(rows [][]string, f Format) (int, map[string]int, error) {
	var want []string
	needed := map[string]bool{}
	for code, h := range f.Fields {
		want = append(want, h)
		if code != "ship_no" {
			needed[h] = true
		}
	}
	for _, h := range f.Codes {
		want = append(want, h)
		needed[h] = true
	}
	best, idx, missing := sheet.FindHeader(rows, want, nil)
	if best < 0 {
		return -1, nil, fmt.Errorf("발주서 포맷의 헤더가 있는 행을 찾지 못했습니다 (예: %q)", firstHeader(f))
	}
	// 배송번호 may be missing from a file (a seller's download without that
	// column): its lines are then bundled by address (bundleKey).
	missing = slices.DeleteFunc(missing, func(h string) bool { return !needed[h] })
	if len(missing) > 0 {
		sort.Strings(missing)
		return best, idx, fmt.Errorf("파일에 없는 헤더: %s (발주서 포맷을 고치거나 다른 파일을 올려 주세요)", strings.Join(quoteAll(missing), ", "))
	}
	return best, idx, nil
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strconv.Quote(v)
	}
	return out
}

func firstHeader(f Format) string {
	for _, fl := range Fields {
		if h, ok := f.Fields[fl.Code]; ok {
			return h
		}
	}
	return ""
}

// cleanNumberText undoes what spreadsheets do to identifiers: "1.2E+14"
// stays as is (it cannot be undone), "202510130000101.0" loses its ".0".
func cleanNumberText(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, ".0") && isDigits(strings.TrimSuffix(s, ".0")) {
		return strings.TrimSuffix(s, ".0")
	}
	return s
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parseWon reads an amount in won: "31,000", "31000원", "-1,053", "31000.0".
func parseWon(s string) (int64, error) { return sheet.ParseWon(s) }

// parseDate reads an order time as written by the marketplace (Seoul time).
func parseDate(s string) (time.Time, error) { return sheet.ParseDate(s) }

// zipcode restores a leading zero that a spreadsheet dropped (6236 → 06236).
func zipcode(s string) string {
	s = cleanNumberText(s)
	if isDigits(s) && len(s) == 4 {
		return "0" + s
	}
	return s
}

// phone restores a leading zero that a spreadsheet dropped (1012345678 → 01012345678).
func phone(s string) string {
	s = cleanNumberText(s)
	if isDigits(s) && (len(s) == 9 || len(s) == 10) && s[0] != '0' {
		return "0" + s
	}
	return s
}

// rowPlan is a sheet format compiled against one sheet's header row: the
// column of every field and code, so that parsing a row looks nothing up.
type rowPlan struct {
	fields [len(planFields)]planCol
	codes  []codeCol // by code name, in the order json.Marshal writes a map's keys
	kept   []string  // the header of each column whose cells are kept raw ("" for the others)
	cancel []string  // the format's cancel words
}

// planCol is where a field's cell is: its column (-1: none) and header.
type planCol struct {
	j      int
	header string
}

type codeCol struct {
	name string // codeN
	j    int
}

// planFields are the fields parseRow reads, in the order of rowPlan.fields.
var planFields = [...]string{"order_no", "order_id_seq", "order_date", "product_code", "product_name", "option", "qty", "shop_price",
	"pay_type", "org_trans_who", "buyer", "recipient", "phone", "phone2", "zipcode", "address", "request", "status", "ship_no"}

const (
	fOrderNo = iota
	fSubNo
	fOrderDate
	fProductCode
	fProductName
	fOption
	fQty
	fShopPrice
	fPayType
	fOrgTransWho
	fBuyer
	fRecipient
	fPhone
	fPhone2
	fZipcode
	fAddress
	fRequest
	fStatus
	fShipNo
)

// compilePlan compiles f against a sheet whose header columns are idx
// (header → column); kept names the columns whose cells are kept raw.
func compilePlan(f Format, idx map[string]int, kept []string) *rowPlan {
	p := &rowPlan{kept: kept, cancel: f.CancelWords}
	column := func(header string) int {
		if j, ok := idx[strings.TrimSpace(header)]; ok {
			return j
		}
		return -1
	}
	for i, code := range planFields {
		p.fields[i] = planCol{j: -1}
		if h, ok := f.Fields[code]; ok {
			p.fields[i] = planCol{j: column(h), header: h}
		}
	}
	for n, h := range f.Codes {
		p.codes = append(p.codes, codeCol{name: CodeName(n), j: column(h)})
	}
	sort.Slice(p.codes, func(a, b int) bool { return p.codes[a].name < p.codes[b].name })
	return p
}

// cell is the trimmed cell of column j ("" past the row's end or for -1).
func cell(row []string, j int) string {
	if j < 0 || j >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[j])
}

// codesMap returns a row's settlement codes by name (the preview's sample).
func (p *rowPlan) codesMap(row []string) map[string]string {
	m := make(map[string]string, len(p.codes))
	for _, c := range p.codes {
		m[c.name] = cell(row, c.j)
	}
	return m
}

// appendCodes writes a row's codes as the JSON object json.Marshal would
// write of codesMap (keys in sorted order).
func (p *rowPlan) appendCodes(b []byte, row []string) []byte {
	b = append(b, '{')
	for i, c := range p.codes {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, c.name)
		b = append(b, ':')
		b = appendJSONString(b, cell(row, c.j))
	}
	return append(b, '}')
}

// appendRaw writes the cells of the kept columns as a JSON array in the
// order of rawHeaders ("" for a blank cell, the cells after the last
// non-blank one left out): the headers are stored once, with the import
// (market_imports.raw_headers), not with every line.
func (p *rowPlan) appendRaw(b []byte, row []string) []byte {
	b = append(b, '[')
	n, blanks := 0, 0
	for j, h := range p.kept {
		if h == "" {
			continue
		}
		if j >= len(row) || strings.TrimSpace(row[j]) == "" {
			blanks++
			continue
		}
		for ; blanks > 0; blanks-- {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, '"', '"')
			n++
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, row[j])
		n++
	}
	return append(b, ']')
}

// rawHeaders are the headers of the kept columns, in the order appendRaw
// writes their cells.
func (p *rowPlan) rawHeaders() []string {
	var out []string
	for _, h := range p.kept {
		if h != "" {
			out = append(out, h)
		}
	}
	return out
}

// Cell is one kept cell of a line: its sheet header and its text as sent.
type Cell struct {
	Header string `json:"header"`
	Value  string `json:"value"`
}

// rawCells turns a stored line's raw cells back into its non-blank cells in
// the sheet's column order: raw is the array appendRaw writes, read against
// its import's headers, or (lines stored before migration 0028) an object
// keyed by header, read in the order it was written.
func rawCells(raw, headers string) ([]Cell, error) {
	var out []Cell
	if strings.HasPrefix(raw, "{") {
		dec := json.NewDecoder(strings.NewReader(raw))
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		for dec.More() {
			var h, v string
			t, err := dec.Token()
			if err != nil {
				return nil, err
			}
			h, _ = t.(string)
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			out = append(out, Cell{h, v})
		}
		return out, nil
	}
	var cells, names []string
	if err := json.Unmarshal([]byte(raw), &cells); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(headers), &names); err != nil {
		return nil, fmt.Errorf("raw headers: %w", err)
	}
	if len(cells) > len(names) {
		return nil, fmt.Errorf("raw: %d cells for %d headers", len(cells), len(names))
	}
	for i, c := range cells {
		if c != "" {
			out = append(out, Cell{names[i], c})
		}
	}
	return out, nil
}

// cellMap is header → cell; of two columns with one header the later wins.
func cellMap(cells []Cell) map[string]string {
	out := make(map[string]string, len(cells))
	for _, c := range cells {
		out[c.Header] = c.Value
	}
	return out
}

// appendJSONString appends s as encoding/json writes a string: text that
// needs no escape is copied as it is, anything else goes through
// json.Marshal, so the bytes are always the same as json.Marshal's.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf && !plainUTF8(s[i:]) {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
		if c >= utf8.RuneSelf {
			break // plainUTF8 checked the rest
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainUTF8 reports whether s is valid UTF-8 that json.Marshal copies as it
// is: no control character, quote, backslash, <, >, &, U+2028 or U+2029.
func plainUTF8(s string) bool {
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return false // invalid UTF-8 (or U+FFFD itself: json.Marshal's slow path is then as good)
		case r < 0x20 || r == '"' || r == '\\' || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029':
			return false
		}
	}
	return true
}

// parsed is a good row as it is stored: the order line, its codes and raw
// cells as JSON.
type parsed struct {
	Order
	codes, raw string
	// shipNo is the marketplace's own shipment number (배송번호), when the
	// format maps one: it decides the line's bundle (bundleKey).
	shipNo string
}

// parseRow turns one sheet row into an order line, or the reasons it cannot.
// buf is scratch space for the JSON it writes (returned for reuse).
func (p *rowPlan) parseRow(row []string, rowNo int, buf []byte) (parsed, []RowError, []byte) {
	var o parsed
	var errs []RowError
	bad := func(header, value, reason string) {
		errs = append(errs, RowError{Row: rowNo, Column: header, Value: value, Reason: reason})
	}
	field := func(i int) string { return cell(row, p.fields[i].j) }
	o.OrderNo = cleanNumberText(field(fOrderNo))
	if o.OrderNo == "" {
		bad(p.fields[fOrderNo].header, "", "필수 항목(주문번호)이 비어 있습니다")
	}
	o.SubNo = cleanNumberText(field(fSubNo))
	if d := field(fOrderDate); true {
		t, err := parseDate(d)
		if err != nil {
			bad(p.fields[fOrderDate].header, d, err.Error())
		} else {
			o.OrderedAt = SheetTime(t.Format(sheetTimeLayout))
			o.OrderDay = string(o.OrderedAt[:10])
		}
	}
	o.ProductCode = cleanNumberText(field(fProductCode))
	if o.ProductName = field(fProductName); o.ProductName == "" {
		bad(p.fields[fProductName].header, "", "필수 항목(상품명)이 비어 있습니다")
	}
	o.Option = field(fOption)
	if q := field(fQty); true {
		n, err := parseWon(q)
		switch {
		case err != nil:
			bad(p.fields[fQty].header, q, "수량이 "+err.Error())
		case n < 1 || n > 100000:
			bad(p.fields[fQty].header, q, "수량은 1 이상입니다")
		default:
			o.Qty = int(n)
		}
	}
	if v := field(fShopPrice); true {
		n, err := parseWon(v)
		if err != nil {
			bad(p.fields[fShopPrice].header, v, "판매가: "+err.Error())
		}
		o.ShopPrice = n
	}
	o.PayType = field(fPayType)
	o.OrgTransWho = field(fOrgTransWho)
	o.Buyer = field(fBuyer)
	o.Recipient = field(fRecipient)
	o.Phone = phone(field(fPhone))
	o.Phone2 = phone(field(fPhone2))
	o.Zipcode = zipcode(field(fZipcode))
	o.Address = field(fAddress)
	o.Request = field(fRequest)
	o.Status = field(fStatus)
	o.shipNo = cleanNumberText(field(fShipNo))
	for _, w := range p.cancel {
		if w != "" && strings.Contains(o.Status, w) {
			o.Cancelled = true
		}
	}
	if len(errs) > 0 {
		return o, errs, buf
	}
	buf = p.appendCodes(buf[:0], row)
	o.codes = string(buf)
	buf = p.appendRaw(buf[:0], row)
	o.raw = string(buf)
	return o, nil, buf
}

// shipmentNo says whether a 배송번호 cell holds a shipment number: letters,
// digits and hyphens with a digit other than 0. A placeholder ("0", "-")
// or a number a spreadsheet turned into "1.2E+14" would join unrelated
// lines of every day into one bundle; such a line is bundled by address.
func shipmentNo(s string) bool {
	nonzero := false
	for _, r := range s {
		switch {
		case r >= '1' && r <= '9':
			nonzero = true
		case r == '0', r == '-', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		default:
			return false
		}
	}
	return nonzero
}

// bundleKey groups orders shipped together (합포) within one marketplace.
// A line with the marketplace's own shipment number (배송번호, 묶음배송번호,
// 배송비 묶음번호) is bundled by it: the marketplace charges and pays one
// shipping fee per shipment, so two shipments to one address on one day are
// two bundles, each with its 선결제처리. Without one (a format that maps no
// 배송번호), the lines to the same recipient, phone and address on the same
// day are a bundle.
func bundleKey(o parsed) string {
	if shipmentNo(o.shipNo) {
		return "배송번호|" + o.shipNo
	}
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
	return o.OrderDay + "|" + norm(o.Recipient) + "|" + strings.ReplaceAll(norm(o.Phone), "-", "") + "|" + norm(o.Address)
}
