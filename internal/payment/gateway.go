// Package payment speaks to payment gateways (PG사). A Gateway prepares,
// confirms, cancels (all or part) and looks up payments and authenticates
// webhooks. Two implementations: Sandbox, built in and behaving like a real
// gateway, for the demo and the tests; and Toss, Toss Payments' REST API.
package payment

import (
	"context"
	"errors"
	"time"
)

// Status of a payment at the gateway.
const (
	StatusDone            = "DONE"                // approved and captured
	StatusWaitingDeposit  = "WAITING_FOR_DEPOSIT" // virtual account issued
	StatusCanceled        = "CANCELED"
	StatusPartialCanceled = "PARTIAL_CANCELED"
	StatusAborted         = "ABORTED" // declined
)

// Result is the gateway's answer, with what the 결제내역 screen shows.
type Result struct {
	PaymentKey   string
	OrderNo      string
	Status       string
	Code         string // response code, "0000" on success
	Message      string // response message
	Method       string // the gateway's method name (카드, 가상계좌 ...)
	Company      string // card company or bank
	MaskedNumber string // card or account number, masked
	Installment  int    // months, 0 = lump sum
	ApprovalNo   string
	Amount       int64 // amount of this operation
	Balance      int64 // what remains captured at the gateway
	ApprovedAt   time.Time
	// Virtual accounts.
	AccountNumber string
	AccountBank   string
	AccountHolder string
	DueAt         time.Time
	Secret        string // authenticates this payment's deposit callback
	Raw           []byte // the gateway's answer as received
}

// ConfirmRequest approves a payment the buyer authorised at checkout.
type ConfirmRequest struct {
	PaymentKey string
	OrderNo    string
	Amount     int64
	Method     string // orderdesk method code (card, vbank ...)
}

// CancelRequest returns all (Amount 0) or part of a payment.
type CancelRequest struct {
	PaymentKey     string
	Amount         int64
	Reason         string
	IdempotencyKey string // the same key never cancels twice
}

// Event is an authenticated webhook.
type Event struct {
	ID         string // unique per event: a replay carries the same ID
	Type       string // e.g. DEPOSIT_CALLBACK
	OrderNo    string
	PaymentKey string
	Status     string
	Secret     string // for gateways that authenticate by the payment's secret
	Raw        []byte
}

// PrepareRequest registers an order's amount before the buyer's checkout.
type PrepareRequest struct {
	OrderNo   string
	OrderName string
	Amount    int64
	Method    string
}

// Checkout is what the storefront's payment window needs.
type Checkout struct {
	Gateway    string `json:"gateway"`
	OrderID    string `json:"order_id"`
	OrderName  string `json:"order_name"`
	Amount     int64  `json:"amount"`
	PaymentKey string `json:"payment_key,omitempty"` // issued by gateways that issue it before checkout
}

// Gateway is one payment gateway.
type Gateway interface {
	Name() string
	Prepare(ctx context.Context, req PrepareRequest) (Checkout, error)
	Confirm(ctx context.Context, req ConfirmRequest) (Result, error)
	Cancel(ctx context.Context, req CancelRequest) (Result, error)
	Lookup(ctx context.Context, paymentKey string) (Result, error)
	// Webhook authenticates and parses a callback. headers are lower-case names.
	Webhook(headers map[string]string, body []byte) (Event, error)
}

// Transaction is one movement of money at a gateway: an approval, a deposit
// into a virtual account or a cancel, as the gateway lists them by time.
type Transaction struct {
	PaymentKey string
	OrderNo    string
	Method     string
	Status     string // DONE (approval or deposit), WAITING_FOR_DEPOSIT, CANCELED, PARTIAL_CANCELED
	Amount     int64  // the amount of this movement, positive
	At         time.Time
}

// Net is what the movement changed in the money the gateway holds for the
// merchant: an approval adds, a cancel returns, an issued account nothing.
func (t Transaction) Net() int64 {
	switch t.Status {
	case StatusDone:
		return t.Amount
	case StatusCanceled, StatusPartialCanceled:
		return -t.Amount
	}
	return 0
}

// Lister is a gateway that lists its transactions of a period [from, to),
// for reconciliation with the books (Toss: GET /v1/transactions).
type Lister interface {
	Transactions(ctx context.Context, from, to time.Time) ([]Transaction, error)
}

// Declined is a refusal by the gateway (card declined, limit exceeded ...):
// the buyer's problem, not ours. Its Result holds the gateway's code and message.
type Declined struct{ Result Result }

func (d *Declined) Error() string {
	return "payment declined: " + d.Result.Code + " " + d.Result.Message
}

// ErrBadSignature refuses a webhook that is not the gateway's.
var ErrBadSignature = errors.New("webhook signature does not match")
