// Package payout is 정산대사: the marketplaces' payout files (정산내역) read
// through payout-file formats, imported as statements, matched to the
// marketplace order lines, and reconciled against what the settlement rules
// expected (정산예정금액). It owns the payout_* tables; it reads order lines
// through internal/market and the expected amounts through
// internal/settlement.
package payout

import (
	"regexp"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/paging"
)

// States of a reconciled line.
const (
	Matched    = "matched"    // 처리: paid what was expected, within the tolerance
	Mismatched = "mismatched" // 불일치
	Unpaid     = "unpaid"     // 미처리: expected, not paid yet
	Unmatched  = "unmatched"  // 미매칭: paid, not one of our lines
	Held       = "held"       // 보류: the first part paid, the holdback (쿠팡 30%) still to come
)

// States lists the states in the screen's order, with their labels.
var States = []struct{ Code, Label string }{{Matched, "처리"}, {Mismatched, "불일치"}, {Unpaid, "미처리"}, {Held, "보류"}, {Unmatched, "미매칭"}}

// StateLabel is the Korean label of a state.
func StateLabel(s string) string {
	for _, st := range States {
		if st.Code == s {
			return st.Label
		}
	}
	return s
}

// Row kinds of a payout file.
const (
	KindSale       = "sale"
	KindShipping   = "shipping"
	KindCancel     = "cancel"
	KindAdjustment = "adjustment"
)

// Field is a payout-file column a format maps.
type Field struct {
	Code     string `json:"code"`
	Label    string `json:"label"`
	Required bool   `json:"required"`
}

// Fields are the columns of a payout-file format, in the editor's order.
var Fields = []Field{
	{"order_no", "주문번호", true},
	{"sub_no", "상품주문번호 (라인 번호)", false},
	{"kind", "구분 (상품·배송비·취소·조정)", false},
	{"base", "정산기준금액", false},
	{"coupon", "쿠폰·혜택 금액", false},
	{"net", "입금액 (정산금액)", true},
	{"settle_day", "정산일", false},
	{"state", "정산상태", false},
	{"part", "지급구분", false},
}

// Format is a marketplace's payout-file format: which header holds what.
type Format struct {
	Fields map[string]string `json:"fields"` // field code → header
	Fees   []string          `json:"fees"`   // the fee columns, added up
	// NegativeDeductions: the file writes fees and coupons as negative
	// numbers (스마트스토어); otherwise as positive deductions.
	NegativeDeductions bool `json:"negative_deductions"`
	// Words of the kind column (or, without one, the state column).
	ShippingWords []string `json:"shipping_words"`
	CancelWords   []string `json:"cancel_words"`
	AdjustWords   []string `json:"adjust_words"`
	// HoldbackPercent is the part paid later (쿠팡 주정산: 70% first, 30%
	// later): a line paid exactly the first part is 보류, not 불일치.
	HoldbackPercent int64 `json:"holdback_percent"`
	// Tolerance in won: a difference up to it is 처리 (default 0).
	Tolerance int64 `json:"tolerance"`
}

// Presets are the payout-file formats of 스마트스토어 (건별 정산내역), 쿠팡
// and ESM (G마켓/옥션), from the shapes of their downloads.
var Presets = map[string]Format{
	"smartstore": {
		Fields: map[string]string{"order_no": "주문번호", "sub_no": "상품주문번호", "kind": "구분", "base": "정산기준금액(A)", "coupon": "혜택금액",
			"net": "정산예정금액", "settle_day": "정산예정일", "state": "정산상태"},
		Fees:               []string{"Npay 수수료(B)", "매출연동 수수료 합계(C)", "무이자할부 수수료(D)"},
		NegativeDeductions: true,
		ShippingWords:      []string{"배송비"},
		CancelWords:        []string{"취소", "반품", "환불"},
		AdjustWords:        []string{"조정"},
	},
	"coupang": {
		Fields: map[string]string{"order_no": "주문번호", "sub_no": "옵션ID", "kind": "구분", "base": "매출금액", "coupon": "판매자할인쿠폰",
			"net": "최종지급예정액", "settle_day": "지급예정일", "part": "지급구분"},
		Fees:            []string{"판매수수료", "정산차감"},
		ShippingWords:   []string{"배송비"},
		CancelWords:     []string{"취소", "반품"},
		AdjustWords:     []string{"조정"},
		HoldbackPercent: 30,
	},
	"esm": {
		Fields:        map[string]string{"order_no": "장바구니번호", "sub_no": "주문번호", "base": "판매금액", "net": "송금대상액", "settle_day": "입금확인일"},
		Fees:          []string{"서비스이용료"},
		ShippingWords: []string{"배송비"},
		CancelWords:   []string{"취소", "반품"},
		AdjustWords:   []string{"조정"},
	},
}

var suffix = regexp.MustCompile(`\s*[\(（][A-Za-z0-9]{1,2}[\)）]\s*$`)

// NormHeader is how a header is compared: spaces removed, an "(A)"-style
// suffix ignored, case folded.
func NormHeader(h string) string {
	h = suffix.ReplaceAllString(strings.TrimSpace(h), "")
	return strings.ToLower(strings.Join(strings.Fields(h), ""))
}

// FormatInfo is a marketplace's payout format as the API shows it.
type FormatInfo struct {
	Marketplace string `json:"marketplace"`
	Name        string `json:"name"`
	Format      Format `json:"format"`
	Preset      bool   `json:"preset"` // no format saved: the preset (or an empty one)
}

// RowError is one refused cell of a payout file.
type RowError struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// Row is one row of a payout file as read.
type Row struct {
	RowNo     int    `json:"row"`
	OrderNo   string `json:"order_no"`
	SubNo     string `json:"sub_no"`
	Kind      string `json:"kind"`
	Part      string `json:"part,omitempty"`
	Base      int64  `json:"base"`
	Fee       int64  `json:"fee"`    // deducted fees, positive
	Coupon    int64  `json:"coupon"` // deducted coupons and benefits, positive
	Net       int64  `json:"net"`    // 입금액
	SettleDay string `json:"settle_day"`
	State     string `json:"state"`
	// Matched by import: the line it pays (0: 미매칭).
	MarketOrderID int64  `json:"market_order_id"`
	LineDay       string `json:"-"`
}

// Preview is what a payout import would do.
type Preview struct {
	Kind      string     `json:"kind"`
	HeaderRow int        `json:"header_row"`
	Rows      int        `json:"rows"`
	Matched   int        `json:"matched"`
	Unmatched int        `json:"unmatched"`
	PaidTotal int64      `json:"paid_total"`
	From      string     `json:"period_from"`
	To        string     `json:"period_to"`
	Errors    []RowError `json:"errors"`
	Sample    []Row      `json:"sample"`
}

// Statement is an imported payout file (정산내역).
type Statement struct {
	ID          int64      `json:"id"`
	Marketplace string     `json:"marketplace"`
	Filename    string     `json:"filename"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status"`
	From        string     `json:"period_from"`
	To          string     `json:"period_to"`
	Rows        int64      `json:"rows"`
	Done        int64      `json:"rows_done"`
	Matched     int64      `json:"rows_matched"`
	Unmatched   int64      `json:"rows_unmatched"`
	PaidTotal   int64      `json:"paid_total"`
	Expected    int64      `json:"expected_total"`   // of the lines its rows pay
	Difference  int64      `json:"difference_total"` // 정산예정액 − 입금액 of those lines (all statements) and of its unmatched rows
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	FinishedAt  *time.Time `json:"finished_at"`
}

// Line is one reconciled line.
type Line struct {
	ID            int64  `json:"id"`
	Marketplace   string `json:"marketplace"`
	MarketOrderID *int64 `json:"market_order_id"`
	OrderNo       string `json:"order_no"`
	SubNo         string `json:"sub_no"`
	OrderDay      string `json:"order_day"`
	SettleDay     string `json:"settle_day"`
	ProductCode   string `json:"product_code"`
	ProductName   string `json:"product_name"`
	RuleID        *int64 `json:"rule_id"`
	State         string `json:"state"`
	StateLabel    string `json:"state_label"`
	Expected      int64  `json:"expected"`   // 정산예정액
	Paid          int64  `json:"paid"`       // 입금액
	Difference    int64  `json:"difference"` // 입금차액 = expected − paid
	DiffSale      int64  `json:"difference_sale"`
	DiffFee       int64  `json:"difference_fee"`
	DiffCoupon    int64  `json:"difference_coupon"`
	DiffShipping  int64  `json:"difference_shipping"`
	AgeDays       int    `json:"age_days"` // 미처리: days since the order day
}

// Filter narrows the reconciliation list.
type Filter struct {
	Marketplace string
	Basis       string // "order" (주문일, default) or "settle" (정산일)
	From, To    string
	State       string
	Q           string // order number or product name
	paging.Params
}

// Totals is one state's count and sums.
type Totals struct {
	State      string `json:"state"`
	Label      string `json:"label"`
	Lines      int64  `json:"lines"`
	Expected   int64  `json:"expected"`
	Paid       int64  `json:"paid"`
	Difference int64  `json:"difference"`
}

// Result is a page of reconciled lines with the totals of the filter.
type Result struct {
	paging.Page[Line]
	Totals []Totals `json:"totals"`
	Sum    Totals   `json:"sum"`
}

// ParseFilter reads the 정산대사 filters of a query (marketplace, basis,
// from, to, state, q); List checks them.
func ParseFilter(get func(string) string) Filter {
	return Filter{Marketplace: get("marketplace"), Basis: get("basis"), From: get("from"), To: get("to"), State: get("state"), Q: get("q")}
}
