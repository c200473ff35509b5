package payment

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Sandbox is the built-in gateway. It behaves like a real one:
//   - it approves a new payment key for the exact amount with an approval
//     number, a card company and installment months;
//   - keys that start with "decline" are refused (code REJECT_CARD_COMPANY),
//     and so is any amount ending in 999 (code EXCEED_MAX_DAILY_PAYMENT_COUNT);
//   - a vbank confirmation issues a virtual account; the deposit arrives later
//     as a webhook signed with HMAC-SHA256 (header x-sandbox-signature), made
//     by Deposit;
//   - cancels may be partial, never beyond the balance, and an idempotency
//     key repeats the first answer, also to a concurrent second call with
//     the same key (it waits for the first), as Toss's Idempotency-Key does;
//   - Lookup answers the payment's status and balance, as Toss's payment
//     look-up does.
//
// It keeps its payments in its own tables (sandbox_payments, sandbox_cancels),
// as a real gateway keeps them on its side, so that they outlive a restart.
// A cancel runs in the sandbox's own transaction, never in the caller's: it
// is called, like a remote gateway, between orderdesk's transactions.
type Sandbox struct {
	DB     *sqldb.DB
	Secret []byte // signs webhooks
	Now    func() time.Time
}

// NewSandbox returns a sandbox signing webhooks with secret.
func NewSandbox(db *sqldb.DB, secret []byte, now func() time.Time) *Sandbox {
	return &Sandbox{DB: db, Secret: secret, Now: now}
}

// Name implements Gateway.
func (s *Sandbox) Name() string { return "sandbox" }

type sandboxPayment struct {
	key, orderNo, method string
	amount, balance      int64
	status, secret       string
	approvedAt           time.Time
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func raw(v any) []byte { b, _ := json.Marshal(v); return b }

func (s *Sandbox) load(ctx context.Context, q sqldb.Querier, key string) (*sandboxPayment, error) {
	p := &sandboxPayment{key: key}
	var at string
	err := q.QueryRowContext(ctx, `SELECT order_no, method, amount, balance, status, secret, approved_at FROM sandbox_payments WHERE payment_key = $1`, key).
		Scan(&p.orderNo, &p.method, &p.amount, &p.balance, &p.status, &p.secret, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	p.approvedAt, _ = time.Parse(time.RFC3339Nano, at)
	return p, err
}

func (s *Sandbox) save(ctx context.Context, q sqldb.Querier, p *sandboxPayment) error {
	_, err := q.ExecContext(ctx, `INSERT INTO sandbox_payments (payment_key, order_no, method, amount, balance, status, secret, approved_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (payment_key) DO UPDATE SET balance = excluded.balance, status = excluded.status`,
		p.key, p.orderNo, p.method, p.amount, p.balance, p.status, p.secret, p.approvedAt.UTC().Format(time.RFC3339Nano))
	return err
}

// log adds one movement to the sandbox's transaction list.
func (s *Sandbox) log(ctx context.Context, q sqldb.Querier, p *sandboxPayment, status string, amount int64) error {
	_, err := q.ExecContext(ctx, `INSERT INTO sandbox_transactions (payment_key, order_no, method, status, amount, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		p.key, p.orderNo, p.method, status, amount, sqldb.Instant(s.Now()))
	return err
}

// Transactions implements Lister: the sandbox's movements of [from, to).
func (s *Sandbox) Transactions(ctx context.Context, from, to time.Time) ([]Transaction, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT payment_key, order_no, method, status, amount, at FROM sandbox_transactions
		WHERE at >= $1 AND at < $2 ORDER BY at, id`, sqldb.Instant(from), sqldb.Instant(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Transaction
	for rows.Next() {
		var t Transaction
		if err := rows.Scan(&t.PaymentKey, &t.OrderNo, &t.Method, &t.Status, &t.Amount, &t.At); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Holding is a payment the sandbox still holds money for.
type Holding struct {
	PaymentKey string
	OrderNo    string
	Status     string
	Balance    int64
}

// Holdings lists every payment with a balance, for orderdesk verify.
func (s *Sandbox) Holdings(ctx context.Context) ([]Holding, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT payment_key, order_no, status, balance FROM sandbox_payments WHERE balance > 0 ORDER BY order_no, payment_key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Holding
	for rows.Next() {
		var h Holding
		if err := rows.Scan(&h.PaymentKey, &h.OrderNo, &h.Status, &h.Balance); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func declined(key, code, msg string) (Result, error) {
	r := Result{PaymentKey: key, Code: code, Message: msg, Status: StatusAborted}
	r.Raw = raw(map[string]any{"code": code, "message": msg})
	return r, &Declined{Result: r}
}

// Prepare implements Gateway: the sandbox issues the payment key that its
// checkout would hand back to the storefront.
func (s *Sandbox) Prepare(_ context.Context, req PrepareRequest) (Checkout, error) {
	return Checkout{Gateway: s.Name(), OrderID: req.OrderNo, OrderName: req.OrderName, Amount: req.Amount, PaymentKey: "sbx_" + randHex(10)}, nil
}

// Confirm implements Gateway.
func (s *Sandbox) Confirm(ctx context.Context, req ConfirmRequest) (res Result, err error) {
	switch {
	case req.PaymentKey == "":
		return declined(req.PaymentKey, "INVALID_REQUEST", "paymentKey가 없습니다.")
	case strings.HasPrefix(req.PaymentKey, "decline"):
		return declined(req.PaymentKey, "REJECT_CARD_COMPANY", "카드사에서 승인을 거절했습니다.")
	case req.Amount%1000 == 999:
		return declined(req.PaymentKey, "EXCEED_MAX_DAILY_PAYMENT_COUNT", "하루 결제 가능 횟수를 초과했습니다.")
	}
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		p := &sandboxPayment{key: req.PaymentKey, orderNo: req.OrderNo, method: req.Method, amount: req.Amount, balance: req.Amount,
			status: StatusDone, approvedAt: s.Now().UTC()}
		if req.Method == "vbank" {
			p.status, p.balance, p.secret = StatusWaitingDeposit, 0, randHex(12)
		}
		// A key seen before keeps its payment (the insert does nothing):
		// the same confirmation again is answered as approved, another
		// one refused.
		added, err := tx.ExecContext(ctx, `INSERT INTO sandbox_payments (payment_key, order_no, method, amount, balance, status, secret, approved_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (payment_key) DO NOTHING`,
			p.key, p.orderNo, p.method, p.amount, p.balance, p.status, p.secret, p.approvedAt.Format(time.RFC3339Nano))
		if err != nil {
			return err
		}
		if n, err := added.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if p, err = s.load(ctx, tx, req.PaymentKey); err != nil || p == nil {
				return cmp.Or(err, errors.New("sandbox: a payment neither added nor found"))
			}
			if p.orderNo != req.OrderNo || p.amount != req.Amount {
				res, err = declined(req.PaymentKey, "ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제입니다.")
				return err
			}
			res = s.result(p, "0000", "이미 승인된 결제입니다.")
			return nil
		}
		res = s.result(p, "0000", "정상승인")
		return s.log(ctx, tx, p, p.status, p.amount)
	})
	return res, err
}

func (s *Sandbox) result(p *sandboxPayment, code, msg string) Result {
	key := p.key
	r := Result{PaymentKey: key, OrderNo: p.orderNo, Status: p.status, Code: code, Message: msg, Amount: p.amount, Balance: p.balance,
		ApprovedAt: p.approvedAt, ApprovalNo: strings.ToUpper(key[len(key)-min(8, len(key)):])}
	if p.method == "vbank" {
		r.Method, r.Company, r.AccountBank, r.AccountHolder = "가상계좌", "신한은행", "신한은행", "(주)오더데스크"
		r.AccountNumber = "56211" + fmt.Sprintf("%09d", p.amount%1_000_000_000)
		r.MaskedNumber = "56211****" + r.AccountNumber[len(r.AccountNumber)-4:]
		r.DueAt = p.approvedAt.Add(72 * time.Hour)
		r.Secret = p.secret
	} else {
		r.Method, r.Company, r.MaskedNumber = "카드", "BC", "1111-****-****-1111"
		if p.amount >= 50000 {
			r.Installment = 3
		}
	}
	r.Raw = raw(map[string]any{"paymentKey": key, "orderId": p.orderNo, "status": r.Status, "code": code, "message": msg,
		"method": r.Method, "company": r.Company, "totalAmount": p.amount, "balanceAmount": p.balance, "approveNo": r.ApprovalNo,
		"installment": r.Installment, "approvedAt": p.approvedAt.Format(time.RFC3339), "accountNumber": r.AccountNumber})
	return r
}

// Cancel implements Gateway.
func (s *Sandbox) Cancel(ctx context.Context, req CancelRequest) (res Result, err error) {
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if req.IdempotencyKey != "" {
			// Take the key first: a concurrent cancel with the same key waits
			// here until this one ends, then answers what it answered.
			taken, err := tx.ExecContext(ctx, `INSERT INTO sandbox_cancels (idem_key, result) VALUES ($1, '') ON CONFLICT (idem_key) DO NOTHING`, req.IdempotencyKey)
			if err != nil {
				return err
			}
			if n, _ := taken.RowsAffected(); n == 0 {
				var saved string
				if err := tx.QueryRowContext(ctx, `SELECT result FROM sandbox_cancels WHERE idem_key = $1`, req.IdempotencyKey).Scan(&saved); err != nil {
					return err
				}
				return json.Unmarshal([]byte(saved), &res)
			}
		}
		// Lock the payment so that concurrent cancels see each other's balance.
		if _, err := tx.ExecContext(ctx, `UPDATE sandbox_payments SET balance = balance WHERE payment_key = $1`, req.PaymentKey); err != nil {
			return err
		}
		p, err := s.load(ctx, tx, req.PaymentKey)
		if err != nil {
			return err
		}
		if p == nil {
			res, err = declined(req.PaymentKey, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보입니다.")
			return err
		}
		amount := req.Amount
		if amount == 0 {
			amount = p.balance
		}
		switch {
		case p.status == StatusWaitingDeposit && p.balance == 0: // an unpaid virtual account is withdrawn
			p.status, amount = StatusCanceled, 0
		case amount <= 0 || amount > p.balance:
			res, err = declined(req.PaymentKey, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.")
			res.Balance = p.balance
			return err
		default:
			p.balance -= amount
			p.status = StatusPartialCanceled
			if p.balance == 0 {
				p.status = StatusCanceled
			}
		}
		res = s.result(p, "0000", "취소 완료")
		res.Amount = amount
		if err := s.save(ctx, tx, p); err != nil {
			return err
		}
		if err := s.log(ctx, tx, p, p.status, amount); err != nil {
			return err
		}
		if req.IdempotencyKey != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE sandbox_cancels SET result = $1 WHERE idem_key = $2`, string(raw(res)), req.IdempotencyKey); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// Lookup implements Gateway.
func (s *Sandbox) Lookup(ctx context.Context, key string) (Result, error) {
	p, err := s.load(ctx, s.DB.Read(), key)
	if err != nil {
		return Result{}, err
	}
	if p == nil {
		return declined(key, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보입니다.")
	}
	return s.result(p, "0000", "조회 성공"), nil
}

type sandboxWebhook struct {
	EventID    string `json:"eventId"`
	EventType  string `json:"eventType"`
	OrderID    string `json:"orderId"`
	PaymentKey string `json:"paymentKey"`
	Status     string `json:"status"`
	CreatedAt  string `json:"createdAt"`
}

// Deposit marks the virtual account of paymentKey as paid and returns the
// signed webhook (body and headers) that the sandbox sends for it.
func (s *Sandbox) Deposit(ctx context.Context, paymentKey string) (body []byte, headers map[string]string, err error) {
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		p, err := s.load(ctx, tx, paymentKey)
		if err != nil {
			return err
		}
		if p == nil || p.status != StatusWaitingDeposit {
			return fmt.Errorf("sandbox: no virtual account waiting for deposit under %s", paymentKey)
		}
		p.status, p.balance = StatusDone, p.amount
		body, _ = json.Marshal(sandboxWebhook{EventID: "evt_" + randHex(8), EventType: "DEPOSIT_CALLBACK", OrderID: p.orderNo,
			PaymentKey: paymentKey, Status: StatusDone, CreatedAt: s.Now().UTC().Format(time.RFC3339)})
		headers = map[string]string{"x-sandbox-signature": s.sign(body)}
		if err := s.save(ctx, tx, p); err != nil {
			return err
		}
		return s.log(ctx, tx, p, StatusDone, p.amount)
	})
	return body, headers, err
}

func (s *Sandbox) sign(body []byte) string {
	m := hmac.New(sha256.New, s.Secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Webhook implements Gateway: the HMAC of the body must match.
func (s *Sandbox) Webhook(headers map[string]string, body []byte) (Event, error) {
	got, err := hex.DecodeString(headers["x-sandbox-signature"])
	want, _ := hex.DecodeString(s.sign(body))
	if err != nil || !hmac.Equal(got, want) {
		return Event{}, ErrBadSignature
	}
	var w sandboxWebhook
	if err := json.Unmarshal(body, &w); err != nil {
		return Event{}, fmt.Errorf("sandbox webhook: %w", err)
	}
	return Event{ID: w.EventID, Type: w.EventType, OrderNo: w.OrderID, PaymentKey: w.PaymentKey, Status: w.Status, Raw: body}, nil
}
