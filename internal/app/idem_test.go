package app_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestIdempotentReplayKeepsProblemJSON: an error answered under a key is
// replayed as the same problem document, content type included.
func TestIdempotentReplayKeepsProblemJSON(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		body := map[string]string{"site": "malgn", "login": "x y", "name": ""}
		first := e.do("POST", "/api/v1/members", tok, body, "Idempotency-Key", "bad-1")
		again := e.do("POST", "/api/v1/members", tok, body, "Idempotency-Key", "bad-1")
		if first.Status != 422 || again.Status != 422 || string(first.Body) != string(again.Body) {
			t.Fatalf("replay: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
		}
		if again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatal("replay not marked")
		}
		for _, r := range []response{first, again} {
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q, want application/problem+json", ct)
			}
		}
	})
}

// upload is a multipart import form of an 11번가 sheet, built once so that
// a retry sends the very same bytes.
type upload struct {
	body  []byte
	ctype string
}

func newUpload(data []byte) upload {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("marketplace", "11st")
	fw, _ := mw.CreateFormFile("file", "11st.csv")
	_, _ = fw.Write(data)
	mw.Close()
	return upload{body.Bytes(), mw.FormDataContentType()}
}

// postImport sends the upload with an Idempotency-Key under ctx and
// reports the answer (or the client's error, as status -1) on the channel.
func (e *env) postImport(ctx context.Context, token, key string, up upload) <-chan response {
	req, _ := http.NewRequestWithContext(ctx, "POST", e.srv.URL+"/api/v1/marketplace-orders/import", bytes.NewReader(up.body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", up.ctype)
	req.Header.Set("Idempotency-Key", key)
	out := make(chan response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- response{Status: -1, Body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		out <- response{Status: resp.StatusCode, Header: resp.Header, Body: b.Bytes()}
	}()
	return out
}

// keyState returns whether the key's row exists and its stored status.
func (e *env) keyState(t *testing.T, key string) (exists bool, status int) {
	t.Helper()
	var n int
	err := e.app.DB.Read().QueryRowContext(context.Background(), `SELECT COUNT(*), COALESCE(MAX(status_code), 0) FROM idempotency_keys WHERE idem_key = $1`, key).Scan(&n, &status)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0, status
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestAbandonedRequestReleasesKey: a client that gives up before the work
// committed leaves its key free, and the retry with the key does the work.
func TestAbandonedRequestReleasesKey(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		const n = 4000
		data := newUpload(sheet11st(0, n))
		// The import has reserved its key and opened the sheet; it waits there,
		// before any transaction of its own, until its client has gone.
		opened, gone := make(chan struct{}), make(chan struct{})
		e.app.Market.BeforeSession = func() {
			close(opened)
			<-gone
			time.Sleep(300 * time.Millisecond) // the server notices the client is gone
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		answer := e.postImport(ctx, tok, "abandon-1", data)
		<-opened
		if ok, _ := e.keyState(t, "abandon-1"); !ok {
			t.Fatal("the key is not reserved while the import runs")
		}
		var sessions int
		if err := e.app.DB.Read().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM market_imports WHERE marketplace_id = (SELECT id FROM marketplaces WHERE code = '11st')`).Scan(&sessions); err != nil || sessions != 0 {
			t.Fatalf("sessions before the import's transaction = %d, %v", sessions, err)
		}
		cancel()
		if r := <-answer; r.Status != -1 {
			t.Fatalf("the cancelled client got %d %s", r.Status, r.Body)
		}
		close(gone)
		e.app.Market.BeforeSession = nil
		waitFor(t, "the abandoned request to end", func() bool { ok, status := e.keyState(t, "abandon-1"); return !ok || status != 0 })
		if ok, status := e.keyState(t, "abandon-1"); ok {
			t.Fatalf("the abandoned request left its key with status %d", status)
		}
		r := <-e.postImport(context.Background(), tok, "abandon-1", data)
		if r.Status != 200 || r.Header.Get("Idempotent-Replayed") != "" || !strings.Contains(string(r.Body), `"inserted":4000`) {
			t.Fatalf("retry = %d replayed=%q %.300s", r.Status, r.Header.Get("Idempotent-Replayed"), r.Body)
		}
	})
}

// TestAbandonedAfterCommitKeepsAnswer: a client that gives up after the work
// began committing does not stop it half-way; the key keeps the real answer.
func TestAbandonedAfterCommitKeepsAnswer(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		const n = 2500 // one batch: AfterBatch runs after it, inside the import's transaction
		data := newUpload(sheet11st(0, n))
		firstBatch, gone := make(chan struct{}), make(chan struct{})
		e.app.Market.AfterBatch = func(batch int) error {
			if batch == 0 {
				close(firstBatch)
				<-gone
				time.Sleep(300 * time.Millisecond) // the server notices the client is gone
			}
			return nil
		}
		ctx, cancel := context.WithCancel(context.Background())
		answer := e.postImport(ctx, tok, "abandon-2", data)
		<-firstBatch
		cancel()
		if r := <-answer; r.Status != -1 {
			t.Fatalf("the cancelled client got %d %s", r.Status, r.Body)
		}
		close(gone)
		deadline := time.Now().Add(20 * time.Second)
		for {
			ok, status := e.keyState(t, "abandon-2")
			if !ok || status != 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		r := <-e.postImport(context.Background(), tok, "abandon-2", data)
		if r.Status != 200 || r.Header.Get("Idempotent-Replayed") != "true" || !strings.Contains(string(r.Body), `"inserted":2500`) {
			t.Fatalf("retry = %d replayed=%q %.300s", r.Status, r.Header.Get("Idempotent-Replayed"), r.Body)
		}
		var count int
		if err := e.app.DB.Read().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM market_orders WHERE marketplace_id = (SELECT id FROM marketplaces WHERE code = '11st')`).Scan(&count); err != nil || count != n {
			t.Fatalf("stored lines = %d, %v; want %d", count, err, n)
		}
	})
}

// TestCheckoutKeyReservedInWork: placing and paying reserve their
// Idempotency-Key in their first transaction (no transaction of its own).
// Concurrent confirmations with one key pay once; the key answers the first
// answer again; a refusal before any work is kept under its key; a key in
// use answers 422 for another body; no key is left in progress.
func TestCheckoutKeyReservedInWork(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, productID := demoEnv(t, e)
		placed := e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "card",
			"items": []map[string]any{{"product_id": productID, "qty": 1}}}, "Idempotency-Key", "work-place")
		if placed.Status != 201 {
			t.Fatalf("place = %d %s", placed.Status, placed.Body)
		}
		no := int64(placed.json(t)["order_no"].(float64))
		path := fmt.Sprintf("/api/v1/orders/%d/payments/", no)
		// Refused before any work (wrong amount): kept and answered again.
		bad := map[string]any{"gateway": "sandbox", "payment_key": "work-pay", "amount": 7999}
		first := e.do("POST", path+"confirm", tok, bad, "Idempotency-Key", "work-bad")
		again := e.do("POST", path+"confirm", tok, bad, "Idempotency-Key", "work-bad")
		if first.Status != 422 || again.Status != 422 || again.Header.Get("Idempotent-Replayed") != "true" || string(first.Body) != string(again.Body) {
			t.Fatalf("refusal kept: %d %s / %d replayed=%q %s", first.Status, first.Body, again.Status, again.Header.Get("Idempotent-Replayed"), again.Body)
		}
		good := map[string]any{"gateway": "sandbox", "payment_key": "work-pay", "amount": 8000}
		results := make([]response, 6)
		var wg sync.WaitGroup
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = e.do("POST", path+"confirm", tok, good, "Idempotency-Key", "work-pay")
			}()
		}
		wg.Wait()
		paid := 0
		for _, r := range results {
			switch {
			case r.Status == 200 && r.json(t)["status"] == "paid":
				paid++
			case r.Status == 409: // the first was still running
			default:
				t.Fatalf("concurrent confirmation = %d %s", r.Status, r.Body)
			}
		}
		last := e.do("POST", path+"confirm", tok, good, "Idempotency-Key", "work-pay")
		if paid == 0 || last.Status != 200 || last.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("paid answers %d; replay %d replayed=%q", paid, last.Status, last.Header.Get("Idempotent-Replayed"))
		}
		if r := e.do("POST", path+"confirm", tok, bad, "Idempotency-Key", "work-pay"); r.Status != 422 {
			t.Fatalf("the key with another body = %d %s", r.Status, r.Body)
		}
		ctx := context.Background()
		var captures, confirms, open int
		db := e.app.DB.Read()
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM journal j JOIN orders o ON o.id = j.order_id WHERE o.order_no = $1 AND j.kind = 'capture'`, no).Scan(&captures); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sandbox_transactions WHERE payment_key = 'work-pay'`).Scan(&confirms); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM idempotency_keys WHERE status_code = 0`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if captures != 1 || confirms != 1 || open != 0 {
			t.Fatalf("captures %d, sandbox payments %d, keys in progress %d; want 1, 1, 0", captures, confirms, open)
		}
		for _, key := range []string{"work-place", "work-bad", "work-pay"} {
			if ok, status := e.keyState(t, key); !ok || status == 0 {
				t.Fatalf("key %s: stored %v, status %d", key, ok, status)
			}
		}
	})
}

// TestCheckoutAnswerCommitsWithWork: placing, preparing and confirming a
// payment under an Idempotency-Key store their answer in the work's last
// transaction (idem.Keep), so that no transaction follows the work: a keyed
// place is one commit, a prepare one, a confirm three (claim, the sandbox's
// own, record). The key answers the very bytes that were sent, the order
// answered is the order as stored, and verify holds.
func TestCheckoutAnswerCommitsWithWork(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, productID := demoEnv(t, e)
		commits := func(step func() response, want int64) response {
			t.Helper()
			before := e.app.DB.Commits()
			r := step()
			if got := e.app.DB.Commits() - before; got != want {
				t.Fatalf("%d commits, want %d (answer %d %s)", got, want, r.Status, r.Body)
			}
			return r
		}
		replayed := func(first, again response) {
			t.Helper()
			if again.Status != first.Status || again.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first.Body, again.Body) ||
				again.Header.Get("Content-Type") != first.Header.Get("Content-Type") {
				t.Fatalf("replay differs:\n%d %q %s\n%d %q %s", first.Status, first.Header.Get("Content-Type"), first.Body,
					again.Status, again.Header.Get("Content-Type"), again.Body)
			}
		}
		body := map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "card", "items": []map[string]any{{"product_id": productID, "qty": 1}}}
		placed := commits(func() response { return e.do("POST", "/api/v1/orders", tok, body, "Idempotency-Key", "kept-place") }, 1)
		if placed.Status != 201 {
			t.Fatalf("place = %d %s", placed.Status, placed.Body)
		}
		replayed(placed, commits(func() response { return e.do("POST", "/api/v1/orders", tok, body, "Idempotency-Key", "kept-place") }, 0))
		no := int64(placed.json(t)["order_no"].(float64))
		path := fmt.Sprintf("/api/v1/orders/%d", no)
		// The answer kept in the transaction is the order as a read after it finds it.
		stored := e.do("GET", path, tok, nil).json(t)
		delete(stored, "payments")
		for k, v := range placed.json(t) {
			if fmt.Sprint(stored[k]) != fmt.Sprint(v) {
				t.Fatalf("placed answer %s = %v, the stored order has %v", k, v, stored[k])
			}
		}
		prep := commits(func() response {
			return e.do("POST", path+"/payments/prepare", tok, map[string]any{"gateway": "sandbox"}, "Idempotency-Key", "kept-prepare")
		}, 1)
		replayed(prep, e.do("POST", path+"/payments/prepare", tok, map[string]any{"gateway": "sandbox"}, "Idempotency-Key", "kept-prepare"))
		key, _ := prep.json(t)["payment_key"].(string)
		pay := map[string]any{"gateway": "sandbox", "payment_key": key, "amount": 8000}
		paid := commits(func() response {
			return e.do("POST", path+"/payments/confirm", tok, pay, "Idempotency-Key", "kept-pay")
		}, 3)
		if paid.Status != 200 || paid.json(t)["status"] != "paid" || paid.json(t)["collected"].(float64) != 8000 {
			t.Fatalf("confirm = %d %s", paid.Status, paid.Body)
		}
		replayed(paid, e.do("POST", path+"/payments/confirm", tok, pay, "Idempotency-Key", "kept-pay"))
		// Without a key the same work answers alike and keeps nothing.
		plain := e.do("POST", "/api/v1/orders", tok, body)
		if plain.Status != 201 || plain.json(t)["status"] != "pending" {
			t.Fatalf("place without a key = %d %s", plain.Status, plain.Body)
		}
		e.verified(t, "")
	})
}

// TestConcurrentKeyedPlacesAnswerCommittedOrders: three requests with one
// key at once, for many keys. On SQLite the requests may share a batch, in
// which a later one finds the first one's answer (idem.Keep) before it has
// committed: it must answer 409 then, never an order that is not stored yet.
// Every order answered exists when its answer arrives, and each key places
// exactly one order.
func TestConcurrentKeyedPlacesAnswerCommittedOrders(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, productID := demoEnv(t, e)
		body := map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "card", "items": []map[string]any{{"product_id": productID, "qty": 1}}}
		countOrders := func() (n int) {
			if err := e.app.DB.Read().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM orders`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := countOrders()
		const keys, same = 60, 3
		var mu sync.Mutex
		var wg sync.WaitGroup
		var problems []string
		answered := map[string]float64{}
		sem := make(chan struct{}, 12)
		for k := range keys {
			for range same {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					key := fmt.Sprintf("race-%d", k)
					r := e.do("POST", "/api/v1/orders", tok, body, "Idempotency-Key", key)
					if r.Status == 409 {
						return
					}
					if r.Status != 201 {
						mu.Lock()
						problems = append(problems, fmt.Sprintf("%s: %d %s", key, r.Status, r.Body))
						mu.Unlock()
						return
					}
					no := r.json(t)["order_no"].(float64)
					if got := e.do("GET", fmt.Sprintf("/api/v1/orders/%d", int64(no)), tok, nil); got.Status != 200 {
						mu.Lock()
						problems = append(problems, fmt.Sprintf("%s answered order %v (replayed %q), which reads %d", key, no, r.Header.Get("Idempotent-Replayed"), got.Status))
						mu.Unlock()
					}
					mu.Lock()
					if prev, ok := answered[key]; ok && prev != no {
						problems = append(problems, fmt.Sprintf("%s answered orders %v and %v", key, prev, no))
					}
					answered[key] = no
					mu.Unlock()
				}()
			}
		}
		wg.Wait()
		if len(problems) > 0 {
			t.Fatalf("%d problems, first: %s", len(problems), strings.Join(problems[:min(5, len(problems))], "\n"))
		}
		if got := countOrders() - before; got != keys {
			t.Fatalf("%d orders placed for %d keys", got, keys)
		}
	})
}

// TestKeyedConfirmationsOfEveryOutcome: a keyed confirmation's answer is what
// its key replays, whichever way it ends: a virtual account (kept with the
// record: awaiting_deposit), a declined card (no order moved: the refusal is
// stored after the record) and the same payment confirmed again under a new
// key (nothing recorded: the paid order, stored after).
func TestKeyedConfirmationsOfEveryOutcome(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, productID := demoEnv(t, e)
		place := func(method string) string {
			t.Helper()
			r := e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": method,
				"items": []map[string]any{{"product_id": productID, "qty": 1}}})
			if r.Status != 201 {
				t.Fatalf("place %s = %d %s", method, r.Status, r.Body)
			}
			return fmt.Sprintf("/api/v1/orders/%d/payments/", int64(r.json(t)["order_no"].(float64)))
		}
		confirm := func(path, paymentKey, idemKey string) (first, again response) {
			t.Helper()
			body := map[string]any{"gateway": "sandbox", "payment_key": paymentKey, "amount": 8000}
			first = e.do("POST", path+"confirm", tok, body, "Idempotency-Key", idemKey)
			again = e.do("POST", path+"confirm", tok, body, "Idempotency-Key", idemKey)
			if again.Status != first.Status || again.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first.Body, again.Body) ||
				again.Header.Get("Content-Type") != first.Header.Get("Content-Type") {
				t.Fatalf("%s replay differs:\n%d %s\n%d %s", idemKey, first.Status, first.Body, again.Status, again.Body)
			}
			return first, again
		}
		vbank := place("vbank")
		key := e.do("POST", vbank+"prepare", tok, map[string]any{"gateway": "sandbox"}).json(t)["payment_key"].(string)
		if r, _ := confirm(vbank, key, "outcome-vbank"); r.Status != 200 || r.json(t)["status"] != "awaiting_deposit" {
			t.Fatalf("virtual account = %d %s", r.Status, r.Body)
		}
		card := place("card")
		if r, _ := confirm(card, "decline-outcome", "outcome-declined"); r.Status != 422 || !strings.Contains(string(r.Body), "REJECT_CARD_COMPANY") {
			t.Fatalf("declined = %d %s", r.Status, r.Body)
		}
		key = e.do("POST", card+"prepare", tok, map[string]any{"gateway": "sandbox"}).json(t)["payment_key"].(string)
		paid, _ := confirm(card, key, "outcome-paid")
		again, _ := confirm(card, key, "outcome-paid-again")
		if paid.Status != 200 || again.Status != 200 || paid.json(t)["status"] != "paid" || !bytes.Equal(paid.Body, again.Body) {
			t.Fatalf("paid = %d %s; confirmed again = %d %s", paid.Status, paid.Body, again.Status, again.Body)
		}
		e.verified(t, "")
	})
}
