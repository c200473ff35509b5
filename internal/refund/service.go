package refund

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/notify"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/won"
)

// Service holds the refund rules.
type Service struct {
	DB       *sqldb.DB
	Box      *secret.Box
	Now      func() time.Time
	Log      *slog.Logger
	Gateways map[string]payment.Gateway
	Outbox   *notify.Outbox
	Coupons  *coupon.Service // gives a code back after a full refund (coupon.go)
}

// Request records a refund request for items of one order; the items become
// refund_requested. Staff file it on the member's behalf (환불신청), or the
// storefront does.
func (s *Service) Request(ctx context.Context, a access.Actor, in RequestInput) (Refund, error) {
	var fe apperr.Fields
	if len(in.ItemIDs) == 0 {
		fe.Add("item_ids", "환불할 항목을 선택해 주세요.", "item_ids must not be empty")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if len([]rune(in.Reason)) > 1000 {
		fe.Add("reason", "사유는 1000자 이하입니다.", "reason must have at most 1000 characters")
	}
	switch in.Method {
	case MethodPGCancel:
	case MethodBankTransfer:
		if in.Bank == nil || strings.TrimSpace(in.Bank.Name) == "" || strings.TrimSpace(in.Bank.Holder) == "" || len(secret.Digits(in.Bank.Account)) < 6 {
			fe.Add("bank", "계좌이체 환불에는 은행명, 계좌번호, 예금주가 필요합니다.", "bank_transfer needs bank name, account and holder")
		}
	default:
		fe.Add("method", "환불방법은 pg_cancel 또는 bank_transfer입니다.", "method must be pg_cancel or bank_transfer")
	}
	if err := fe.Err(); err != nil {
		return Refund{}, err
	}
	var id int64
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		var orderID int64
		var site, method, status, gateway string
		err := tx.QueryRowContext(ctx, `SELECT id, site, method, status, gateway FROM orders WHERE order_no = $1`, in.OrderNo).
			Scan(&orderID, &site, &method, &status, &gateway)
		if err != nil {
			return sqldb.NotFound(err, "주문", "order")
		}
		if err := a.CheckWrite(site, "주문", "order"); err != nil {
			return err
		}
		if status != order.StatusPaid && status != order.StatusPartiallyRefunded {
			if err := order.CheckTransition(status, order.StatusPartiallyRefunded); err != nil {
				return err
			}
			return apperr.New(apperr.Conflict, "결제완료된 주문만 환불을 요청할 수 있습니다.", "Only a paid order can be refunded.")
		}
		switch {
		case in.Method == MethodPGCancel && gateway == "":
			return apperr.New(apperr.Invalid, "결제대행사를 거치지 않은 주문은 계좌이체로 환불합니다.", "This order was not paid through a gateway; use bank_transfer.")
		case in.Method == MethodBankTransfer && method != "bank_deposit" && method != "vbank":
			return apperr.New(apperr.Invalid, "계좌이체 환불은 자체계좌·가상계좌 주문에만 씁니다.", "bank_transfer is for bank_deposit and vbank orders.")
		}
		if err := order.HoldForRefund(ctx, tx, orderID); err != nil {
			return err
		}
		items, err := order.LoadRefundable(ctx, tx, orderID)
		if err != nil {
			return err
		}
		seen := map[int64]bool{}
		for i, itemID := range in.ItemIDs {
			loc := fmt.Sprintf("item_ids[%d]", i)
			idx := slices.IndexFunc(items.Items, func(it order.Item) bool { return it.ID == itemID })
			switch {
			case seen[itemID]:
				return apperr.New(apperr.Invalid, fmt.Sprintf("항목 %d가 두 번 들어 있습니다.", itemID), fmt.Sprintf("item %d given twice", itemID))
			case idx < 0:
				return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("이 주문의 항목이 아닙니다: %d", itemID), English: fmt.Sprintf("item %d is not in order %d", itemID, in.OrderNo),
					Fields: []apperr.FieldError{{Location: loc, Message: "이 주문의 항목이 아닙니다.", English: "not an item of this order"}}}
			case items.Items[idx].Status != order.ItemPaid || items.Items[idx].Left() <= 0:
				ko, en := order.ItemRefusal(items.Items[idx])
				return &apperr.Error{Code: apperr.Conflict, Message: ko, English: en,
					Fields: []apperr.FieldError{{Location: loc, Message: ko, English: en}}}
			}
			seen[itemID] = true
		}
		if err := order.SetItemsRequested(ctx, tx, orderID, in.ItemIDs, false); err != nil {
			return err
		}
		var bankName, bankAcct, bankHolder string
		if in.Method == MethodBankTransfer {
			bankName, bankHolder = strings.TrimSpace(in.Bank.Name), strings.TrimSpace(in.Bank.Holder)
			if bankAcct, err = s.Box.Seal(strings.TrimSpace(in.Bank.Account)); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO refunds (order_id, site, status, reason, method, bank_name, bank_account, bank_holder,
			requested_by, requested_at, requested_day) VALUES ($1, $2, 'requested', $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			orderID, site, in.Reason, in.Method, bankName, bankAcct, bankHolder, a.Login, now, kst.Day(now)).Scan(&id); err != nil {
			return err
		}
		for _, itemID := range in.ItemIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO refund_items (refund_id, item_id) VALUES ($1, $2)`, id, itemID); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Site: site, Action: "refund.request", Entity: "refund", EntityID: id,
			After: map[string]any{"order_no": in.OrderNo, "items": in.ItemIDs, "method": in.Method, "reason": in.Reason}})
	})
	if err != nil {
		return Refund{}, err
	}
	return s.Get(ctx, a, id)
}

// Allocate splits amount over the items' remaining amounts in proportion
// (largest remainder, so the shares add up exactly), then any rest to
// shipping. amount must not exceed the sum of remaining plus shipping.
func Allocate(amount int64, left map[int64]int64, shipping int64) (map[int64]int64, int64) {
	var itemsLeft int64
	ids := make([]int64, 0, len(left))
	for id, v := range left {
		itemsLeft += v
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	toItems := min(amount, itemsLeft)
	shares := map[int64]int64{}
	if itemsLeft == 0 {
		return shares, amount
	}
	type rem struct {
		id int64
		r  int64
	}
	var rems []rem
	var given int64
	for _, id := range ids {
		// toItems × left can pass int64 (10,000,000,000 won × 10,000,000,000
		// won): the share is computed in 128 bits.
		q, r := won.MulDiv(toItems, left[id], itemsLeft)
		shares[id] = q
		given += q
		rems = append(rems, rem{id, r})
	}
	sort.SliceStable(rems, func(i, j int) bool { return rems[i].r > rems[j].r })
	for i := 0; given < toItems; i++ {
		shares[rems[i%len(rems)].id]++
		given++
	}
	return shares, amount - toItems
}

// completion is what 환불완료 asked for, kept with a claimed gateway call
// until its answer is recorded.
type completion struct {
	Amount    int64  `json:"amount"`
	Memo      string `json:"memo"`
	NotifySMS bool   `json:"notify_sms"`
}

// Complete is 환불완료: it returns amount (at most what is refundable). A
// transfer (계좌이체) is recorded in one transaction. A gateway refund
// (pg_cancel) goes claim → call → record: the order is claimed with the
// idempotency key refund-<id> (a second click, a denial or a 주문취소 meanwhile
// is refused), the gateway's partial cancel is called outside any transaction,
// and a second transaction books the money. A refusal by the gateway releases
// the claim and leaves the request requested with the gateway's message.
func (s *Service) Complete(ctx context.Context, a access.Actor, id int64, in CompleteInput) (Refund, error) {
	in.Memo = strings.TrimSpace(in.Memo)
	if in.Amount <= 0 {
		return Refund{}, &apperr.Error{Code: apperr.Invalid, Message: "환불금액은 0원보다 커야 합니다.", English: "amount must be positive",
			Fields: []apperr.FieldError{{Location: "amount", Message: "0원보다 커야 합니다.", English: "must be positive"}}}
	}
	if in.Amount > won.Max {
		return Refund{}, &apperr.Error{Code: apperr.Invalid, Message: "환불금액은 " + won.MaxLabel + " 이하입니다.", English: "amount must be at most 10,000,000,000 won",
			Fields: []apperr.FieldError{{Location: "amount", Message: won.MaxLabel + " 이하입니다.", English: "at most 10,000,000,000"}}}
	}
	want := completion{Amount: in.Amount, Memo: in.Memo, NotifySMS: in.NotifySMS}
	now := sqldb.Instant(s.Now())
	var call *order.Call
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		call = nil
		r, orderID, err := s.load(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := a.CheckWrite(r.Site, "환불", "refund"); err != nil {
			return err
		}
		if err := s.lockRequested(ctx, tx, id); err != nil {
			return err
		}
		ref, err := order.LoadRefundable(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if _, refundable := s.refundable(ref, r.Items); in.Amount > refundable {
			return overRefundable(refundable)
		}
		if r.Method != MethodPGCancel {
			return s.completeTx(ctx, tx, a, id, want, now, nil)
		}
		if _, ok := s.Gateways[ref.Gateway]; !ok {
			return apperr.New(apperr.Invalid, "알 수 없는 결제대행사입니다: "+ref.Gateway, "unknown gateway "+ref.Gateway)
		}
		params, _ := json.Marshal(want)
		c := order.Call{Key: fmt.Sprintf("refund-%d", id), Kind: order.CallRefund, OrderID: orderID, OrderNo: ref.OrderNo, RefundID: id,
			Gateway: ref.Gateway, PaymentKey: ref.PaymentKey, Amount: in.Amount, Reason: cmp.Or(r.Reason, "환불"), Params: params,
			Actor: access.Actor{StaffID: a.StaffID, Login: a.Login}, ClaimedAt: now}
		if err := order.ClaimCall(ctx, tx, &c, order.StatusPaid, order.StatusPartiallyRefunded); err != nil {
			return err
		}
		call = &c
		return nil
	})
	if err != nil {
		return Refund{}, err
	}
	if call != nil {
		if err := s.callRefund(ctx, *call); err != nil {
			return Refund{}, err
		}
	}
	return s.Get(ctx, a, id)
}

func overRefundable(refundable int64) error {
	return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("환불금액이 환불가능금액(%d원)보다 큽니다.", refundable),
		English: fmt.Sprintf("amount exceeds the refundable %d won", refundable),
		Fields:  []apperr.FieldError{{Location: "amount", Message: fmt.Sprintf("환불가능금액은 %d원입니다.", refundable), English: fmt.Sprintf("at most %d", refundable)}}}
}

// lockRequested locks refund id for the caller's transaction if it is still
// requested: a concurrent completion or denial waits here and then sees what
// this one did.
func (s *Service) lockRequested(ctx context.Context, tx *sqldb.Tx, id int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE refunds SET gateway_error = gateway_error WHERE id = $1 AND status = 'requested'`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		var cur string
		_ = tx.QueryRowContext(ctx, `SELECT status FROM refunds WHERE id = $1`, id).Scan(&cur)
		return statusRefusal(cur)
	}
	return nil
}

// completeTx books the completion of refund id in the caller's transaction:
// the money is split over the items (and shipping), returned on the order,
// the request is completed, the gateway's answer (if any) goes to 결제내역,
// the SMS is queued and the change audited.
func (s *Service) completeTx(ctx context.Context, tx *sqldb.Tx, a access.Actor, id int64, in completion, now time.Time, answer *payment.Result) error {
	r, orderID, err := s.load(ctx, tx, access.System(), id)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE refunds SET status = 'completed' WHERE id = $1 AND status = 'requested'`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return statusRefusal(r.Status) // completed or denied meanwhile: said without state codes
	}
	ref, err := order.LoadRefundable(ctx, tx, orderID)
	if err != nil {
		return err
	}
	left, refundable := s.refundable(ref, r.Items)
	if in.Amount > refundable {
		return overRefundable(refundable)
	}
	itemsLeft := int64(0)
	for _, v := range left {
		itemsLeft += v
	}
	shares, shipping := Allocate(in.Amount, left, refundable-itemsLeft)
	kind := "partial"
	if in.Amount == refundable {
		kind = "full"
	}
	if _, err := order.ReturnMoney(ctx, tx, ref, shares, shipping, now, fmt.Sprintf("환불 %d", id)); err != nil {
		return err
	}
	if err := s.couponBack(ctx, tx, a, orderID, now); err != nil {
		return err
	}
	for itemID, v := range shares {
		if _, err := tx.ExecContext(ctx, `UPDATE refund_items SET amount = $1 WHERE refund_id = $2 AND item_id = $3`, v, id, itemID); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE refunds SET amount = $1, kind = $2, memo = $3, handled_by = $4, completed_at = $5,
		notify_sms = $6, gateway_error = '' WHERE id = $7`, in.Amount, kind, in.Memo, a.Login, now, in.NotifySMS, id); err != nil {
		return err
	}
	if answer != nil {
		if err := order.RecordCancel(ctx, tx, orderID, ref.Gateway, *answer, now); err != nil {
			return err
		}
	}
	if in.NotifySMS {
		body := fmt.Sprintf("[환불완료] 주문 %d의 %s원이 환불되었습니다.", ref.OrderNo, won.Number(in.Amount))
		if err := s.notify(ctx, tx, orderID, id, body); err != nil {
			return err
		}
	}
	return audit.Record(ctx, tx, now, a, audit.Change{Site: r.Site, Action: "refund.complete", Entity: "refund", EntityID: id,
		Before: map[string]any{"status": StatusRequested}, After: map[string]any{"status": StatusCompleted, "amount": in.Amount, "kind": kind, "memo": in.Memo}})
}

// callRefund calls the gateway for a claimed refund and records its answer.
// Neither the call nor the record stops when the clerk's request goes away.
func (s *Service) callRefund(ctx context.Context, c order.Call) error {
	ctx = context.WithoutCancel(ctx)
	g, ok := s.Gateways[c.Gateway]
	if !ok {
		return apperr.New(apperr.Invalid, "알 수 없는 결제대행사입니다: "+c.Gateway, "unknown gateway "+c.Gateway)
	}
	gctx, cancel := context.WithTimeout(ctx, order.GatewayTimeout)
	res, gerr := g.Cancel(gctx, payment.CancelRequest{PaymentKey: c.PaymentKey, Amount: c.Amount, Reason: c.Reason, IdempotencyKey: c.Key})
	cancel()
	return s.recordRefund(ctx, c, res, gerr)
}

// recordRefund is the record step of a gateway refund: the money is booked
// with the gateway's answer, or the claim is released on a refusal and the
// request keeps the gateway's message. An answer that never came leaves the
// claim for RecoverRefunds.
func (s *Service) recordRefund(ctx context.Context, c order.Call, res payment.Result, gerr error) error {
	var declined *payment.Declined
	if gerr != nil && !errors.As(gerr, &declined) {
		s.Log.WarnContext(ctx, "gateway refund without an answer; recovery will ask again", "refund", c.RefundID, "key", c.Key, "err", gerr)
		return apperr.Wrap(apperr.Conflict, gerr, "결제대행사의 응답을 받지 못했습니다. 환불 결과를 확인해 곧 자동으로 반영합니다.",
			"The payment gateway did not answer; the outcome will be checked and recorded shortly.")
	}
	var want completion
	if err := json.Unmarshal(c.Params, &want); err != nil {
		return fmt.Errorf("refund %d: claimed call %s: %w", c.RefundID, c.Key, err)
	}
	msg := res.Message
	if declined != nil && msg == "" {
		msg = gerr.Error()
	}
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		// The request's row first, then the order's, in the order that Complete takes them.
		if _, err := tx.ExecContext(ctx, `UPDATE refunds SET gateway_error = gateway_error WHERE id = $1`, c.RefundID); err != nil {
			return err
		}
		if err := order.SettleCall(ctx, tx, c.Key, declined == nil, msg, now); err != nil {
			return err
		}
		if declined == nil {
			return s.completeTx(ctx, tx, c.Actor, c.RefundID, want, now, &res)
		}
		if err := order.RecordCancel(ctx, tx, c.OrderID, c.Gateway, res, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE refunds SET gateway_error = $1 WHERE id = $2 AND status = 'requested'`, sqldb.Truncate(msg, 500), c.RefundID)
		return err
	})
	switch {
	case errors.Is(err, order.ErrCallSettled):
		return nil // recorded by the recovery job meanwhile
	case err != nil:
		s.Log.ErrorContext(ctx, "recording a gateway refund failed; recovery will retry", "refund", c.RefundID, "key", c.Key, "err", err)
		return err
	case declined != nil:
		return apperr.Wrap(apperr.Conflict, gerr, "결제대행사에서 환불하지 못했습니다: "+msg, "The gateway refused the refund: "+res.Code+" "+msg)
	}
	return nil
}

// RecoverRefunds settles the gateway refunds claimed before before whose
// answer was never recorded: it repeats each at the gateway with the same
// idempotency key (the gateway answers what the first call did, or does it
// now) and records the answer once. It returns how many it settled.
func (s *Service) RecoverRefunds(ctx context.Context, before time.Time) (int, error) {
	calls, err := order.OpenCalls(ctx, s.DB.Read(), order.CallRefund, before)
	if err != nil {
		return 0, err
	}
	done := 0
	var errs []error
	for _, c := range calls {
		if ctx.Err() != nil { // shutting down: the rest waits for the next start
			break
		}
		var declined *payment.Declined
		if err := s.callRefund(ctx, c); err != nil && !errors.As(err, &declined) {
			errs = append(errs, fmt.Errorf("refund %s: %w", c.Key, err))
			continue
		}
		done++
		s.Log.InfoContext(ctx, "recovered a gateway refund", "refund", c.RefundID, "key", c.Key)
	}
	return done, errors.Join(errs...)
}

// OpenRequest returns the open refund request (환불요청) of an order, 0 if none.
func OpenRequest(ctx context.Context, q sqldb.Querier, orderID int64) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM refunds WHERE order_id = $1 AND status = 'requested' ORDER BY id LIMIT 1`, orderID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// refundable is what this request may still return: its items' remaining
// amounts, plus the order's shipping fee when the request covers every item
// that has money left.
func (s *Service) refundable(ref order.Refundable, items []Item) (map[int64]int64, int64) {
	left := map[int64]int64{}
	var total int64
	mine := map[int64]bool{}
	for _, it := range items {
		mine[it.ItemID] = true
	}
	coversAll := true
	for _, it := range ref.Items {
		if it.Status == order.ItemCancelled {
			continue
		}
		if mine[it.ID] {
			left[it.ID] = it.Left()
			total += it.Left()
		} else if it.Left() > 0 {
			coversAll = false
		}
	}
	if coversAll {
		total += ref.Shipping
	}
	return left, total
}

// DenyInput is 환불불가: why, and whether to tell the member by SMS.
type DenyInput struct {
	Reason    string `json:"reason"`
	NotifySMS bool   `json:"notify_sms"`
}

// Deny is 환불불가: the request ends with a reason and its items are paid
// again; with NotifySMS the member's mobile gets the reason.
func (s *Service) Deny(ctx context.Context, a access.Actor, id int64, in DenyInput) (Refund, error) {
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return Refund{}, &apperr.Error{Code: apperr.Invalid, Message: "환불불가 사유를 적어 주세요.", English: "reason is required",
			Fields: []apperr.FieldError{{Location: "reason", Message: "사유를 적어 주세요.", English: "required"}}}
	}
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		r, orderID, err := s.load(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := a.CheckWrite(r.Site, "환불", "refund"); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE refunds SET status = 'denied', deny_reason = $1, handled_by = $2, completed_at = $3, notify_sms = $4
			WHERE id = $5 AND status = 'requested'`, reason, a.Login, now, in.NotifySMS, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return statusRefusal(r.Status)
		}
		if open, err := order.RefundCallOpen(ctx, tx, id); err != nil || open {
			if err == nil {
				err = order.ErrGatewayBusy
			}
			return err
		}
		ids := make([]int64, len(r.Items))
		for i, it := range r.Items {
			ids[i] = it.ItemID
		}
		if err := order.SetItemsRequested(ctx, tx, orderID, ids, true); err != nil {
			return err
		}
		if in.NotifySMS {
			body := fmt.Sprintf("[환불불가] 주문 %d의 환불 요청을 처리하지 못했습니다. 사유: %s", r.OrderNo, cutRunes(reason, 60))
			if err := s.notify(ctx, tx, orderID, id, body); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Site: r.Site, Action: "refund.deny", Entity: "refund", EntityID: id,
			Before: map[string]any{"status": StatusRequested}, After: map[string]any{"status": StatusDenied, "reason": reason, "notify_sms": in.NotifySMS}})
	})
	if err != nil {
		return Refund{}, err
	}
	return s.Get(ctx, a, id)
}
