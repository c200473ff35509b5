package market_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// sheet11st is an 11번가 CSV of n lines; extra adds header, value pairs of
// columns that the format does not name.
func sheet11st(n int, extra ...string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := []string{"주문번호", "주문순번", "결제일시", "판매자 상품코드", "상품명", "옵션", "수량", "주문금액", "판매방식", "배송비결제방식", "구매자",
		"수취인", "휴대폰번호", "전화번호", "우편번호", "주소", "배송메시지", "주문상태", "판매단가", "서비스이용료", "정산예정금액", "옵션가", "배송비"}
	for i := 0; i+1 < len(extra); i += 2 {
		header = append(header, extra[i])
	}
	_ = w.Write(header)
	for i := 0; i < n; i++ {
		row := []string{fmt.Sprint(700000 + i/2), fmt.Sprint(i%2 + 1), "2025-10-13 09:00:00", "BK-1", "교재", "", "1", "10000", "고정가", "선결제",
			"홍", fmt.Sprint("수취인", i/3), "010-0000-0000", "", "06236", "서울", "", "배송준비중", "10000", "1200", "8800", "0", "0"}
		for j := 1; j < len(extra); j += 2 {
			row = append(row, extra[j])
		}
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

// TestImportCleanupAfterCancel: an import whose caller goes away (a browser
// that disconnects cancels the request's context) part-way through the sheet
// ends its session at once and stores nothing of it, so the next import of
// the marketplace is not refused and stores every line.
func TestImportCleanupAfterCancel(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db)
		n := market.BatchSize*2 + 10
		data := sheet11st(n)
		ctx, cancel := context.WithCancel(context.Background())
		svc.AfterBatch = func(b int) error {
			if b == 0 {
				cancel()
			}
			return nil
		}
		_, imp, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "big.csv", Data: data})
		if !errors.Is(err, context.Canceled) || imp == nil || imp.Status != "failed" || imp.Inserted != 0 {
			t.Fatalf("cancelled import: %+v %v", imp, err)
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM market_orders`); got != 0 {
			t.Fatalf("the cancelled import stored %d lines (its first batch was written)", got)
		}
		stored, err := svc.GetImport(context.Background(), imp.ID)
		if err != nil || stored.Status != "failed" || stored.FinishedAt == nil {
			t.Fatalf("the cancelled session is stored as %+v %v, want failed", stored, err)
		}
		svc.AfterBatch = nil
		_, imp, err = svc.Import(context.Background(), sys, market.ImportInput{Marketplace: "11st", Filename: "big.csv", Data: data})
		if err != nil || imp.Inserted != n || imp.Unchanged != 0 {
			t.Fatalf("rerun: %+v %v", imp, err)
		}
	})
}

// TestRawKeepsMappedColumnsOnly: cells of columns the format does not map
// (a resident number, a customs number) are not stored.
func TestRawKeepsMappedColumnsOnly(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db)
		data := sheet11st(2, "주민등록번호", "900101-1234567", "개인통관고유부호", "P123456789012")
		prev, _, err := svc.Import(context.Background(), sys, market.ImportInput{Marketplace: "11st", Filename: "pii.csv", Data: data})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range prev.Landing {
			if l.Header == "주민등록번호" && l.Target != "" {
				t.Fatalf("landing of an unmapped column: %+v", l)
			}
		}
		page, err := svc.List(context.Background(), sys, market.Filter{Marketplace: "11st"})
		if err != nil || page.Total != 2 {
			t.Fatalf("list: %+v %v", page, err)
		}
		line, err := svc.Order(context.Background(), sys, page.Items[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		raw := line.Raw
		if _, ok := raw["주민등록번호"]; ok {
			t.Fatalf("raw keeps an unmapped column: %v", raw)
		}
		if _, ok := raw["개인통관고유부호"]; ok {
			t.Fatalf("raw keeps an unmapped column: %v", raw)
		}
		if raw["주문번호"] == "" || raw["정산예정금액"] != "8800" || raw["서비스이용료"] != "1200" {
			t.Fatalf("raw lost mapped columns: %v", raw)
		}
		var stored string
		if err := db.Read().QueryRowContext(context.Background(), `SELECT raw FROM market_orders WHERE id = $1`, page.Items[0].ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored, "[") || strings.Contains(stored, "주문번호") {
			t.Fatalf("the line stores its headers again: %s", stored)
		}
		// A line stored before migration 0028 keeps its object of header → cell.
		if err := db.InTx(context.Background(), func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(context.Background(), `UPDATE market_orders SET raw = $1 WHERE id = $2`, `{"주문번호":"OLD-1","수량":"3"}`, page.Items[1].ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		oldLine, err := svc.Order(context.Background(), sys, page.Items[1].ID)
		old := oldLine.Raw
		if err != nil || len(old) != 2 || old["주문번호"] != "OLD-1" || old["수량"] != "3" || len(oldLine.Cells) != 2 || oldLine.Cells[0].Header != "주문번호" {
			t.Fatalf("a line of before 0028 reads %v %+v %v", old, oldLine.Cells, err)
		}
	})
}

// plantSession writes a running import session of 11st as another process
// would have left it.
func plantSession(t *testing.T, db *sqldb.DB, svc *market.Service, lease time.Time, host string, pid int, start string) int64 {
	t.Helper()
	m, err := svc.Marketplace(context.Background(), "11st")
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	err = db.InTx(context.Background(), func(tx *sqldb.Tx) error {
		return tx.QueryRowContext(context.Background(), `INSERT INTO market_imports (marketplace_id, filename, kind, status, started_at, lease_until,
			owner_host, owner_pid, owner_start) VALUES ($1, 'old.csv', 'csv', 'running', $2, $3, $4, $5, $6) RETURNING id`,
			m.ID, svc.Now().Add(-time.Hour), lease, host, pid, start).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestImportTakesOverDeadSession: a running session whose lease ran out, or
// whose process on this host is gone, is taken over at once; a live one
// refuses the import.
func TestImportTakesOverDeadSession(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db)
		ctx := context.Background()
		data := sheet11st(10)
		now := svc.Now()
		host, _ := os.Hostname()
		ended := exec.Command("true")
		if err := ended.Run(); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			lease time.Time
			host  string
			pid   int
			start string
		}{
			{"lease ran out", now.Add(-time.Second), "another-host", 4242, "77"},
			{"process gone", now.Add(time.Minute), host, ended.ProcessState.Pid(), "77"},
		} {
			if _, err := os.Stat("/proc/self/stat"); err != nil && c.host == host {
				continue // without /proc only the lease tells
			}
			old := plantSession(t, db, svc, c.lease, c.host, c.pid, c.start)
			_, imp, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "new.csv", Data: data})
			if err != nil || imp.Status != "done" {
				t.Fatalf("%s: import = %+v %v", c.name, imp, err)
			}
			got, err := svc.GetImport(ctx, old)
			if err != nil || got.Status != "failed" || got.Note == "" || got.FinishedAt == nil {
				t.Fatalf("%s: the dead session is %+v %v", c.name, got, err)
			}
		}
		live := plantSession(t, db, svc, now.Add(time.Minute), "another-host", 4242, "77")
		_, _, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "new.csv", Data: data})
		if apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("import beside a live session = %v, want a conflict", err)
		}
		if got, _ := svc.GetImport(ctx, live); got.Status != "running" {
			t.Fatalf("the live session became %q", got.Status)
		}
	})
}

// TestImportStopsWhenTakenOver: a process that lost its session (it stalled
// past its lease and another import took over) stores nothing of its sheet:
// its transaction ends only while the session is still its own. On SQLite
// no other process can take a session over while the import holds the
// writer, so only PostgreSQL can lose it part-way.
func TestImportStopsWhenTakenOver(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		if db.Engine != sqldb.Postgres {
			t.Skip("SQLite: the import's transaction holds the only writer, so no other process can take its session over")
		}
		svc := newService(t, db)
		n := market.BatchSize*2 + 10
		svc.AfterBatch = func(b int) error {
			if b == 0 {
				return db.InTx(context.Background(), func(tx *sqldb.Tx) error {
					_, err := tx.ExecContext(context.Background(), `UPDATE market_imports SET status = 'failed', note = 'taken over' WHERE status = 'running'`)
					return err
				})
			}
			return nil
		}
		_, _, err := svc.Import(context.Background(), sys, market.ImportInput{Marketplace: "11st", Filename: "big.csv", Data: sheet11st(n)})
		if apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("import after losing its session = %v, want a conflict", err)
		}
		page, _ := svc.List(context.Background(), sys, market.Filter{Marketplace: "11st"})
		if page.Total != 0 {
			t.Fatalf("stored %d lines, want none", page.Total)
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM market_bundles`); got != 0 {
			t.Fatalf("%d bundles stayed", got)
		}
	})
}
