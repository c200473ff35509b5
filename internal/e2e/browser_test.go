// Package e2e drives the console in a real Chromium (Debian's, at
// /usr/bin/chromium, or ORDERDESK_CHROMIUM) through chromedp. The tests run
// when ORDERDESK_TEST_BROWSER=1; CI sets it, so nothing is skipped there.
package e2e

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/app"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/config"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/site"
	"github.com/orderdesk/orderdesk/internal/staff"
)

// logWriter shows the server's warnings and errors in the test's output.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// server starts orderdesk on engine with a site and a site admin.
func server(t *testing.T, engine sqldb.Engine) (*app.App, string) {
	t.Helper()
	cfg := config.Default()
	cfg.DB = sqldbtest.DSN(t, engine)
	cfg.SecretKey = strings.Repeat("ab", 32)
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ctx := context.Background()
	if _, err := a.Sites.Create(ctx, access.System(), site.Site{Code: "malgn", Name: "맑은소프트"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Staff.Create(ctx, access.System(), staff.NewStaff{Login: "clerk", Password: "correct horse battery", Role: access.SiteAdmin, Sites: []string{"malgn"}}); err != nil {
		t.Fatal(err)
	}
	h, err := a.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return a, srv.URL
}

// browser returns a chromedp context on a fresh headless Chromium.
func browser(t *testing.T) context.Context {
	t.Helper()
	if os.Getenv("ORDERDESK_TEST_BROWSER") != "1" {
		t.Skip("ORDERDESK_TEST_BROWSER is not 1")
	}
	path := os.Getenv("ORDERDESK_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("ORDERDESK_TEST_BROWSER=1 but no Chromium at %s (apt-get install chromium)", path)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	return ctx
}

// text reads the text of the first element matching the CSS selector.
func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("text of %s: %v", css, err)
	}
	return strings.TrimSpace(v)
}

// submit clicks an element that leads to another page and waits until that
// page has loaded, so that later reads never see the page before.
func submit[S chromedp.Selectable](t *testing.T, ctx context.Context, sel S) {
	t.Helper()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(sel)); err != nil {
		t.Fatalf("click: %v", err)
	}
}

// do runs steps and fails the test on an error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func login(base, user, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/members"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("members")),
	)
}

func TestBrowserMemberWithMaskedNumber(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := browser(t)
			a, base := server(t, engine)
			do(t, ctx, login(base, "clerk", "correct horse battery"))
			submit(t, ctx, chromedp.ID("member-new"))
			do(t, ctx,
				chromedp.WaitVisible(chromedp.ID("member-form")),
				// First without a name: the form says so under the field.
				chromedp.SendKeys(chromedp.ID("login"), "sample122"),
				chromedp.SendKeys(chromedp.ID("rrn"), "750101-1234567"),
			)
			submit(t, ctx, chromedp.ID("member-save"))
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".field-error")))
			if got := text(t, ctx, ".field-error"); !strings.Contains(got, "이름") {
				t.Errorf("missing-name error = %q", got)
			}
			do(t, ctx, chromedp.SendKeys(chromedp.ID("name"), "홍길동2"), chromedp.SendKeys(chromedp.ID("rrn"), "750101-1234567"))
			submit(t, ctx, chromedp.ID("member-save"))
			do(t, ctx, chromedp.WaitVisible(chromedp.ID("member-rrn")))
			if got := text(t, ctx, "#member-rrn"); got != "750101-1******" {
				t.Errorf("member page shows %q, want 750101-1******", got)
			}
			if got := text(t, ctx, "#member-name"); got != "홍길동2" {
				t.Errorf("name = %q", got)
			}
			do(t, ctx, chromedp.Navigate(base+"/members?q=sample122&field=login"), chromedp.WaitVisible(chromedp.ID("members")))
			if got := text(t, ctx, "#members td.rrn"); got != "750101-1******" {
				t.Errorf("list shows %q, want 750101-1******", got)
			}
			submit(t, ctx, chromedp.ID("logout"))
			do(t, ctx,
				chromedp.WaitVisible(chromedp.ID("login-submit")),
				chromedp.Navigate(base+"/members"),
				chromedp.WaitVisible(chromedp.ID("login-submit")),
			)
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil || !strings.Contains(loc, "/login") {
				t.Errorf("after logout /members went to %s (%v), want the login page", loc, err)
			}
			page, err := a.Audit.List(context.Background(), access.System(), audit.Filter{Action: "member.create"})
			if err != nil || page.Total != 1 || page.Items[0].ActorLogin != "clerk" {
				t.Errorf("audit of the creation: %+v, %v", page, err)
			}
		})
	}
}
