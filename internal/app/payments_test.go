package app_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/app"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// verify compares what the sandbox gateway holds with the books, and
// payments reconcile lists a Seoul day's gateway transactions against the
// journal; both catch a payment planted at the gateway behind the books' back.
func TestGatewayAgainstTheBooks(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		demoEnv(t, e)
		ctx := context.Background()
		var out bytes.Buffer
		if err := e.app.Verify(ctx, &out); err != nil {
			t.Fatalf("verify of the demo: %v\n%s", err, out.String())
		}
		for _, day := range []string{"2018-08-23", "2019-05-31", "2020-07-15"} {
			out.Reset()
			if err := e.app.Reconcile(ctx, &out, "sandbox", day); err != nil || !strings.Contains(out.String(), "no differences") {
				t.Fatalf("reconcile %s: %v\n%s", day, err, out.String())
			}
		}
		out.Reset()
		_ = e.app.Reconcile(ctx, &out, "sandbox", "2018-08-23")
		if !strings.Contains(out.String(), "order 133") || !strings.Contains(out.String(), "1 transactions at the gateway, net 37,500원") {
			t.Fatalf("reconcile lists:\n%s", out.String())
		}

		// A payment the gateway approved that no order took (what concurrent
		// confirms used to leave behind).
		at := time.Date(2018, 8, 23, 3, 0, 0, 0, time.UTC)
		err := e.app.DB.InTx(ctx, func(tx *sqldb.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sandbox_payments (payment_key, order_no, method, amount, balance, status, secret, approved_at)
				VALUES ('sbx_planted', '133', 'card', 37500, 37500, 'DONE', '', $1)`, at.Format(time.RFC3339Nano)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO sandbox_transactions (payment_key, order_no, method, status, amount, at)
				VALUES ('sbx_planted', '133', 'card', 'DONE', 37500, $1)`, at)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		out.Reset()
		err = e.app.Verify(ctx, &out)
		if !errors.Is(err, app.ErrVerifyFailed) || !strings.Contains(out.String(), "order 133: over-capture of 37500 won: the sandbox holds payment sbx_planted") {
			t.Fatalf("verify after a planted over-capture: %v\n%s", err, out.String())
		}
		out.Reset()
		err = e.app.Reconcile(ctx, &out, "sandbox", "2018-08-23")
		if !errors.Is(err, app.ErrReconcileDiffers) || !strings.Contains(out.String(), "order 133: the gateway moved 75,000원, the books 37,500원 (difference 37,500원)") {
			t.Fatalf("reconcile after a planted payment: %v\n%s", err, out.String())
		}
	})
}

func TestCLIPaymentsReconcile(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			env := map[string]string{"ORDERDESK_DB": sqldbtest.DSN(t, engine), "ORDERDESK_SECRET_KEY": testKey, "ORDERDESK_LOG_LEVEL": "warn"}
			if code, _, errs := runCLI(t, env, "demo"); code != 0 {
				t.Fatalf("demo = %d %q", code, errs)
			}
			code, out, errs := runCLI(t, env, "payments", "reconcile", "--day", "2020-07-01")
			if code != 0 || !strings.Contains(out, "sandbox, Seoul day 2020-07-01") || !strings.Contains(out, "WAITING_FOR_DEPOSIT") || !strings.Contains(out, "no differences") {
				t.Fatalf("reconcile = %d %q %q", code, out, errs)
			}
			for _, args := range [][]string{{"payments", "reconcile"}, {"payments", "reconcile", "--day", "2020-02-30"}, {"payments", "reconcile", "--day", "2020-07-01", "--gateway", "toss"}} {
				if code, _, errs := runCLI(t, env, args...); code != 2 || errs == "" {
					t.Errorf("%v = %d %q", args, code, errs)
				}
			}
		})
	}
}
