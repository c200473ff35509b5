package refund

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/notify"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// notify queues an SMS to the order's member in the caller's transaction.
// Only a mobile number gets one; otherwise the refund keeps a note saying
// the message was not sent (a landline cannot receive it).
func (s *Service) notify(ctx context.Context, tx *sqldb.Tx, orderID, refundID int64, body string) error {
	var phone string
	if err := tx.QueryRowContext(ctx, `SELECT m.phone FROM orders o JOIN members m ON m.id = o.member_id WHERE o.id = $1`, orderID).Scan(&phone); err != nil {
		return err
	}
	note := ""
	switch {
	case strings.TrimSpace(phone) == "":
		note = "휴대전화 번호가 없어 문자를 보내지 않았습니다"
	case !notify.Mobile(phone):
		note = notify.NotMobileNote
	case s.Outbox != nil:
		if err := s.Outbox.Enqueue(ctx, tx, phone, body, fmt.Sprintf("refund:%d", refundID)); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE refunds SET sms_note = $1 WHERE id = $2`, note, refundID)
	return err
}

func cutRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// Opt is a field of a JSON merge patch (RFC 7396): absent (unchanged),
// null (cleared) or a value.
type Opt[T any] struct {
	Set   bool // present in the patch
	Null  bool // present as null
	Value T
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(&o.Value)
}

// BankPatch corrects the account a transfer goes to; an absent field stays.
type BankPatch struct {
	Name    Opt[string] `json:"name"`
	Account Opt[string] `json:"account"`
	Holder  Opt[string] `json:"holder"`
}

// Correction is a merge patch of a request's 환불방법, 환불정보 (bank) and
// 환불일시 (refund_at). Other fields cannot change.
type Correction struct {
	Method   Opt[string]    `json:"method"`
	Bank     Opt[BankPatch] `json:"bank"`
	RefundAt Opt[time.Time] `json:"refund_at"`
}

// Correct changes 환불방법, bank details and 환불일시 of a request that is not
// completed (requested or denied), under the same rules as a new request:
// a gateway refund needs a gateway order, a transfer needs a bank, account
// and holder and a bank_deposit or vbank order. Audited, account masked.
func (s *Service) Correct(ctx context.Context, a access.Actor, id int64, c Correction) (Refund, error) {
	var fe apperr.Fields
	if c.Method.Set && (c.Method.Null || (c.Method.Value != MethodPGCancel && c.Method.Value != MethodBankTransfer)) {
		fe.Add("method", "환불방법은 pg_cancel 또는 bank_transfer입니다.", "method must be pg_cancel or bank_transfer")
	}
	for _, f := range []struct {
		name string
		o    Opt[string]
	}{{"bank.name", c.Bank.Value.Name}, {"bank.account", c.Bank.Value.Account}, {"bank.holder", c.Bank.Value.Holder}} {
		if f.o.Set && len([]rune(f.o.Value)) > 100 {
			fe.Add(f.name, "100자 이하로 적어 주세요.", "at most 100 characters")
		}
	}
	if err := fe.Err(); err != nil {
		return Refund{}, err
	}
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		r, _, err := s.load(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := a.CheckWrite(r.Site, "환불", "refund"); err != nil {
			return err
		}
		if r.Status == StatusCompleted {
			return apperr.New(apperr.Conflict, "환불완료된 요청은 고칠 수 없습니다.", "A completed refund cannot be corrected.")
		}
		if open, err := order.RefundCallOpen(ctx, tx, id); err != nil || open {
			if err == nil {
				err = order.ErrGatewayBusy // the gateway refund under way keeps the method it was claimed with
			}
			return err
		}
		var sealed, payMethod, gateway string
		var refundAt *time.Time
		if err := tx.QueryRowContext(ctx, `SELECT r.bank_account, o.method, o.gateway FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = $1`, id).
			Scan(&sealed, &payMethod, &gateway); err != nil {
			return err
		}
		plain := ""
		if sealed != "" {
			if plain, err = s.Box.Open(sealed); err != nil {
				return err
			}
		}
		method, bank := r.Method, Bank{Name: r.Bank.Name, Account: plain, Holder: r.Bank.Holder}
		refundAt = r.RefundAt
		if c.Method.Set {
			method = c.Method.Value
		}
		if c.Bank.Set {
			if c.Bank.Null {
				bank = Bank{}
			}
			p := c.Bank.Value
			for _, f := range []struct {
				o   Opt[string]
				dst *string
			}{{p.Name, &bank.Name}, {p.Account, &bank.Account}, {p.Holder, &bank.Holder}} {
				if f.o.Set {
					*f.dst = strings.TrimSpace(f.o.Value)
				}
			}
		}
		if c.RefundAt.Set {
			refundAt = nil
			if !c.RefundAt.Null {
				t := sqldb.Instant(c.RefundAt.Value)
				day, _ := kst.ParseDay(kst.Day(r.RequestedAt))
				if t.Before(day) || t.After(now.AddDate(1, 0, 0)) {
					return &apperr.Error{Code: apperr.Invalid, Message: "환불일시는 요청일부터 1년 뒤까지입니다.", English: "refund_at must be from the request day to a year from now",
						Fields: []apperr.FieldError{{Location: "refund_at", Message: "요청일(" + kst.Day(r.RequestedAt) + ")부터 1년 뒤까지 적어 주세요.", English: "from the request day to a year from now"}}}
				}
				refundAt = &t
			}
		}
		switch method {
		case MethodPGCancel:
			if gateway == "" {
				return &apperr.Error{Code: apperr.Invalid, Message: "결제대행사를 거치지 않은 주문은 계좌이체로 환불합니다.", English: "This order was not paid through a gateway; use bank_transfer.",
					Fields: []apperr.FieldError{{Location: "method", Message: "계좌이체로 환불합니다.", English: "use bank_transfer"}}}
			}
			if c.Bank.Set && !c.Bank.Null && (bank.Name != "" || bank.Account != "" || bank.Holder != "") {
				return &apperr.Error{Code: apperr.Invalid, Message: "결제취소(PG) 환불에는 계좌 정보를 적지 않습니다.", English: "A gateway refund takes no bank details.",
					Fields: []apperr.FieldError{{Location: "bank", Message: "결제취소(PG) 환불에는 적지 않습니다.", English: "not for pg_cancel"}}}
			}
			bank = Bank{}
		case MethodBankTransfer:
			if payMethod != "bank_deposit" && payMethod != "vbank" {
				return &apperr.Error{Code: apperr.Invalid, Message: "계좌이체 환불은 자체계좌·가상계좌 주문에만 씁니다.", English: "bank_transfer is for bank_deposit and vbank orders.",
					Fields: []apperr.FieldError{{Location: "method", Message: "이 주문은 결제취소(PG)로 환불합니다.", English: "use pg_cancel"}}}
			}
			if bank.Name == "" || bank.Holder == "" || len(secret.Digits(bank.Account)) < 6 {
				return &apperr.Error{Code: apperr.Invalid, Message: "계좌이체 환불에는 은행명, 계좌번호, 예금주가 필요합니다.", English: "bank_transfer needs bank name, account and holder",
					Fields: []apperr.FieldError{{Location: "bank", Message: "은행명, 계좌번호(숫자 6자리 이상), 예금주를 적어 주세요.", English: "bank name, account (6 digits or more) and holder"}}}
			}
		}
		acct := ""
		if bank.Account != "" {
			if bank.Account == plain {
				acct = sealed
			} else if acct, err = s.Box.Seal(bank.Account); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE refunds SET method = $1, bank_name = $2, bank_account = $3, bank_holder = $4, refund_at = $5
			WHERE id = $6 AND status <> 'completed'`, method, bank.Name, acct, bank.Holder, refundAt, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "환불완료된 요청은 고칠 수 없습니다.", "A completed refund cannot be corrected.")
		}
		show := func(m string, b Bank, at *time.Time) map[string]any {
			out := map[string]any{"method": m, "bank_name": b.Name, "bank_account": secret.MaskAccount(b.Account), "bank_holder": b.Holder, "refund_at": nil}
			if b.Account == "" {
				out["bank_account"] = ""
			}
			if at != nil {
				out["refund_at"] = at.UTC().Format(time.RFC3339)
			}
			return out
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Site: r.Site, Action: "refund.correct", Entity: "refund", EntityID: id,
			Before: show(r.Method, Bank{Name: r.Bank.Name, Account: plain, Holder: r.Bank.Holder}, r.RefundAt), After: show(method, bank, refundAt)})
	})
	if err != nil {
		return Refund{}, err
	}
	return s.Get(ctx, a, id)
}
