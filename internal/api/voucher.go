package api

import (
	"io"
	"net/http"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/voucher"
)

// listVoucherOrders is 근로자카드주문: one page with the 차수 counts.
func (s *Server) listVoucherOrders(r *http.Request, a access.Actor) (int, any, error) {
	f, err := voucher.ParseFilter(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	list, err := s.Voucher.List(r.Context(), a, f)
	return http.StatusOK, list, err
}

// exportVoucherOrders is [EXCEL]: the list as shown, numbers masked,
// streamed to the response as it is read.
func (s *Server) exportVoucherOrders(w http.ResponseWriter, r *http.Request, a access.Actor) {
	f, err := voucher.ParseFilter(r.URL.Query())
	if err == nil {
		n := export.VoucherListName(f, kst.Day(s.Orders.Now()))
		err = web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.VoucherList(r.Context(), s.Voucher, a, f, out) })
	}
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
	}
}

// exportVoucherMembers is [회원 EXCEL]: the learners of the filter for
// HRD-Net, resident numbers in full only for a role that may reveal them and
// only with a reason; audited with the reason and the row count.
func (s *Server) exportVoucherMembers(w http.ResponseWriter, r *http.Request, a access.Actor) {
	f, err := voucher.ParseFilter(r.URL.Query())
	if err == nil {
		var rows []voucher.LearnerRow
		if rows, err = s.Voucher.Learners(r.Context(), a, f, r.URL.Query().Get("reason")); err == nil {
			n := export.VoucherMembersName(f, kst.Day(s.Orders.Now()))
			err = web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.VoucherMembers(rows, out) })
		}
	}
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
	}
}

// approveEnrollments is 선택 수강승인: {enrollment_ids} → each approved or
// refused with its reason.
func (s *Server) approveEnrollments(r *http.Request, a access.Actor) (int, any, error) {
	var in struct {
		IDs []int64 `json:"enrollment_ids"`
	}
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	res, err := s.Orders.ApproveEnrollments(r.Context(), a, in.IDs)
	if err != nil {
		return 0, nil, err
	}
	approved := 0
	for _, x := range res {
		if x.Approved {
			approved++
		}
	}
	return http.StatusOK, map[string]any{"results": res, "approved": approved, "refused": len(res) - approved}, nil
}

// cancelEnrollment is 수강취소 of an item with no money left to refund.
func (s *Server) cancelEnrollment(r *http.Request, a access.Actor) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	e, err := s.Orders.CancelEnrollment(r.Context(), a, id, in.Reason)
	return http.StatusOK, e, err
}
