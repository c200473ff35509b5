package refund

import (
	"time"

	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
)

// Refund statuses.
const (
	StatusRequested = "requested" // 환불요청
	StatusCompleted = "completed" // 환불완료
	StatusDenied    = "denied"    // 환불불가
)

// Methods of returning money.
const (
	MethodPGCancel     = "pg_cancel"     // 결제취소 at the gateway
	MethodBankTransfer = "bank_transfer" // 계좌이체 by staff
)

// Choice is a code and its Korean label.
type Choice struct{ Code, Label string }

// Label tables.
var (
	Statuses = []Choice{{StatusRequested, "환불요청"}, {StatusCompleted, "환불완료"}, {StatusDenied, "환불불가"}}
	Methods  = []Choice{{MethodPGCancel, "결제취소(PG)"}, {MethodBankTransfer, "계좌이체"}}
	Kinds    = []Choice{{"partial", "부분환불"}, {"full", "전액환불"}}
)

// Label returns the label of code in table, or code.
func Label(table []Choice, code string) string {
	for _, c := range table {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

// Bank is where a transfer goes.
type Bank struct {
	Name    string `json:"name"`
	Account string `json:"account"`
	Holder  string `json:"holder"`
}

// RequestInput asks for a refund of items of one order.
type RequestInput struct {
	OrderNo int64   `json:"order_no"`
	ItemIDs []int64 `json:"item_ids"`
	Reason  string  `json:"reason"`
	Method  string  `json:"method"`
	Bank    *Bank   `json:"bank"`
}

// CompleteInput is 환불완료.
type CompleteInput struct {
	Amount    int64  `json:"amount"`
	Memo      string `json:"memo"`
	NotifySMS bool   `json:"notify_sms"`
}

// Item is a refunded order item as the refund screen shows it.
type Item struct {
	ItemID    int64  `json:"item_id"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	ProductID int64  `json:"product_id"`
	Paid      int64  `json:"paid"`
	Refunded  int64  `json:"refunded"` // on the item, by all refunds
	Amount    int64  `json:"amount"`   // by this refund, once completed
	Status    string `json:"status"`
	// DeliveryStatus of a textbook (배송대기 … 구매확정, 배송취소), so that the
	// clerk sees whether the book went out and can deduct return shipping.
	// A 구매확정 textbook may still be refunded (a defect is returned after
	// confirmation too); the state only informs the amount.
	DeliveryStatus string `json:"delivery_status,omitempty"`
}

// Refund is one request.
type Refund struct {
	ID           int64      `json:"id"`
	OrderNo      int64      `json:"order_no"`
	Site         string     `json:"site"`
	Title        string     `json:"order_title"`
	MemberLogin  string     `json:"member_login"`
	BuyerName    string     `json:"buyer_name"`
	OrderTotal   int64      `json:"order_total"`
	PayMethod    string     `json:"payment_method"`
	Status       string     `json:"status"`
	Reason       string     `json:"reason"`
	Method       string     `json:"method"`
	Bank         Bank       `json:"bank"` // account masked
	Kind         string     `json:"kind"` // partial / full, at completion
	Amount       int64      `json:"amount"`
	Memo         string     `json:"memo"`
	DenyReason   string     `json:"deny_reason,omitempty"`
	GatewayError string     `json:"gateway_error,omitempty"`
	HandledBy    string     `json:"handled_by"`
	RequestedBy  string     `json:"requested_by"`
	RequestedAt  time.Time  `json:"requested_at"`
	CompletedAt  *time.Time `json:"completed_at"`
	NotifySMS    bool       `json:"notify_sms"`
	SMSNote      string     `json:"sms_note,omitempty"` // why no SMS was sent, e.g. a landline
	RefundAt     *time.Time `json:"refund_at"`          // 환불일시 as staff set it; completed_at when not set
	ItemKind     string     `json:"item_kind"`          // 상품구분 of the first item
	Refundable   int64      `json:"refundable"`
	Items        []Item     `json:"items,omitempty"`
	Estimate     *Estimate  `json:"estimate,omitempty"`
}

// Estimate is 예상차감 금액: by elapsed days, by study progress, and by the
// course's own refund policy.
type Estimate struct {
	ByDays     *Quote `json:"by_days,omitempty"`
	ByProgress *Quote `json:"by_progress,omitempty"`
	ByPolicy   *Quote `json:"by_policy,omitempty"`
	// Progress is what the learner's enrollment has recorded; ProgressNote
	// says why there is no 학습시간 기준 figure when there is none.
	Progress     *order.Progress `json:"progress,omitempty"`
	ProgressNote string          `json:"progress_note,omitempty"`
}

// Filter is 환불관리's search form.
type Filter struct {
	ProductID int64
	From, To  string // 요청일
	Kind      string // partial / full
	ItemKind  string // course, textbook, freepass, extension
	Status    string
	Q, Field  string // order_no, member_login, buyer_name, title
	paging.Params
}

// statusRefusal says why a refund request that is no longer requested cannot
// be completed or denied, without state codes.
func statusRefusal(cur string) error {
	switch cur {
	case StatusCompleted:
		return apperr.New(apperr.Conflict, "이미 환불완료된 요청입니다.", "The refund request is already completed.")
	case StatusDenied:
		return apperr.New(apperr.Conflict, "이미 환불불가로 처리된 요청입니다.", "The refund request was already denied.")
	}
	return apperr.New(apperr.Conflict, "환불요청 상태가 방금 바뀌었습니다. 다시 확인해 주세요.", "The refund request changed meanwhile; reload it.")
}
