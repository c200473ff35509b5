package export

import (
	"context"
	"io"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/sheet"
	"github.com/orderdesk/orderdesk/internal/shipping"
)

// DeliveryHeaders are the columns of the 배송관리 export: the screen's
// columns, the recipient, then the codes. 송장번호 일괄갱신 takes the same
// sheet back, reading 주문번호, 항목번호 and 송장번호.
var DeliveryHeaders = []string{"No", "주문번호", "항목번호", "상품명", "수량", "구매자명", "회원아이디", "결제일", "결제상태", "항목결제", "환불상태",
	"배송상태", "배송완료일", "배송업체", "송장번호", "수령인", "휴대전화", "우편번호", "주소", "state", "carrier"}

// Deliveries writes the 배송관리 rows of the filter as xlsx, streaming.
func Deliveries(ctx context.Context, svc *shipping.Service, a access.Actor, f shipping.Filter, out io.Writer) error {
	w, err := sheet.NewWriter(out, "배송관리", DeliveryHeaders)
	if err != nil {
		return err
	}
	n := 0
	err = svc.Each(ctx, a, f, func(r shipping.Row) error {
		n++
		delivered := ""
		if r.DeliveredAt != nil {
			delivered = kst.DisplayDate(*r.DeliveredAt)
		}
		return w.Row(int64(n), r.OrderNo, r.ItemID, r.ProductName, int64(r.Qty), r.BuyerName, r.MemberLogin, dotted(r.PaidDay),
			order.Label(order.Statuses, r.OrderStatus), order.Label(order.ItemStatuses, r.ItemStatus), refund.Label(refund.Statuses, r.RefundStatus),
			shipping.StateLabel(r.State), delivered, r.CarrierName, r.TrackingNo, r.Recipient, r.Phone, r.Zipcode, r.Address, r.State, r.Carrier)
	})
	if err != nil {
		return err
	}
	return w.Finish()
}

// DeliveriesName names the 배송관리 export of the filter.
func DeliveriesName(f shipping.Filter, day string) Name {
	var state [2]string
	if f.State != "" {
		state = [2]string{shipping.StateLabel(f.State), f.State}
	}
	return name("배송관리", "deliveries", day, state, span(f.OrderedFrom, f.OrderedTo))
}
