// Package export writes the screens' lists as xlsx workbooks (EXCEL
// buttons): the screen's columns with Korean headers, then the codes.
package export

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/settlement"
	"github.com/orderdesk/orderdesk/internal/sheet"
)

// OrderListHeaders are the columns of the 주문목록 export: the screen's
// columns in Korean, then the codes for machines.
var OrderListHeaders = []string{"No", "주문번호", "사이트", "주문명", "결제수단", "주문금액", "구매자명", "회원아이디", "주문일", "결제일", "상태", "환불액", "method", "status"}

// OrderList writes the orders of the filter as xlsx, streaming rows from the
// database into the workbook.
func OrderList(ctx context.Context, svc *order.Service, a access.Actor, f order.Filter, out io.Writer) error {
	w, err := sheet.NewWriter(out, "주문목록", OrderListHeaders)
	if err != nil {
		return err
	}
	n := 0
	err = svc.Each(ctx, a, f, func(r order.ListRow) error {
		n++
		return w.Row(int64(n), r.OrderNo, r.Site, r.Title, order.Label(order.Methods, r.Method), r.Total, r.BuyerName, r.BuyerLogin,
			dotted(r.OrderedDay), dotted(r.PaidDay), order.Label(order.Statuses, r.Status), r.Refunded, r.Method, r.Status)
	})
	if err != nil {
		return err
	}
	return w.Finish()
}

// dotted writes 2020-08-08 as the console does: 2020.08.08.
func dotted(day string) string {
	if len(day) == 10 {
		return day[:4] + "." + day[5:7] + "." + day[8:]
	}
	return day
}

// OrderSheets are the sheets of one order's workbook and their columns.
var OrderSheets = []struct {
	Name    string
	Headers []string
}{
	{"주문", []string{"항목", "값"}},
	{"주문항목", []string{"항목번호", "구분", "주문항목명", "수량", "단가", "정가", "환급금액", "할인액", "실결제금액", "환불액", "상태", "배송상태", "kind", "status"}},
	{"결제내역", []string{"번호", "결제대행사", "구분", "결제키", "결과코드", "결과메시지", "결제수단", "카드사/은행", "번호(마스킹)", "할부", "금액", "승인일시", "기록일시"}},
	{"배송", []string{"항목번호", "주문항목명", "수령인", "연락처", "우편번호", "주소", "요청사항", "배송상태", "delivery_status"}},
}

// Order writes one order's workbook: the order, every item, its payment
// transactions (결제내역) and its shipping, one sheet each.
func Order(o order.Order, txs []order.Transaction, out io.Writer) error {
	w, err := sheet.NewWriter(out, OrderSheets[0].Name, OrderSheets[0].Headers)
	if err != nil {
		return err
	}
	when := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return kst.DisplayTime(*t)
	}
	for _, kv := range [][2]any{
		{"주문번호", o.OrderNo}, {"사이트", o.Site}, {"주문명", o.Title}, {"구매자명", o.BuyerName}, {"회원아이디", o.BuyerLogin},
		{"결제수단", order.Label(order.Methods, o.Method)}, {"상태", order.Label(order.Statuses, o.Status)},
		{"정가 합계", o.ListTotal}, {"환급금액", o.SubsidyTotal}, {"할인액", o.DiscountTotal}, {"배송비", o.ShippingFee},
		{"결제금액", o.Total}, {"입금액", o.Collected}, {"환불액", o.Refunded},
		{"가상계좌", o.VBankAccount}, {"내일배움카드", strings.TrimSpace(o.VoucherCompany + " " + o.VoucherCard)},
		{"주문일시", kst.DisplayTime(o.OrderedAt)}, {"결제일시", when(o.PaidAt)}, {"취소일시", when(o.CancelledAt)}, {"취소사유", o.CancelReason},
		{"method", o.Method}, {"status", o.Status},
	} {
		if err := w.Row(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if err := w.Sheet(OrderSheets[1].Name, OrderSheets[1].Headers); err != nil {
		return err
	}
	for _, it := range o.Items {
		if err := w.Row(it.ID, order.Label(order.KindLabels, it.Kind), it.Name, int64(it.Qty), it.UnitPrice, it.ListPrice, it.Subsidy, it.Discount,
			it.Paid, it.Refunded, it.StatusLabel(o.Status), deliveryLabel(it.DeliveryStatus), it.Kind, it.Status); err != nil {
			return err
		}
	}
	if err := w.Sheet(OrderSheets[2].Name, OrderSheets[2].Headers); err != nil {
		return err
	}
	for _, t := range txs {
		if err := w.Row(t.ID, t.Gateway, t.Kind, t.PaymentKey, t.Code, t.Message, t.Method, t.Company, t.MaskedNumber, int64(t.Installment), t.Amount,
			when(t.ApprovedAt), kst.DisplayTime(t.CreatedAt)); err != nil {
			return err
		}
	}
	if err := w.Sheet(OrderSheets[3].Name, OrderSheets[3].Headers); err != nil {
		return err
	}
	sh := o.Shipping
	for _, it := range o.Items {
		if it.Kind != "textbook" {
			continue
		}
		if err := w.Row(it.ID, it.Name, sh.Recipient, sh.Phone, sh.Zipcode, sh.Address, sh.Request, deliveryLabel(it.DeliveryStatus), it.DeliveryStatus); err != nil {
			return err
		}
	}
	return w.Finish()
}

func deliveryLabel(code string) string {
	if code == "" {
		return ""
	}
	return order.Label(order.DeliveryStatuses, code)
}

// RefundListHeaders are the columns of the 환불관리 export.
var RefundListHeaders = []string{"No", "주문번호", "회원아이디", "구매자명", "상품구분", "주문명", "결제금액", "환불금액", "구분", "요청일", "상태", "환불방법", "kind", "status"}

// RefundList writes the refunds of the filter as xlsx.
func RefundList(ctx context.Context, svc *refund.Service, a access.Actor, f refund.Filter, out io.Writer) error {
	w, err := sheet.NewWriter(out, "환불관리", RefundListHeaders)
	if err != nil {
		return err
	}
	n := 0
	err = svc.Each(ctx, a, f, func(r refund.Refund) error {
		n++
		kind := refund.Label(refund.Kinds, r.Kind) // empty until completed: an empty cell
		return w.Row(int64(n), r.OrderNo, r.MemberLogin, r.BuyerName, order.Label(order.KindLabels, r.ItemKind), r.Title, r.OrderTotal, r.Amount,
			kind, kst.DisplayDate(r.RequestedAt), refund.Label(refund.Statuses, r.Status), refund.Label(refund.Methods, r.Method), r.Kind, r.Status)
	})
	if err != nil {
		return err
	}
	return w.Finish()
}

// MarketOrderHeaders are the columns of the marketplace order export.
var MarketOrderHeaders = []string{"판매처", "주문일", "주문번호", "부주문번호", "판매처 상품코드", "상품명", "옵션", "수량", "판매가", "결제방식",
	"배송비 구분", "구매자", "수령인", "전화", "우편번호", "주소", "주문상태", "취소일", "합포번호", "매칭", "총판매금액", "정산예정금액", "수수료", "선결제처리", "배송마진", "결제금액(CS 조회용)", "정산룰", "정산룰 버전", "미정산 사유"}

// MarketOrders writes the marketplace orders of the filter as xlsx; the
// settlement columns stay empty until orders are settled.
func MarketOrders(ctx context.Context, svc *market.Service, a access.Actor, f market.Filter, out io.Writer) error {
	w, err := sheet.NewWriter(out, "판매처주문", MarketOrderHeaders)
	if err != nil {
		return err
	}
	err = svc.Each(ctx, a, f, func(o market.Order) error {
		matched := "N"
		if o.Matched {
			matched = "Y"
		}
		var sale, settle, fee, prepaid, margin, payment, rule, version any = "", "", "", "", "", "", "", ""
		reason := ""
		if st := o.Settlement; st != nil && st.RuleVersion != nil {
			sale, settle, fee, prepaid, margin, payment = st.Sale, st.Settle, st.Sale-st.Settle, st.Prepaid, st.Margin, st.Payment
			rule, version = st.RuleTitle, int64(st.RuleVersionNo)
		} else if st != nil && !o.Cancelled {
			reason = st.Unsettled
		}
		return w.Row(o.Marketplace, o.OrderDay, o.OrderNo, o.SubNo, o.ProductCode, o.ProductName, o.Option, int64(o.Qty), o.ShopPrice, o.PayType,
			o.OrgTransWho, o.Buyer, o.Recipient, o.Phone, o.Zipcode, o.Address, o.Status, o.CancelledDay, o.BundleID, matched, sale, settle,
			fee, prepaid, margin, payment, rule, version, reason)
	})
	if err != nil {
		return err
	}
	return w.Finish()
}

// ImportErrors writes an import's refused cells: row, column, value, reason.
func ImportErrors(errs []market.RowError, out io.Writer) error {
	w, err := sheet.NewWriter(out, "오류", []string{"행", "열(헤더)", "값", "사유"})
	if err != nil {
		return err
	}
	for _, e := range errs {
		if err := w.Row(int64(e.Row), e.Column, e.Value, e.Reason); err != nil {
			return err
		}
	}
	return w.Finish()
}

// MarketReport writes 당일판매분요약표 or 판매처별 정산통계 with its totals row.
func MarketReport(rep settlement.Report[settlement.MarketRow], title string, out io.Writer) error {
	w, err := sheet.NewWriter(out, title, []string{"판매처", "주문수", "주문행", "수량", "총판매금액", "정산예정금액", "수수료", "선결제 배송비", "정산합계", "배송마진", "취소", "미정산", "marketplace"})
	if err != nil {
		return err
	}
	for _, r := range append(rep.Rows, rep.Total) {
		if err := w.Row(r.Name, r.Orders, r.Lines, r.Qty, r.Sale, r.Settle, r.Commission, r.Prepaid, r.Payout, r.Margin, r.Cancelled, r.Unsettled, r.Marketplace); err != nil {
			return err
		}
	}
	return w.Finish()
}

// SupplierReport writes 공급처별 정산통계 with its totals row.
func SupplierReport(rep settlement.Report[settlement.SupplierRow], out io.Writer) error {
	w, err := sheet.NewWriter(out, "공급처별정산통계", []string{"공급처", "주문행", "수량", "총판매금액", "정산예정금액", "수수료", "원가", "마진", "supplier_id"})
	if err != nil {
		return err
	}
	for _, r := range append(rep.Rows, rep.Total) {
		if err := w.Row(r.Name, r.Lines, r.Qty, r.Sale, r.Settle, r.Commission, r.Cost, r.Margin, r.SupplierID); err != nil {
			return err
		}
	}
	return w.Finish()
}

// ProductReport writes 판매처상품매출통계 with its totals row.
func ProductReport(rep settlement.Report[settlement.ProductRow], out io.Writer) error {
	w, err := sheet.NewWriter(out, "판매처상품매출통계", []string{"판매처", "판매처 상품코드", "상품명", "상품매칭", "수량", "총판매금액", "정산예정금액", "수수료", "원가", "마진", "marketplace"})
	if err != nil {
		return err
	}
	for i, r := range append(rep.Rows, rep.Total) {
		matched, cost, margin := "Y", any(r.Cost), any(r.Margin)
		switch {
		case i == len(rep.Rows):
			matched = ""
		case !r.Matched:
			matched, cost, margin = "미매칭", "", ""
		}
		if err := w.Row(r.Name, r.ProductCode, r.ProductName, matched, r.Qty, r.Sale, r.Settle, r.Commission, cost, margin, r.Marketplace); err != nil {
			return err
		}
	}
	return w.Finish()
}

// ReconciliationHeaders are the 정산대사 EXCEL's columns.
var ReconciliationHeaders = []string{"판매처", "주문일", "정산일", "주문번호", "상품주문번호", "상품코드", "상품명", "상태", "정산예정액", "입금액", "입금차액",
	"차액(판매)", "차액(수수료)", "차액(쿠폰)", "차액(배송비)", "경과일"}

// PayoutStatementHeaders are the columns of the 정산내역 (payout files) export.
var PayoutStatementHeaders = []string{"번호", "판매처", "파일", "구분", "상태", "정산일 시작", "정산일 끝", "행", "매칭", "미매칭",
	"입금액 합계", "정산예정액 합계", "차액", "가져온 사람", "가져온 때"}

// PayoutStatements writes the imported payout files of a marketplace ("" for
// all), newest first, as GET /api/v1/payouts lists them.
func PayoutStatements(ctx context.Context, svc *payout.Service, marketplace string, out io.Writer) error {
	w, err := sheet.NewWriter(out, "정산내역", PayoutStatementHeaders)
	if err != nil {
		return err
	}
	for page := 1; ; page++ {
		list, err := svc.Statements(ctx, marketplace, paging.Params{Page: page, PerPage: paging.MaxPerPage})
		if err != nil {
			return err
		}
		for _, st := range list.Items {
			if err := w.Row(st.ID, st.Marketplace, st.Filename, st.Kind, st.Status, dotted(st.From), dotted(st.To), st.Rows, st.Matched, st.Unmatched,
				st.PaidTotal, st.Expected, st.Difference, st.CreatedBy, kst.DisplayTime(st.CreatedAt)); err != nil {
				return err
			}
		}
		if page*paging.MaxPerPage >= list.Total || len(list.Items) == 0 {
			break
		}
	}
	return w.Finish()
}

// Reconciliation writes the reconciled lines of the filter.
func Reconciliation(ctx context.Context, svc *payout.Service, f payout.Filter, out io.Writer) error {
	w, err := sheet.NewWriter(out, "정산대사", ReconciliationHeaders)
	if err != nil {
		return err
	}
	err = svc.Each(ctx, f, func(l payout.Line) error {
		return w.Row(l.Marketplace, l.OrderDay, l.SettleDay, l.OrderNo, l.SubNo, l.ProductCode, l.ProductName, l.StateLabel, l.Expected, l.Paid,
			l.Difference, l.DiffSale, l.DiffFee, l.DiffCoupon, l.DiffShipping, int64(l.AgeDays))
	})
	if err != nil {
		return err
	}
	return w.Finish()
}
