// Package shipping is 배송관리: couriers (배송업체) with their tracking
// links, the delivery of textbook items through its states, the 배송관리
// list and its EXCEL, the 배송정보 page of an order, bulk state changes, the
// 송장번호 일괄갱신 upload and the auto-confirmation (구매확정) job.
//
// It owns the carriers and deliveries tables. An item's delivery state is
// the order package's column order_items.delivery_status: it is changed only
// through order.MoveDelivery, in the same transaction as the delivery row.
package shipping

import (
	"time"

	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
)

// States in their order; cancelled (배송취소) comes only from a cancellation
// or a full refund before shipping.
var States = []order.Choice{
	{Code: order.DeliveryWaiting, Label: "배송대기"}, {Code: order.DeliveryPreparing, Label: "배송준비중"},
	{Code: order.DeliveryShipped, Label: "발송완료"}, {Code: order.DeliveryDelivered, Label: "배송완료"},
	{Code: order.DeliveryConfirmed, Label: "구매확정"}, {Code: order.DeliveryCancelled, Label: "배송취소"},
}

// StateLabel is the Korean label of a delivery state.
func StateLabel(code string) string { return order.Label(States, code) }

// rank orders the states of the way forward; cancelled has none.
func rank(state string) int {
	switch state {
	case order.DeliveryWaiting:
		return 1
	case order.DeliveryPreparing:
		return 2
	case order.DeliveryShipped:
		return 3
	case order.DeliveryDelivered:
		return 4
	case order.DeliveryConfirmed:
		return 5
	}
	return 0
}

// needsTracking: a shipped, delivered or confirmed item has a courier and a number.
func needsTracking(state string) bool { return rank(state) >= 3 }

// Carrier is a courier (배송업체).
type Carrier struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	URLTemplate string `json:"url_template"` // {n} is where the number goes; without it the number is appended
	NumberForm  string `json:"number_form"`  // "", cj, hanjin, lotte
	Retired     bool   `json:"retired"`
	Used        bool   `json:"used"` // shipped something: can be retired, not deleted
}

// CarrierPatch changes a carrier; nil fields stay.
type CarrierPatch struct {
	Name        *string `json:"name"`
	URLTemplate *string `json:"url_template"`
	NumberForm  *string `json:"number_form"`
	Retired     *bool   `json:"retired"`
}

// Removal is what DELETE did to a carrier: deleted, or retired because it
// shipped something.
type Removal struct {
	Code    string `json:"code"`
	Deleted bool   `json:"deleted"`
	Retired bool   `json:"retired"`
}

// Row is one textbook item of 배송관리.
type Row struct {
	ItemID       int64      `json:"item_id"`
	OrderNo      int64      `json:"order_no"`
	Site         string     `json:"site"`
	OrderTitle   string     `json:"order_title"`
	ProductName  string     `json:"product_name"`
	Qty          int        `json:"qty"`
	BuyerName    string     `json:"buyer_name"`
	MemberLogin  string     `json:"member_login"`
	OrderedDay   string     `json:"ordered_day"`
	PaidDay      string     `json:"paid_day"`
	OrderStatus  string     `json:"order_status"`
	ItemStatus   string     `json:"item_status"`
	RefundStatus string     `json:"refund_status"` // of the item's latest refund request, "" if none
	State        string     `json:"state"`
	Carrier      string     `json:"carrier"`
	CarrierName  string     `json:"carrier_name"`
	TrackingNo   string     `json:"tracking_no"`
	TrackingURL  string     `json:"tracking_url"`
	ShippedAt    *time.Time `json:"shipped_at"`
	DeliveredAt  *time.Time `json:"delivered_at"`
	ConfirmedAt  *time.Time `json:"confirmed_at"`
	Recipient    string     `json:"recipient"`
	Phone        string     `json:"phone"`
	Zipcode      string     `json:"zipcode"`
	Address      string     `json:"address"`
}

// OrderRows is one order of 배송관리's screen: its textbook items that
// match the filter, in item order.
type OrderRows struct {
	OrderNo int64
	Items   []Row
}

// Filter is 배송관리's search form.
type Filter struct {
	OrderedFrom, OrderedTo string
	PaidFrom, PaidTo       string
	OrderStatus            string // 결제상태
	ItemStatus             string // 항목결제상태
	State                  string // 배송상태
	Q                      string // order number, product, buyer, member login, recipient, tracking number
	paging.Params
}

// Change is PATCH /deliveries/{item_id}: nil fields stay.
type Change struct {
	State       *string         `json:"state"`
	Carrier     *string         `json:"carrier"`
	TrackingNo  *string         `json:"tracking_no"`
	ShippedOn   *string         `json:"shipped_on"`   // YYYY-MM-DD (Seoul)
	DeliveredOn *string         `json:"delivered_on"` // YYYY-MM-DD (Seoul)
	Shipping    *order.Shipping `json:"shipping"`     // the order's recipient fields
}

// Bulk is a state change of ticked items.
type Bulk struct {
	ItemIDs    []int64 `json:"item_ids"`
	State      string  `json:"state"`
	Carrier    string  `json:"carrier"`
	TrackingNo string  `json:"tracking_no"`
}

// BulkResult says how many items changed.
type BulkResult struct {
	Changed   int   `json:"changed"`
	Unchanged int   `json:"unchanged"`
	Items     []Row `json:"items"`
}

// OrderChange is the 배송정보 page's form: the recipient fields, and with
// All the state, courier and number for every textbook item of the order.
type OrderChange struct {
	Shipping   order.Shipping `json:"shipping"`
	All        bool           `json:"all"`
	State      string         `json:"state"`
	Carrier    string         `json:"carrier"`
	TrackingNo string         `json:"tracking_no"`
}

// OrderView is the 배송정보 page of an order.
type OrderView struct {
	Order order.Order
	Items []ItemView
	// State, Carrier and TrackingNo of the order: those of its first textbook item.
	State, Carrier, TrackingNo string
}

// ItemView is one textbook line of the 배송정보 page.
type ItemView struct {
	Row
	ISBN, Author, Publisher string
}

// Upload row outcomes.
const (
	OutcomeChange    = "change"
	OutcomeUnchanged = "unchanged"
	OutcomeRefused   = "refused"
)

// UploadInput is 송장번호 일괄갱신.
type UploadInput struct {
	Filename string
	Data     []byte
	Encoding string // CSV: "" detect, utf-8, cp949
	Carrier  string
	State    string
	DryRun   bool
}

// UploadRow is one line of the preview.
type UploadRow struct {
	Line        int    `json:"row"` // in the file, the header being row 1
	OrderNo     int64  `json:"order_no"`
	ItemID      int64  `json:"item_id"`
	ProductName string `json:"product_name"`
	Qty         int    `json:"qty"`
	BuyerName   string `json:"buyer_name"`
	Recipient   string `json:"recipient"`
	CarrierName string `json:"carrier_name"`
	TrackingNo  string `json:"tracking_no"`
	// TrackingFrom is the item's tracking number that a change replaces
	// (empty when it had none or keeps it).
	TrackingFrom string `json:"tracking_no_from,omitempty"`
	Outcome      string `json:"outcome"` // change, unchanged, refused
	From         string `json:"state_from,omitempty"`
	To           string `json:"state_to,omitempty"`
	Reason       string `json:"reason,omitempty"`
	ReasonEn     string `json:"reason_en,omitempty"`

	site    string
	carrier string
	cur     itemState
}

// UploadResult is the preview, and what was applied unless it was a dry run.
type UploadResult struct {
	Carrier   string      `json:"carrier"`
	State     string      `json:"state"`
	DryRun    bool        `json:"dry_run"`
	Changes   int         `json:"changes"`
	Unchanged int         `json:"unchanged"`
	Refused   int         `json:"refused"`
	Blank     int         `json:"blank"` // rows without a tracking number, left alone
	Applied   int         `json:"applied"`
	Rows      []UploadRow `json:"rows"`
}
