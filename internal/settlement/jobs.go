package settlement

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Statuses of a recompute job.
const (
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
	JobStopped = "stopped" // stopped by shutdown or cancel, or its process died
)

// JobLease is how long a running job stays its process's without renewal;
// it is renewed every quarter of it, and by every batch.
const JobLease = time.Minute

// Job is a settlement recompute: its range, who started it, its progress.
type Job struct {
	ID          int64      `json:"id"`
	From        string     `json:"from"`
	To          string     `json:"to"`
	Marketplace string     `json:"marketplace"`
	Status      string     `json:"status"`
	Done        int64      `json:"done"`  // order numbers settled
	Total       int64      `json:"total"` // order numbers in the range
	Changed     int64      `json:"lines_changed"`
	Error       string     `json:"error,omitempty"`
	StartedBy   string     `json:"started_by"`
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	LeaseUntil  time.Time  `json:"-"`
}

// Job returns a recompute job as any process sees it; a running job whose
// lease ran out (its process died) is shown stopped.
func (s *Service) Job(ctx context.Context, id int64) (Job, error) {
	var j Job
	var fin sql.NullTime
	err := s.DB.Read().QueryRowContext(ctx, `SELECT id, from_day, to_day, marketplace, status, done, total, changed, error, started_by, started_at,
		finished_at, lease_until FROM settlement_jobs WHERE id = $1`, id).Scan(&j.ID, &j.From, &j.To, &j.Marketplace, &j.Status, &j.Done, &j.Total,
		&j.Changed, &j.Error, &j.StartedBy, &j.StartedAt, &fin, &j.LeaseUntil)
	if err != nil {
		return j, sqldb.NotFound(err, "정산 재생성 작업", "recompute job")
	}
	if fin.Valid {
		t := fin.Time
		j.FinishedAt = &t
	}
	if j.Status == JobRunning && j.LeaseUntil.Before(s.Now()) {
		j.Status, j.Error = JobStopped, "응답이 없어 멈춘 작업입니다 (프로세스가 끝났습니다)"
	}
	return j, nil
}

// jobContext is the context of a background job: cancelled by Stop, which
// waits for the job to record how it ended. done must be called at its end.
func (s *Service) jobContext() (context.Context, func()) {
	s.jobsMu.Lock()
	defer s.jobsMu.Unlock()
	if s.jobsCtx == nil {
		s.jobsCtx, s.stopJobs = context.WithCancel(context.Background())
	}
	s.jobs.Add(1)
	return s.jobsCtx, s.jobs.Done
}

// Stop ends the background jobs (they are recorded as stopped) and waits for
// them; the app calls it at shutdown, before closing the database.
func (s *Service) Stop() {
	s.jobsMu.Lock()
	if s.stopJobs != nil {
		s.stopJobs()
	}
	s.jobsMu.Unlock()
	s.jobs.Wait()
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
