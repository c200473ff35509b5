package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/app"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := app.Main(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestCLIDemoVerifyAdminToken(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			env := map[string]string{"ORDERDESK_DB": sqldbtest.DSN(t, engine), "ORDERDESK_SECRET_KEY": testKey, "ORDERDESK_LOG_LEVEL": "warn"}
			if code, out, errs := runCLI(t, env, "demo"); code != 0 || !strings.Contains(out, "demo data loaded") {
				t.Fatalf("demo = %d %q %q", code, out, errs)
			}
			if code, out, _ := runCLI(t, env, "demo"); code != 0 || !strings.Contains(out, "already") {
				t.Fatalf("second demo = %d %q", code, out)
			}
			if code, out, _ := runCLI(t, env, "verify"); code != 0 || !strings.Contains(out, "all checks passed") {
				t.Fatalf("verify = %d %q", code, out)
			}
			if code, _, errs := runCLI(t, env, "admin", "create", "--login", "kim", "--password", "correct horse", "--role", "site_admin", "--site", "malgn"); code != 0 {
				t.Fatalf("admin create = %d %q", code, errs)
			}
			code, out, _ := runCLI(t, env, "token", "create", "--login", "kim")
			if code != 0 || !strings.HasPrefix(out, "od_") || strings.Count(out, "\n") != 1 {
				t.Fatalf("token create = %d %q", code, out)
			}
			bad := [][]string{
				{"admin", "create", "--login", "kim", "--password", "correct horse", "--role", "site_admin", "--site", "malgn"},
				{"admin", "create", "--login", "lee", "--password", "correct horse", "--role", "wizard"},
				{"token", "create", "--login", "nobody"},
				{"frobnicate"},
				{"migrate", "--db", "postgres//broken"},
				{"migrate", "--nope"},
			}
			for _, args := range bad {
				code, _, errs := runCLI(t, env, args...)
				if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || errs == "" {
					t.Errorf("%v = exit %d, stderr %q; want 2 and one line", args, code, errs)
				}
			}
			// A different key cannot read the members' numbers: verify says so.
			env["ORDERDESK_SECRET_KEY"] = strings.Repeat("02", 32)
			if code, out, _ := runCLI(t, env, "verify"); code != 1 || !strings.Contains(out, "does not decrypt") {
				t.Fatalf("verify with wrong key = %d %q", code, out)
			}
		})
	}
}

func TestCLIRefundQuote(t *testing.T) {
	// Every command takes --db (API.md), this one too though it reads no database.
	code, out, errs := runCLI(t, nil, "refund", "quote", "--db", "sqlite:unused.db", "--policy", "by_days", "--amount", "280000", "--total-days", "2197", "--elapsed-days", "464")
	if code != 0 || !strings.Contains(out, `"refund":220865`) || !strings.Contains(out, `"deduction":59135`) {
		t.Fatalf("quote = %d %q %q", code, out, errs)
	}
	// Fractional study hours: 7.5 of 30 hours.
	code, out, errs = runCLI(t, nil, "refund", "quote", "--policy", "by_progress", "--amount", "280000", "--used-units", "7.5", "--total-units", "30", "--unit", "hours")
	if code != 0 || !strings.Contains(out, `"deduction":70000`) || !strings.Contains(out, "30시간 중 7.5시간 (25.00%)") {
		t.Fatalf("fractional quote = %d %q %q", code, out, errs)
	}
	code, _, errs = runCLI(t, nil, "refund", "quote", "--policy", "by_progress", "--amount", "1", "--used-units", "7.5555", "--total-units", "30")
	if code != 2 || !strings.Contains(errs, "used-units") {
		t.Fatalf("four decimals = %d %q", code, errs)
	}
	code, _, errs = runCLI(t, nil, "refund", "quote", "--policy", "kind", "--amount", "1")
	if code != 2 || !strings.Contains(errs, "policy") {
		t.Fatalf("bad policy = %d %q", code, errs)
	}
	// The amount is required (API.md): a quote of nothing is a mistake, not 0원.
	code, out, errs = runCLI(t, nil, "refund", "quote", "--policy", "by_days", "--total-days", "10", "--elapsed-days", "1")
	if code != 2 || !strings.Contains(errs, "amount") || out != "" {
		t.Fatalf("no amount = %d %q %q", code, out, errs)
	}
	if code, _, errs = runCLI(t, nil, "refund", "quote", "--policy", "by_days", "--amount", "1.5", "--total-days", "10"); code != 2 || !strings.Contains(errs, "amount") {
		t.Fatalf("a fractional amount = %d %q", code, errs)
	}
	if code, out, _ = runCLI(t, nil, "refund", "quote", "--policy", "by_days", "--amount", "0", "--total-days", "10", "--elapsed-days", "1"); code != 0 || !strings.Contains(out, `"refund":0`) {
		t.Fatalf("an amount of 0 = %d %q", code, out)
	}
}

func TestCLISettlementEval(t *testing.T) {
	code, out, errs := runCLI(t, nil, "settlement", "eval", "--db", "sqlite:unused.db", "--formula", "code11*(100-15.4)/100", "--vars", `{"code11":"1,500"}`)
	if code != 0 || !strings.Contains(out, `"value":1269`) {
		t.Fatalf("eval = %d %q %q", code, out, errs)
	}
	code, _, errs = runCLI(t, nil, "settlement", "eval", "--formula", "code11 * cde12", "--vars", `{}`)
	if code != 2 || !strings.Contains(errs, "code12") || !strings.Contains(errs, "10") {
		t.Fatalf("misspelt = %d %q", code, errs)
	}
}
