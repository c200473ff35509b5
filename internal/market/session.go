package market

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// An import session belongs to the process that runs it. The process holds
// a lease on it (lease_until), renewed every third of DefaultLease while it
// runs, in transactions of its own beside the import's; a session whose
// lease has run out, or whose owner process is gone (same host, the process
// id no longer names the process that started it), is taken over at once by
// the next import of its marketplace: marked failed with a note. Its import
// stored nothing (its one transaction never committed, import.go).

// DefaultLease is how long a running session stays its process's without
// renewal.
const DefaultLease = 15 * time.Second

var (
	errRunning = apperr.New(apperr.Conflict, "이 판매처의 다른 가져오기가 진행 중입니다. 끝난 뒤에 다시 해 주세요.", "another import of this marketplace is running")
	// errTakenOver: this process lost its session (it stalled past its lease).
	errTakenOver = apperr.New(apperr.Conflict, "이 가져오기는 응답이 없어 다른 가져오기가 이어받았습니다. 이 파일의 줄은 하나도 저장되지 않았습니다.",
		"this import stalled past its lease and another import took it over")
)

// owner names a process: its host, id and start (as the kernel counts it).
type owner struct {
	host  string
	pid   int64
	start string
}

var self = func() owner {
	host, _ := os.Hostname()
	return owner{host: host, pid: int64(os.Getpid()), start: procStart(int64(os.Getpid()))}
}()

// procStart returns when process pid started (field 22 of Linux's
// /proc/PID/stat, in clock ticks since boot), "" when it does not run or
// cannot be known.
func procStart(pid int64) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:])) // from field 3
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// gone reports whether the process o is known to have ended: it ran on this
// host and its id now names no process, or another one. A process of
// another host, or any process where /proc cannot tell, is left to its lease.
func (o owner) gone() bool {
	if o.host != self.host || o.start == "" || self.start == "" {
		return false
	}
	if o.pid == self.pid {
		return o.start != self.start
	}
	return procStart(o.pid) != o.start
}

func (s *Service) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return DefaultLease
}

// claimSession ends the running sessions of the marketplace whose process is
// dead (lease run out or owner gone), then refuses with errRunning if a live
// one is left. It runs in the transaction that inserts the new session; the
// unique index on running sessions settles a race between two processes.
func (s *Service) claimSession(ctx context.Context, tx *sqldb.Tx, a access.Actor, marketplaceID int64, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, lease_until, owner_host, owner_pid, owner_start FROM market_imports
		WHERE marketplace_id = $1 AND status = 'running'`, marketplaceID)
	if err != nil {
		return err
	}
	type session struct {
		id    int64
		lease sql.NullTime
		owner owner
	}
	var running []session
	for rows.Next() {
		var r session
		if err := rows.Scan(&r.id, &r.lease, &r.owner.host, &r.owner.pid, &r.owner.start); err != nil {
			rows.Close()
			return err
		}
		running = append(running, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range running {
		var why string
		switch {
		case r.owner.gone():
			why = fmt.Sprintf("가져오기를 실행하던 프로세스(%s, pid %d)가 끝나 있어", r.owner.host, r.owner.pid)
		case !r.lease.Valid || !r.lease.Time.After(now):
			why = "가져오기를 실행하던 프로세스가 응답하지 않아"
		default:
			return errRunning
		}
		note := why + " 다음 가져오기가 이어받았습니다. 그 가져오기의 줄은 저장되지 않았습니다."
		if _, err := tx.ExecContext(ctx, `UPDATE market_imports SET status = 'failed', note = $1, finished_at = $2, lease_until = NULL
			WHERE id = $3 AND status = 'running'`, note, now, r.id); err != nil {
			return err
		}
		// An import's transaction leaves no row in market_import_rows; a
		// session of an older version may have left staged rows there.
		if _, err := tx.ExecContext(ctx, `DELETE FROM market_import_rows WHERE import_id = $1`, r.id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, a, audit.Change{Action: "market.import.take_over", Entity: "market_import", EntityID: r.id,
			Before: map[string]any{"status": "running"}, After: map[string]any{"status": "failed", "note": note}}); err != nil {
			return err
		}
	}
	return nil
}

// renewLease keeps the session's lease while ctx lives; when the session is
// no longer running (another import took it over), it stops the import.
func (s *Service) renewLease(ctx context.Context, id int64, stop context.CancelCauseFunc) {
	t := time.NewTicker(s.lease() / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error { return s.holdLease(ctx, tx, id, 0, 0, 0) })
		if errors.Is(err, errTakenOver) {
			stop(errTakenOver)
			return
		}
		// Any other failure (a busy database) is tried again at the next tick;
		// the lease is three ticks long.
	}
}

// holdLease renews the session's lease and adds a batch's counts, in the
// caller's transaction; errTakenOver when the session is no longer running.
func (s *Service) holdLease(ctx context.Context, tx *sqldb.Tx, id int64, inserted, updated, unchanged int) error {
	res, err := tx.ExecContext(ctx, `UPDATE market_imports SET lease_until = $1, inserted = inserted + $2, updated = updated + $3,
		unchanged = unchanged + $4 WHERE id = $5 AND status = 'running'`, sqldb.Instant(s.Now().Add(s.lease())), inserted, updated, unchanged, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errTakenOver
	}
	return nil
}

// endNote says why a session failed, for the import list.
func endNote(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "요청이 취소되어(연결이 끊겨) 중단되었습니다. 저장된 줄은 없습니다. 같은 파일을 다시 가져와 주세요."
	}
	if e, ok := apperr.As(err); ok {
		return e.Message
	}
	return "오류로 중단되었습니다. 저장된 줄은 없습니다. 같은 파일을 다시 가져와 주세요."
}
