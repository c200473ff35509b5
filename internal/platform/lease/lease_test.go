package lease_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/lease"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// twoProcesses returns two runners on two connection pools of one database.
func twoProcesses(t *testing.T, engine sqldb.Engine, now func() time.Time) (*lease.Runner, *lease.Runner) {
	t.Helper()
	dsn := sqldbtest.DSN(t, engine)
	var rs [2]*lease.Runner
	for i, holder := range []string{"A", "B"} {
		db, err := sqldb.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		rs[i] = &lease.Runner{DB: db, Now: now, Holder: holder}
	}
	return rs[0], rs[1]
}

// Two processes try the same job over and over for a while: it never runs
// twice at once, each process runs it sometimes, and a run longer than the
// lease keeps it (renewed) until it ends.
func TestOneRunAtATime(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a, b := twoProcesses(t, engine, time.Now)
			var running, most, runs atomic.Int64
			ranBy := [2]atomic.Int64{}
			job := func(ctx context.Context) error {
				n := running.Add(1)
				defer running.Add(-1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				runs.Add(1)
				time.Sleep(450 * time.Millisecond) // longer than the 300 ms lease: only renewal keeps it
				return ctx.Err()
			}
			deadline := time.Now().Add(3 * time.Second)
			var wg sync.WaitGroup
			for i, r := range []*lease.Runner{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for time.Now().Before(deadline) {
						ran, err := r.Run(context.Background(), "test_job", 300*time.Millisecond, job)
						if err != nil {
							t.Error(err)
							return
						}
						if ran {
							ranBy[i].Add(1)
						}
						time.Sleep(20 * time.Millisecond)
					}
				}()
			}
			wg.Wait()
			if most.Load() != 1 || ranBy[0].Load() == 0 || ranBy[1].Load() == 0 {
				t.Fatalf("at most %d runs at once (want 1); A ran %d, B ran %d (want both some)", most.Load(), ranBy[0].Load(), ranBy[1].Load())
			}
		})
	}
}

// A holder that died (its lease not given back) keeps the job only until
// its lease ends; a holder whose lease was taken meanwhile (it stalled past
// its lease) has its job's context cancelled at its next renewal.
func TestDeadHolderAndLostLease(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t0 := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
			a, b := twoProcesses(t, engine, func() time.Time { return t0 })
			ctx := context.Background()
			dead := make(chan struct{})
			defer close(dead)
			go func() { // A takes an hour's lease (trying while B holds it) and hangs
				for {
					ran, _ := a.Run(ctx, "dead_job", time.Hour, func(context.Context) error { <-dead; return nil })
					select {
					case <-dead:
						return
					default:
					}
					if ran {
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
			for ran := true; ran; {
				var err error
				ran, err = b.Run(ctx, "dead_job", time.Hour, func(context.Context) error { return nil })
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Millisecond) // until A has it
			}
			b.Now = func() time.Time { return t0.Add(30 * time.Minute) }
			if ran, err := b.Run(ctx, "dead_job", time.Hour, func(context.Context) error { return nil }); ran || err != nil {
				t.Fatalf("B ran within A's lease (%v)", err)
			}
			b.Now = func() time.Time { return t0.Add(time.Hour + time.Second) }
			if ran, err := b.Run(ctx, "dead_job", time.Hour, func(context.Context) error { return nil }); !ran || err != nil {
				t.Fatalf("B did not run once A's lease ended (%v)", err)
			}

			// A stalls: its clock stays at t0 while B's is a minute on, so
			// B finds A's 30 ms lease over and takes the job; A's next
			// renewal finds it gone and cancels A's job.
			b.Now = func() time.Time { return t0.Add(time.Minute) }
			aEntered, aDone := make(chan struct{}), make(chan error, 1)
			go func() {
				ran, err := a.Run(ctx, "stalled_job", 30*time.Millisecond, func(ctx context.Context) error {
					close(aEntered)
					<-ctx.Done()
					return ctx.Err()
				})
				if !ran {
					err = errors.New("A did not run")
				}
				aDone <- err
			}()
			<-aEntered
			ran, err := b.Run(ctx, "stalled_job", time.Hour, func(context.Context) error {
				select {
				case err := <-aDone:
					if err == nil || !strings.Contains(err.Error(), "taken by another process") {
						t.Errorf("A's job ended with %v, want its lease lost", err)
					}
				case <-time.After(10 * time.Second):
					t.Error("A's job went on after B took its lease")
				}
				return nil
			})
			if !ran || err != nil {
				t.Fatalf("B did not take the lease of stalled A (%v)", err)
			}
		})
	}
}
