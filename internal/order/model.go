// Package order places orders, moves their money (gateway payments, deposit
// confirmation, cancellation) and lists them. Every movement of money writes
// one journal row and the daily rollup in the same transaction as the state
// change, and an order's status always follows from its items and money.
package order

import (
	"slices"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
)

// Order statuses (DESIGN.md, status machines).
const (
	StatusPending           = "pending"            // 임시주문: checkout not finished
	StatusAwaitingDeposit   = "awaiting_deposit"   // 입금대기
	StatusPaid              = "paid"               // 결제완료
	StatusPartiallyRefunded = "partially_refunded" // 부분환불
	StatusRefunded          = "refunded"           // 전액환불
	StatusCancelled         = "cancelled"          // 결제취소
)

// Item statuses.
const (
	ItemAwaitingDeposit = "awaiting_deposit"
	ItemPaid            = "paid"
	ItemRefundRequested = "refund_requested"
	ItemRefunded        = "refunded"
	ItemCancelled       = "cancelled"
)

// Enrollment statuses.
const (
	EnrollAwaitingDeposit  = "awaiting_deposit"
	EnrollAwaitingApproval = "awaiting_approval"
	EnrollActive           = "active"
	EnrollCancelled        = "cancelled"
)

// Choice is a code and its Korean label.
type Choice struct{ Code, Label string }

// Methods are the eight payment methods, in the manual's order.
var Methods = []Choice{
	{"card", "신용카드"}, {"transfer", "실시간이체"}, {"vbank", "가상계좌"}, {"mobile", "휴대폰결제"},
	{"foreign_card", "해외카드"}, {"bank_deposit", "자체계좌"}, {"voucher_card", "내일배움카드"}, {"free", "무과금"},
}

// Statuses are the order statuses the list filters by, in the manual's order.
var Statuses = []Choice{
	{StatusPaid, "결제완료"}, {StatusAwaitingDeposit, "입금대기"}, {StatusCancelled, "결제취소"},
	{StatusPartiallyRefunded, "부분환불"}, {StatusRefunded, "전액환불"}, {StatusPending, "임시주문"},
}

// ItemStatuses label item statuses.
var ItemStatuses = []Choice{
	{ItemAwaitingDeposit, "입금대기"}, {ItemPaid, "결제완료"}, {ItemRefundRequested, "환불요청"},
	{ItemRefunded, "환불완료"}, {ItemCancelled, "결제취소"},
}

// DeliveryStatuses label the delivery of textbook items.
var DeliveryStatuses = []Choice{
	{"waiting", "배송대기"}, {"preparing", "배송준비중"}, {"shipped", "발송완료"}, {"delivered", "배송완료"}, {"confirmed", "구매확정"},
}

// KindLabels label item kinds (구분).
var KindLabels = []Choice{{"course", "과정"}, {"textbook", "교재"}, {"freepass", "프리패스"}, {"extension", "연장"}}

// Label returns the label of code in table, or code.
func Label(table []Choice, code string) string {
	for _, c := range table {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

func knownMethod(m string) bool {
	return slices.ContainsFunc(Methods, func(c Choice) bool { return c.Code == m })
}

// gatewayMethods are paid through a payment gateway.
func gatewayMethod(m string) bool {
	switch m {
	case "card", "transfer", "vbank", "mobile", "foreign_card", "voucher_card":
		return true
	}
	return false
}

// transitions are the legal order status changes.
var transitions = map[string][]string{
	StatusPending:           {StatusAwaitingDeposit, StatusPaid, StatusCancelled},
	StatusAwaitingDeposit:   {StatusPaid, StatusCancelled},
	StatusPaid:              {StatusPartiallyRefunded, StatusRefunded, StatusCancelled},
	StatusPartiallyRefunded: {StatusPartiallyRefunded, StatusRefunded},
}

// CheckTransition refuses an illegal status change, naming both states.
func CheckTransition(from, to string) error {
	if slices.Contains(transitions[from], to) {
		return nil
	}
	return apperr.New(apperr.Conflict,
		"주문 상태를 "+Label(Statuses, from)+"("+from+")에서 "+Label(Statuses, to)+"("+to+")(으)로 바꿀 수 없습니다.",
		"order cannot move from "+from+" to "+to+".")
}

// Order is an order with its items, as the detail screen shows it.
type Order struct {
	ID             int64      `json:"-"`
	OrderNo        int64      `json:"order_no"`
	Site           string     `json:"site"`
	MemberID       int64      `json:"member_id"`
	BuyerName      string     `json:"buyer_name"`
	BuyerLogin     string     `json:"member_login"`
	Title          string     `json:"title"`
	Method         string     `json:"payment_method"`
	Status         string     `json:"status"`
	TaxInvoice     bool       `json:"tax_invoice"`
	ListTotal      int64      `json:"list_total"`     // 정가 합계
	SubsidyTotal   int64      `json:"subsidy_total"`  // 환급금액
	DiscountTotal  int64      `json:"discount_total"` // 할인액
	ShippingFee    int64      `json:"shipping_fee"`   // 배송비
	Total          int64      `json:"total"`          // 결제금액
	Collected      int64      `json:"collected"`      // money received so far
	Refunded       int64      `json:"refunded"`       // money returned so far
	Gateway        string     `json:"gateway,omitempty"`
	PaymentKey     string     `json:"payment_key,omitempty"`
	VBankAccount   string     `json:"vbank_account,omitempty"`
	VoucherCompany string     `json:"voucher_card_company,omitempty"`
	VoucherCard    string     `json:"voucher_card_masked,omitempty"`
	Shipping       Shipping   `json:"shipping"`
	OrderedAt      time.Time  `json:"ordered_at"`
	PaidAt         *time.Time `json:"paid_at"`
	CancelledAt    *time.Time `json:"cancelled_at"`
	CancelReason   string     `json:"cancel_reason,omitempty"`
	Items          []Item     `json:"items,omitempty"`
}

// Shipping is where textbooks go.
type Shipping struct {
	Recipient string `json:"recipient"`
	Phone     string `json:"phone"`
	Zipcode   string `json:"zipcode"`
	Address   string `json:"address"`
	Request   string `json:"request"`
}

// Item is one line of an order.
type Item struct {
	ID             int64  `json:"item_id"`
	ProductID      int64  `json:"product_id"`
	Kind           string `json:"kind"`
	Name           string `json:"name"`
	Qty            int    `json:"qty"`
	UnitPrice      int64  `json:"unit_price"`
	ListPrice      int64  `json:"list_price"` // 정가 = unit price × qty
	Subsidy        int64  `json:"subsidy"`    // 환급금액
	Discount       int64  `json:"discount"`   // 할인액
	Paid           int64  `json:"paid"`       // 실결제금액
	Refunded       int64  `json:"refunded"`   // 환불액
	Status         string `json:"status"`
	DeliveryStatus string `json:"delivery_status,omitempty"`
	GovRefundable  bool   `json:"gov_refundable"`
	EnrollmentID   int64  `json:"enrollment_id,omitempty"` // a course's enrollment (PUT /enrollments/{id}/progress)
}

// ItemInput is one line of a new order.
type ItemInput struct {
	ProductID int64 `json:"product_id"`
	Qty       int   `json:"qty"`
	Subsidy   int64 `json:"subsidy"`  // 환급금액 of a training-voucher course, total for the line
	Discount  int64 `json:"discount"` // filled by coupons
}

// PlaceInput is the storefront's order.
type PlaceInput struct {
	Site        string      `json:"site"`
	MemberID    int64       `json:"member_id"`
	Items       []ItemInput `json:"items"`
	Method      string      `json:"payment_method"`
	CouponCode  string      `json:"coupon_code"`
	TaxInvoice  bool        `json:"tax_invoice"`
	Shipping    *Shipping   `json:"shipping"`
	VoucherCard *struct {
		Company string `json:"company"`
		Number  string `json:"number"`
	} `json:"voucher_card"`
}

// Transaction is one row of 결제내역: a gateway request, answer or webhook.
type Transaction struct {
	ID           int64      `json:"id"`
	OrderNo      int64      `json:"order_no"`
	Gateway      string     `json:"gateway"`
	Kind         string     `json:"kind"` // confirm, cancel, webhook, lookup
	PaymentKey   string     `json:"payment_key"`
	Code         string     `json:"result_code"`
	Message      string     `json:"result_message"`
	Method       string     `json:"method"`
	Company      string     `json:"company"`
	MaskedNumber string     `json:"masked_number"`
	Installment  int        `json:"installment_months"`
	Amount       int64      `json:"amount"`
	ApprovedAt   *time.Time `json:"paid_at"`
	OrderedAt    time.Time  `json:"ordered_at"`
	Raw          string     `json:"raw"`
	CreatedAt    time.Time  `json:"created_at"`
}

// Filter is 주문목록's search form.
type Filter struct {
	OrderedFrom, OrderedTo string // Seoul days, both included
	PaidFrom, PaidTo       string
	IncludePending         bool
	Method                 string
	Status                 string
	Q                      string
	Field                  string // order_no, title, buyer_name, member_login; "" = all
	Site                   string
	paging.Params
}

// SearchFields are the keyword fields of 주문목록.
var SearchFields = []Choice{{"", "- 전체 -"}, {"order_no", "주문번호"}, {"title", "주문명"}, {"buyer_name", "구매자명"}, {"member_login", "회원아이디"}}
