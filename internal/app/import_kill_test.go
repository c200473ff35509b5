package app_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// TestImportKilledAndRerun kills `orderdesk marketplace import` with SIGKILL
// while it runs (its session started, its one transaction not committed)
// and runs it again at once: the killed run stored nothing, the second run
// takes the dead session over instead of being refused, and every line of
// the sheet is stored exactly once.
func TestImportKilledAndRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "orderdesk")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/orderdesk/orderdesk/cmd/orderdesk").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const n = 30_000
	sheet := filepath.Join(dir, "11st.csv")
	if err := os.WriteFile(sheet, sheet11st(0, n), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			dsn := sqldbtest.DSN(t, engine)
			env := []string{"ORDERDESK_DB=" + dsn, "ORDERDESK_SECRET_KEY=" + testKey, "ORDERDESK_LOG_LEVEL=warn"}
			if code, _, errs := runCLI(t, map[string]string{"ORDERDESK_DB": dsn, "ORDERDESK_SECRET_KEY": testKey, "ORDERDESK_LOG_LEVEL": "warn"}, "demo"); code != 0 {
				t.Fatal(errs)
			}
			db, err := sqldb.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			count := func(q string) int {
				var c int
				if err := db.Read().QueryRowContext(context.Background(), q).Scan(&c); err != nil {
					t.Fatal(err)
				}
				return c
			}
			cmd := exec.Command(bin, "marketplace", "import", "--marketplace", "11st", sheet)
			cmd.Env = env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(2 * time.Minute)
			for count(`SELECT COUNT(*) FROM market_imports WHERE status = 'running'`) == 0 {
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatalf("the import's session did not start in time: %s", stderr.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond) // into its rows
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if count(`SELECT COUNT(*) FROM market_imports WHERE status = 'running'`) != 1 {
				t.Fatalf("the kill came too late: the session ended (%s)", stderr.String())
			}
			if before := count(`SELECT COUNT(*) FROM market_orders WHERE marketplace_id = (SELECT id FROM marketplaces WHERE code = '11st')`); before != 0 {
				t.Fatalf("the killed import left %d lines", before)
			}
			rerun := exec.Command(bin, "marketplace", "import", "--marketplace", "11st", sheet)
			rerun.Env = env
			out, err := rerun.CombinedOutput()
			if err != nil || !strings.Contains(string(out), " done:") {
				t.Fatalf("rerun after kill -9: %v\n%s", err, out)
			}
			if got := count(`SELECT COUNT(*) FROM market_orders WHERE marketplace_id = (SELECT id FROM marketplaces WHERE code = '11st')`); got != n {
				t.Fatalf("stored %d lines, want %d", got, n)
			}
			if got := count(`SELECT COUNT(*) FROM (SELECT DISTINCT order_no, sub_no FROM market_orders WHERE marketplace_id = (SELECT id FROM marketplaces WHERE code = '11st')) d`); got != n {
				t.Fatalf("%d distinct lines, want %d", got, n)
			}
			if got := count(`SELECT COUNT(*) FROM market_imports WHERE status = 'running'`); got != 0 {
				t.Fatalf("%d sessions still running", got)
			}
			if got := count(`SELECT COUNT(*) FROM market_import_rows`); got != 0 {
				t.Fatalf("%d noted rows left behind", got)
			}
			verify := exec.Command(bin, "verify")
			verify.Env = env
			if out, err := verify.CombinedOutput(); err != nil {
				t.Fatalf("verify: %v\n%s", err, out)
			}
		})
	}
}
