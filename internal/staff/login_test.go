package staff_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/staff"
)

const goodPassword = "correct horse battery"

func viewer(t *testing.T, svc *staff.Service, login string) {
	t.Helper()
	if _, err := svc.Create(context.Background(), access.System(), staff.NewStaff{Login: login, Password: goodPassword, Role: access.Viewer, Sites: []string{"malgn"}}); err != nil {
		t.Fatal(err)
	}
}

// countChecks makes svc count its password checks.
func countChecks(svc *staff.Service) *atomic.Int64 {
	var n atomic.Int64
	svc.PasswordCheck = func(hash, pw string) (bool, error) {
		n.Add(1)
		return staff.CheckPassword(hash, pw)
	}
	return &n
}

// 30 wrong logins at once: the attempt is counted before the check, so at
// most five passwords are checked and the rest are refused.
func TestConcurrentWrongLoginsCheckAtMostFive(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc, _ := setup(t, db)
		svc.MaxPasswordChecks = 64
		viewer(t, svc, "aview")
		checks := countChecks(svc)
		var wg sync.WaitGroup
		var throttled, bad atomic.Int64
		for i := 0; i < 30; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, _, err := svc.Login(context.Background(), "aview", "wrong password", fmt.Sprintf("10.0.1.%d", i), "t")
				switch {
				case errors.Is(err, staff.ErrThrottled):
					throttled.Add(1)
				case err == staff.ErrBadCredentials:
					bad.Add(1)
				default:
					t.Errorf("login: %v", err)
				}
			}(i)
		}
		wg.Wait()
		if checks.Load() > 5 || bad.Load() > 5 || throttled.Load() < 25 {
			t.Fatalf("30 concurrent wrong logins: %d password checks, %d wrong, %d throttled; want ≤ 5 checks, the rest throttled",
				checks.Load(), bad.Load(), throttled.Load())
		}
	})
}

// Leading or trailing whitespace is the same login: once "aview" is locked,
// " aview" and "aview\t" are refused without a password check.
func TestWhitespaceLoginsShareTheLock(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc, _ := setup(t, db)
		viewer(t, svc, "aview")
		ctx := context.Background()
		if _, _, err := svc.Login(ctx, " aview\t", goodPassword, "10.0.2.1", "t"); err != nil {
			t.Fatalf("login with surrounding whitespace and the right password: %v", err)
		}
		for i := 0; i < 5; i++ {
			if _, _, err := svc.Login(ctx, "aview", "wrong password", fmt.Sprintf("10.0.2.%d", 10+i), "t"); err != staff.ErrBadCredentials {
				t.Fatalf("wrong password %d: %v", i, err)
			}
		}
		checks := countChecks(svc)
		for i, login := range []string{" aview", "aview\t", "\u00a0aview ", "aview\n"} {
			if _, _, err := svc.Login(ctx, login, goodPassword, fmt.Sprintf("10.0.2.%d", 50+i), "t"); !errors.Is(err, staff.ErrThrottled) {
				t.Errorf("login %q on a locked account: %v, want throttled", login, err)
			}
		}
		if checks.Load() != 0 {
			t.Fatalf("%d passwords checked on a locked account", checks.Load())
		}
	})
}

// No more than MaxPasswordChecks checks run at once; a login that waits too
// long is answered ErrBusy and does not count as a failure.
func TestPasswordChecksAreBounded(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc, _ := setup(t, db)
		svc.MaxPasswordChecks = 2
		svc.PasswordCheckWait = time.Minute
		var running, most, total atomic.Int64
		svc.PasswordCheck = func(hash, pw string) (bool, error) {
			n := running.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			total.Add(1)
			time.Sleep(20 * time.Millisecond)
			running.Add(-1)
			return false, nil
		}
		var wg sync.WaitGroup
		for i := 0; i < 12; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				// Different logins and addresses: the throttle lets all in.
				_, _, err := svc.Login(context.Background(), fmt.Sprintf("user%d", i), "pw", fmt.Sprintf("10.0.3.%d", i), "t")
				if err != staff.ErrBadCredentials {
					t.Errorf("login %d: %v", i, err)
				}
			}(i)
		}
		wg.Wait()
		if total.Load() != 12 || most.Load() > 2 {
			t.Fatalf("%d checks, at most %d at once; want 12, at most 2", total.Load(), most.Load())
		}

		// One check holds the only slot: the next login waits, then is busy.
		svc2 := &staff.Service{DB: db, Now: time.Now, Throttle: staff.NewThrottle(), MaxPasswordChecks: 1, PasswordCheckWait: 200 * time.Millisecond}
		viewer(t, svc2, "bview")
		release := make(chan struct{})
		entered := make(chan struct{}, 1)
		svc2.PasswordCheck = func(hash, pw string) (bool, error) {
			entered <- struct{}{}
			<-release
			return false, nil
		}
		done := make(chan error, 1)
		go func() { _, _, err := svc2.Login(context.Background(), "someone", "pw", "10.0.4.1", "t"); done <- err }()
		<-entered
		if _, _, err := svc2.Login(context.Background(), "bview", goodPassword, "10.0.4.2", "t"); !errors.Is(err, staff.ErrBusy) {
			t.Fatalf("login while the only check is taken: %v, want busy", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, _, err := svc2.Login(ctx, "bview", goodPassword, "10.0.4.2", "t"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("login of a cancelled request: %v", err)
		}
		close(release)
		<-done
		svc2.PasswordCheck = nil
		// The busy and cancelled attempts were not counted: four wrong
		// passwords still leave the fifth try to the right one.
		for i := 0; i < 4; i++ {
			_, _, _ = svc2.Login(context.Background(), "bview", "wrong password", "10.0.4.3", "t")
		}
		if _, _, err := svc2.Login(context.Background(), "bview", goodPassword, "10.0.4.2", "t"); err != nil {
			t.Fatalf("right password after 4 wrong and 2 unchecked tries: %v", err)
		}
	})
}

// Two services on two connection pools of one database, as two orderdesk
// processes: wrong logins sent to both at once add up to one count, so at
// most five passwords are checked in all, and the lock holds on both.
func TestThrottleCountsAcrossProcesses(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			dsn := sqldbtest.DSN(t, engine)
			open := func() *sqldb.DB {
				db, err := sqldb.Open(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				return db
			}
			svcA, _ := setup(t, open())
			svcB := &staff.Service{DB: open(), Now: svcA.Now, Throttle: staff.NewThrottle()}
			viewer(t, svcA, "aview")
			var checks atomic.Int64
			for _, svc := range []*staff.Service{svcA, svcB} {
				svc.MaxPasswordChecks = 64
				svc.PasswordCheck = func(hash, pw string) (bool, error) { checks.Add(1); return staff.CheckPassword(hash, pw) }
			}
			var wg sync.WaitGroup
			var throttled, bad atomic.Int64
			for i := 0; i < 30; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					svc := []*staff.Service{svcA, svcB}[i%2]
					_, _, err := svc.Login(context.Background(), "aview", "wrong password", fmt.Sprintf("10.0.5.%d", i), "t")
					switch {
					case errors.Is(err, staff.ErrThrottled):
						throttled.Add(1)
					case err == staff.ErrBadCredentials:
						bad.Add(1)
					default:
						t.Errorf("login: %v", err)
					}
				}(i)
			}
			wg.Wait()
			if checks.Load() > 5 || bad.Load() > 5 || throttled.Load() < 25 {
				t.Fatalf("30 wrong logins on two processes: %d password checks, %d wrong, %d throttled; want ≤ 5 checks, the rest throttled",
					checks.Load(), bad.Load(), throttled.Load())
			}
			for _, svc := range []*staff.Service{svcA, svcB} {
				if _, _, err := svc.Login(context.Background(), "aview", goodPassword, "10.0.5.200", "t"); !errors.Is(err, staff.ErrThrottled) {
					t.Fatalf("right password on a locked account: %v, want throttled", err)
				}
			}
		})
	}
}

// Failures older than the window stop counting at once and are deleted by
// a later attempt's cleanup, so that a spray of logins leaves nothing behind.
func TestThrottleForgetsOldFailures(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		th := staff.NewThrottle()
		start := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
		for i := 0; i < 5; i++ {
			if r, _, err := th.Reserve(ctx, db, "kim", "10.0.6.1", start); r == nil || err != nil {
				t.Fatalf("try %d: %v %v", i, r, err)
			}
		}
		if r, _, err := th.Reserve(ctx, db, "KIM", "10.0.6.2", start.Add(time.Minute)); r != nil || err != nil {
			t.Fatalf("sixth try of kim (as KIM) within the window: %v %v, want refused", r, err)
		}
		later := start.Add(16 * time.Minute)
		for i := 0; i < 260; i++ { // past the 256th try, which cleans up
			r, _, err := th.Reserve(ctx, db, fmt.Sprintf("spray%d", i), fmt.Sprintf("10.0.7.%d", i%250), later)
			if r == nil || err != nil {
				t.Fatalf("spray %d: %v %v", i, r, err)
			}
			if err := r.Cancel(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if r, _, err := th.Reserve(ctx, db, "kim", "10.0.6.1", later); r == nil || err != nil {
			t.Fatalf("kim after the window: %v %v", r, err)
		}
		var old int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM login_failures WHERE at < $1`, sqldb.Instant(start.Add(time.Minute))).Scan(&old); err != nil {
			t.Fatal(err)
		}
		if old != 0 {
			t.Fatalf("%d failures older than the window still stored after a cleanup", old)
		}
	})
}

// TestThrottleSaysHowLongToWait: a login refused after five failures is
// told the time until its earliest failure leaves the window (by login or by
// address, whichever is longer), in the error and its message.
func TestThrottleSaysHowLongToWait(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		th := staff.NewThrottle()
		start := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
		for i := 0; i < 5; i++ { // failures at 0, 2, 4, 6 and 8 minutes
			if r, _, err := th.Reserve(ctx, db, "lee", fmt.Sprintf("10.0.8.%d", i), start.Add(time.Duration(2*i)*time.Minute)); r == nil || err != nil {
				t.Fatalf("try %d: %v %v", i, r, err)
			}
		}
		at := start.Add(10*time.Minute + 30*time.Second)
		r, wait, err := th.Reserve(ctx, db, "lee", "10.0.8.9", at)
		if r != nil {
			t.Fatal("a sixth try within the window was let through")
		}
		if err != nil || wait != 4*time.Minute+30*time.Second {
			t.Fatalf("wait = %v, %v; want 4m30s (the first failure leaves the 15-minute window at 15:00)", wait, err)
		}
		if r, wait, err := th.Reserve(ctx, db, "park", "10.0.9.1", at); err != nil || r == nil || wait != 0 {
			t.Fatalf("a login and address without failures: %v, wait %v, %v", r, wait, err)
		}
		svc := &staff.Service{DB: db, Now: func() time.Time { return at }, Throttle: th}
		_, _, err = svc.Login(ctx, "lee", "anything", "10.0.8.10", "t")
		var locked *staff.ThrottledError
		if !errors.Is(err, staff.ErrThrottled) || !errors.As(err, &locked) || locked.Wait != wait {
			t.Fatalf("login while locked: %v (%+v)", err, locked)
		}
		if e, ok := apperr.As(err); !ok || e.Code != apperr.TooMany || !strings.Contains(e.Message, "5분 후에") {
			t.Fatalf("the answer %+v, want 429 saying 5분 (4m30s rounded up)", e)
		}
	})
}
