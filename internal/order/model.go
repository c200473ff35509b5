// Package order places orders, moves their money (gateway payments, deposit
// confirmation, cancellation) and lists them. Every movement of money writes
// one journal row and the daily rollup in the same transaction as the state
// change, and an order's status always follows from its items and money.
package order

import (
	"slices"
	"time"

	"github.com/orderdesk/orderdesk/internal/payment"
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

// ItemStatuses label item statuses, in the order of the manual's 항목결제상태
// filter.
var ItemStatuses = []Choice{
	{ItemPaid, "결제완료"}, {ItemAwaitingDeposit, "입금대기"}, {ItemRefundRequested, "환불요청"},
	{ItemRefunded, "환불완료"}, {ItemCancelled, "결제취소"},
}

// DeliveryStatuses label the delivery of textbook items.
var DeliveryStatuses = []Choice{
	{"waiting", "배송대기"}, {"preparing", "배송준비중"}, {"shipped", "발송완료"}, {"delivered", "배송완료"}, {"confirmed", "구매확정"}, {"cancelled", "배송취소"},
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

// CheckTransition refuses an illegal status change with a sentence that
// says what happened ("이미 결제완료된 주문입니다"), never with state codes.
func CheckTransition(from, to string) error {
	if slices.Contains(transitions[from], to) {
		return nil
	}
	ko, en := refusal(from, to)
	return apperr.New(apperr.Conflict, ko, en)
}

// refusal explains, in Korean and English, why an order in status from
// cannot move to status to.
func refusal(from, to string) (ko, en string) {
	switch from {
	case StatusCancelled:
		switch to {
		case StatusCancelled:
			return "이미 취소된 주문입니다.", "The order is already cancelled."
		case StatusPaid, StatusAwaitingDeposit:
			return "취소된 주문은 결제할 수 없습니다.", "A cancelled order cannot be paid."
		case StatusPartiallyRefunded, StatusRefunded:
			return "취소된 주문은 환불할 수 없습니다. 취소할 때 받은 금액이 모두 돌려졌습니다.", "A cancelled order cannot be refunded; what it received was returned when it was cancelled."
		}
	case StatusRefunded:
		switch to {
		case StatusCancelled:
			return "전액환불된 주문은 취소할 수 없습니다.", "A fully refunded order cannot be cancelled."
		case StatusPaid, StatusAwaitingDeposit:
			return "이미 결제되어 전액환불된 주문입니다.", "The order was paid and has been fully refunded."
		case StatusPartiallyRefunded, StatusRefunded:
			return "이미 전액환불된 주문입니다.", "The order is already fully refunded."
		}
	case StatusPartiallyRefunded:
		switch to {
		case StatusCancelled:
			return "부분환불된 주문은 취소할 수 없습니다. 남은 금액은 환불로 처리해 주세요.", "A partly refunded order cannot be cancelled; refund the rest instead."
		case StatusPaid, StatusAwaitingDeposit:
			return "이미 결제되어 일부 환불된 주문입니다.", "The order was paid and has been partly refunded."
		}
	case StatusPaid:
		switch to {
		case StatusPaid, StatusAwaitingDeposit:
			return "이미 결제완료된 주문입니다.", "The order is already paid."
		}
	case StatusAwaitingDeposit:
		switch to {
		case StatusAwaitingDeposit:
			return "이미 입금을 기다리는 주문입니다.", "The order is already awaiting its deposit."
		case StatusPartiallyRefunded, StatusRefunded:
			return "입금되지 않은 주문은 환불할 수 없습니다. 주문취소를 해 주세요.", "An order whose deposit has not arrived cannot be refunded; cancel it instead."
		}
	case StatusPending:
		switch to {
		case StatusPartiallyRefunded, StatusRefunded:
			return "결제가 끝나지 않은 주문은 환불할 수 없습니다. 주문취소를 해 주세요.", "An order that is not paid yet cannot be refunded; cancel it instead."
		}
	}
	if to == StatusPending {
		return "주문을 임시주문으로 되돌릴 수 없습니다.", "An order cannot go back to an unfinished checkout."
	}
	return "이 주문은 " + Label(Statuses, from) + " 상태라서 " + Label(Statuses, to) + "(으)로 처리할 수 없습니다.",
		"The order cannot be handled this way in its present state."
}

// DepositConfirmable reports whether staff may confirm the deposit (입금확인)
// of an order: only 자체계좌 orders (tax-invoice ones too) awaiting their
// deposit. A virtual account (가상계좌) is paid by the gateway's deposit
// webhook, never by hand.
func DepositConfirmable(method, status string) bool {
	return method == "bank_deposit" && status == StatusAwaitingDeposit
}

// CanConfirmDeposit is DepositConfirmable for the order screens.
func (o Order) CanConfirmDeposit() bool { return DepositConfirmable(o.Method, o.Status) }

// CanConfirmDeposit is DepositConfirmable for the order list.
func (r ListRow) CanConfirmDeposit() bool { return DepositConfirmable(r.Method, r.Status) }

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
	// EnrollmentStatus is the course enrollment's status (수강생 상태).
	EnrollmentStatus string `json:"enrollment_status,omitempty"`
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
	ApprovedAt   *time.Time `json:"paid_at"` // the payment's approval, as the gateway reports it (a cancel's answer repeats it)
	// At is when this record's operation happened, 결제내역's 결제일시: the
	// approval of an approval, and the time recorded of a cancel, a webhook
	// or a lookup without one.
	At        time.Time `json:"at"`
	OrderedAt time.Time `json:"ordered_at"`
	Raw       string    `json:"raw"`
	// Details are Raw's fields as 결제정보 shows them (Korean names); the
	// API gives raw.
	Details   []payment.Detail `json:"-"`
	CreatedAt time.Time        `json:"created_at"`
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
	// Anchor is the first order number of the page AnchorPage, from which a
	// page near it is read (the pager's links carry it); 0 reads by offset.
	Anchor     int64
	AnchorPage int
	paging.Params
	// titles are the distinct titles that hold Q, found in order_titles;
	// nil: not looked up (the orders' titles are searched one by one).
	titles []string
}

// SearchFields are the keyword fields of 주문목록.
var SearchFields = []Choice{{"", "- 전체 -"}, {"order_no", "주문번호"}, {"title", "주문명"}, {"buyer_name", "구매자명"}, {"member_login", "회원아이디"}}
