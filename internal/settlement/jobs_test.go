package settlement_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

// A recompute is audited: who, the range, the marketplace, the lines it
// changed and the range's totals before and after.
func TestRecomputeIsAudited(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setup(t, db)
		ctx := context.Background()
		importSample(t, mk) // no rule yet: every line unsettled
		if _, err := st.Save(ctx, sys, 0, settlement.Rule{Marketplace: "11st", Title: "r", Sale: "code11", Rate: "90", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "11st", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "11st", nil); err != nil { // nothing changes the second time
			t.Fatal(err)
		}
		page, err := (&audit.Service{DB: db}).List(ctx, sys, audit.Filter{Action: "settlement.recompute"})
		if err != nil || page.Total != 2 {
			t.Fatalf("audit entries %+v, %v", page, err)
		}
		var lines int64
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM market_orders`).Scan(&lines); err != nil {
			t.Fatal(err)
		}
		second, first := page.Items[0], page.Items[1]
		for _, want := range []string{`"from":"2025-10-01"`, `"to":"2025-10-31"`, `"marketplace":"11st"`, `"status":"done"`, `"lines_changed":` + strconv.FormatInt(lines, 10)} {
			if !strings.Contains(string(first.After), want) {
				t.Errorf("first recompute's audit %s lacks %s", first.After, want)
			}
		}
		if !strings.Contains(string(first.Before), `"sale":0`) || strings.Contains(string(first.After), `"sale":0`) {
			t.Errorf("totals before %s and after %s", first.Before, first.After)
		}
		if !strings.Contains(string(second.After), `"lines_changed":0`) || first.ActorLogin != sys.Login {
			t.Errorf("second recompute's audit %s by %s", second.After, first.ActorLogin)
		}
	})
}

// One range at a time across processes: a running job (another process's,
// planted here) refuses an overlapping recompute; a job whose lease ran out
// is taken for dead and no longer blocks.
func TestOverlappingRecomputeIsRefused(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setup(t, db)
		ctx := context.Background()
		importSample(t, mk)
		plant := func(lease time.Time) {
			t.Helper()
			if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO settlement_jobs (from_day, to_day, marketplace, status, started_by, started_at, lease_until)
					VALUES ('2025-10-10', '2025-10-20', '', 'running', 'other', $1, $2)`, sqldb.Instant(st.Now()), sqldb.Instant(lease))
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		plant(st.Now().Add(time.Minute))
		_, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "11st", nil)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || !strings.Contains(e.Message, "진행 중") {
			t.Fatalf("overlapping recompute: %v", err)
		}
		if _, err := st.Recompute(ctx, sys, "2025-10-21", "2025-10-31", "11st", nil); err != nil {
			t.Fatalf("a range that does not overlap: %v", err)
		}
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM settlement_jobs WHERE started_by = 'other'`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		plant(st.Now().Add(-time.Second)) // its process died
		if _, err := st.Recompute(ctx, sys, "2025-10-01", "2025-10-31", "", nil); err != nil {
			t.Fatalf("recompute after a dead job: %v", err)
		}
		var status string
		if err := db.Read().QueryRowContext(ctx, `SELECT status FROM settlement_jobs WHERE started_by = 'other'`).Scan(&status); err != nil || status != "stopped" {
			t.Fatalf("the dead job is %q (%v), want stopped", status, err)
		}
	})
}

// A background job belongs to the service: Stop ends it, and it is recorded
// (and audited) as stopped.
func TestStopEndsABackgroundJob(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		mk, st := setup(t, db)
		ctx := context.Background()
		importSample(t, mk)
		entered := make(chan struct{}, 1)
		st.BeforeBatch = func(ctx context.Context) {
			entered <- struct{}{}
			<-ctx.Done()
		}
		job, err := st.Start(ctx, sys, "2025-10-01", "2025-10-31", "")
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the job never reached its first batch")
		}
		if j, err := st.Job(ctx, job.ID); err != nil || j.Status != settlement.JobRunning {
			t.Fatalf("running job reads %+v, %v", j, err)
		}
		st.Stop()
		j, err := st.Job(ctx, job.ID)
		if err != nil || j.Status != settlement.JobStopped || j.FinishedAt == nil {
			t.Fatalf("after Stop the job is %+v, %v", j, err)
		}
		page, err := (&audit.Service{DB: db}).List(ctx, sys, audit.Filter{Action: "settlement.recompute"})
		if err != nil || page.Total != 1 || !strings.Contains(string(page.Items[0].After), `"status":"stopped"`) {
			t.Fatalf("audit of the stopped job: %+v, %v", page, err)
		}
	})
}
