package export

import (
	"io"

	"github.com/orderdesk/orderdesk/internal/sheet"
	"github.com/orderdesk/orderdesk/internal/stats"
)

// SalesReport writes 일별매출통계 or 월별매출통계 with its 합계 row; the
// numbers are the report's, as the screen shows them.
func SalesReport(rep stats.Report, title, period string, out io.Writer) error {
	w, err := sheet.NewWriter(out, title, []string{period, "매출 금액", "주문 금액", "주문 건수", "환불 금액", "환불 건수"})
	if err != nil {
		return err
	}
	for _, r := range rep.Rows {
		p := dotted(r.Period)
		if len(p) == 7 { // a month: 2018.08
			p = p[:4] + "." + p[5:]
		}
		if err := w.Row(p, r.Sales, r.OrderAmount, r.Orders, r.RefundAmount, r.Refunds); err != nil {
			return err
		}
	}
	t := rep.Total
	if err := w.Row("합계", t.Sales, t.OrderAmount, t.Orders, t.RefundAmount, t.Refunds); err != nil {
		return err
	}
	return w.Finish()
}

// CourseSales writes 과정매출통계 with its 합계 row.
func CourseSales(rep stats.CourseReport, out io.Writer) error {
	w, err := sheet.NewWriter(out, "과정매출통계", []string{"구분", "과정명", "수강료", "매출 금액", "주문 건수", "주문 금액", "환불 건수", "환불 금액", "product_id"})
	if err != nil {
		return err
	}
	for _, r := range rep.Rows {
		if err := w.Row(r.Label, r.Name, r.Price, r.Sales, r.Orders, r.OrderAmount, r.Refunds, r.RefundAmount, r.ProductID); err != nil {
			return err
		}
	}
	t := rep.Total
	if err := w.Row("합계", "", "", t.Sales, t.Orders, t.OrderAmount, t.Refunds, t.RefundAmount, ""); err != nil {
		return err
	}
	return w.Finish()
}

// StatsName names a 매출통계 download of a period (and site).
func StatsName(title, en, from, to, site, day string) Name {
	return name(title, en, day, span(from, to), same(site))
}
