package sheet

import (
	"context"
	"io"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/order"
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
