// Package market brings in the orders of open marketplaces (G마켓, 11번가,
// 쿠팡, 스마트스토어 ...): master data (판매처, 공급처), sheet formats (발주서
// 포맷) that map a marketplace's headers to fields and settlement codes, the
// import of order sheets as sessions, bundles (합포) and product matching.
package market

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
)

// Marketplace is a 판매처.
type Marketplace struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

// Supplier is a 공급처.
type Supplier struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Field is an orderdesk field that a sheet column can land in.
type Field struct {
	Code     string
	Label    string
	Required bool
}

// Fields are the order fields of a sheet format, in the editor's order.
var Fields = []Field{
	{"order_no", "주문번호", true},
	{"order_id_seq", "부주문번호 (order_id_seq)", false},
	{"order_date", "주문일", true},
	{"product_code", "판매처 상품코드", false},
	{"product_name", "상품명", true},
	{"option", "옵션", false},
	{"qty", "수량 (qty)", true},
	{"shop_price", "판매가 (shop_price)", true},
	{"pay_type", "결제방식 (pay_type)", false},
	{"org_trans_who", "배송비 구분 (org_trans_who)", false},
	{"buyer", "구매자", false},
	{"recipient", "수령인", false},
	{"phone", "수령인 전화", false},
	{"phone2", "구매자 전화", false},
	{"zipcode", "우편번호", false},
	{"address", "주소", false},
	{"request", "배송 요청사항", false},
	{"status", "주문상태", false},
	{"ship_no", "배송번호 (합포 단위)", false},
}

// MaxCode is the highest settlement code (code1..code99).
const MaxCode = 99

// Format is a 발주서 포맷: which sheet header lands in which field and code.
type Format struct {
	Fields map[string]string `json:"fields"` // field code → header
	Codes  map[int]string    `json:"codes"`  // N of codeN → header
	// CancelWords mark a row as cancelled when its status contains one.
	CancelWords []string `json:"cancel_words,omitempty"`
	// PrepaidWords mark a row's shipping as paid by the buyer with the order
	// (usertrans_cnt) when its org_trans_who contains one; none set means
	// DefaultPrepaidWords.
	PrepaidWords []string `json:"prepaid_words,omitempty"`
}

// DefaultPrepaidWords are the prepaid words of a format that names none.
var DefaultPrepaidWords = []string{"선결제"}

// Prepaid returns the format's prepaid words, or the default ones.
func (f Format) Prepaid() []string {
	if len(f.PrepaidWords) == 0 {
		return DefaultPrepaidWords
	}
	return f.PrepaidWords
}

// CodeName is "code11" for 11.
func CodeName(n int) string { return fmt.Sprintf("code%d", n) }

// SheetTime is a marketplace sheet's order time, a Seoul wall-clock time
// kept as "2006-01-02 15:04:05" (the console shows it so); the API gives it
// as RFC 3339 with the Seoul offset (API.md: instants are RFC 3339).
type SheetTime string

// sheetTimeLayout is SheetTime's stored form.
const sheetTimeLayout = "2006-01-02 15:04:05"

// MarshalJSON writes the time as RFC 3339 (2025-10-13T15:10:05+09:00), or
// as stored if it is not one.
func (t SheetTime) MarshalJSON() ([]byte, error) {
	v := string(t)
	if at, err := time.ParseInLocation(sheetTimeLayout, v, kst.Seoul); err == nil {
		v = at.Format(time.RFC3339)
	}
	return json.Marshal(v)
}

// Order is an imported marketplace order line.
type Order struct {
	ID           int64             `json:"id"`
	Marketplace  string            `json:"marketplace"`
	OrderNo      string            `json:"order_no"`
	SubNo        string            `json:"order_id_seq"`
	OrderDay     string            `json:"order_day"`
	OrderedAt    SheetTime         `json:"ordered_at"`
	ProductCode  string            `json:"product_code"`
	ProductName  string            `json:"product_name"`
	Option       string            `json:"option"`
	Qty          int               `json:"qty"`
	ShopPrice    int64             `json:"shop_price"`
	PayType      string            `json:"pay_type"`
	OrgTransWho  string            `json:"org_trans_who"`
	Buyer        string            `json:"buyer"`
	Recipient    string            `json:"recipient"`
	Phone        string            `json:"phone"`
	Phone2       string            `json:"phone2"`
	Zipcode      string            `json:"zipcode"`
	Address      string            `json:"address"`
	Request      string            `json:"request"`
	Status       string            `json:"status"`
	Cancelled    bool              `json:"cancelled"`
	CancelledDay string            `json:"cancelled_day"`
	Codes        map[string]string `json:"codes"`
	Raw          map[string]string `json:"raw,omitempty"` // the kept cells by header (one line's detail only)
	Cells        []Cell            `json:"-"`             // the same in the sheet's column order
	BundleID     int64             `json:"bundle_id"`
	Matched      bool              `json:"matched"`
	Settlement   *Settlement       `json:"settlement"`
}

// RowError is one refused cell of a sheet.
type RowError struct {
	Row    int    `json:"row"`    // the sheet's row number, from 1
	Column string `json:"column"` // the header
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// Preview is what an import would do.
type Preview struct {
	Kind       string     `json:"kind"`
	HeaderRow  int        `json:"header_row"`
	Rows       int        `json:"rows"`       // data rows read
	OK         int        `json:"ok"`         // rows without errors
	ErrorRows  int        `json:"error_rows"` // rows with errors
	Existing   int        `json:"existing"`   // rows already imported (unchanged or to update)
	Cancelling int        `json:"cancelling"` // existing rows this sheet marks cancelled
	Errors     []RowError `json:"errors"`
	Sample     []Order    `json:"sample"`
	Landing    []Landing  `json:"landing"` // which header lands where
	// BundleBy says how the sheet's lines are bundled (합포): "ship_no" by
	// the marketplace's 배송번호, "address" by recipient, phone, address
	// and day (the format maps no 배송번호, or the file lacks its column).
	BundleBy string `json:"bundle_by"`
}

// Landing says where one header of the sheet is stored.
type Landing struct {
	Header string `json:"header"`
	Target string `json:"target"` // field code, codeN, or "" (not stored)
}

// Import is an import session.
type Import struct {
	ID          int64      `json:"id"`
	Marketplace string     `json:"marketplace"`
	Filename    string     `json:"filename"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status"`
	Rows        int        `json:"rows"`
	OK          int        `json:"ok"`
	ErrorRows   int        `json:"error_rows"`
	Inserted    int        `json:"inserted"`
	Updated     int        `json:"updated"`
	Unchanged   int        `json:"unchanged"`
	Errors      []RowError `json:"errors,omitempty"`
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	Note        string     `json:"note,omitempty"` // why a failed session ended (cancelled, taken over, an error)
}

// Filter narrows the marketplace order list.
type Filter struct {
	Marketplace string
	From, To    string
	SupplierID  int64
	ProductID   int64
	Status      string // "cancelled", "active"
	Matched     string // "yes", "no"
	Settled     string // "yes": settled by a rule; "no": 미정산, a live line no rule settled (a cancelled line never is)
	Q           string
	paging.Params
}

// Settlement is what the settlement rules made of a line.
type Settlement struct {
	Sale        int64  `json:"sale"`         // 총판매금액
	Settle      int64  `json:"settle"`       // 정산예정금액
	Prepaid     int64  `json:"prepaid"`      // 선결제처리
	Margin      int64  `json:"margin"`       // 배송마진
	Payment     int64  `json:"payment"`      // 결제금액
	RuleVersion *int64 `json:"rule_version"` // nil: unsettled
	Unsettled   string `json:"unsettled,omitempty"`
	// The rule that settled the line: its id, name and version number.
	RuleID        int64  `json:"rule_id,omitempty"`
	RuleTitle     string `json:"rule_title,omitempty"`
	RuleVersionNo int    `json:"rule_version_no,omitempty"`
}
