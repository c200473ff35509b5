package payment

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Toss speaks Toss Payments' REST API (v1): confirm, cancel with
// cancelAmount and an Idempotency-Key, look-up, and the virtual-account
// deposit callback, which Toss authenticates with the payment's secret.
type Toss struct {
	BaseURL   string // https://api.tosspayments.com unless testing
	SecretKey string // from configuration, never from the database
	Client    *http.Client
}

// Name implements Gateway.
func (t *Toss) Name() string { return "toss" }

type tossPayment struct {
	PaymentKey    string `json:"paymentKey"`
	OrderID       string `json:"orderId"`
	Status        string `json:"status"`
	Method        string `json:"method"`
	TotalAmount   int64  `json:"totalAmount"`
	BalanceAmount int64  `json:"balanceAmount"`
	ApprovedAt    string `json:"approvedAt"`
	Secret        string `json:"secret"`
	Card          *struct {
		IssuerCode            string `json:"issuerCode"`
		Number                string `json:"number"`
		InstallmentPlanMonths int    `json:"installmentPlanMonths"`
		ApproveNo             string `json:"approveNo"`
	} `json:"card"`
	VirtualAccount *struct {
		AccountNumber string `json:"accountNumber"`
		BankCode      string `json:"bankCode"`
		CustomerName  string `json:"customerName"`
		DueDate       string `json:"dueDate"`
	} `json:"virtualAccount"`
	Cancels []struct {
		CancelAmount int64 `json:"cancelAmount"`
	} `json:"cancels"`
}

type tossError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (t *Toss) do(ctx context.Context, method, path string, body any, idemKey string) (Result, error) {
	raw, err := t.send(ctx, method, path, body, idemKey)
	if err != nil {
		if raw == nil {
			return Result{}, err
		}
		var e tossError
		_ = json.Unmarshal(raw, &e)
		return Result{Code: e.Code, Message: e.Message, Raw: raw, Status: StatusAborted}, err
	}
	var p tossPayment
	if err := json.Unmarshal(raw, &p); err != nil {
		return Result{Raw: raw}, fmt.Errorf("toss %s: %w", path, err)
	}
	return p.result(Redact(raw)), nil // the secret is in Result.Secret, not in what is kept
}

// send makes one call and returns the answer's body; an answer of 4xx with
// Toss's error code is a *Declined.
func (t *Toss) send(ctx context.Context, method, path string, body any, idemKey string) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	base := t.BaseURL
	if base == "" {
		base = "https://api.tosspayments.com"
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(t.SecretKey+":")))
	req.Header.Set("Content-Type", "application/json")
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	client := t.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("toss %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		var e tossError
		_ = json.Unmarshal(raw, &e)
		r := Result{Code: e.Code, Message: e.Message, Raw: raw, Status: StatusAborted}
		if resp.StatusCode >= 500 || e.Code == "" {
			return raw, fmt.Errorf("toss %s %s: HTTP %d %s", method, path, resp.StatusCode, e.Code)
		}
		return raw, &Declined{Result: r}
	}
	return raw, nil
}

func (p tossPayment) result(raw []byte) Result {
	r := Result{PaymentKey: p.PaymentKey, OrderNo: p.OrderID, Status: p.Status, Code: "0000", Message: p.Status,
		Method: p.Method, Amount: p.TotalAmount, Balance: p.BalanceAmount, Secret: p.Secret, Raw: raw}
	r.ApprovedAt, _ = time.Parse(time.RFC3339, p.ApprovedAt)
	if p.Card != nil {
		r.Company, r.MaskedNumber, r.Installment, r.ApprovalNo = p.Card.IssuerCode, p.Card.Number, p.Card.InstallmentPlanMonths, p.Card.ApproveNo
	}
	if v := p.VirtualAccount; v != nil {
		r.AccountNumber, r.AccountBank, r.AccountHolder, r.Company = v.AccountNumber, v.BankCode, v.CustomerName, v.BankCode
		r.MaskedNumber = v.AccountNumber
		r.DueAt, _ = time.Parse(time.RFC3339, v.DueDate)
	}
	return r
}

// Prepare implements Gateway: Toss's payment window runs in the buyer's
// browser with these values; the paymentKey comes back to the storefront,
// which then asks orderdesk to confirm. Nothing is sent to Toss yet.
func (t *Toss) Prepare(_ context.Context, req PrepareRequest) (Checkout, error) {
	return Checkout{Gateway: t.Name(), OrderID: req.OrderNo, OrderName: req.OrderName, Amount: req.Amount}, nil
}

// Confirm implements Gateway: POST /v1/payments/confirm.
func (t *Toss) Confirm(ctx context.Context, req ConfirmRequest) (Result, error) {
	return t.do(ctx, http.MethodPost, "/v1/payments/confirm",
		map[string]any{"paymentKey": req.PaymentKey, "orderId": req.OrderNo, "amount": req.Amount}, "")
}

// Cancel implements Gateway: POST /v1/payments/{paymentKey}/cancel; a zero
// Amount cancels the whole balance. The answer's Amount is what this cancel
// returned (the balance before minus after).
func (t *Toss) Cancel(ctx context.Context, req CancelRequest) (Result, error) {
	body := map[string]any{"cancelReason": req.Reason}
	if req.Amount > 0 {
		body["cancelAmount"] = req.Amount
	}
	r, err := t.do(ctx, http.MethodPost, "/v1/payments/"+url.PathEscape(req.PaymentKey)+"/cancel", body, req.IdempotencyKey)
	if err == nil {
		var p tossPayment
		_ = json.Unmarshal(r.Raw, &p)
		if n := len(p.Cancels); n > 0 {
			r.Amount = p.Cancels[n-1].CancelAmount
		}
	}
	return r, err
}

// Lookup implements Gateway: GET /v1/payments/{paymentKey}.
func (t *Toss) Lookup(ctx context.Context, key string) (Result, error) {
	return t.do(ctx, http.MethodGet, "/v1/payments/"+url.PathEscape(key), nil, "")
}

// tossPageSize is how many transactions one listing call asks for (Toss
// allows up to 5,000; its answers are read up to 1 MiB). A variable for tests.
var tossPageSize = 1000

// Transactions implements Lister: GET /v1/transactions?startDate&endDate,
// in Seoul time, page by page with startingAfter (the last transactionKey).
func (t *Toss) Transactions(ctx context.Context, from, to time.Time) ([]Transaction, error) {
	seoul := time.FixedZone("KST", 9*60*60)
	const layout = "2006-01-02T15:04:05"
	var out []Transaction
	after := ""
	for page := 0; page < 10000; page++ {
		q := url.Values{"startDate": {from.In(seoul).Format(layout)}, "endDate": {to.Add(-time.Second).In(seoul).Format(layout)},
			"limit": {fmt.Sprint(tossPageSize)}}
		if after != "" {
			q.Set("startingAfter", after)
		}
		raw, err := t.send(ctx, http.MethodGet, "/v1/transactions?"+q.Encode(), nil, "")
		if err != nil {
			return nil, err
		}
		var list []struct {
			TransactionKey string `json:"transactionKey"`
			PaymentKey     string `json:"paymentKey"`
			OrderID        string `json:"orderId"`
			Method         string `json:"method"`
			Status         string `json:"status"`
			TransactionAt  string `json:"transactionAt"`
			Amount         int64  `json:"amount"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("toss transactions: %w", err)
		}
		for _, x := range list {
			at, err := time.Parse(time.RFC3339, x.TransactionAt)
			if err != nil {
				return nil, fmt.Errorf("toss transaction %s: time %q: %w", x.TransactionKey, x.TransactionAt, err)
			}
			if at.Before(from) || !at.Before(to) {
				continue
			}
			out = append(out, Transaction{PaymentKey: x.PaymentKey, OrderNo: x.OrderID, Method: x.Method, Status: x.Status, Amount: x.Amount, At: at})
		}
		if len(list) < tossPageSize {
			return out, nil
		}
		after = list[len(list)-1].TransactionKey
	}
	return nil, fmt.Errorf("toss transactions: too many pages")
}

// Webhook implements Gateway for the virtual-account deposit callback
// {createdAt, secret, status, transactionKey, orderId}. Toss signs it with the
// payment's secret, which the caller compares with the one stored at issue.
func (t *Toss) Webhook(_ map[string]string, body []byte) (Event, error) {
	var w struct {
		CreatedAt      string `json:"createdAt"`
		Secret         string `json:"secret"`
		Status         string `json:"status"`
		TransactionKey string `json:"transactionKey"`
		OrderID        string `json:"orderId"`
	}
	if err := json.Unmarshal(body, &w); err != nil || w.Secret == "" || w.OrderID == "" {
		return Event{}, ErrBadSignature
	}
	return Event{ID: w.TransactionKey + ":" + w.Status, Type: "DEPOSIT_CALLBACK", OrderNo: w.OrderID, Status: w.Status, Secret: w.Secret, Raw: Redact(body)}, nil
}
