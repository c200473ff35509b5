package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/app"
	"github.com/orderdesk/orderdesk/internal/config"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/shipping"
)

// smsFake is an SMS provider speaking Aligo's API that records every message
// it is asked to send, by the account (one per server) that sent it. Each
// server's first message waits until the other server has sent one too, so
// that both send at the same time.
type smsFake struct {
	t       *testing.T
	mu      sync.Mutex
	sent    map[string][]string // body → the servers that sent it
	started map[string]bool
	both    chan struct{}
}

func (f *smsFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	server, body := r.PostFormValue("user_id"), r.PostFormValue("msg")
	f.mu.Lock()
	f.sent[body] = append(f.sent[body], server)
	first := !f.started[server]
	f.started[server] = true
	if len(f.started) == 2 && first {
		close(f.both)
	}
	f.mu.Unlock()
	if first {
		select {
		case <-f.both:
		case <-time.After(15 * time.Second):
			f.t.Errorf("server %s sent alone: the other never sent while it did", server)
		}
	}
	w.Write([]byte(`{"result_code":"1","message":"success","msg_id":"1","success_cnt":1}`))
}

// server is one `orderdesk serve` process.
type server struct {
	name string
	url  string
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

func (s *server) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

var servingURL = regexp.MustCompile(`msg=serving url=(http://\S+)`)

// startServer starts `orderdesk serve` on a free port and waits until it
// serves. It may run on another goroutine than the test's.
func startServer(t *testing.T, bin, name string, env []string) (*server, error) {
	s := &server{name: name, done: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	s.cmd.Env = append(slices.Clip(env), "ORDERDESK_SMS_USER="+name)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			s.mu.Lock()
			s.log.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := servingURL.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}
	})
	select {
	case s.url = <-found:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("server %s ended at start:\n%s", name, s.logText())
	case <-time.After(2 * time.Minute):
		return nil, fmt.Errorf("server %s did not start:\n%s", name, s.logText())
	}
}

// stop ends the server as a service manager does (SIGTERM) and checks that
// it shut down cleanly.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-s.done
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("server %s: %v\n%s", s.name, err, s.logText())
	}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, method, u, token, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return answer{}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{Timeout: 2 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: data}
}

// TestTwoServersOnePostgres runs two `orderdesk serve` processes on one
// PostgreSQL database at once and shows that they share the work instead of
// doing it twice: every SMS of the outbox is sent exactly once (both servers
// sending at the same time), the 구매확정 job confirms each due item once
// and runs in one server, a settlement recompute of one range runs in one
// server at a time, failed logins on both servers add up to one lock, and
// an Idempotency-Key used on one server replays on the other.
func TestTwoServersOnePostgres(t *testing.T) {
	if os.Getenv(sqldbtest.EnvPostgres) == "" {
		t.Skip(sqldbtest.EnvPostgres + " is not set: several servers share a PostgreSQL database (one process per SQLite file)")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "orderdesk")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/orderdesk/orderdesk/cmd/orderdesk").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dsn := sqldbtest.DSN(t, sqldb.Postgres)

	// The data, prepared through the services with no server running.
	cfg := config.Default()
	cfg.DB, cfg.SecretKey = dsn, testKey
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	h, err := a.Handler()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, app: a, srv: httptest.NewServer(h)}
	tok, memberID, _ := demoEnv(t, e)
	e.account("kim")
	sys := access.System()
	// Textbooks delivered 30 days ago: due for 구매확정.
	const delivered = 12
	books := e.do("GET", "/api/v1/products?kind=textbook&q="+url.QueryEscape("포토샵 교재"), tok, nil).json(t)["items"].([]any)
	book := books[0].(map[string]any)["id"]
	longAgo := kst.Day(time.Now().AddDate(0, 0, -30))
	var due []int64
	for i := range delivered {
		o := e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "bank_deposit",
			"items":    []map[string]any{{"product_id": book, "qty": 1}},
			"shipping": map[string]string{"recipient": "홍길금", "phone": "010-0000-2122", "zipcode": "08797", "address": "서울"}})
		if o.Status != 201 {
			t.Fatalf("place: %d %s", o.Status, o.Body)
		}
		no := fmt.Sprint(o.json(t)["order_no"])
		if r := e.do("POST", "/api/v1/orders/"+no+"/confirm-deposit", tok, nil); r.Status != 200 {
			t.Fatalf("deposit: %d %s", r.Status, r.Body)
		}
		item := int64(o.json(t)["items"].([]any)[0].(map[string]any)["item_id"].(float64))
		shipped, carrier, number := "shipped", "PO", fmt.Sprintf("6%08d", i)
		if _, err := a.Ship.Update(ctx, sys, item, shipping.Change{State: &shipped, Carrier: &carrier, TrackingNo: &number}); err != nil {
			t.Fatal(err)
		}
		state := "delivered"
		if _, err := a.Ship.Update(ctx, sys, item, shipping.Change{State: &state, DeliveredOn: &longAgo}); err != nil {
			t.Fatal(err)
		}
		due = append(due, item)
	}
	e.srv.Close()
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := a.DB.Read().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	dueBefore := count(`SELECT COUNT(*) FROM order_items WHERE delivery_status = 'delivered'`) // with the demo's
	if dueBefore != delivered+3 {
		t.Fatalf("%d items delivered, want ours and the demo's three", dueBefore)
	}
	// Marketplace lines for the recompute: 5,000 order numbers of one day.
	sheet := filepath.Join(dir, "11st.csv")
	if err := os.WriteFile(sheet, sheet11st(0, 15_000), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := map[string]string{"ORDERDESK_DB": dsn, "ORDERDESK_SECRET_KEY": testKey, "ORDERDESK_LOG_LEVEL": "warn"}
	if code, _, errs := runCLI(t, cli, "marketplace", "import", "--marketplace", "11st", sheet); code != 0 {
		t.Fatal(errs)
	}
	// SMS waiting in the outbox, as refunds and denials leave them.
	const messages = 400
	now := sqldb.Instant(time.Now())
	if err := a.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		for i := range messages {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sms_outbox (phone, body, next_at, ref, created_at) VALUES ($1, $2, $3, $4, $3)`,
				"010-0000-2122", fmt.Sprintf("[맑은소프트] 알림 %03d", i), now, fmt.Sprint("test:", i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Two servers, each with its own SMS account at the fake provider.
	fake := &smsFake{t: t, sent: map[string][]string{}, started: map[string]bool{}, both: make(chan struct{})}
	provider := httptest.NewServer(fake)
	defer provider.Close()
	env := append(os.Environ(), "ORDERDESK_DB="+dsn, "ORDERDESK_SECRET_KEY="+testKey, "ORDERDESK_LOG_LEVEL=info",
		"ORDERDESK_SMS_PROVIDER=aligo", "ORDERDESK_SMS_KEY=k", "ORDERDESK_SMS_SENDER=02-000-0000", "ORDERDESK_SMS_URL="+provider.URL)
	var servers [2]*server
	var wg sync.WaitGroup
	for i, name := range []string{"A", "B"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if servers[i], err = startServer(t, bin, name, env); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	srvA, srvB := servers[0], servers[1]

	t.Run("each SMS sent once", func(t *testing.T) {
		deadline := time.Now().Add(2 * time.Minute)
		for count(`SELECT COUNT(*) FROM sms_outbox WHERE status = 'sent'`) < messages {
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d messages sent in time", count(`SELECT COUNT(*) FROM sms_outbox WHERE status = 'sent'`), messages)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // a duplicate send would reach the fake by now
		fake.mu.Lock()
		defer fake.mu.Unlock()
		by := map[string]int{}
		for body, senders := range fake.sent {
			if len(senders) != 1 {
				t.Errorf("%q sent %d times (by %v)", body, len(senders), senders)
			}
			by[senders[0]]++
		}
		if len(fake.sent) != messages || by["A"] == 0 || by["B"] == 0 {
			t.Fatalf("the provider got %d distinct messages (A sent %d, B %d), want %d from both servers", len(fake.sent), by["A"], by["B"], messages)
		}
		if n := count(`SELECT COUNT(*) FROM sms_outbox WHERE attempts <> 1`); n != 0 {
			t.Fatalf("%d messages recorded with other than one attempt", n)
		}
		t.Logf("server A sent %d messages, server B %d", by["A"], by["B"])
	})

	t.Run("구매확정 once", func(t *testing.T) {
		deadline := time.Now().Add(time.Minute)
		for count(`SELECT COUNT(*) FROM order_items WHERE delivery_status = 'delivered'`) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d delivered items still not confirmed", count(`SELECT COUNT(*) FROM order_items WHERE delivery_status = 'delivered'`))
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, item := range due {
			if n := count(`SELECT COUNT(*) FROM audit_log WHERE action = 'delivery.auto_confirm' AND entity_id = $1`, fmt.Sprint(item)); n != 1 {
				t.Errorf("item %d auto-confirmed %d times", item, n)
			}
		}
		if n := count(`SELECT COUNT(*) FROM audit_log WHERE action = 'delivery.auto_confirm'`); n != dueBefore {
			t.Errorf("%d auto-confirmations recorded, want %d", n, dueBefore)
		}
		// The job ran in one server: the other found the lease taken, or
		// nothing left to confirm.
		confirmed := regexp.MustCompile(`msg="auto-confirmed delivered items" confirmed=(\d+)`)
		total, ran := 0, 0
		for _, s := range servers {
			for _, m := range confirmed.FindAllStringSubmatch(s.logText(), -1) {
				n, _ := strconv.Atoi(m[1])
				total += n
				ran++
			}
		}
		if total != dueBefore || ran != 1 {
			t.Fatalf("the servers logged %d runs confirming %d items in all; want one run of %d", ran, total, dueBefore)
		}
	})

	t.Run("recompute runs once per range", func(t *testing.T) {
		body := `{"from":"2025-10-13","to":"2025-10-13","marketplace":"11st"}`
		refused := 0
		for round := range 3 {
			var answers [2]answer
			var wg sync.WaitGroup
			for i, s := range servers {
				wg.Add(1)
				go func() { defer wg.Done(); answers[i] = call(t, "POST", s.url+"/api/v1/settlement/recompute", tok, body) }()
			}
			wg.Wait()
			for i, an := range answers {
				switch an.status {
				case 200:
				case 409:
					refused++
					if !strings.Contains(string(an.body), "겹치는 정산 재생성") {
						t.Errorf("round %d server %d: 409 %s", round, i, an.body)
					}
				default:
					t.Fatalf("round %d server %d: %d %s", round, i, an.status, an.body)
				}
			}
			if answers[0].status == 409 && answers[1].status == 409 {
				t.Fatalf("round %d: both refused", round)
			}
		}
		// The jobs that ran never overlapped, whichever server ran them.
		rows, err := a.DB.Read().QueryContext(ctx, `SELECT id, status, started_at, finished_at FROM settlement_jobs ORDER BY started_at`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var lastEnd time.Time
		jobs := 0
		for rows.Next() {
			var id int64
			var status string
			var start, end time.Time
			if err := rows.Scan(&id, &status, &start, &end); err != nil {
				t.Fatal(err)
			}
			if status != "done" || start.Before(lastEnd) {
				t.Errorf("job %d: %s from %s, while the previous one ran until %s", id, status, start, lastEnd)
			}
			lastEnd = end
			jobs++
		}
		if jobs != 6-refused || refused == 0 {
			t.Fatalf("%d jobs ran and %d starts were refused; want 6 in all and at least one refused while the other server ran it", jobs, refused)
		}
		t.Logf("6 starts of one range at once on both servers: %d ran, %d refused while the other server ran it", jobs, refused)
		if n := count(`SELECT COUNT(*) FROM audit_log WHERE action = 'settlement.recompute'`); n != jobs {
			t.Fatalf("%d recomputes audited, %d jobs", n, jobs)
		}
	})

	t.Run("failed logins add up across servers", func(t *testing.T) {
		login := func(s *server, password string) answer {
			form := url.Values{"login": {"kim"}, "password": {password}, "next": {"/"}}
			req, _ := http.NewRequest("POST", s.url+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return answer{status: resp.StatusCode, header: resp.Header}
		}
		for i := range 5 {
			s := servers[i%2]
			if an := login(s, "wrong password"); an.status != http.StatusUnauthorized {
				t.Fatalf("wrong password %d on server %s: %d", i, s.name, an.status)
			}
		}
		for _, s := range servers {
			an := login(s, "correct horse battery")
			if an.status != http.StatusTooManyRequests || an.header.Get("Retry-After") == "" {
				t.Fatalf("right password on server %s after five failures on both: %d (Retry-After %q), want 429", s.name, an.status, an.header.Get("Retry-After"))
			}
		}
	})

	t.Run("an Idempotency-Key replays on the other server", func(t *testing.T) {
		body := `{"site":"malgn","login":"twoservers","name":"두서버"}`
		var answers [2]answer
		var wg sync.WaitGroup
		for i, s := range servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = call(t, "POST", s.url+"/api/v1/members", tok, body, "Idempotency-Key", "two-servers-1")
			}()
		}
		wg.Wait()
		created := 0
		for _, an := range answers {
			switch {
			case an.status == 201:
				created++
			case an.status == 409: // the other server was still working on it
			default:
				t.Fatalf("keyed create: %d %s", an.status, an.body)
			}
		}
		if created == 0 {
			t.Fatal("neither server answered the keyed create")
		}
		first := call(t, "POST", srvA.url+"/api/v1/members", tok, body, "Idempotency-Key", "two-servers-1")
		again := call(t, "POST", srvB.url+"/api/v1/members", tok, body, "Idempotency-Key", "two-servers-1")
		for _, an := range []answer{first, again} {
			if an.status != 201 || an.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(an.body, first.body) {
				t.Fatalf("retry: %d replayed=%q %s, want the first answer again", an.status, an.header.Get("Idempotent-Replayed"), an.body)
			}
		}
		var m struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(first.body, &m); err != nil || m.ID == 0 {
			t.Fatalf("answer %s: %v", first.body, err)
		}
		if n := count(`SELECT COUNT(*) FROM members WHERE login = 'twoservers'`); n != 1 {
			t.Fatalf("%d members made by one key on two servers", n)
		}
		if an := call(t, "POST", srvB.url+"/api/v1/members", tok, `{"site":"malgn","login":"other","name":"다른"}`, "Idempotency-Key", "two-servers-1"); an.status != 422 && an.status != 400 {
			t.Fatalf("the key with another body on the other server: %d %s, want refused", an.status, an.body)
		}
	})

	srvA.stop(t)
	srvB.stop(t)
	verify := exec.Command(bin, "verify")
	verify.Env = append(os.Environ(), "ORDERDESK_DB="+dsn, "ORDERDESK_SECRET_KEY="+testKey)
	if out, err := verify.CombinedOutput(); err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
}
