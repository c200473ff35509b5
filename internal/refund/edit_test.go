package refund_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/notify"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/refund"
)

func outbox(t *testing.T, db *sqldb.DB) []string {
	t.Helper()
	rows, err := db.Read().QueryContext(context.Background(), `SELECT phone || ' ' || body FROM sms_outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// SMS goes to mobiles only; a landline is skipped with a note on the
// refund; 환불불가 can send its SMS too.
func TestRefundSMSOnlyToMobiles(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// The fixture's member has a mobile (010-0000-0005): denied with SMS.
		o := f.paidOrder(t, "card", f.course)
		r, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(o), Method: refund.MethodPGCancel})
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.refunds.Deny(ctx, sys, r.ID, refund.DenyInput{Reason: "수강 완료", NotifySMS: true})
		if err != nil || d.SMSNote != "" || !d.NotifySMS {
			t.Fatalf("deny = %+v %v", d, err)
		}
		if got := outbox(t, db); len(got) != 1 || !strings.HasPrefix(got[0], "010-0000-0005 [환불불가]") || !strings.Contains(got[0], "수강 완료") {
			t.Fatalf("outbox after deny = %q", got)
		}
		// A member with a landline: completion with SMS queues nothing and says so.
		box, _ := secret.NewBox(make([]byte, 32))
		now := func() time.Time { return time.Date(2020, 4, 3, 8, 4, 55, 0, time.UTC) }
		m, err := (&member.Service{DB: db, Box: box, Now: now}).Create(ctx, sys, member.Input{Site: "malgn", Login: "landline", Name: "유선전화", Phone: "02-123-4567"})
		if err != nil {
			t.Fatal(err)
		}
		f.memberID = m.ID
		o2 := f.paidOrder(t, "card", f.course)
		r2, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o2.OrderNo, ItemIDs: itemIDs(o2), Method: refund.MethodPGCancel})
		if err != nil {
			t.Fatal(err)
		}
		done, err := f.refunds.Complete(ctx, sys, r2.ID, refund.CompleteInput{Amount: 1000, NotifySMS: true})
		if err != nil {
			t.Fatal(err)
		}
		if done.SMSNote != notify.NotMobileNote {
			t.Fatalf("sms note = %q, want %q", done.SMSNote, notify.NotMobileNote)
		}
		if got := outbox(t, db); len(got) != 1 {
			t.Fatalf("a landline got an SMS: %q", got)
		}
	})
}

// 환불방법, bank details and 환불일시 are corrected on a request that is not
// completed, under the request's rules, audited with the account masked.
func TestCorrectRefundRequest(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.paidOrder(t, "bank_deposit", f.course)
		r, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(o), Method: refund.MethodBankTransfer,
			Bank: &refund.Bank{Name: "국민은행", Account: "123-45-678901", Holder: "홍길동"}})
		if err != nil {
			t.Fatal(err)
		}
		str := func(s string) refund.Opt[string] { return refund.Opt[string]{Set: true, Value: s} }
		at := time.Date(2020, 4, 10, 5, 30, 0, 0, time.UTC)
		got, err := f.refunds.Correct(ctx, sys, r.ID, refund.Correction{
			Bank:     refund.Opt[refund.BankPatch]{Set: true, Value: refund.BankPatch{Name: str("신한은행"), Account: str("110-222-333444")}},
			RefundAt: refund.Opt[time.Time]{Set: true, Value: at}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Bank.Name != "신한은행" || got.Bank.Holder != "홍길동" || !strings.HasSuffix(got.Bank.Account, "3444") || got.RefundAt == nil || !got.RefundAt.Equal(at) {
			t.Fatalf("corrected = %+v at %v", got.Bank, got.RefundAt)
		}
		var before, after string
		if err := db.Read().QueryRowContext(ctx, `SELECT before_json, after_json FROM audit_log WHERE action = 'refund.correct'`).Scan(&before, &after); err != nil {
			t.Fatalf("audit: %v", err)
		}
		if strings.Contains(before+after, "678901") || strings.Contains(before+after, "333444") || !strings.Contains(after, "신한은행") {
			t.Fatalf("audit before %s after %s", before, after)
		}
		for name, c := range map[string]refund.Correction{
			"pg_cancel without a gateway":  {Method: str(refund.MethodPGCancel)},
			"transfer without a holder":    {Bank: refund.Opt[refund.BankPatch]{Set: true, Value: refund.BankPatch{Holder: str(" ")}}},
			"bank cleared":                 {Bank: refund.Opt[refund.BankPatch]{Set: true, Null: true}},
			"unknown method":               {Method: str("cash")},
			"refund_at before the request": {RefundAt: refund.Opt[time.Time]{Set: true, Value: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)}},
		} {
			if _, err := f.refunds.Correct(ctx, sys, r.ID, c); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		unchanged, _ := f.refunds.Get(ctx, sys, r.ID)
		if unchanged.Bank.Name != "신한은행" || unchanged.Method != refund.MethodBankTransfer {
			t.Fatalf("a refused correction changed the request: %+v", unchanged)
		}
		viewer := sysViewer()
		if _, err := f.refunds.Correct(ctx, viewer, r.ID, refund.Correction{Bank: refund.Opt[refund.BankPatch]{Set: true, Value: refund.BankPatch{Name: str("x")}}}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("viewer: %v", err)
		}
		// A card order is refunded through the gateway: no switch to a transfer.
		card := f.paidOrder(t, "card", f.course)
		rc, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: card.OrderNo, ItemIDs: itemIDs(card), Method: refund.MethodPGCancel})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.refunds.Correct(ctx, sys, rc.ID, refund.Correction{Method: str(refund.MethodBankTransfer),
			Bank: refund.Opt[refund.BankPatch]{Set: true, Value: refund.BankPatch{Name: str("국민"), Account: str("123456789"), Holder: str("홍")}}}); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("transfer of a card order: %v", err)
		}
		// Completed: no more corrections.
		if _, err := f.refunds.Complete(ctx, sys, r.ID, refund.CompleteInput{Amount: 1000}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.refunds.Correct(ctx, sys, r.ID, refund.Correction{RefundAt: refund.Opt[time.Time]{Set: true, Null: true}}); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("correcting a completed refund: %v", err)
		}
	})
}

func sysViewer() access.Actor {
	return access.Actor{Login: "viewer", Role: access.Viewer, Sites: []string{"malgn"}}
}
