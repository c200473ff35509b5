package console

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/voucher"
)

var voucherDates = []dateRange{{"ordered_from", "ordered_to", "주문일", "Order date"}, {"paid_from", "paid_to", "결제(입금)일", "Payment date"}}

// voucherQuery reads the screen's query: the 차수 picker sends "2019-07"
// (cohort), which the filter takes as year and round.
func voucherQuery(r *http.Request) url.Values {
	q := url.Values{}
	for k, v := range r.URL.Query() {
		q[k] = v
	}
	if c := q.Get("cohort"); c != "" {
		y, rd, _ := strings.Cut(c, "-")
		q.Set("year", y)
		q.Set("round", rd)
	}
	q.Del("cohort")
	q.Del("flash")
	return q
}

func (s *Server) voucherFilter(r *http.Request) (voucher.Filter, error) {
	q := voucherQuery(r)
	if err := checkDates(q, voucherDates...); err != nil {
		return voucher.Filter{}, err
	}
	return voucher.ParseFilter(q)
}

// voucherOrders is 근로자카드주문.
func (s *Server) voucherOrders(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	courses, err := s.Voucher.Courses(r.Context(), a, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := map[string]any{"Courses": courses, "PerPages": voucher.PerPageChoices, "Enroll": order.EnrollStatuses, "Items": voucherItemStatuses,
		"Fields": order.VoucherFields}
	f, err := s.voucherFilter(r)
	if err != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "voucher_orders", "근로자카드주문", data, err)
		return
	}
	list, err := s.Voucher.List(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	q.Del("page")
	q.Del("flash")
	data["List"] = list
	data["Pager"] = pager{Total: list.Total, Page: list.Page.Page, Pages: list.Pages(), Query: r.URL.Query()}
	data["Filter"] = f
	data["Back"] = r.URL.RequestURI()
	data["Export"] = "/voucher-orders/export.xlsx?" + q.Encode()
	data["Hidden"] = q
	data["CanWrite"] = a.Role != access.Viewer
	data["CanReveal"] = a.Role != access.Viewer
	s.render(w, r, http.StatusOK, "voucher_orders", "근로자카드주문", data, nil)
}

// voucherItemStatuses are the 주문 상태 choices of the screen.
var voucherItemStatuses = []order.Choice{
	{Code: order.ItemPaid, Label: "결제완료"}, {Code: order.ItemAwaitingDeposit, Label: "입금대기"}, {Code: order.ItemRefundRequested, Label: "환불요청"},
	{Code: order.ItemRefunded, Label: "환불완료"}, {Code: order.ItemCancelled, Label: "결제취소"},
}

func (s *Server) voucherExport(w http.ResponseWriter, r *http.Request) {
	f, err := s.voucherFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := export.VoucherListName(f, kst.Day(s.Orders.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.VoucherList(r.Context(), s.Voucher, actorOf(r), f, out) }); err != nil {
		s.fail(w, r, err)
	}
}

// voucherMembers is 회원 EXCEL: it is asked with the reason typed in the
// screen's form; a refusal (no reason) goes back to the list with it.
func (s *Server) voucherMembers(w http.ResponseWriter, r *http.Request) {
	f, err := s.voucherFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows, err := s.Voucher.Learners(r.Context(), actorOf(r), f, r.URL.Query().Get("reason"))
	if err != nil {
		if apperr.CodeOf(err) == apperr.Invalid {
			q := voucherQuery(r)
			q.Del("reason")
			e, _ := apperr.As(err)
			redirect(w, r, "/voucher-orders?"+q.Encode(), e.Localized(actorOf(r).Lang))
			return
		}
		s.fail(w, r, err)
		return
	}
	n := export.VoucherMembersName(f, kst.Day(s.Orders.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.VoucherMembers(rows, out) }); err != nil {
		s.fail(w, r, err)
	}
}

// backTo keeps a return path inside the console.
func backTo(v, fallback string) string {
	if strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//") && !strings.Contains(v, `\`) {
		return v
	}
	return fallback
}

// voucherApprove is 선택 수강승인 (the ticked rows) and a row's own
// 수강승인 (one): the refusals are told with their reasons, the others go
// through.
func (s *Server) voucherApprove(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, apperr.New(apperr.Invalid, "요청을 읽을 수 없습니다.", "unreadable form"))
		return
	}
	back := backTo(r.PostForm.Get("back"), "/voucher-orders")
	vals := r.PostForm["enrollment_id"]
	if one := r.PostForm.Get("one"); one != "" {
		vals = []string{one}
	}
	var ids []int64
	for _, v := range vals {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		ids = append(ids, id)
	}
	res, err := s.Orders.ApproveEnrollments(r.Context(), actorOf(r), ids)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		redirect(w, r, back, e.Localized(actorOf(r).Lang))
		return
	}
	approved := 0
	var refused []string
	for _, x := range res {
		if x.Approved {
			approved++
		} else {
			refused = append(refused, x.Reason)
		}
	}
	msg := fmt.Sprintf("%d명을 수강승인했습니다.", approved)
	if len(refused) > 0 {
		msg += fmt.Sprintf(" %d명은 승인하지 못했습니다: %s", len(refused), strings.Join(refused, " / "))
	}
	redirect(w, r, back, msg)
}

// enrollmentCancelAsk asks the reason of a 수강취소 without money.
func (s *Server) enrollmentCancelAsk(w http.ResponseWriter, r *http.Request) {
	s.enrollmentCancelPage(w, r, http.StatusOK, nil)
}

func (s *Server) enrollmentCancelPage(w http.ResponseWriter, r *http.Request, status int, cause error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, apperr.New(apperr.NotFound, "없는 수강정보입니다.", "No such enrollment."))
		return
	}
	a := actorOf(r)
	e, err := s.Orders.Enrollment(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o, err := s.Orders.Get(r.Context(), a, e.OrderNo)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var item order.Item
	for _, it := range o.Items {
		if it.ID == e.ItemID {
			item = it
		}
	}
	back := backTo(r.FormValue("back"), "/orders/"+strconv.FormatInt(o.OrderNo, 10))
	s.render(w, r, status, "enrollment_cancel", "수강취소", map[string]any{"E": e, "O": o, "Item": item, "Back": back}, cause)
}

func (s *Server) enrollmentCancel(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, apperr.New(apperr.NotFound, "없는 수강정보입니다.", "No such enrollment."))
		return
	}
	e, err := s.Orders.CancelEnrollment(r.Context(), actorOf(r), id, r.PostFormValue("reason"))
	if err != nil {
		s.enrollmentCancelPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, backTo(r.PostFormValue("back"), "/orders/"+strconv.FormatInt(e.OrderNo, 10)), "수강취소했습니다.")
}

// orderReveal shows the order page with the learner's resident number in
// full (a site_admin or super_admin; audited as member.reveal_rrn).
func (s *Server) orderReveal(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadOrderView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rrn, err := s.Members.RevealRRN(r.Context(), actorOf(r), v.O.MemberID)
	if err != nil {
		s.render(w, r, web.Status(err), "order", "주문목록", v, err)
		return
	}
	v.Revealed = rrn
	s.render(w, r, http.StatusOK, "order", "주문목록", v, nil)
}
