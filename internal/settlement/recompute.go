package settlement

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// RecomputeBatch is how many order numbers one recompute transaction settles:
// some 15,000 lines at three a number, which hold SQLite's single writer for
// about a tenth of a second on an idle machine. (1,000 made each batch's fixed
// work — the rules, matches, closed months, the commit — a tenth of the
// recompute on PostgreSQL.)
const RecomputeBatch = 5000

// Recompute settles again the lines of the Seoul business days from..to
// (optionally of one marketplace), in batches of whole order numbers, as a
// job (see Start) that runs here and now on ctx. It is idempotent: the same
// inputs give the same rows. progress, when set, hears the order numbers
// done and their total. It returns the order numbers settled.
func (s *Service) Recompute(ctx context.Context, a access.Actor, from, to, marketplace string, progress func(done, total int)) (int, error) {
	job, err := s.begin(ctx, a, from, to, marketplace)
	if err != nil {
		return 0, err
	}
	return s.run(ctx, a, job, progress)
}

// Start begins a recompute job in the background, owned by the service's
// lifecycle (Stop ends it), and returns it at once; Job shows its progress.
func (s *Service) Start(ctx context.Context, a access.Actor, from, to, marketplace string) (Job, error) {
	job, err := s.begin(ctx, a, from, to, marketplace)
	if err != nil {
		return Job{}, err
	}
	jobCtx, done := s.jobContext()
	go func() {
		defer done()
		if _, err := s.run(jobCtx, a, job, nil); err != nil && s.Log != nil {
			s.Log.ErrorContext(jobCtx, "settlement recompute", "job", job.ID, "err", err)
		}
	}()
	return job, nil
}

// begin checks the request and records the job, refusing one whose range
// and marketplace overlap a job still running in any process.
func (s *Service) begin(ctx context.Context, a access.Actor, from, to, marketplace string) (Job, error) {
	if err := CheckRecompute(a, from, to); err != nil {
		return Job{}, err
	}
	if err := s.knownMarketplace(ctx, marketplace); err != nil {
		return Job{}, err
	}
	// A closed month (정산마감) keeps its figures: refuse before any work.
	if month, code, err := closedIn(ctx, s.DB.Read(), from, to, marketplace); err != nil {
		return Job{}, err
	} else if month != "" {
		return Job{}, apperr.New(apperr.Conflict, fmt.Sprintf("%s %s은(는) 정산마감된 달입니다. 다시 연 뒤 재생성해 주세요.", code, month),
			fmt.Sprintf("%s %s is closed: reopen it before recomputing", code, month))
	}
	now := sqldb.Instant(s.Now())
	job := Job{From: from, To: to, Marketplace: marketplace, Status: JobRunning, StartedBy: a.Login, StartedAt: now, LeaseUntil: now.Add(JobLease)}
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		// One start at a time: the gate row is held until this transaction ends.
		if _, err := tx.ExecContext(ctx, `UPDATE settlement_job_gate SET n = n + 1 WHERE id = 1`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE settlement_jobs SET status = 'stopped', finished_at = $1, error = $2
			WHERE status = 'running' AND lease_until < $1`, now, "응답이 없어 멈춘 작업입니다 (프로세스가 끝났습니다)"); err != nil {
			return err
		}
		var other Job
		err := tx.QueryRowContext(ctx, `SELECT id, from_day, to_day, marketplace FROM settlement_jobs WHERE status = 'running'
			AND from_day <= $1 AND to_day >= $2 AND (marketplace = '' OR $3 = '' OR marketplace = $3) ORDER BY id LIMIT 1`, to, from, marketplace).
			Scan(&other.ID, &other.From, &other.To, &other.Marketplace)
		if err == nil {
			return apperr.New(apperr.Conflict, fmt.Sprintf("겹치는 정산 재생성 #%d (%s~%s %s)이 진행 중입니다. 끝난 뒤 다시 해 주세요.", other.ID, other.From, other.To, other.Marketplace),
				fmt.Sprintf("recompute job %d of %s..%s %s overlaps and is still running", other.ID, other.From, other.To, other.Marketplace))
		}
		if err := sqldb.NotFound(err, "", ""); !apperr.IsNotFound(err) {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO settlement_jobs (from_day, to_day, marketplace, status, started_by, started_at, lease_until)
			VALUES ($1, $2, $3, 'running', $4, $5, $6) RETURNING id`, from, to, marketplace, a.Login, now, job.LeaseUntil).Scan(&job.ID)
	})
	return job, err
}

// run settles the job's order numbers in batches, renewing its lease and
// recording its progress in each batch's transaction, and ends it with its
// status and an audit entry (who, range, marketplace, lines changed, the
// range's totals before and after).
func (s *Service) run(ctx context.Context, a access.Actor, job Job, progress func(done, total int)) (int, error) {
	before, err := s.rangeTotals(ctx, job)
	if err != nil {
		return 0, s.finish(ctx, a, &job, before, 0, err)
	}
	stopRenew := s.renew(ctx, job.ID)
	// A panic in a batch ends the job like any failure (its lease no longer
	// renewed, recorded and audited as failed) and is raised again then.
	defer func() {
		if p := recover(); p != nil {
			stopRenew()
			_ = s.finish(ctx, a, &job, before, int(job.Done), fmt.Errorf("settlement: recompute panicked: %v", p))
			panic(p)
		}
	}()
	n, err := s.settleRange(ctx, &job, progress)
	stopRenew()
	return n, s.finish(ctx, a, &job, before, n, err)
}

type totals struct {
	Lines        int64 `json:"lines"`
	Sale, Settle int64
}

// rangeTotals counts the settled lines of the job's days and adds up their
// 총판매금액 and 정산예정금액. It reads the settlement rows alone: a row
// carries its line's marketplace and order day (written with them, and a
// line's day never changes), so one pass over the rows gives what joining
// them to the lines gave.
func (s *Service) rangeTotals(ctx context.Context, job Job) (totals, error) {
	var w sqldb.Where
	w.Add("st.order_day >= ? AND st.order_day <= ?", job.From, job.To)
	if job.Marketplace != "" {
		w.Add("st.marketplace_id IN (SELECT id FROM marketplaces WHERE code = ?)", job.Marketplace)
	}
	var t totals
	err := s.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(st.sale), 0), COALESCE(SUM(st.settle), 0)
		FROM market_settlements st`+w.SQL(), w.Args()...).Scan(&t.Lines, &t.Sale, &t.Settle)
	return t, err
}

func (s *Service) settleRange(ctx context.Context, job *Job, progress func(done, total int)) (int, error) {
	// The order numbers with a line on the job's days, per marketplace, in
	// order (made distinct and sorted here rather than by the database).
	var w sqldb.Where
	w.Add("order_day >= ? AND order_day <= ?", job.From, job.To)
	if job.Marketplace != "" {
		w.Add("marketplace_id IN (SELECT id FROM marketplaces WHERE code = ?)", job.Marketplace)
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT marketplace_id, order_no FROM market_orders`+w.SQL(), w.Args()...)
	if err != nil {
		return 0, err
	}
	type key struct {
		mp int64
		no string
	}
	var keys []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.mp, &k.no); err != nil {
			rows.Close()
			return 0, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.mp != b.mp {
			return cmp.Compare(a.mp, b.mp)
		}
		return strings.Compare(a.no, b.no)
	})
	// Distinct now; lines counts each number's lines on the job's days.
	lines := make([]int32, 0, len(keys)/2)
	uniq := keys[:0]
	for i, k := range keys {
		if i > 0 && k == keys[i-1] {
			lines[len(lines)-1]++
			continue
		}
		uniq = append(uniq, k)
		lines = append(lines, 1)
	}
	keys = uniq
	job.Total = int64(len(keys))
	per := RecomputeBatch
	if s.Batch > 0 {
		per = s.Batch
	}
	// The batches are independent (each writes the rows of its own order
	// numbers, read in its own transaction), so on PostgreSQL two run at once:
	// one is written by the server while the other is read and evaluated here
	// (sqldb.DB.Writers). Each worker takes the next batch not taken.
	var (
		mu      sync.Mutex
		next    int   // the first key of the next batch not taken
		settled int   // the keys of the batches committed
		failed  error // the first batch that failed stops the others
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if failed != nil || next >= len(keys) {
			return 0, false
		}
		start := next
		next += per
		return start, true
	}
	// record counts a batch that committed, or keeps the error of one that
	// failed (false: the worker stops).
	record := func(err error, n, changed int) bool {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if failed == nil {
				failed = err
			}
			return false
		}
		settled += n
		job.Done, job.Changed = int64(settled), job.Changed+int64(changed)
		if progress != nil {
			progress(settled, len(keys))
		}
		return true
	}
	worker := func() {
		// usertrans_cnt per marketplace and day, counted once per worker
		// for the whole run (in the worker's first batch that needs the
		// day, when a formula reads it).
		prepaid := map[int64]dayCounts{}
		for {
			start, ok := take()
			if !ok {
				return
			}
			part := keys[start:min(start+per, len(keys))]
			if s.BeforeBatch != nil {
				s.BeforeBatch(ctx)
			}
			var changed int
			err := s.DB.InTx(sqldb.Alone(ctx), func(tx *sqldb.Tx) error {
				// A batch lost in a crash is settled again by running the job again.
				if err := tx.Rebuildable(ctx); err != nil {
					return err
				}
				// A marketplace's numbers are a run of the sorted numbers.
				byMP := map[int64][]string{}
				expect := map[int64]int{}
				for i, k := range part {
					byMP[k.mp] = append(byMP[k.mp], k.no)
					expect[k.mp] += int(lines[start+i])
				}
				changed = 0
				for mp, nos := range byMP {
					if prepaid[mp] == nil {
						prepaid[mp] = dayCounts{}
					}
					n, err := s.settleOrderNos(ctx, tx, mp, nos, expect[mp], prepaid[mp], false)
					if err != nil {
						return err
					}
					changed += n
				}
				return s.progress(ctx, tx, job, len(part), changed)
			})
			if !record(err, len(part), changed) {
				return
			}
		}
	}
	// A panic in a worker stops the others and is raised again here, in the
	// caller's goroutine, as it was before the workers (an HTTP handler's
	// recovery answers it; a worker's own panic would end the process).
	var panicked any
	var wg sync.WaitGroup
	for range max(1, s.DB.Writers()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					mu.Lock()
					if panicked == nil {
						panicked = p
					}
					if failed == nil {
						failed = fmt.Errorf("settlement: recompute batch panicked: %v", p)
					}
					mu.Unlock()
				}
			}()
			worker()
		}()
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
	return settled, failed
}

// progress records a batch of n order numbers in the job's row in the
// batch's transaction; a job no longer running (stopped as dead by another
// process) stops here.
func (s *Service) progress(ctx context.Context, tx *sqldb.Tx, job *Job, n, changed int) error {
	res, err := tx.ExecContext(ctx, `UPDATE settlement_jobs SET done = done + $1, total = $2, changed = changed + $3, lease_until = $4
		WHERE id = $5 AND status = 'running'`, n, job.Total, changed, sqldb.Instant(s.Now().Add(JobLease)), job.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.New(apperr.Conflict, "이 정산 재생성은 응답이 없어 멈춘 것으로 처리되었습니다. 다시 실행해 주세요.", "the job was taken for dead; run it again")
	}
	return nil
}

// renew keeps the job's lease while a batch runs long; the returned
// function stops it.
func (s *Service) renew(ctx context.Context, id int64) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(JobLease / 4)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
					_, err := tx.ExecContext(ctx, `UPDATE settlement_jobs SET lease_until = $1 WHERE id = $2 AND status = 'running'`,
						sqldb.Instant(s.Now().Add(JobLease)), id)
					return err
				})
			}
		}
	}()
	return func() { cancel(); <-done }
}

// finish ends the job with its status and audits it, on a context that is
// not cancelled (a stopped job is recorded as stopped).
func (s *Service) finish(ctx context.Context, a access.Actor, job *Job, before totals, n int, cause error) error {
	ctx = context.WithoutCancel(ctx)
	after, err := s.rangeTotals(ctx, *job)
	if err != nil && cause == nil {
		cause = err
	}
	job.Status, job.Error = JobDone, ""
	switch {
	case cause != nil && (ctx.Err() != nil || isCancel(cause)):
		job.Status, job.Error = JobStopped, "중지되었습니다 (서버 종료 또는 요청 취소)"
	case cause != nil:
		job.Status, job.Error = JobFailed, cause.Error()
	}
	now := sqldb.Instant(s.Now())
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE settlement_jobs SET status = $1, error = $2, finished_at = $3 WHERE id = $4 AND status = 'running'`,
			job.Status, sqldb.Truncate(job.Error, 1000), now, job.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "settlement.recompute", Entity: "settlement_job", EntityID: job.ID,
			Before: map[string]any{"lines": before.Lines, "sale": before.Sale, "settle": before.Settle},
			After: map[string]any{"from": job.From, "to": job.To, "marketplace": job.Marketplace, "status": job.Status, "order_numbers": n,
				"lines_changed": job.Changed, "lines": after.Lines, "sale": after.Sale, "settle": after.Settle}})
	})
	if cause != nil {
		return cause
	}
	if err == nil && s.AfterRecompute != nil {
		err = s.AfterRecompute(ctx, job.From, job.To, job.Marketplace)
	}
	return err
}

// CheckRecompute says whether the actor may recompute the range, before any work.
func CheckRecompute(a access.Actor, from, to string) error {
	if a.Role == access.Viewer {
		return access.ErrReadOnly
	}
	return checkRange(from, to)
}
