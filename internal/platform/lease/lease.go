// Package lease lets one process of several on one database run a periodic
// job at a time. A row of job_leases per job names its holder until
// lease_until: a run takes the row when its lease has passed, renews it
// while the job runs and gives it back at the end, so a process that dies
// holds the job for at most one lease.
//
// A lease is not a lock: a process stalled longer than the lease (or cut
// off from the database) may find the job taken when it wakes. Jobs under a
// lease still change each row by a conditional update, so that two runs at
// once do each thing once; the lease saves the duplicate work and the
// duplicate calls outside.
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Runner runs jobs under leases.
type Runner struct {
	DB  *sqldb.DB
	Now func() time.Time
	// Holder names this process in the lease rows (default host:pid).
	Holder string
}

var released = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func (r *Runner) token() string {
	h := r.Holder
	if h == "" {
		host, _ := os.Hostname()
		h = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return h + "/" + hex.EncodeToString(b[:])
}

// Run runs fn under the lease name when no other run holds it, and reports
// whether it ran. The lease lasts ttl and is renewed every ttl/3 while fn
// runs; if a renewal finds it taken, fn's context is cancelled.
func (r *Runner) Run(ctx context.Context, name string, ttl time.Duration, fn func(ctx context.Context) error) (bool, error) {
	token := r.token()
	took := false
	err := r.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO job_leases (name, holder, lease_until) VALUES ($1, '', $2) ON CONFLICT (name) DO NOTHING`,
			name, released); err != nil {
			return err
		}
		now := sqldb.Instant(r.Now())
		res, err := tx.ExecContext(ctx, `UPDATE job_leases SET holder = $1, lease_until = $2 WHERE name = $3 AND lease_until < $4`,
			token, now.Add(ttl), name, now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		took = n == 1
		return err
	})
	if err != nil || !took {
		return false, err
	}
	jobCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-jobCtx.Done():
				return
			case <-t.C:
			}
			var held int64
			err := r.DB.InTx(jobCtx, func(tx *sqldb.Tx) error {
				res, err := tx.ExecContext(jobCtx, `UPDATE job_leases SET lease_until = $1 WHERE name = $2 AND holder = $3`,
					sqldb.Instant(r.Now()).Add(ttl), name, token)
				if err != nil {
					return err
				}
				held, err = res.RowsAffected()
				return err
			})
			if err == nil && held == 0 {
				cancel(fmt.Errorf("lease %s: taken by another process", name))
				return
			}
		}
	}()
	runErr := fn(jobCtx)
	close(stop)
	<-renewed
	if cause := context.Cause(jobCtx); runErr != nil && cause != nil && ctx.Err() == nil {
		runErr = fmt.Errorf("%w (%v)", runErr, cause)
	}
	rctx := context.WithoutCancel(ctx)
	relErr := r.DB.InTx(rctx, func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(rctx, `UPDATE job_leases SET lease_until = $1 WHERE name = $2 AND holder = $3`, released, name, token)
		return err
	})
	if runErr != nil {
		return true, runErr
	}
	return true, relErr
}
