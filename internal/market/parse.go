package market

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/sheet"
)

// headerIndex finds the header row (sheet.FindHeader): the first of the top
// rows that holds the most of the format's headers. Every header the format
// names must be in it.
func headerIndex(rows [][]string, f Format) (int, map[string]int, error) {
	var want []string
	for _, h := range f.Fields {
		want = append(want, h)
	}
	for _, h := range f.Codes {
		want = append(want, h)
	}
	best, idx, missing := sheet.FindHeader(rows, want, nil)
	if best < 0 {
		return -1, nil, fmt.Errorf("발주서 포맷의 헤더가 있는 행을 찾지 못했습니다 (예: %q)", firstHeader(f))
	}
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

// rawJSON writes the non-empty cells of a row as a JSON object keyed by
// header, in the sheet's column order; a column whose header is "" is left out.
func rawJSON(row []string, headers []string) string {
	var b strings.Builder
	b.WriteByte('{')
	first := true
	for j, h := range headers {
		if h == "" || j >= len(row) || strings.TrimSpace(row[j]) == "" {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(strconv.Quote(h))
		b.WriteByte(':')
		b.WriteString(strconv.Quote(row[j]))
	}
	b.WriteByte('}')
	return b.String()
}

// parseRow turns one sheet row into an order line, or the reasons it cannot.
// headers names the columns whose cells are kept raw ("" for the others).
func parseRow(row []string, rowNo int, idx map[string]int, headers []string, f Format) (Order, []RowError) {
	cell := func(header string) string {
		j, ok := idx[strings.TrimSpace(header)]
		if !ok || j >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[j])
	}
	field := func(code string) (string, string) {
		h, ok := f.Fields[code]
		if !ok {
			return "", ""
		}
		return cell(h), h
	}
	var o Order
	var errs []RowError
	bad := func(header, value, reason string) {
		errs = append(errs, RowError{Row: rowNo, Column: header, Value: value, Reason: reason})
	}
	var h string
	o.OrderNo, h = field("order_no")
	o.OrderNo = cleanNumberText(o.OrderNo)
	if o.OrderNo == "" {
		bad(h, "", "필수 항목(주문번호)이 비어 있습니다")
	}
	o.SubNo, _ = field("order_id_seq")
	o.SubNo = cleanNumberText(o.SubNo)
	if d, h := field("order_date"); true {
		t, err := parseDate(d)
		if err != nil {
			bad(h, d, err.Error())
		} else {
			o.OrderedAt, o.OrderDay = t.Format("2006-01-02 15:04:05"), t.Format("2006-01-02")
		}
	}
	o.ProductCode, _ = field("product_code")
	o.ProductCode = cleanNumberText(o.ProductCode)
	if o.ProductName, h = field("product_name"); o.ProductName == "" {
		bad(h, "", "필수 항목(상품명)이 비어 있습니다")
	}
	o.Option, _ = field("option")
	if q, h := field("qty"); true {
		n, err := parseWon(q)
		switch {
		case err != nil:
			bad(h, q, "수량이 "+err.Error())
		case n < 1 || n > 100000:
			bad(h, q, "수량은 1 이상입니다")
		default:
			o.Qty = int(n)
		}
	}
	if p, h := field("shop_price"); true {
		n, err := parseWon(p)
		if err != nil {
			bad(h, p, "판매가: "+err.Error())
		}
		o.ShopPrice = n
	}
	o.PayType, _ = field("pay_type")
	o.OrgTransWho, _ = field("org_trans_who")
	o.Buyer, _ = field("buyer")
	o.Recipient, _ = field("recipient")
	o.Phone, _ = field("phone")
	o.Phone = phone(o.Phone)
	o.Phone2, _ = field("phone2")
	o.Phone2 = phone(o.Phone2)
	o.Zipcode, _ = field("zipcode")
	o.Zipcode = zipcode(o.Zipcode)
	o.Address, _ = field("address")
	o.Request, _ = field("request")
	o.Status, _ = field("status")
	for _, w := range f.CancelWords {
		if w != "" && strings.Contains(o.Status, w) {
			o.Cancelled = true
		}
	}
	o.Codes = map[string]string{}
	for n, header := range f.Codes {
		o.Codes[CodeName(n)] = cell(header)
	}
	o.rawJSON = rawJSON(row, headers)
	return o, errs
}

// bundleKey groups orders shipped together (합포): one marketplace, the same
// recipient, phone and address, the same day.
func bundleKey(o Order) string {
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
	return o.OrderDay + "|" + norm(o.Recipient) + "|" + strings.ReplaceAll(norm(o.Phone), "-", "") + "|" + norm(o.Address)
}
