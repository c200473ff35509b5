package market_test

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/sheet"
)

func countRows(t *testing.T, db *sqldb.DB, q string) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportRefusedLateLeavesNothing: a sheet refused only after two batches
// of its rows were written (here: more rows than the limit, found at row
// 11,021) stores no line and no bundle, and ends its session failed with the
// reason; the preview refuses it the same way.
func TestImportRefusedLateLeavesNothing(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db)
		svc.Limits = sheet.Limits{MaxBytes: 50 << 20, MaxRows: 11_000, MaxUncompressed: 50 << 20}
		data := sheet11st(12_000)
		for _, dry := range []bool{true, false} {
			_, imp, err := svc.Import(context.Background(), sys, market.ImportInput{Marketplace: "11st", Filename: "big.csv", Data: data, DryRun: dry})
			if e, ok := apperr.As(err); !ok || e.Code != apperr.Invalid || !strings.Contains(e.Message, "행이 너무 많습니다") {
				t.Fatalf("dry run %v: %v, want the row limit's refusal", dry, err)
			}
			if !dry && (imp == nil || imp.Status != "failed" || !strings.Contains(imp.Note, "행이 너무 많습니다") || imp.Inserted != 0) {
				t.Fatalf("refused session: %+v", imp)
			}
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM market_orders`); n != 0 {
			t.Fatalf("a refused sheet stored %d lines", n)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM market_bundles`); n != 0 {
			t.Fatalf("a refused sheet left %d bundles", n)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM market_import_rows`); n != 0 {
			t.Fatalf("a refused sheet left %d noted rows", n)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM market_imports WHERE status = 'running'`); n != 0 {
			t.Fatalf("%d sessions still running", n)
		}
	})
}

// TestImportReportsRepeatsAcrossBatches: a row that repeats the order key
// of a row thousands of rows (and several staging batches) earlier is
// reported with both rows and not stored; errors come in row order.
func TestImportReportsRepeatsAcrossBatches(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db)
		const n = 12_000
		lines := bytes.Split(sheet11st(n), []byte("\n"))
		lines[1+11_500] = lines[1] // sheet row 11,502 repeats row 2
		lines[1+9_000] = bytes.Replace(lines[1+9_000], []byte("2025-10-13 09:00:00"), []byte("어제"), 1)
		data := bytes.Join(lines, []byte("\n"))
		want := []market.RowError{
			{Row: 9_002, Column: "결제일시", Value: "어제", Reason: "날짜 형식이 아닙니다"},
			{Row: 11_502, Column: "주문번호", Value: "700000", Reason: "2행과 주문번호·부주문번호가 같습니다"},
		}
		var id int64
		for _, dry := range []bool{true, false} {
			prev, imp, err := svc.Import(context.Background(), sys, market.ImportInput{Marketplace: "11st", Filename: "dup.csv", Data: data, DryRun: dry})
			if err != nil {
				t.Fatal(err)
			}
			if prev.Rows != n || prev.OK != n-2 || prev.ErrorRows != 2 || len(prev.Errors) != len(want) {
				t.Fatalf("dry run %v: preview %d rows, %d ok, %d bad, errors %+v", dry, prev.Rows, prev.OK, prev.ErrorRows, prev.Errors)
			}
			for i, w := range want {
				if prev.Errors[i] != w {
					t.Errorf("dry run %v: error %d = %+v, want %+v", dry, i, prev.Errors[i], w)
				}
			}
			if !dry && (imp.Inserted != n-2 || imp.ErrorRows != 2) {
				t.Fatalf("import: %+v", imp)
			}
			if !dry {
				id = imp.ID
			}
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM market_orders`); got != n-2 {
			t.Fatalf("stored %d lines, want %d", got, n-2)
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM market_import_rows`); got != 0 {
			t.Fatalf("%d noted rows left", got)
		}
		stored, err := svc.GetImport(context.Background(), id)
		if err != nil || len(stored.Errors) != 2 || stored.Errors[1] != want[1] {
			t.Fatalf("stored session: %+v %v", stored, err)
		}
	})
}

// TestImportReportsRepeatOfStoredLine: a sheet that holds a line stored by
// an earlier import twice, the second time a batch later, stores nothing
// new for it, reports the second row against the first, and leaves no
// bundle without a line (the repeat's own recipient asked for a new one).
func TestImportReportsRepeatOfStoredLine(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db)
		ctx := context.Background()
		if _, imp, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "first.csv", Data: sheet11st(4)}); err != nil || imp.Inserted != 4 {
			t.Fatalf("first import: %+v %v", imp, err)
		}
		n := market.BatchSize + 100
		lines := bytes.Split(sheet11st(n), []byte("\n"))
		// Sheet row BatchSize+52 repeats row 2 (a line of the first import), for another recipient.
		lines[1+market.BatchSize+50] = bytes.Replace(lines[1], []byte("수취인0"), []byte("다른 사람"), 1)
		data := bytes.Join(lines, []byte("\n"))
		want := market.RowError{Row: market.BatchSize + 52, Column: "주문번호", Value: "700000", Reason: "2행과 주문번호·부주문번호가 같습니다"}
		for _, dry := range []bool{true, false} {
			prev, imp, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "again.csv", Data: data, DryRun: dry})
			if err != nil {
				t.Fatal(err)
			}
			if prev.Rows != n || prev.OK != n-1 || prev.Existing != 4 || len(prev.Errors) != 1 || prev.Errors[0] != want {
				t.Fatalf("dry run %v: preview %d rows, %d ok, %d existing, errors %+v", dry, prev.Rows, prev.OK, prev.Existing, prev.Errors)
			}
			if !dry && (imp.Inserted != n-5 || imp.Unchanged != 4 || imp.ErrorRows != 1) {
				t.Fatalf("import: %+v", imp)
			}
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM market_orders`); got != n-1 {
			t.Fatalf("stored %d lines, want %d", got, n-1)
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM market_bundles b WHERE NOT EXISTS (SELECT 1 FROM market_orders o WHERE o.bundle_id = b.id)`); got != 0 {
			t.Fatalf("%d bundles without a line", got)
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM market_import_rows`); got != 0 {
			t.Fatalf("%d noted rows left", got)
		}
	})
}

// A write that panics part-way (here AfterBatch, after the first batch) is
// raised in the caller's goroutine, stores nothing, ends the session as
// failed, and leaves no goroutine behind (the parser waiting to hand on its
// next batch, the lease renewal).
func TestPanickingWriteStopsTheParser(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		svc := newService(t, db)
		file, size := writeSheet(t, market.BatchSize*3)
		before := runtime.NumGoroutine()
		svc.AfterBatch = func(int) error { panic("write broke") }
		func() {
			defer func() {
				if p := recover(); p != "write broke" {
					t.Fatalf("recovered %v, want the write's panic", p)
				}
			}()
			_, _, _ = svc.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "big.csv", Reader: file, Size: size})
			t.Fatal("Import returned after its write panicked")
		}()
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after the panic, %d before: a goroutine is left behind\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		if page, err := svc.List(ctx, sys, market.Filter{}); err != nil || page.Total != 0 {
			t.Fatalf("the panicked import stored %d lines (%v)", page.Total, err)
		}
		var status string
		if err := db.Read().QueryRowContext(ctx, `SELECT status FROM market_imports ORDER BY id DESC LIMIT 1`).Scan(&status); err != nil || status != "failed" {
			t.Fatalf("the panicked import's session is %q (%v), want failed", status, err)
		}
	})
}
