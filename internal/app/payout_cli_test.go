package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// orderdesk payout import: a dry run previews, a real run stores a
// statement, a file that is not a payout file is refused with exit 2. The
// demo has loaded a 쿠팡 payout file already.
func TestCLIPayoutImport(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			env := map[string]string{"ORDERDESK_DB": sqldbtest.DSN(t, engine), "ORDERDESK_SECRET_KEY": testKey, "ORDERDESK_LOG_LEVEL": "warn"}
			if code, out, errs := runCLI(t, env, "demo"); code != 0 {
				t.Fatalf("demo = %d %q %q", code, out, errs)
			}
			// The sample file repeats the demo's payout rows: refused, naming them.
			sample := filepath.Join("..", "payout", "testdata", "coupang_payout.csv")
			code, out, errs := runCLI(t, env, "payout", "import", "--marketplace", "coupang", sample)
			if code != 2 || !strings.Contains(out, "정산내역 #1에 이미 있는 행입니다") || !strings.Contains(errs, "row imported already") {
				t.Fatalf("a file repeating the demo's rows = %d %q %q", code, out, errs)
			}
			// The same rows paid on other days are a file of their own.
			data, err := os.ReadFile(sample)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "coupang_12월.csv")
			if err := os.WriteFile(file, []byte(strings.NewReplacer("2025-10-27", "2025-12-29", "2025-11-24", "2025-12-29").Replace(string(data))), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errs = runCLI(t, env, "payout", "import", "--marketplace", "coupang", file, "--dry-run")
			if code != 0 || !strings.Contains(out, "10 rows, 9 matched, 1 unmatched") || !strings.Contains(out, "dry run") {
				t.Fatalf("dry run = %d %q %q", code, out, errs)
			}
			code, out, errs = runCLI(t, env, "payout", "import", "--marketplace", "coupang", file)
			if code != 0 || !strings.Contains(out, "statement 2 done") {
				t.Fatalf("import = %d %q %q", code, out, errs)
			}
			bad := filepath.Join(t.TempDir(), "bad.csv")
			if err := os.WriteFile(bad, []byte("a,b\n1,2\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, _, errs := runCLI(t, env, "payout", "import", "--marketplace", "coupang", bad); code != 2 || !strings.Contains(errs, "header") {
				t.Fatalf("a file without the format's headers = %d %q", code, errs)
			}
			if code, _, errs := runCLI(t, env, "payout", "import", file); code != 2 {
				t.Fatalf("no marketplace = %d %q", code, errs)
			}
		})
	}
}
