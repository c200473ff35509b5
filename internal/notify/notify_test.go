package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

func TestOutboxSendsAfterCommitAndRetries(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		var calls, fail atomic.Int32
		fail.Store(1)
		// The provider answers as Aligo's API does; the first call fails.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			if r.URL.Path != "/send/" || r.PostFormValue("key") != "k" || r.PostFormValue("receiver") != "010-0000-2122" {
				t.Errorf("request %s %v", r.URL.Path, r.PostForm)
			}
			if fail.Add(-1) >= 0 {
				w.Write([]byte(`{"result_code":"-101","message":"인증오류입니다."}`))
				return
			}
			w.Write([]byte(`{"result_code":"1","message":"success","msg_id":"123","success_cnt":1}`))
		}))
		defer srv.Close()
		now := time.Date(2020, 4, 3, 8, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		o := &Outbox{DB: db, Now: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Provider: &Aligo{BaseURL: srv.URL, Key: "k", UserID: "u", Sender: "02-000-0000"}}
		ctx := context.Background()
		rolled := db.InTx(ctx, func(tx *sqldb.Tx) error {
			if err := o.Enqueue(ctx, tx, "010-0000-2122", "롤백된 메시지", "x"); err != nil {
				return err
			}
			return context.Canceled
		})
		if rolled == nil {
			t.Fatal("rollback expected")
		}
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			return o.Enqueue(ctx, tx, "010-0000-2122", "환불이 완료되었습니다.", "refund:1")
		}); err != nil {
			t.Fatal(err)
		}
		if n, err := o.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("first try sent %d (%v), want a failure", n, err)
		}
		if n, _ := o.SendDue(ctx); n != 0 {
			t.Fatalf("retried before its time")
		}
		now = now.Add(time.Minute)
		if n, err := o.SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("retry sent %d (%v)", n, err)
		}
		var status string
		var attempts int
		if err := db.Read().QueryRowContext(ctx, `SELECT status, attempts FROM sms_outbox WHERE ref = 'refund:1'`).Scan(&status, &attempts); err != nil || status != "sent" || attempts != 2 {
			t.Fatalf("outbox row = %s/%d %v", status, attempts, err)
		}
		if calls.Load() != 2 {
			t.Fatalf("provider called %d times, want 2 (the rolled-back message never sent)", calls.Load())
		}
	})
}

func TestMobile(t *testing.T) {
	for phone, want := range map[string]bool{
		"010-0000-2122": true, "01012345678": true, "011-123-4567": true, "016-1234-5678": true, "017 123 4567": true,
		"018-123-4567": true, "019-1234-5678": true, "+82 10-1234-5678": true, "+821012345678": true,
		"02-123-4567": false, "031-123-4567": false, "070-1234-5678": false, "1588-1234": false, "010-123-456": false,
		"": false, "010-1234-5678 ext": false, "012-345-6789": false, "+1 010 1234 5678": false, "010-12345-67890": false,
	} {
		if got := Mobile(phone); got != want {
			t.Errorf("Mobile(%q) = %v, want %v", phone, got, want)
		}
	}
}

func TestEnqueueSkipsLandlines(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		o := &Outbox{DB: db, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Provider: LogProvider{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
		ctx := context.Background()
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			if err := o.Enqueue(ctx, tx, "02-123-4567", "유선", "a"); err != nil {
				return err
			}
			return o.Enqueue(ctx, tx, "010-1234-5678", "휴대", "b")
		}); err != nil {
			t.Fatal(err)
		}
		var n int
		var phone string
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*), MIN(phone) FROM sms_outbox`).Scan(&n, &phone); err != nil || n != 1 || phone != "010-1234-5678" {
			t.Fatalf("queued %d (%s) %v, want only the mobile", n, phone, err)
		}
	})
}

// recorder is a provider that keeps what it was asked to send.
type recorder struct {
	mu   sync.Mutex
	sent map[string][]string // body → the senders that sent it
}

func (r *recorder) as(name string, before func()) Provider {
	return providerFunc(func(ctx context.Context, phone, body string) error {
		if before != nil {
			before()
		}
		time.Sleep(time.Millisecond)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.sent[body] = append(r.sent[body], name)
		return nil
	})
}

type providerFunc func(ctx context.Context, phone, body string) error

func (f providerFunc) Send(ctx context.Context, phone, body string) error { return f(ctx, phone, body) }

// openTwice opens two connection pools on one fresh database, as two
// orderdesk processes have.
func openTwice(t *testing.T, engine sqldb.Engine) (*sqldb.DB, *sqldb.DB) {
	t.Helper()
	dsn := sqldbtest.DSN(t, engine)
	var dbs [2]*sqldb.DB
	for i := range dbs {
		db, err := sqldb.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		dbs[i] = db
	}
	return dbs[0], dbs[1]
}

// Two senders on one outbox, as two processes: both send at the same time
// (each one's first message waits until the other has started sending), and
// every message goes out exactly once.
func TestTwoSendersSendEachMessageOnce(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			dbA, dbB := openTwice(t, engine)
			ctx := context.Background()
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			const n = 300
			enq := &Outbox{DB: dbA, Now: time.Now, Log: quiet, Provider: LogProvider{Log: quiet}}
			if err := dbA.InTx(ctx, func(tx *sqldb.Tx) error {
				for i := range n {
					if err := enq.Enqueue(ctx, tx, "010-0000-2122", fmt.Sprintf("메시지 %d", i), "test"); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			rec := &recorder{sent: map[string][]string{}}
			var started sync.WaitGroup
			started.Add(2)
			barrier := func() func() {
				var once sync.Once
				return func() {
					once.Do(func() {
						started.Done()
						done := make(chan struct{})
						go func() { started.Wait(); close(done) }()
						select {
						case <-done:
						case <-time.After(10 * time.Second):
							t.Error("the other sender never started sending")
						}
					})
				}
			}
			a := &Outbox{DB: dbA, Now: time.Now, Log: quiet, Provider: rec.as("A", barrier()), Holder: "A"}
			b := &Outbox{DB: dbB, Now: time.Now, Log: quiet, Provider: rec.as("B", barrier()), Holder: "B"}
			var wg sync.WaitGroup
			counts := make([]int, 2)
			for i, o := range []*Outbox{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got, err := o.SendDue(ctx)
					if err != nil {
						t.Error(err)
					}
					counts[i] = got
				}()
			}
			wg.Wait()
			if len(rec.sent) != n || counts[0]+counts[1] != n || counts[0] == 0 || counts[1] == 0 {
				t.Fatalf("sent %d distinct messages (A reports %d, B %d), want %d split between both", len(rec.sent), counts[0], counts[1], n)
			}
			for body, by := range rec.sent {
				if len(by) != 1 {
					t.Errorf("%s sent %d times (by %v)", body, len(by), by)
				}
			}
			var left int
			if err := dbB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM sms_outbox WHERE status <> 'sent' OR attempts <> 1`).Scan(&left); err != nil || left != 0 {
				t.Fatalf("%d messages not recorded as sent once (%v)", left, err)
			}
		})
	}
}

// A sender that holds a message past its lease loses it: another sender
// takes it and records it, and the late answer of the first is not recorded
// over it.
func TestExpiredClaimIsTakenOver(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		var mu sync.Mutex
		now := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		rec := &recorder{sent: map[string][]string{}}
		entered, release := make(chan struct{}), make(chan struct{})
		slow := &Outbox{DB: db, Now: clock, Log: quiet, Holder: "slow", Provider: rec.as("slow", func() { close(entered); <-release })}
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error { return slow.Enqueue(ctx, tx, "010-0000-2122", "하나", "x") }); err != nil {
			t.Fatal(err)
		}
		done := make(chan int)
		go func() { n, _ := slow.SendDue(ctx); done <- n }()
		<-entered
		fast := &Outbox{DB: db, Now: clock, Log: quiet, Holder: "fast", Provider: rec.as("fast", nil)}
		if n, err := fast.SendDue(ctx); n != 0 || err != nil {
			t.Fatalf("a message claimed by another sender was sent again (%d, %v)", n, err)
		}
		mu.Lock()
		now = now.Add(ClaimLease + time.Second)
		mu.Unlock()
		if n, err := fast.SendDue(ctx); n != 1 || err != nil {
			t.Fatalf("after the lease: sent %d (%v), want the message taken over", n, err)
		}
		close(release)
		if n := <-done; n != 0 {
			t.Fatalf("the sender that lost its claim reports %d sent", n)
		}
		var claim string
		var attempts int
		if err := db.Read().QueryRowContext(ctx, `SELECT claim, attempts FROM sms_outbox`).Scan(&claim, &attempts); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(claim, "fast/") || attempts != 1 {
			t.Fatalf("recorded under claim %q with %d attempts, want fast's, once", claim, attempts)
		}
	})
}

// A sender that stops in the middle of its batch finishes the message under
// way and gives the rest back at once, for another sender to send now
// rather than after the lease.
func TestStoppedSenderGivesItsClaimsBack(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		now := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		rec := &recorder{sent: map[string][]string{}}
		ctx, stop := context.WithCancel(context.Background())
		first := &Outbox{DB: db, Now: clock, Log: quiet, Holder: "first", Provider: rec.as("first", stop)}
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			for i := range 5 {
				if err := first.Enqueue(ctx, tx, "010-0000-2122", fmt.Sprint("메시지 ", i), "x"); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n, err := first.SendDue(ctx); n != 1 || !errors.Is(err, context.Canceled) {
			t.Fatalf("stopped sender: %d sent (%v), want the one under way", n, err)
		}
		second := &Outbox{DB: db, Now: clock, Log: quiet, Holder: "second", Provider: rec.as("second", nil)}
		if n, err := second.SendDue(context.Background()); n != 4 || err != nil {
			t.Fatalf("second sender at the same instant: %d sent (%v), want the 4 given back", n, err)
		}
		if len(rec.sent) != 5 {
			t.Fatalf("%d distinct messages sent, want 5", len(rec.sent))
		}
	})
}
