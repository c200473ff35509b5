package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/config"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/settlement/formula"
	"github.com/orderdesk/orderdesk/internal/shipping"
	"github.com/orderdesk/orderdesk/internal/staff"
)

const usage = `orderdesk: the back office of an online-education business.

Usage: orderdesk COMMAND [flags]

Commands:
  serve [--addr 127.0.0.1:8080] [--trusted-proxies CIDR,...]
                                   migrate, then serve the console at / and the API at /api/v1;
                                   X-Forwarded-For is read only from the trusted proxies
  migrate                          apply pending migrations and exit
  demo                             load the manual's sample sites, members and products
  admin create --login L --password P --role R [--site S]...
                                   create a staff account (super_admin, site_admin, viewer)
  token create --login L [--name N]
                                   print a new API token of that account
  token revoke --id N              revoke an API token at once; exit 2 if there is no such live token
  verify                           check the stored data's invariants; exit 1 if any is broken
  payments reconcile --day D [--gateway toss|sandbox]
                                   list the gateway's transactions of a Seoul day and the differences
                                   with the books; exit 1 if any
  marketplace import --marketplace M FILE [--dry-run] [--encoding utf-8|cp949] [--password P]
  payout import --marketplace M FILE [--dry-run] [--encoding utf-8|cp949] [--password P]
                                   import a marketplace order sheet (xlsx, xls, csv); exit 2 if refused
  deliveries import FILE --carrier C --state S [--dry-run] [--encoding utf-8|cp949]
                                   송장번호 일괄갱신: set courier C, state S (waiting, preparing, shipped,
                                   delivered, confirmed) and the file's tracking numbers; prints the preview
  settlement recompute --from D --to D [--marketplace M]
                                   settle again the marketplace orders of those Seoul business days
  settlement eval --formula F --vars JSON
                                   print the value of a settlement formula for those variables
  refund quote --policy P --amount A [--total-days N --elapsed-days E] [--total-units U --used-units V]
               [--unit hours|sessions] [--months M --current-month K]
                                   print, as JSON, the refund and deduction the policy gives

Every command takes --db DSN (ORDERDESK_DB): sqlite:PATH (default sqlite:orderdesk.db)
or postgres://USER@HOST:PORT/DB. Personal data is encrypted with ORDERDESK_SECRET_KEY
(64 hex digits), or on SQLite with a key file created beside the database (PATH.key).
Exit status: 0 success, 2 bad input (one line on stderr), 1 any other failure.
`

// refundQuote runs the calculator; it needs no database.
func refundQuote(cfg *config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("orderdesk refund quote", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.Register(fs) // every command takes --db and the rest; this one reads no database
	var in refund.QuoteRequest
	fs.StringVar(&in.Policy, "policy", "", "by_days, by_progress, lifelong_education, hagwon or hrd_self_pay")
	fs.Func("amount", "paid amount in won (required)", func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errors.New("not a whole number of won")
		}
		in.Amount = &n
		return nil
	})
	fs.IntVar(&in.TotalDays, "total-days", 0, "days of the period (with --months over 1: of the current month)")
	fs.IntVar(&in.ElapsedDays, "elapsed-days", 0, "days passed")
	fs.Var(&in.TotalUnits, "total-units", "hours or sessions in all (fractions allowed, e.g. 30 or 22.5)")
	fs.Var(&in.UsedUnits, "used-units", "hours studied or sessions opened (fractions allowed, e.g. 7.5)")
	fs.StringVar(&in.Unit, "unit", "", "hours or sessions: how the line names the units")
	fs.IntVar(&in.Months, "months", 0, "billing period in months")
	fs.IntVar(&in.CurrentMonth, "current-month", 0, "the month now running, from 1")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return err
		}
		return usageError{err.Error()}
	}
	q, err := in.Calculate()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(q)
}

// settlementEval runs the formula playground; it needs no database.
func settlementEval(cfg *config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("orderdesk settlement eval", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.Register(fs) // every command takes --db and the rest; this one reads no database
	src := fs.String("formula", "", "the formula, e.g. code11*(100-15.4)/100")
	vars := fs.String("vars", "{}", `variables as JSON, e.g. {"code11":"1,500","pay_type":"C"}`)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	v, err := formula.VarsFromJSON([]byte(*vars))
	if err != nil {
		return usageError{err.Error()}
	}
	res, err := formula.Evaluate(*src, v)
	if err != nil {
		return usageError{err.Error()}
	}
	return json.NewEncoder(stdout).Encode(res)
}

// usageError is bad input on the command line: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Main runs the command line and returns the exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	err := run(ctx, args, stdout, stderr, getenv)
	if err == nil {
		return 0
	}
	var ue usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "orderdesk:", ue.msg)
		return 2
	}
	if e, ok := apperr.As(err); ok && e.Code != apperr.Unauthorized {
		fmt.Fprintln(stderr, "orderdesk:", oneLine(e))
		if e.Code == apperr.Invalid || e.Code == apperr.Conflict || e.Code == apperr.NotFound || e.Code == apperr.Forbidden {
			return 2
		}
		return 1
	}
	fmt.Fprintln(stderr, "orderdesk:", err)
	return 1
}

// oneLine says what is wrong, in English and Korean, on one line.
func oneLine(e *apperr.Error) string {
	var parts []string
	if len(e.Fields) == 0 {
		parts = append(parts, e.English+" ("+e.Message+")")
	}
	for _, f := range e.Fields {
		parts = append(parts, f.Location+": "+f.English+" ("+f.Message+")")
	}
	return strings.ReplaceAll(strings.Join(parts, "; "), "\n", " ")
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return usageError{"no command given (see orderdesk help)"}
		}
		return nil
	}
	cfg := config.Default().FromEnv(getenv)
	name := args[0]
	rest := args[1:]
	if (name == "admin" || name == "token") && len(rest) > 0 && rest[0] == "create" {
		name += " create"
		rest = rest[1:]
	}
	if name == "token" && len(rest) > 0 && rest[0] == "revoke" {
		name += " revoke"
		rest = rest[1:]
	}
	if name == "settlement" && len(rest) > 0 && rest[0] == "recompute" {
		name += " recompute"
		rest = rest[1:]
	}
	if name == "payments" && len(rest) > 0 && rest[0] == "reconcile" {
		name += " reconcile"
		rest = rest[1:]
	}
	if name == "payout" && len(rest) > 0 && rest[0] == "import" {
		name += " import"
		rest = rest[1:]
	}
	if name == "marketplace" && len(rest) > 0 && rest[0] == "import" {
		name += " import"
		rest = rest[1:]
	}
	if name == "deliveries" && len(rest) > 0 && rest[0] == "import" {
		name += " import"
		rest = rest[1:]
	}
	if name == "settlement" && len(rest) > 0 && rest[0] == "eval" {
		return settlementEval(&cfg, rest[1:], stdout)
	}
	if name == "refund" && len(rest) > 0 && rest[0] == "quote" {
		return refundQuote(&cfg, rest[1:], stdout)
	}
	fs := flag.NewFlagSet("orderdesk "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // a flag error is one line; -h prints the flags below
	cfg.Register(fs)
	var login, password, role, tokenName, marketplace, encoding string
	var dryRun bool
	var tokenID int64
	var from, to, day, gatewayName, carrier, state string
	var sites multi
	switch name {
	case "serve":
		fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (ORDERDESK_ADDR)")
		fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", cfg.TrustedProxies, config.TrustedProxiesHelp)
	case "admin create":
		fs.StringVar(&login, "login", "", "login of the new account")
		fs.StringVar(&password, "password", "", "its password (at least 10 characters)")
		fs.StringVar(&role, "role", "", "super_admin, site_admin or viewer")
		fs.Var(&sites, "site", "a site of a site_admin or viewer (repeat for more)")
	case "token create":
		fs.StringVar(&login, "login", "", "login of the account the token acts as")
		fs.StringVar(&tokenName, "name", "api", "a name to recognise the token by")
	case "token revoke":
		fs.Int64Var(&tokenID, "id", 0, "id of the token to revoke (as GET /api/v1/tokens lists it)")
	case "marketplace import", "payout import":
		fs.StringVar(&marketplace, "marketplace", "", "marketplace code (e.g. smartstore, coupang, esm, 11st)")
		fs.BoolVar(&dryRun, "dry-run", false, "print the preview and store nothing")
		fs.StringVar(&encoding, "encoding", "", "CSV encoding: utf-8 or cp949 (detected when empty)")
		fs.StringVar(&password, "password", "", "password of an encrypted xlsx")
	case "deliveries import":
		fs.StringVar(&carrier, "carrier", "", "courier code (e.g. CJ, HJ, LT, PO)")
		fs.StringVar(&state, "state", "shipped", "delivery state to set: waiting, preparing, shipped, delivered or confirmed")
		fs.BoolVar(&dryRun, "dry-run", false, "print the preview and change nothing")
		fs.StringVar(&encoding, "encoding", "", "CSV encoding: utf-8 or cp949 (detected when empty)")
	case "settlement recompute":
		fs.StringVar(&from, "from", "", "first Seoul business day, YYYY-MM-DD")
		fs.StringVar(&to, "to", "", "last Seoul business day, YYYY-MM-DD")
		fs.StringVar(&marketplace, "marketplace", "", "only this marketplace")
	case "payments reconcile":
		fs.StringVar(&day, "day", "", "the Seoul business day, YYYY-MM-DD")
		fs.StringVar(&gatewayName, "gateway", "", "toss or sandbox (default: toss when configured, else sandbox)")
	case "migrate", "demo", "verify":
	default:
		return usageError{fmt.Sprintf("unknown command %q (see orderdesk help)", args[0])}
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return err
		}
		return usageError{err.Error()}
	}
	var file string
	if name == "deliveries import" {
		if fs.NArg() > 0 {
			file = fs.Arg(0)
			if err := fs.Parse(fs.Args()[1:]); err != nil {
				return usageError{err.Error()}
			}
		}
		if file == "" || carrier == "" {
			return usageError{"deliveries import needs a FILE and --carrier C"}
		}
	}
	if name == "marketplace import" || name == "payout import" {
		// Flags may come after the file too.
		if fs.NArg() > 0 {
			file = fs.Arg(0)
			if err := fs.Parse(fs.Args()[1:]); err != nil {
				return usageError{err.Error()}
			}
		}
		if file == "" || marketplace == "" {
			return usageError{name + " needs --marketplace M and a FILE"}
		}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", name, fs.Arg(0))}
	}
	if name == "payments reconcile" && day == "" {
		return usageError{"payments reconcile needs --day YYYY-MM-DD"}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := NewLogger(cfg, stderr)
	a, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	switch name {
	case "serve":
		pw, created, err := a.Staff.EnsureInitialAdmin(ctx, cfg.AdminPassword)
		if err != nil {
			return err
		}
		if created && cfg.AdminPassword == "" {
			fmt.Fprintf(stdout, "Created the first staff account: login admin, password %s (shown once; change it or keep it safe)\n", pw)
		}
		return a.Serve(ctx, cfg.Addr, func(addr string) {
			log.Info("serving", "url", "http://"+addr, "db", a.DB.Engine)
		})
	case "migrate":
		applied, latest, err := a.DB.Version(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "schema at version %d of %d\n", applied, latest)
		return nil
	case "demo":
		return a.LoadDemo(ctx, stdout)
	case "admin create":
		if login == "" || role == "" {
			return usageError{"admin create needs --login, --password and --role"}
		}
		st, err := a.Staff.Create(ctx, access.System(), staff.NewStaff{Login: login, Password: password, Role: access.Role(role), Sites: sites})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s (%s)\n", st.Login, st.Role)
		return nil
	case "token create":
		if login == "" {
			return usageError{"token create needs --login"}
		}
		tok, err := a.Staff.CreateToken(ctx, access.System(), login, tokenName)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		return nil
	case "token revoke":
		if tokenID < 1 {
			return usageError{"token revoke needs --id N"}
		}
		if err := a.Staff.RevokeToken(ctx, access.System(), tokenID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked token %d\n", tokenID)
		return nil
	case "verify":
		return a.Verify(ctx, stdout)
	case "payments reconcile":
		return a.Reconcile(ctx, stdout, gatewayName, day)
	case "deliveries import":
		return a.importTracking(ctx, stdout, file, carrier, state, encoding, dryRun)
	case "payout import":
		return a.importPayout(ctx, stdout, marketplace, file, encoding, password, dryRun)
	case "marketplace import":
		return a.importSheet(ctx, stdout, marketplace, file, encoding, password, dryRun)
	case "settlement recompute":
		n, err := a.Settle.Recompute(ctx, access.System(), from, to, marketplace, func(done, total int) {
			fmt.Fprintf(stderr, "settled %d of %d order numbers\n", done, total)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "settled %d order numbers from %s to %s\n", n, from, to)
		return nil
	}
	return nil
}

func (a *App) importSheet(ctx context.Context, stdout io.Writer, marketplace, file, encoding, password string, dryRun bool) error {
	// The sheet is read in place, a row at a time: a large file is never
	// held in memory.
	f, err := os.Open(file)
	if err != nil {
		return usageError{fmt.Sprintf("cannot read %s: %v", file, err)}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return usageError{fmt.Sprintf("cannot read %s: %v", file, err)}
	}
	prev, imp, err := a.Market.Import(ctx, access.System(), market.ImportInput{Marketplace: marketplace, Filename: filepath.Base(file), Reader: f,
		Size: st.Size(), Encoding: encoding, Password: password, DryRun: dryRun})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s (%s): %d rows, %d good, %d with errors, %d already imported (%d to cancel)\n", file, prev.Kind, prev.Rows, prev.OK,
		prev.ErrorRows, prev.Existing, prev.Cancelling)
	for _, e := range prev.Errors {
		fmt.Fprintf(stdout, "  row %d, column %q, value %q: %s\n", e.Row, e.Column, e.Value, e.Reason)
	}
	if imp != nil {
		fmt.Fprintf(stdout, "import %d %s: %d inserted, %d updated, %d unchanged\n", imp.ID, imp.Status, imp.Inserted, imp.Updated, imp.Unchanged)
	} else {
		fmt.Fprintln(stdout, "dry run: nothing stored")
	}
	return nil
}

// importTracking is 송장번호 일괄갱신 from the command line.
func (a *App) importTracking(ctx context.Context, stdout io.Writer, file, carrier, state, encoding string, dryRun bool) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return usageError{fmt.Sprintf("cannot read %s: %v", file, err)}
	}
	res, err := a.Ship.Upload(ctx, access.System(), shipping.UploadInput{Filename: filepath.Base(file), Data: data, Encoding: encoding,
		Carrier: carrier, State: state, DryRun: dryRun})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d to change, %d unchanged, %d refused, %d rows without a tracking number\n", file, res.Changes, res.Unchanged, res.Refused, res.Blank)
	for _, r := range res.Rows {
		what := r.From + " -> " + r.To
		if r.Outcome != shipping.OutcomeChange {
			what = r.Reason
		}
		fmt.Fprintf(stdout, "  row %d, order %d, item %d, %s %s: %s %s\n", r.Line, r.OrderNo, r.ItemID, r.CarrierName, r.TrackingNo, r.Outcome, what)
	}
	if dryRun {
		fmt.Fprintln(stdout, "dry run: nothing changed")
	} else {
		fmt.Fprintf(stdout, "changed %d items\n", res.Applied)
	}
	return nil
}

func (a *App) importPayout(ctx context.Context, stdout io.Writer, marketplace, file, encoding, password string, dryRun bool) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return usageError{fmt.Sprintf("cannot read %s: %v", file, err)}
	}
	prev, st, err := a.Payouts.Import(ctx, access.System(), payout.ImportInput{Marketplace: marketplace, Filename: filepath.Base(file), Data: data,
		Encoding: encoding, Password: password, DryRun: dryRun})
	for _, e := range prev.Errors {
		fmt.Fprintf(stdout, "  row %d, column %q, value %q: %s\n", e.Row, e.Column, e.Value, e.Reason)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s (%s): %d rows, %d matched, %d unmatched, paid %d won, settlement days %s..%s\n", file, prev.Kind, prev.Rows, prev.Matched,
		prev.Unmatched, prev.PaidTotal, prev.From, prev.To)
	if st == nil {
		fmt.Fprintln(stdout, "dry run: nothing stored")
		return nil
	}
	fmt.Fprintf(stdout, "statement %d %s: expected %d, paid %d, difference %d\n", st.ID, st.Status, st.Expected, st.PaidTotal, st.Difference)
	return nil
}
