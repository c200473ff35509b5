package notify

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
