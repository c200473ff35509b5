package order

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// EnrollStatuses label the enrollment statuses (수강생 상태), in the
// manual's order.
var EnrollStatuses = []Choice{
	{EnrollActive, "정상"}, {EnrollAwaitingApproval, "승인대기"}, {EnrollAwaitingDeposit, "입금대기"}, {EnrollCancelled, "수강취소"},
}

// VoucherFilter is the 근로자카드주문 search over the order items of
// government-refundable courses (one row per item and its enrollment).
type VoucherFilter struct {
	Site                   string
	ProductIDs             []int64 // nil: every course; empty: none (a cohort without courses)
	OrderedFrom, OrderedTo string
	PaidFrom, PaidTo       string
	Enrollment             string // enrollment status, "" for all
	ItemStatus             string // the item's 주문 상태, "" for all
	Q                      string
	Field                  string // order_no, course, member_login, member_name; "" = all
	paging.Params
}

// VoucherFields are the keyword fields of 근로자카드주문.
var VoucherFields = []Choice{{"", "- 전체 -"}, {"order_no", "주문번호"}, {"course", "과정명"}, {"member_login", "회원아이디"}, {"member_name", "회원명"}}

// VoucherRow is one line of 근로자카드주문.
type VoucherRow struct {
	EnrollmentID int64  `json:"enrollment_id"`
	OrderNo      int64  `json:"order_no"`
	ItemID       int64  `json:"item_id"`
	ProductID    int64  `json:"product_id"`
	Site         string `json:"site"`
	Course       string `json:"course"`
	MemberID     int64  `json:"member_id"`
	MemberName   string `json:"member_name"`
	MemberLogin  string `json:"member_login"`
	Method       string `json:"payment_method"`
	Total        int64  `json:"total"` // 주문금액
	Paid         int64  `json:"paid"`  // what the item cost the learner
	Refunded     int64  `json:"refunded"`
	OrderedDay   string `json:"ordered_day"`
	PaidDay      string `json:"paid_day"`
	Enrollment   string `json:"enrollment_status"`
	ItemStatus   string `json:"item_status"`
}

// CanApprove says whether 수강승인 applies to the row.
func (r VoucherRow) CanApprove() bool {
	return r.Enrollment == EnrollAwaitingApproval && r.ItemStatus == ItemPaid
}

// MoneyFree says whether the row's item has nothing left to refund, so that
// 수강취소 cancels the enrollment at once instead of opening a refund.
func (r VoucherRow) MoneyFree() bool { return r.Paid-r.Refunded <= 0 }

// ValidateVoucherFilter checks the dates and choices of the filter.
func ValidateVoucherFilter(f *VoucherFilter) error {
	var fe apperr.Fields
	for name, v := range map[string]string{"ordered_from": f.OrderedFrom, "ordered_to": f.OrderedTo, "paid_from": f.PaidFrom, "paid_to": f.PaidTo} {
		if v != "" {
			if _, err := kst.ParseDay(v); err != nil {
				fe.Add(name, "날짜는 YYYY-MM-DD 형식입니다.", "dates are YYYY-MM-DD")
			}
		}
	}
	if f.Enrollment != "" && Label(EnrollStatuses, f.Enrollment) == f.Enrollment {
		fe.Add("enrollment_status", "알 수 없는 수강생 상태입니다.", "unknown enrollment_status")
	}
	if f.ItemStatus != "" && Label(ItemStatuses, f.ItemStatus) == f.ItemStatus {
		fe.Add("item_status", "알 수 없는 주문 상태입니다.", "unknown item_status")
	}
	switch f.Field {
	case "", "order_no", "course", "member_login", "member_name":
	default:
		fe.Add("field", "검색 항목은 order_no, course, member_login, member_name입니다.", "field must be order_no, course, member_login or member_name")
	}
	return fe.Err()
}

func (s *Service) voucherWhere(a access.Actor, f VoucherFilter) sqldb.Where {
	var w sqldb.Where
	w.Add("i.gov_refundable = ? AND i.kind = 'course' AND o.status <> 'pending'", true)
	if scope := a.ReadScope(); scope != nil {
		w.In("o.site", scope)
	}
	if f.Site != "" {
		w.Add("o.site = ?", f.Site)
	}
	if f.ProductIDs != nil {
		if len(f.ProductIDs) == 0 {
			w.Add("1 = 0")
		} else {
			ph := make([]string, len(f.ProductIDs))
			for i, id := range f.ProductIDs {
				ph[i] = w.Arg(id)
			}
			w.Add("i.product_id IN (" + strings.Join(ph, ", ") + ")")
		}
	}
	if f.OrderedFrom != "" {
		w.Add("o.ordered_day >= ?", f.OrderedFrom)
	}
	if f.OrderedTo != "" {
		w.Add("o.ordered_day <= ?", f.OrderedTo)
	}
	if f.PaidFrom != "" {
		w.Add("o.paid_day >= ?", f.PaidFrom)
	}
	if f.PaidTo != "" {
		w.Add("o.paid_day <= ? AND o.paid_day <> ''", f.PaidTo)
	}
	if f.Enrollment != "" {
		w.Add("COALESCE(e.status, '') = ?", f.Enrollment)
	}
	if f.ItemStatus != "" {
		w.Add("i.status = ?", f.ItemStatus)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		no, numErr := strconv.ParseInt(q, 10, 64)
		if numErr != nil {
			no = -1
		}
		like := sqldb.Like(q)
		switch f.Field {
		case "order_no":
			w.Add("o.order_no = ?", no)
		case "course":
			w.Add("LOWER(i.name) LIKE ? ESCAPE '\\'", like)
		case "member_login":
			w.Add("o.buyer_login = ?", q)
		case "member_name":
			w.Add("o.buyer_name = ?", q)
		default:
			w.Add("(o.order_no = ? OR o.buyer_login = ? OR o.buyer_name = ? OR LOWER(i.name) LIKE ? ESCAPE '\\')", no, q, q, like)
		}
	}
	return w
}

const voucherFrom = ` FROM order_items i JOIN orders o ON o.id = i.order_id LEFT JOIN enrollments e ON e.order_item_id = i.id`

// VoucherList is 근로자카드주문: newest order first, one page, with the total.
func (s *Service) VoucherList(ctx context.Context, a access.Actor, f VoucherFilter) (paging.Page[VoucherRow], error) {
	f.Params = f.Params.Normalize()
	page := paging.Page[VoucherRow]{Page: f.Page, PerPage: f.PerPage, Items: []VoucherRow{}}
	if err := ValidateVoucherFilter(&f); err != nil {
		return page, err
	}
	w := s.voucherWhere(a, f)
	if err := s.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*)`+voucherFrom+w.SQL(), w.Args()...).Scan(&page.Total); err != nil {
		return page, err
	}
	err := s.voucherEach(ctx, w, fmt.Sprintf(" LIMIT %d OFFSET %d", f.PerPage, f.Offset()), func(r VoucherRow) error {
		page.Items = append(page.Items, r)
		return nil
	})
	return page, err
}

// VoucherEach calls fn for every row of the filter, streaming (the exports).
func (s *Service) VoucherEach(ctx context.Context, a access.Actor, f VoucherFilter, fn func(VoucherRow) error) error {
	if err := ValidateVoucherFilter(&f); err != nil {
		return err
	}
	return s.voucherEach(ctx, s.voucherWhere(a, f), "", fn)
}

func (s *Service) voucherEach(ctx context.Context, w sqldb.Where, limit string, fn func(VoucherRow) error) error {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT COALESCE(e.id, 0), o.order_no, i.id, i.product_id, o.site, i.name, o.member_id,
		o.buyer_name, o.buyer_login, o.method, o.total, i.paid, i.refunded, o.ordered_day, o.paid_day, COALESCE(e.status, ''), i.status`+
		voucherFrom+w.SQL()+` ORDER BY o.order_no DESC, i.id DESC`+limit, w.Args()...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r VoucherRow
		if err := rows.Scan(&r.EnrollmentID, &r.OrderNo, &r.ItemID, &r.ProductID, &r.Site, &r.Course, &r.MemberID, &r.MemberName,
			&r.MemberLogin, &r.Method, &r.Total, &r.Paid, &r.Refunded, &r.OrderedDay, &r.PaidDay, &r.Enrollment, &r.ItemStatus); err != nil {
			return err
		}
		r.PaidDay = shownPaidDay(r.Method, r.PaidDay)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// VoucherCounts counts the rows of the filter per course (product id), for
// the 차수 picker: the filter's product choice is ignored, so that every
// round shows what choosing it would list.
func (s *Service) VoucherCounts(ctx context.Context, a access.Actor, f VoucherFilter) (map[int64]int, error) {
	if err := ValidateVoucherFilter(&f); err != nil {
		return nil, err
	}
	f.ProductIDs = nil
	w := s.voucherWhere(a, f)
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT i.product_id, COUNT(*)`+voucherFrom+w.SQL()+` GROUP BY i.product_id`, w.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// ApproveResult is what 수강승인 did with one enrollment.
type ApproveResult struct {
	EnrollmentID int64  `json:"enrollment_id"`
	OrderNo      int64  `json:"order_no,omitempty"`
	Approved     bool   `json:"approved"`
	Reason       string `json:"reason,omitempty"` // why it was refused, a sentence a clerk understands
}

// MaxApprove bounds one 선택 수강승인.
const MaxApprove = 500

// ApproveEnrollments is 선택 수강승인: each enrollment awaiting approval
// whose item is paid becomes active (승인대기 → 정상), each in its own
// transaction and audited. One that cannot be approved is refused with the
// reason and the others still go through.
func (s *Service) ApproveEnrollments(ctx context.Context, a access.Actor, ids []int64) ([]ApproveResult, error) {
	if len(ids) == 0 {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "수강승인할 수강생을 선택해 주세요.", English: "enrollment_ids must not be empty.",
			Fields: []apperr.FieldError{{Location: "enrollment_ids", Message: "선택된 수강생이 없습니다.", English: "empty"}}}
	}
	if len(ids) > MaxApprove {
		return nil, apperr.New(apperr.Invalid, fmt.Sprintf("한 번에 %d명까지 승인할 수 있습니다.", MaxApprove), fmt.Sprintf("at most %d enrollments at once", MaxApprove))
	}
	out := make([]ApproveResult, 0, len(ids))
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		res, err := s.approveOne(ctx, a, id)
		if err != nil {
			e, ok := apperr.As(err)
			if !ok {
				return out, err
			}
			res.Reason = e.Localized(a.Lang)
		}
		out = append(out, res)
	}
	return out, nil
}

func (s *Service) approveOne(ctx context.Context, a access.Actor, id int64) (ApproveResult, error) {
	res := ApproveResult{EnrollmentID: id}
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		e, err := loadEnrollment(ctx, tx, `e.id = $1`, id)
		if apperr.IsNotFound(err) {
			return apperr.New(apperr.NotFound, fmt.Sprintf("수강정보 %d은(는) 없습니다.", id), fmt.Sprintf("No enrollment %d.", id))
		}
		if err != nil {
			return err
		}
		if err := a.CheckRead(e.Site, "수강정보", "enrollment"); err != nil {
			return apperr.New(apperr.NotFound, fmt.Sprintf("수강정보 %d은(는) 없습니다.", id), fmt.Sprintf("No enrollment %d.", id))
		}
		res.OrderNo = e.OrderNo
		if err := a.CheckWrite(e.Site, "수강정보", "enrollment"); err != nil {
			return err
		}
		var itemStatus string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM order_items WHERE id = $1`, e.ItemID).Scan(&itemStatus); err != nil {
			return err
		}
		if err := approvable(e, itemStatus); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `UPDATE enrollments SET status = 'active', approved_at = $1, updated_at = $1
			WHERE id = $2 AND status = 'awaiting_approval'
			AND EXISTS (SELECT 1 FROM order_items i WHERE i.id = enrollments.order_item_id AND i.status = 'paid')`, now, id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, fmt.Sprintf("주문 %d의 수강정보가 방금 바뀌었습니다. 다시 확인해 주세요.", e.OrderNo), "The enrollment changed meanwhile; reload it.")
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Site: e.Site, Action: "enrollment.approve", Entity: "enrollment", EntityID: id,
			Before: map[string]any{"status": e.Status, "order_no": e.OrderNo}, After: map[string]any{"status": EnrollActive}})
	})
	res.Approved = err == nil
	return res, err
}

// approvable explains why an enrollment cannot be approved, without codes.
func approvable(e Enrollment, itemStatus string) error {
	no := e.OrderNo
	switch {
	case e.Status == EnrollAwaitingApproval && itemStatus == ItemPaid:
		return nil
	case e.Status == EnrollActive:
		return apperr.New(apperr.Conflict, fmt.Sprintf("주문 %d의 수강생은 이미 승인되었습니다.", no), fmt.Sprintf("Order %d: the learner is already approved.", no))
	case e.Status == EnrollCancelled:
		return apperr.New(apperr.Conflict, fmt.Sprintf("주문 %d의 수강은 취소되었습니다. 취소된 수강은 승인할 수 없습니다.", no), fmt.Sprintf("Order %d: the enrollment is cancelled.", no))
	case e.Status == EnrollAwaitingDeposit || itemStatus == ItemAwaitingDeposit:
		return apperr.New(apperr.Conflict, fmt.Sprintf("주문 %d은(는) 아직 결제(입금)되지 않았습니다. 결제완료 후 승인해 주세요.", no), fmt.Sprintf("Order %d is not paid yet.", no))
	case itemStatus == ItemRefundRequested:
		return apperr.New(apperr.Conflict, fmt.Sprintf("주문 %d은(는) 환불요청 중입니다. 환불을 처리한 뒤 승인해 주세요.", no), fmt.Sprintf("Order %d has an open refund request.", no))
	}
	return apperr.New(apperr.Conflict, fmt.Sprintf("주문 %d은(는) %s 상태라서 승인할 수 없습니다.", no, Label(ItemStatuses, itemStatus)), fmt.Sprintf("Order %d cannot be approved in its present state.", no))
}

// CancelEnrollment is 수강취소 of an item that has no money left to
// refund (0원 paid: voucher-paid or 무과금): the enrollment is cancelled
// with the reason, the item becomes cancelled (shown 수강취소), no journal
// row is written, and the change is audited. When every item of a paid
// order that received nothing is then cancelled, the order is cancelled too
// (결제취소). An item with money left is refused: its 수강취소 is a refund
// request. There is no undo.
func (s *Service) CancelEnrollment(ctx context.Context, a access.Actor, id int64, reason string) (Enrollment, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return Enrollment{}, &apperr.Error{Code: apperr.Invalid, Message: "수강취소 사유를 적어 주세요.", English: "reason is required.",
			Fields: []apperr.FieldError{{Location: "reason", Message: "사유를 적어 주세요.", English: "required"}}}
	case len([]rune(reason)) > 500:
		return Enrollment{}, &apperr.Error{Code: apperr.Invalid, Message: "수강취소 사유는 500자 이하입니다.", English: "reason must have at most 500 characters.",
			Fields: []apperr.FieldError{{Location: "reason", Message: "500자 이하입니다.", English: "at most 500 characters"}}}
	}
	now := sqldb.Instant(s.Now())
	var out Enrollment
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		e, err := loadEnrollment(ctx, tx, `e.id = $1`, id)
		if err != nil {
			return err
		}
		if err := a.CheckRead(e.Site, "수강정보", "enrollment"); err != nil {
			return err
		}
		if err := a.CheckWrite(e.Site, "수강정보", "enrollment"); err != nil {
			return err
		}
		var it Item
		var orderID int64
		if err := tx.QueryRowContext(ctx, `SELECT order_id, status, paid, refunded FROM order_items WHERE id = $1`, e.ItemID).
			Scan(&orderID, &it.Status, &it.Paid, &it.Refunded); err != nil {
			return err
		}
		switch {
		case e.Status == EnrollCancelled:
			return apperr.New(apperr.Conflict, "이미 수강취소된 수강생입니다.", "The enrollment is already cancelled.")
		case it.Status == ItemRefundRequested:
			return apperr.New(apperr.Conflict, "환불요청 중인 항목입니다. 환불관리에서 처리해 주세요.", "The item has an open refund request; finish it in 환불관리.")
		case it.Status != ItemPaid:
			return apperr.New(apperr.Conflict, "결제완료된 항목만 수강취소할 수 있습니다. 입금 전이면 주문취소를 해 주세요.",
				"Only a paid item can be cancelled this way; cancel an unpaid order instead.")
		case it.Left() > 0:
			return apperr.New(apperr.Conflict, fmt.Sprintf("환불할 금액(%d원)이 남아 있습니다. 수강취소는 환불신청으로 처리해 주세요.", it.Left()),
				"The item has money left to refund; its cancellation is a refund request.")
		}
		// The order row is taken first, so that two 수강취소 of one order's
		// items run one after the other and the second sees the first when
		// it decides whether the order is left with nothing (cancelEmptyOrder).
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET updated_at = $1 WHERE id = $2`, now, orderID); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `UPDATE enrollments SET status = 'cancelled', cancelled_at = $1, cancel_reason = $2, updated_at = $1
			WHERE id = $3 AND status = $4`, now, reason, id, e.Status)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "수강정보가 방금 바뀌었습니다. 다시 확인해 주세요.", "The enrollment changed meanwhile; reload it.")
		}
		r, err = tx.ExecContext(ctx, `UPDATE order_items SET status = 'cancelled' WHERE id = $1 AND status = 'paid' AND paid = refunded`, e.ItemID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "주문 항목이 방금 바뀌었습니다. 다시 확인해 주세요.", "The order item changed meanwhile; reload it.")
		}
		orderCancelled, err := s.cancelEmptyOrder(ctx, tx, a, orderID, reason, now)
		if err != nil {
			return err
		}
		out = e
		out.Status = EnrollCancelled
		return audit.Record(ctx, tx, now, a, audit.Change{Site: e.Site, Action: "enrollment.cancel", Entity: "enrollment", EntityID: id,
			Before: map[string]any{"status": e.Status, "order_no": e.OrderNo, "item_id": e.ItemID, "item_status": it.Status},
			After:  map[string]any{"status": EnrollCancelled, "item_status": ItemCancelled, "reason": reason, "order_cancelled": orderCancelled}})
	})
	return out, err
}

// cancelEmptyOrder moves a paid order that received nothing to cancelled
// once every one of its items is cancelled, and gives its coupon code back
// as a cancelled order does (a coupon can make an order 0원); it reports
// whether it did.
func (s *Service) cancelEmptyOrder(ctx context.Context, tx *sqldb.Tx, a access.Actor, orderID int64, reason string, now time.Time) (bool, error) {
	var site string
	var open int
	err := tx.QueryRowContext(ctx, `SELECT o.site, (SELECT COUNT(*) FROM order_items i WHERE i.order_id = o.id AND i.status <> 'cancelled')
		FROM orders o WHERE o.id = $1`, orderID).Scan(&site, &open)
	if err != nil || open > 0 {
		return false, err
	}
	var status string
	err = tx.QueryRowContext(ctx, `UPDATE orders SET status = 'cancelled', cancelled_at = $1, cancel_reason = $2, updated_at = $1
		WHERE id = $3 AND status = 'paid' AND collected = 0 AND refunded = 0 RETURNING status`, now, "수강취소 "+reason, orderID).Scan(&status)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := s.giveBackCoupon(ctx, tx, a, orderID, now, "수강취소"); err != nil {
		return false, err
	}
	return true, count(ctx, tx, orderID, StatusPaid, StatusCancelled)
}

// EnrollmentCancel is when and why an enrollment was cancelled on its own.
type EnrollmentCancel struct {
	At     *time.Time `json:"cancelled_at"`
	Reason string     `json:"cancel_reason"`
}

// EnrollmentCancels returns the 수강취소 reasons of an order's enrollments by
// item id (the order page shows them).
func (s *Service) EnrollmentCancels(ctx context.Context, a access.Actor, orderNo int64) (map[int64]EnrollmentCancel, error) {
	q := s.DB.Read()
	o, err := s.load(ctx, q, a, orderNo)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT order_item_id, cancelled_at, cancel_reason FROM enrollments WHERE order_id = $1 AND cancelled_at IS NOT NULL`, o.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]EnrollmentCancel{}
	for rows.Next() {
		var id int64
		var at sql.NullTime
		var c EnrollmentCancel
		if err := rows.Scan(&id, &at, &c.Reason); err != nil {
			return nil, err
		}
		if at.Valid {
			c.At = &at.Time
		}
		out[id] = c
	}
	return out, rows.Err()
}

// StatusLabel is the item's state as the order page shows it: a course item
// cancelled on its own (수강취소 without money) in an order that goes on
// reads 수강취소, other states their label.
func (it Item) StatusLabel(orderStatus string) string {
	if it.Status == ItemCancelled && it.EnrollmentStatus == EnrollCancelled && orderStatus != StatusCancelled {
		return "수강취소"
	}
	return Label(ItemStatuses, it.Status)
}

// MoneyFreeCancel says whether the order page's 수강취소 of the item cancels
// its enrollment at once (a paid course item with nothing left to refund)
// rather than opening a refund request.
func (it Item) MoneyFreeCancel() bool {
	return it.Kind == "course" && it.EnrollmentID != 0 && it.Status == ItemPaid && it.Left() <= 0 && it.EnrollmentStatus != EnrollCancelled
}
