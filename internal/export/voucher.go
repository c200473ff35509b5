package export

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/sheet"
	"github.com/orderdesk/orderdesk/internal/voucher"
)

// Cohort writes 년도/차수 as the screen does: 2019 / 07.
func Cohort(year, round int) string {
	if year == 0 {
		return "-"
	}
	return fmt.Sprintf("%d / %02d", year, round)
}

// VoucherListHeaders are the columns of the 근로자카드주문 export: the
// screen's columns (the resident number masked), then the codes.
var VoucherListHeaders = []string{"No", "년도/차수", "과정명", "소속", "회원아이디", "주민번호", "결제수단", "주문금액", "주문일", "결제(입금)일",
	"수강상태", "주문상태", "수강번호", "enrollment_status", "item_status"}

// VoucherList writes the 근로자카드주문 rows of the filter as xlsx.
func VoucherList(ctx context.Context, svc *voucher.Service, a access.Actor, f voucher.Filter, out io.Writer) error {
	w, err := sheet.NewWriter(out, "근로자카드주문", VoucherListHeaders)
	if err != nil {
		return err
	}
	err = svc.Each(ctx, a, f, func(r voucher.Row) error {
		return w.Row(r.OrderNo, Cohort(r.Year, r.Round), r.Course, r.Affiliation, r.MemberName+" ("+r.MemberLogin+")", r.RRNMasked,
			order.Label(order.Methods, r.Method), r.Total, dotted(r.OrderedDay), dotted(r.PaidDay), order.Label(order.EnrollStatuses, r.Enrollment),
			order.Label(order.ItemStatuses, r.ItemStatus), r.EnrollmentID, r.Enrollment, r.ItemStatus)
	})
	if err != nil {
		return err
	}
	return w.Finish()
}

// VoucherMemberHeaders are the columns of 회원 EXCEL (the learners for
// HRD-Net).
var VoucherMemberHeaders = []string{"No", "주문번호", "년도", "차수", "과정명", "이름", "회원아이디", "주민등록번호", "소속", "휴대전화", "이메일", "최종학력",
	"결제(입금)일", "수강상태", "주문상태"}

// VoucherMembers writes the learner rows of 회원 EXCEL.
func VoucherMembers(rows []voucher.LearnerRow, out io.Writer) error {
	w, err := sheet.NewWriter(out, "수강생", VoucherMemberHeaders)
	if err != nil {
		return err
	}
	for i, r := range rows {
		l := r.Learner
		if err := w.Row(int64(i+1), r.OrderNo, r.Year, fmt.Sprintf("%02d", r.Round), r.Course, l.Name, l.Login, l.RRN, l.Affiliation, l.Phone, l.Email,
			member.Label(member.EducationLabels, l.Education), dotted(r.PaidDay), order.Label(order.EnrollStatuses, r.Enrollment),
			order.Label(order.ItemStatuses, r.ItemStatus)); err != nil {
			return err
		}
	}
	return w.Finish()
}

// VoucherListName names the 근로자카드주문 export of the filter.
func VoucherListName(f voucher.Filter, day string) Name {
	return name("근로자카드주문", "voucher_orders", day, voucherParts(f)...)
}

// VoucherMembersName names 회원 EXCEL of the filter.
func VoucherMembersName(f voucher.Filter, day string) Name {
	return name("근로자카드주문_회원", "voucher_members", day, voucherParts(f)...)
}

func voucherParts(f voucher.Filter) [][2]string {
	var cohort, course [2]string
	if f.Year != 0 {
		c := strconv.Itoa(f.Year)
		if f.Round != 0 {
			c += fmt.Sprintf("-%02d", f.Round)
		}
		cohort = same(c)
	}
	if f.ProductID != 0 {
		id := strconv.FormatInt(f.ProductID, 10)
		course = [2]string{"과정" + id, "product" + id}
	}
	return [][2]string{same(f.Site), course, cohort, span(f.OrderedFrom, f.OrderedTo)}
}
