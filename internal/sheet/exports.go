package sheet

import (
	"context"
	"io"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/refund"
)

// OrderListHeaders are the columns of the 주문목록 export: the screen's
// columns in Korean, then the codes for machines.
var OrderListHeaders = []string{"No", "주문번호", "사이트", "주문명", "결제수단", "주문금액", "구매자명", "회원아이디", "주문일", "결제일", "상태", "환불액", "method", "status"}

// OrderList writes the orders of the filter as xlsx, streaming rows from the
// database into the workbook.
func OrderList(ctx context.Context, svc *order.Service, a access.Actor, f order.Filter, out io.Writer) error {
	w, err := NewWriter("주문목록", OrderListHeaders)
	if err != nil {
		return err
	}
	n := 0
	err = svc.Each(ctx, a, f, func(r order.ListRow) error {
		n++
		paid := r.PaidDay
		if paid == "" {
			paid = "-"
		}
		return w.Row(int64(n), r.OrderNo, r.Site, r.Title, order.Label(order.Methods, r.Method), r.Total, r.BuyerName, r.BuyerLogin,
			dotted(r.OrderedDay), dotted(paid), order.Label(order.Statuses, r.Status), r.Refunded, r.Method, r.Status)
	})
	if err != nil {
		return err
	}
	return w.Finish(out)
}

// dotted writes 2020-08-08 as the console does: 2020.08.08.
func dotted(day string) string {
	if len(day) == 10 {
		return day[:4] + "." + day[5:7] + "." + day[8:]
	}
	return day
}

// RefundListHeaders are the columns of the 환불관리 export.
var RefundListHeaders = []string{"No", "주문번호", "회원아이디", "구매자명", "상품구분", "주문명", "결제금액", "환불금액", "구분", "요청일", "상태", "환불방법", "kind", "status"}

// RefundList writes the refunds of the filter as xlsx.
func RefundList(ctx context.Context, svc *refund.Service, a access.Actor, f refund.Filter, out io.Writer) error {
	w, err := NewWriter("환불관리", RefundListHeaders)
	if err != nil {
		return err
	}
	n := 0
	err = svc.Each(ctx, a, f, func(r refund.Refund) error {
		n++
		kind := refund.Label(refund.Kinds, r.Kind)
		if kind == "" {
			kind = "-"
		}
		return w.Row(int64(n), r.OrderNo, r.MemberLogin, r.BuyerName, order.Label(order.KindLabels, r.ItemKind), r.Title, r.OrderTotal, r.Amount,
			kind, kst.DisplayDate(r.RequestedAt), refund.Label(refund.Statuses, r.Status), refund.Label(refund.Methods, r.Method), r.Kind, r.Status)
	})
	if err != nil {
		return err
	}
	return w.Finish(out)
}
