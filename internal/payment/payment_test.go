package payment

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

func TestSandboxBehavesLikeAGateway(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) { testSandbox(t, db) })
}

func testSandbox(t *testing.T, db *sqldb.DB) {
	ctx := context.Background()
	s := NewSandbox(db, []byte("k"), time.Now)
	r, err := s.Confirm(ctx, ConfirmRequest{PaymentKey: "pk1", OrderNo: "290", Amount: 30000, Method: "card"})
	if err != nil || r.Status != StatusDone || r.ApprovalNo == "" || r.Company == "" {
		t.Fatalf("confirm = %+v, %v", r, err)
	}
	// The same confirmation again is approved as before and moves nothing;
	// the key with another order or amount is refused, as a gateway does.
	same, err := s.Confirm(ctx, ConfirmRequest{PaymentKey: "pk1", OrderNo: "290", Amount: 30000, Method: "card"})
	if err != nil || same.Status != StatusDone || same.Message != "이미 승인된 결제입니다." || same.ApprovalNo != r.ApprovalNo || !same.ApprovedAt.Equal(r.ApprovedAt) {
		t.Fatalf("the same confirmation again = %+v, %v", same, err)
	}
	var d *Declined
	if _, err := s.Confirm(ctx, ConfirmRequest{PaymentKey: "pk1", OrderNo: "299", Amount: 30000, Method: "card"}); !errors.As(err, &d) || d.Result.Code != "ALREADY_PROCESSED_PAYMENT" {
		t.Fatalf("the key for another order: %v", err)
	}
	if moves, err := s.Transactions(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)); err != nil || len(moves) != 1 {
		t.Fatalf("movements after a repeated confirmation: %+v, %v", moves, err)
	}
	if _, err := s.Confirm(ctx, ConfirmRequest{PaymentKey: "decline-1", OrderNo: "291", Amount: 1000}); !errors.As(err, &d) || d.Result.Code != "REJECT_CARD_COMPANY" {
		t.Fatalf("decline key: %v", err)
	}
	if _, err := s.Confirm(ctx, ConfirmRequest{PaymentKey: "pk2", OrderNo: "292", Amount: 1999}); !errors.As(err, &d) {
		t.Fatalf("amount ending 999 approved")
	}
	c1, err := s.Cancel(ctx, CancelRequest{PaymentKey: "pk1", Amount: 10000, IdempotencyKey: "a"})
	if err != nil || c1.Balance != 20000 || c1.Status != StatusPartialCanceled {
		t.Fatalf("partial cancel = %+v, %v", c1, err)
	}
	again, _ := s.Cancel(ctx, CancelRequest{PaymentKey: "pk1", Amount: 10000, IdempotencyKey: "a"})
	if again.Balance != 20000 {
		t.Fatalf("idempotent cancel cancelled twice: balance %d", again.Balance)
	}
	if _, err := s.Cancel(ctx, CancelRequest{PaymentKey: "pk1", Amount: 20001}); !errors.As(err, &d) {
		t.Fatalf("cancel beyond balance accepted")
	}
	c3, err := s.Cancel(ctx, CancelRequest{PaymentKey: "pk1"})
	if err != nil || c3.Amount != 20000 || c3.Status != StatusCanceled {
		t.Fatalf("cancel rest = %+v, %v", c3, err)
	}
	v, err := s.Confirm(ctx, ConfirmRequest{PaymentKey: "vb1", OrderNo: "293", Amount: 15000, Method: "vbank"})
	if err != nil || v.Status != StatusWaitingDeposit || v.AccountNumber == "" {
		t.Fatalf("vbank = %+v, %v", v, err)
	}
	body, headers, err := s.Deposit(ctx, "vb1")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := s.Webhook(headers, body)
	if err != nil || ev.OrderNo != "293" || ev.Status != StatusDone || ev.ID == "" {
		t.Fatalf("webhook = %+v, %v", ev, err)
	}
	if _, err := s.Webhook(map[string]string{"x-sandbox-signature": "00"}, body); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged webhook: %v", err)
	}
	// The sandbox lists its movements by time, as Toss's GET /v1/transactions.
	txs, err := s.Transactions(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	var got []string
	net := int64(0)
	for _, x := range txs {
		got = append(got, fmt.Sprintf("%s %s %d", x.PaymentKey, x.Status, x.Amount))
		net += x.Net()
	}
	want := "pk1 DONE 30000,pk1 PARTIAL_CANCELED 10000,pk1 CANCELED 20000,vb1 WAITING_FOR_DEPOSIT 15000,vb1 DONE 15000"
	if err != nil || strings.Join(got, ",") != want || net != 15000 {
		t.Fatalf("transactions = %v (net %d), %v; want %s", got, net, err, want)
	}
	if txs, _ := s.Transactions(ctx, time.Now().Add(time.Hour), time.Now().Add(2*time.Hour)); len(txs) != 0 {
		t.Fatalf("transactions of a later hour: %v", txs)
	}
}

// tossServer answers as Toss Payments' documentation shows.
func tossServer(t *testing.T) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if auth != "Basic "+base64.StdEncoding.EncodeToString([]byte("test_sk:")) {
			w.WriteHeader(401)
			w.Write([]byte(`{"code":"UNAUTHORIZED_KEY","message":"인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다."}`))
			return
		}
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/v1/transactions":
			q := r.URL.Query()
			if q.Get("startDate") != "2026-11-29T00:00:00" || q.Get("endDate") != "2026-11-29T23:59:59" || q.Get("limit") != "2" {
				w.WriteHeader(400)
				w.Write([]byte(`{"code":"INVALID_REQUEST","message":"잘못된 요청입니다: ` + r.URL.RawQuery + `"}`))
				return
			}
			item := func(tk, pk, order, status, at string, amount int) string {
				return fmt.Sprintf(`{"mId":"tosspayments","transactionKey":%q,"paymentKey":%q,"orderId":%q,"method":"카드","customerKey":null,"useEscrow":false,"receiptUrl":"https://dashboard.tosspayments.com/receipt","status":%q,"transactionAt":%q,"currency":"KRW","amount":%d}`, tk, pk, order, status, at, amount)
			}
			switch q.Get("startingAfter") {
			case "":
				w.Write([]byte("[" + item("tk1", "pk1", "290", "DONE", "2026-11-29T00:00:01+09:00", 15000) + "," + item("tk2", "pk2", "291", "DONE", "2026-11-29T10:00:00+09:00", 8000) + "]"))
			case "tk2":
				w.Write([]byte("[" + item("tk3", "pk1", "290", "PARTIAL_CANCELED", "2026-11-29T23:59:59+09:00", 5000) + "]"))
			default:
				w.Write([]byte("[]"))
			}
		case r.URL.Path == "/v1/payments/confirm" && body["paymentKey"] == "bad":
			w.WriteHeader(403)
			w.Write([]byte(`{"code":"REJECT_CARD_PAYMENT","message":"한도초과 혹은 잔액부족으로 결제에 실패했습니다."}`))
		case r.URL.Path == "/v1/payments/confirm" && body["paymentKey"] == "vbank":
			w.Write([]byte(`{"paymentKey":"vbank","orderId":"` + body["orderId"].(string) + `","status":"WAITING_FOR_DEPOSIT","method":"가상계좌","totalAmount":15000,"balanceAmount":15000,"secret":"ps_vbank_secret","virtualAccount":{"accountNumber":"X6505636518308","bankCode":"20","customerName":"박토스","dueDate":"2024-02-20T23:59:59+09:00"}}`))
		case r.URL.Path == "/v1/payments/confirm":
			w.Write([]byte(`{"paymentKey":"` + body["paymentKey"].(string) + `","orderId":"` + body["orderId"].(string) + `","status":"DONE","method":"카드","totalAmount":15000,"balanceAmount":15000,"approvedAt":"2024-02-13T12:18:14+09:00","card":{"issuerCode":"61","number":"12345678****123*","installmentPlanMonths":0,"approveNo":"00000000"}}`))
		case strings.HasSuffix(r.URL.Path, "/cancel"):
			if r.Header.Get("Idempotency-Key") == "" {
				t.Errorf("cancel without Idempotency-Key")
			}
			amt := body["cancelAmount"].(float64)
			w.Write([]byte(`{"paymentKey":"pk","orderId":"290","status":"PARTIAL_CANCELED","method":"카드","totalAmount":15000,"balanceAmount":` +
				jsonNum(15000-amt) + `,"cancels":[{"cancelAmount":` + jsonNum(amt) + `}]}`))
		default:
			w.WriteHeader(404)
			w.Write([]byte(`{"code":"NOT_FOUND_PAYMENT","message":"존재하지 않는 결제 정보 입니다."}`))
		}
	}))
}

func jsonNum(f float64) string { b, _ := json.Marshal(int64(f)); return string(b) }

func TestTossSpeaksTheDocumentedAPI(t *testing.T) {
	srv := tossServer(t)
	defer srv.Close()
	ctx := context.Background()
	g := &Toss{BaseURL: srv.URL, SecretKey: "test_sk"}
	r, err := g.Confirm(ctx, ConfirmRequest{PaymentKey: "pk", OrderNo: "290", Amount: 15000})
	if err != nil || r.Status != StatusDone || r.Company != "61" || r.MaskedNumber != "12345678****123*" || r.ApprovedAt.IsZero() {
		t.Fatalf("confirm = %+v, %v", r, err)
	}
	var d *Declined
	if _, err := g.Confirm(ctx, ConfirmRequest{PaymentKey: "bad", OrderNo: "291", Amount: 1}); !errors.As(err, &d) || d.Result.Code != "REJECT_CARD_PAYMENT" {
		t.Fatalf("declined confirm: %v", err)
	}
	c, err := g.Cancel(ctx, CancelRequest{PaymentKey: "pk", Amount: 5000, Reason: "고객 요청", IdempotencyKey: "refund-1"})
	if err != nil || c.Amount != 5000 || c.Balance != 10000 {
		t.Fatalf("cancel = %+v, %v", c, err)
	}
	if _, err := g.Lookup(ctx, "nope"); !errors.As(err, &d) || d.Result.Code != "NOT_FOUND_PAYMENT" {
		t.Fatalf("lookup unknown: %v", err)
	}
	bad := &Toss{BaseURL: srv.URL, SecretKey: "wrong"}
	if _, err := bad.Lookup(ctx, "pk"); !errors.As(err, &d) || d.Result.Code != "UNAUTHORIZED_KEY" {
		t.Fatalf("wrong key: %v", err)
	}
	tossPageSize = 2
	defer func() { tossPageSize = 1000 }()
	seoul := time.FixedZone("KST", 9*60*60)
	day := time.Date(2026, 11, 29, 0, 0, 0, 0, seoul)
	txs, err := g.Transactions(ctx, day, day.AddDate(0, 0, 1))
	if err != nil || len(txs) != 3 {
		t.Fatalf("transactions = %+v, %v", txs, err)
	}
	net := int64(0)
	for _, x := range txs {
		net += x.Net()
	}
	if txs[0].OrderNo != "290" || txs[2].Status != StatusPartialCanceled || !txs[2].At.Equal(day.Add(24*time.Hour-time.Second)) || net != 18000 {
		t.Fatalf("transactions = %+v, net %d", txs, net)
	}
	ev, err := g.Webhook(nil, []byte(`{"createdAt":"2022-01-01T00:00:00.000000","secret":"ps_abc","status":"DONE","transactionKey":"tk1","orderId":"293"}`))
	if err != nil || ev.Secret != "ps_abc" || ev.OrderNo != "293" || ev.Status != "DONE" {
		t.Fatalf("webhook = %+v, %v", ev, err)
	}
	// The payment's secret authenticates the deposit callback: it is handed
	// over in Secret and never kept in the raw answer or callback.
	if bytes.Contains(ev.Raw, []byte("ps_abc")) || !bytes.Contains(ev.Raw, []byte(`"secret":"`+Redacted+`"`)) || !bytes.Contains(ev.Raw, []byte(`"transactionKey":"tk1"`)) {
		t.Fatalf("webhook raw keeps the secret: %s", ev.Raw)
	}
	vb, err := g.Confirm(ctx, ConfirmRequest{PaymentKey: "vbank", OrderNo: "294", Amount: 15000})
	if err != nil || vb.Status != StatusWaitingDeposit || vb.Secret != "ps_vbank_secret" || vb.AccountNumber != "X6505636518308" {
		t.Fatalf("virtual account = %+v, %v", vb, err)
	}
	if bytes.Contains(vb.Raw, []byte("ps_vbank_secret")) || !bytes.Contains(vb.Raw, []byte(`"accountNumber":"X6505636518308"`)) {
		t.Fatalf("virtual account raw keeps the secret: %s", vb.Raw)
	}
	for _, in := range []string{`not json "secret"`, `{"secret":""}`, `{"a":1}`} {
		if got := string(Redact([]byte(in))); got != in {
			t.Errorf("Redact(%s) = %s, want it unchanged", in, got)
		}
	}
	if got := string(Redact([]byte(`{"n":12345678901234567890,"list":[{"secret":"s1"}]}`))); got != `{"list":[{"secret":"`+Redacted+`"}],"n":12345678901234567890}` {
		t.Errorf("nested secret: %s", got)
	}
}
