package payment

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
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
//     key repeats the first answer.
//
// Its state lives in the process, like a test gateway's daily reset.
type Sandbox struct {
	Secret []byte // signs webhooks
	Now    func() time.Time

	mu       sync.Mutex
	payments map[string]*sandboxPayment
	cancels  map[string]Result
}

type sandboxPayment struct {
	orderNo, method string
	amount, balance int64
	status          string
	secret          string
	approvedAt      time.Time
}

// NewSandbox returns a sandbox signing webhooks with secret.
func NewSandbox(secret []byte, now func() time.Time) *Sandbox {
	return &Sandbox{Secret: secret, Now: now, payments: map[string]*sandboxPayment{}, cancels: map[string]Result{}}
}

// Name implements Gateway.
func (s *Sandbox) Name() string { return "sandbox" }

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Sandbox) raw(v any) []byte { b, _ := json.Marshal(v); return b }

// Confirm implements Gateway.
func (s *Sandbox) Confirm(_ context.Context, req ConfirmRequest) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now().UTC()
	res := Result{PaymentKey: req.PaymentKey, OrderNo: req.OrderNo, Amount: req.Amount}
	switch {
	case req.PaymentKey == "":
		res.Code, res.Message, res.Status = "INVALID_REQUEST", "paymentKey가 없습니다.", StatusAborted
	case strings.HasPrefix(req.PaymentKey, "decline"):
		res.Code, res.Message, res.Status = "REJECT_CARD_COMPANY", "카드사에서 승인을 거절했습니다.", StatusAborted
	case req.Amount%1000 == 999:
		res.Code, res.Message, res.Status = "EXCEED_MAX_DAILY_PAYMENT_COUNT", "하루 결제 가능 횟수를 초과했습니다.", StatusAborted
	case s.payments[req.PaymentKey] != nil:
		p := s.payments[req.PaymentKey]
		if p.orderNo != req.OrderNo || p.amount != req.Amount {
			res.Code, res.Message, res.Status = "ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제입니다.", StatusAborted
			break
		}
		return s.result(req.PaymentKey, p, "0000", "이미 승인된 결제입니다."), nil
	}
	if res.Code != "" {
		res.Raw = s.raw(map[string]any{"code": res.Code, "message": res.Message})
		return res, &Declined{Result: res}
	}
	p := &sandboxPayment{orderNo: req.OrderNo, method: req.Method, amount: req.Amount, balance: req.Amount, status: StatusDone, approvedAt: now}
	if req.Method == "vbank" {
		p.status, p.balance, p.secret = StatusWaitingDeposit, 0, randHex(12)
	}
	s.payments[req.PaymentKey] = p
	return s.result(req.PaymentKey, p, "0000", "정상승인"), nil
}

func (s *Sandbox) result(key string, p *sandboxPayment, code, msg string) Result {
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
	r.Raw = s.raw(map[string]any{"paymentKey": key, "orderId": p.orderNo, "status": r.Status, "code": code, "message": msg,
		"method": r.Method, "company": r.Company, "totalAmount": p.amount, "balanceAmount": p.balance, "approveNo": r.ApprovalNo,
		"installment": r.Installment, "approvedAt": p.approvedAt.Format(time.RFC3339), "accountNumber": r.AccountNumber})
	return r
}

// Cancel implements Gateway.
func (s *Sandbox) Cancel(_ context.Context, req CancelRequest) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.IdempotencyKey != "" {
		if r, ok := s.cancels[req.IdempotencyKey]; ok {
			return r, nil
		}
	}
	p := s.payments[req.PaymentKey]
	if p == nil {
		r := Result{PaymentKey: req.PaymentKey, Code: "NOT_FOUND_PAYMENT", Message: "존재하지 않는 결제 정보입니다."}
		return r, &Declined{Result: r}
	}
	amount := req.Amount
	if amount == 0 {
		amount = p.balance
	}
	if p.status == StatusWaitingDeposit && p.balance == 0 { // an unpaid virtual account is simply withdrawn
		p.status = StatusCanceled
		r := s.result(req.PaymentKey, p, "0000", "가상계좌 발급 취소")
		r.Amount = 0
		s.remember(req.IdempotencyKey, r)
		return r, nil
	}
	if amount <= 0 || amount > p.balance {
		r := Result{PaymentKey: req.PaymentKey, Code: "NOT_CANCELABLE_AMOUNT", Message: "취소 할 수 없는 금액 입니다.", Balance: p.balance}
		return r, &Declined{Result: r}
	}
	p.balance -= amount
	p.status = StatusPartialCanceled
	if p.balance == 0 {
		p.status = StatusCanceled
	}
	r := s.result(req.PaymentKey, p, "0000", "취소 완료")
	r.Amount = amount
	s.remember(req.IdempotencyKey, r)
	return r, nil
}

func (s *Sandbox) remember(key string, r Result) {
	if key != "" {
		s.cancels[key] = r
	}
}

// Lookup implements Gateway.
func (s *Sandbox) Lookup(_ context.Context, key string) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.payments[key]
	if p == nil {
		r := Result{PaymentKey: key, Code: "NOT_FOUND_PAYMENT", Message: "존재하지 않는 결제 정보입니다."}
		return r, &Declined{Result: r}
	}
	return s.result(key, p, "0000", "조회 성공"), nil
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
func (s *Sandbox) Deposit(paymentKey string) ([]byte, map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.payments[paymentKey]
	if p == nil || p.status != StatusWaitingDeposit {
		return nil, nil, fmt.Errorf("sandbox: no virtual account waiting for deposit under %s", paymentKey)
	}
	p.status, p.balance = StatusDone, p.amount
	body, _ := json.Marshal(sandboxWebhook{EventID: "evt_" + randHex(8), EventType: "DEPOSIT_CALLBACK", OrderID: p.orderNo,
		PaymentKey: paymentKey, Status: StatusDone, CreatedAt: s.Now().UTC().Format(time.RFC3339)})
	return body, map[string]string{"x-sandbox-signature": s.sign(body)}, nil
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
