package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// A payment confirmation is claim → call → record:
//
//  1. claim: one transaction writes the payment key on the pending order
//     (confirm_key), only if no other confirmation holds it. A second
//     confirmation with another key loses here, before the gateway.
//  2. call: the gateway confirms, outside any transaction.
//  3. record: a second transaction stores the answer in 결제내역 and, if the
//     order still holds this claim, marks it paid (or awaiting deposit for a
//     virtual account). A declined payment releases the claim. A payment the
//     gateway approved that the order cannot take (cancelled meanwhile, claim
//     lost) is cancelled at once at the gateway with an idempotency key and
//     that cancel is recorded too.
//
// A process that dies between the claim and the record leaves the claim.
// After ClaimTTL it is settled by asking the gateway (Lookup): an approved
// payment is recorded (or cancelled if the order cannot take it), an unknown
// or declined one releases the claim. The same payment key may confirm
// again at once after ClaimTTL; RecoverConfirmClaims settles the leftovers at
// start and periodically.

// ClaimTTL is how long a confirmation's claim stands before it is settled by
// asking the gateway; longer than a gateway call may take.
const ClaimTTL = time.Minute

// claim is a confirmation's hold on an order.
type claim struct {
	orderID int64
	orderNo int64
	key     string
	gateway string
}

var errClaimTaken = apperr.New(apperr.Conflict, "이 주문의 결제 승인이 이미 진행 중입니다. 잠시 후 주문 상태를 확인해 주세요.",
	"A payment of this order is being confirmed already; check the order again in a moment.")

// claimConfirm claims the pending order o for paymentKey. It answers done
// when the order was already paid with this very key.
func (s *Service) claimConfirm(ctx context.Context, o row, gatewayName, paymentKey string) (done bool, err error) {
	for attempt := 0; attempt < 2; attempt++ {
		now := sqldb.Instant(s.Now())
		var n int64
		err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE orders SET confirm_key = $1, confirm_gateway = $2, confirm_at = $3
				WHERE id = $4 AND status = 'pending' AND confirm_key = ''`, paymentKey, gatewayName, now, o.ID)
			if err != nil {
				return err
			}
			n, _ = res.RowsAffected()
			return nil
		})
		if err != nil || n == 1 {
			return false, err
		}
		cur, err := loadClaim(ctx, s.DB.Read(), o.ID)
		if err != nil {
			return false, err
		}
		switch {
		case cur.status != StatusPending && cur.paymentKey == paymentKey && cur.status != StatusCancelled:
			return true, nil // confirmed meanwhile with this key
		case cur.status != StatusPending:
			return false, CheckTransition(cur.status, StatusPaid)
		case cur.key == "":
			continue // released meanwhile
		case cur.at.After(now.Add(-ClaimTTL)):
			return false, errClaimTaken
		}
		// A stale claim: its process died or gave up. Ask the gateway what
		// became of it before anyone else may confirm.
		if err := s.settleClaim(ctx, claim{orderID: o.ID, orderNo: o.OrderNo, key: cur.key, gateway: cur.gateway}); err != nil {
			return false, err
		}
	}
	return false, errClaimTaken
}

type claimRow struct {
	status, paymentKey, key, gateway string
	at                               time.Time
}

func loadClaim(ctx context.Context, q sqldb.Querier, orderID int64) (claimRow, error) {
	var c claimRow
	var at sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT status, payment_key, confirm_key, confirm_gateway, confirm_at FROM orders WHERE id = $1`, orderID).
		Scan(&c.status, &c.paymentKey, &c.key, &c.gateway, &at)
	c.at = at.Time
	return c, err
}

// releaseClaim lets another confirmation claim the order.
func releaseClaim(ctx context.Context, tx *sqldb.Tx, orderID int64, key string) error {
	_, err := tx.ExecContext(ctx, `UPDATE orders SET confirm_key = '', confirm_gateway = '', confirm_at = NULL WHERE id = $1 AND confirm_key = $2`, orderID, key)
	return err
}

// approved reports whether the gateway holds money (or an issued virtual
// account) for this order under the key.
func approved(r payment.Result) bool {
	return r.Status == payment.StatusDone || r.Status == payment.StatusWaitingDeposit
}

// confirmAtGateway confirms the payment; a gateway that already processed
// this key (a retry after a crash) is asked what it holds.
func confirmAtGateway(ctx context.Context, g payment.Gateway, req payment.ConfirmRequest) (payment.Result, error) {
	res, err := g.Confirm(ctx, req)
	var d *payment.Declined
	if errors.As(err, &d) && d.Result.Code == "ALREADY_PROCESSED_PAYMENT" {
		if got, lerr := g.Lookup(ctx, req.PaymentKey); lerr == nil && approved(got) && got.OrderNo == req.OrderNo && got.Amount == req.Amount {
			return got, nil
		}
	}
	return res, err
}

// recordConfirm is the third step: it stores the gateway's answer and moves
// the order if it still holds the claim. It runs on a context that the
// client cannot cancel: the money has moved at the gateway. answer, if
// given, runs last in the transaction that moved the order.
func (s *Service) recordConfirm(ctx context.Context, c claim, res payment.Result, gerr error, answer func(context.Context, *sqldb.Tx) error) error {
	ctx = context.WithoutCancel(ctx)
	var declined *payment.Declined
	if gerr != nil && !errors.As(gerr, &declined) {
		// Unknown outcome (timeout, network): the claim stays and is settled
		// by asking the gateway after ClaimTTL.
		return fmt.Errorf("gateway %s: %w", c.gateway, gerr)
	}
	now := sqldb.Instant(s.Now())
	void := false
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		void = false
		o, err := loadOrder(ctx, tx, c.orderNo)
		if err != nil {
			return err
		}
		if _, err := recordTx(ctx, tx, o.ID, c.gateway, "confirm", "", fields(res, c.key), now); err != nil {
			return err
		}
		if declined != nil {
			return releaseClaim(ctx, tx, o.ID, c.key)
		}
		secretHash := ""
		if res.Secret != "" {
			secretHash = hashSecret(res.Secret)
		}
		up, err := tx.ExecContext(ctx, `UPDATE orders SET gateway = $1, payment_key = $2, deposit_secret = $3, vbank_account = $4,
			confirm_key = '', confirm_gateway = '', confirm_at = NULL
			WHERE id = $5 AND status = 'pending' AND confirm_key = $2`,
			c.gateway, c.key, secretHash, strings.TrimSpace(res.AccountBank+" "+res.AccountNumber), o.ID)
		if err != nil {
			return err
		}
		if n, _ := up.RowsAffected(); n != 1 {
			if o.PaymentKey == c.key && o.Status != StatusPending && o.Status != StatusCancelled {
				return nil // recorded already (a retry)
			}
			void = true // the order cannot take this payment
			return nil
		}
		o.PaymentKey = c.key
		if res.Status == payment.StatusWaitingDeposit {
			if o.Items, err = loadItems(ctx, tx, o.ID); err != nil {
				return err
			}
			err = s.move(ctx, tx, &o, StatusPending, StatusAwaitingDeposit, now)
		} else {
			err = s.markPaid(ctx, tx, &o, StatusPending, now, c.gateway+" "+c.key)
		}
		if err != nil || answer == nil {
			return err
		}
		return answer(ctx, tx)
	})
	if err != nil {
		return err
	}
	if declined != nil {
		return apperr.Wrap(apperr.Invalid, gerr, "결제가 승인되지 않았습니다: "+declined.Result.Message+" ("+declined.Result.Code+")",
			"The payment was declined: "+declined.Result.Code)
	}
	if void {
		if err := s.voidPayment(ctx, c); err != nil {
			return err
		}
		return errVoided
	}
	return nil
}

var errVoided = apperr.New(apperr.Conflict, "주문이 그 사이 결제를 받을 수 없는 상태가 되어, 승인된 결제를 바로 취소했습니다.",
	"The order could no longer take the payment; the approved payment was cancelled at once.")

// voidPayment cancels at the gateway a payment that the order cannot take,
// records the cancel in 결제내역 and drops the claim. If the gateway cannot
// be reached the claim stays and the recovery tries again.
func (s *Service) voidPayment(ctx context.Context, c claim) error {
	ctx = context.WithoutCancel(ctx)
	g, err := s.gateway(c.gateway)
	if err != nil {
		return err
	}
	r, gerr := g.Cancel(ctx, payment.CancelRequest{PaymentKey: c.key, Reason: "주문이 결제를 받을 수 없어 자동 취소",
		IdempotencyKey: fmt.Sprintf("void-%d-%s", c.orderNo, c.key)})
	var d *payment.Declined
	if gerr != nil && !errors.As(gerr, &d) {
		s.Log.ErrorContext(ctx, "an approved payment the order cannot take was not cancelled; the recovery retries",
			"order_no", c.orderNo, "gateway", c.gateway, "payment_key", c.key, "err", gerr)
		return apperr.Wrap(apperr.Conflict, gerr, "주문이 결제를 받을 수 없는 상태입니다. 승인된 결제는 자동으로 취소됩니다.",
			"The order cannot take this payment; the approved payment will be cancelled automatically.")
	}
	now := sqldb.Instant(s.Now())
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := recordTx(ctx, tx, c.orderID, c.gateway, "cancel", "", fields(r, c.key), now); err != nil {
			return err
		}
		return releaseClaim(ctx, tx, c.orderID, c.key)
	})
}

// settleClaim asks the gateway what became of a claimed confirmation whose
// answer was never recorded, and records it.
func (s *Service) settleClaim(ctx context.Context, c claim) error {
	g, err := s.gateway(c.gateway)
	if err != nil {
		return err
	}
	r, lerr := g.Lookup(ctx, c.key)
	var d *payment.Declined
	switch {
	case lerr != nil && !errors.As(lerr, &d):
		return fmt.Errorf("gateway %s lookup: %w", c.gateway, lerr)
	case lerr == nil && approved(r) && r.OrderNo == fmt.Sprint(c.orderNo):
		if err := s.recordConfirm(ctx, c, r, nil, nil); !errors.Is(err, errVoided) {
			return err
		}
		return nil // cancelled at the gateway: the claim is gone
	case lerr == nil && r.Balance > 0:
		return s.voidPayment(ctx, c)
	}
	// Never approved, declined or cancelled: nothing is held for it.
	ctx = context.WithoutCancel(ctx)
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		return releaseClaim(ctx, tx, c.orderID, c.key)
	})
}

// RecoverConfirmClaims settles every confirmation claimed more than ClaimTTL
// ago and never recorded (a process died between the gateway call and the
// record). It runs at start and periodically; it returns how many it settled.
func (s *Service) RecoverConfirmClaims(ctx context.Context) (int, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT id, order_no, confirm_key, confirm_gateway FROM orders
		WHERE confirm_key <> '' AND confirm_at < $1 ORDER BY confirm_at LIMIT 500`, sqldb.Instant(s.Now().Add(-ClaimTTL)))
	if err != nil {
		return 0, err
	}
	var claims []claim
	for rows.Next() {
		var c claim
		if err := rows.Scan(&c.orderID, &c.orderNo, &c.key, &c.gateway); err != nil {
			rows.Close()
			return 0, err
		}
		claims = append(claims, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, c := range claims {
		if err := s.settleClaim(ctx, c); err != nil {
			errs = append(errs, fmt.Errorf("order %d: %w", c.orderNo, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
