package console

import (
	"cmp"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/refund"
)

func (s *Server) refunds(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	courses, err := s.Catalog.List(r.Context(), a, catalog.Filter{Kind: catalog.KindCourse, Params: paging.Params{PerPage: paging.MaxPerPage}})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, ferr := refund.ParseFilter(r.URL.Query().Get)
	if err := checkDates(r.URL.Query(), refundDates...); err != nil {
		ferr = err
	}
	f.Params = pageOf(r)
	data := map[string]any{"Courses": courses.Items}
	if ferr != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "refunds", "환불관리", data, ferr)
		return
	}
	page, err := s.Refunds.List(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	export := r.URL.Query()
	export.Del("page")
	data["Page"], data["Pager"], data["Export"] = page, pagerOf(page, r.URL.Query()), "/refunds/export.xlsx?"+export.Encode()
	s.render(w, r, http.StatusOK, "refunds", "환불관리", data, nil)
}

func (s *Server) refundsExport(w http.ResponseWriter, r *http.Request) {
	err := checkDates(r.URL.Query(), refundDates...)
	var f refund.Filter
	if err == nil {
		f, err = refund.ParseFilter(r.URL.Query().Get)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := export.RefundListName(f, kst.Day(s.Refunds.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.RefundList(r.Context(), s.Refunds, actorOf(r), f, out) }); err != nil {
		s.fail(w, r, err)
	}
}

// refundNew is 환불신청 from an order item, on the member's behalf.
func (s *Server) refundNew(w http.ResponseWriter, r *http.Request) {
	s.refundForm(w, r, http.StatusOK, nil)
}

func (s *Server) refundForm(w http.ResponseWriter, r *http.Request, status int, cause error) {
	q := r.URL.Query()
	no, _ := strconv.ParseInt(cmp.Or(r.PostFormValue("order_no"), q.Get("order_no")), 10, 64)
	o, err := s.Orders.Get(r.Context(), actorOf(r), no)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	selected := map[string]bool{}
	for _, v := range append(r.PostForm["item_id"], q["item_id"]...) {
		selected[v] = true
	}
	method := refund.MethodPGCancel
	if o.Gateway == "" {
		method = refund.MethodBankTransfer
	}
	// After a refused submission the form keeps what was typed, except the
	// account number, which is not sent back to the browser.
	s.render(w, r, status, "refund_new", "환불신청", map[string]any{"O": o, "Selected": selected, "Method": cmp.Or(r.PostFormValue("method"), method),
		"Reason": cmp.Or(r.PostFormValue("reason"), q.Get("reason")), "BankName": r.PostFormValue("bank_name"), "BankHolder": r.PostFormValue("bank_holder")}, cause)
}

func (s *Server) refundCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	no, _ := strconv.ParseInt(r.PostFormValue("order_no"), 10, 64)
	in := refund.RequestInput{OrderNo: no, Reason: r.PostFormValue("reason"), Method: r.PostFormValue("method")}
	for _, v := range r.PostForm["item_id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			in.ItemIDs = append(in.ItemIDs, id)
		}
	}
	if in.Method == refund.MethodBankTransfer {
		in.Bank = &refund.Bank{Name: r.PostFormValue("bank_name"), Account: r.PostFormValue("bank_account"), Holder: r.PostFormValue("bank_holder")}
	}
	out, err := s.Refunds.Request(r.Context(), actorOf(r), in)
	if err != nil {
		s.refundForm(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, "/refunds/"+strconv.FormatInt(out.ID, 10), "환불을 요청했습니다.")
}

func (s *Server) refundDetail(w http.ResponseWriter, r *http.Request) {
	s.refundPage(w, r, http.StatusOK, nil)
}

func (s *Server) refundPage(w http.ResponseWriter, r *http.Request, status int, cause error) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a := actorOf(r)
	rf, err := s.Refunds.Get(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o, err := s.Orders.Get(r.Context(), a, rf.OrderNo)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// 환불금액 starts at 0원, as the manual's screen does: the clerk decides
	// it from the estimate ("환불금액은 … 직접 결정하시기 바랍니다"); a
	// prefilled whole amount made one click a 전액환불.
	amount := r.PostFormValue("amount")
	if amount == "" {
		amount = "0"
	}
	// The correction form shows what is stored, or what was typed when it was refused.
	edit := map[string]string{"method": rf.Method, "bank_name": rf.Bank.Name, "bank_holder": rf.Bank.Holder, "refund_at": ""}
	if rf.RefundAt != nil {
		edit["refund_at"] = rf.RefundAt.In(kst.Seoul).Format(localMinute)
	}
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/edit") {
		for k := range edit {
			edit[k] = r.PostFormValue(k)
		}
	}
	s.render(w, r, status, "refund", "환불관리", map[string]any{"R": rf, "O": o, "CanWrite": a.CanWrite(rf.Site), "Amount": amount, "Edit": edit,
		"DenyReason": r.PostFormValue("deny_reason")}, cause)
}

// localMinute is the value of an <input type="datetime-local">.
const localMinute = "2006-01-02T15:04"

// refundEdit corrects 환불방법, 환불정보 and 환불일시 of a request that is not
// completed. An empty account number keeps the stored one; an empty 환불일시
// clears it.
func (s *Server) refundEdit(w http.ResponseWriter, r *http.Request) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := refund.Correction{Method: refund.Opt[string]{Set: true, Value: r.PostFormValue("method")}}
	bank := refund.BankPatch{Name: refund.Opt[string]{Set: true, Value: r.PostFormValue("bank_name")},
		Holder: refund.Opt[string]{Set: true, Value: r.PostFormValue("bank_holder")}}
	if v := strings.TrimSpace(r.PostFormValue("bank_account")); v != "" {
		bank.Account = refund.Opt[string]{Set: true, Value: v}
	}
	if c.Method.Value == refund.MethodBankTransfer {
		c.Bank = refund.Opt[refund.BankPatch]{Set: true, Value: bank}
	}
	c.RefundAt.Set = true
	if v := strings.TrimSpace(r.PostFormValue("refund_at")); v == "" {
		c.RefundAt.Null = true
	} else if t, perr := time.ParseInLocation(localMinute, v, kst.Seoul); perr == nil {
		c.RefundAt.Value = t
	} else {
		s.refundPage(w, r, http.StatusUnprocessableEntity, &apperr.Error{Code: apperr.Invalid, Message: "환불일시를 2026-11-29 14:30처럼 적어 주세요.", English: "refund_at must be a date and time",
			Fields: []apperr.FieldError{{Location: "refund_at", Message: "날짜와 시각을 적어 주세요.", English: "a date and time"}}})
		return
	}
	if _, err := s.Refunds.Correct(r.Context(), actorOf(r), id, c); err != nil {
		s.refundPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, "/refunds/"+strconv.FormatInt(id, 10), "환불정보를 고쳤습니다.")
}

func (s *Server) refundComplete(w http.ResponseWriter, r *http.Request) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	amount, perr := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("amount")), ",", ""), 10, 64)
	if perr != nil {
		s.refundPage(w, r, http.StatusUnprocessableEntity, &apperr.Error{Code: apperr.Invalid, Message: "환불금액을 숫자로 적어 주세요.", English: "amount must be a number",
			Fields: []apperr.FieldError{{Location: "amount", Message: "숫자로 적어 주세요.", English: "must be a number"}}})
		return
	}
	_, err = s.Refunds.Complete(r.Context(), actorOf(r), id, refund.CompleteInput{Amount: amount, Memo: r.PostFormValue("memo"), NotifySMS: r.PostFormValue("notify_sms") == "1"})
	if err != nil {
		s.refundPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, "/refunds/"+strconv.FormatInt(id, 10), "환불을 완료했습니다.")
}

func (s *Server) refundDeny(w http.ResponseWriter, r *http.Request) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in := refund.DenyInput{Reason: r.PostFormValue("deny_reason"), NotifySMS: r.PostFormValue("deny_notify_sms") == "1"}
	if _, err := s.Refunds.Deny(r.Context(), actorOf(r), id, in); err != nil {
		s.refundPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, "/refunds/"+strconv.FormatInt(id, 10), "환불불가로 처리했습니다.")
}
