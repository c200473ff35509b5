// Package app wires configuration, database, services and the HTTP server
// together, and runs the command line.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/orderdesk/orderdesk/internal/api"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/config"
	"github.com/orderdesk/orderdesk/internal/console"
	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/notify"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/idem"
	"github.com/orderdesk/orderdesk/internal/platform/lease"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/refund"
	"github.com/orderdesk/orderdesk/internal/settlement"
	"github.com/orderdesk/orderdesk/internal/shipping"
	"github.com/orderdesk/orderdesk/internal/site"
	"github.com/orderdesk/orderdesk/internal/staff"
	"github.com/orderdesk/orderdesk/internal/stats"
	"github.com/orderdesk/orderdesk/internal/voucher"
)

// App is one running orderdesk: its database and services.
type App struct {
	Cfg config.Config
	Log *slog.Logger
	DB  *sqldb.DB
	Now func() time.Time

	Sites   *site.Service
	Staff   *staff.Service
	Members *member.Service
	Catalog *catalog.Service
	Audit   *audit.Service
	Idem    *idem.Store
	Orders  *order.Service
	Refunds *refund.Service
	Market  *market.Service
	Payouts *payout.Service
	Settle  *settlement.Service
	Ship    *shipping.Service
	Outbox  *notify.Outbox
	Sandbox *payment.Sandbox
	Coupons *coupon.Service
	Stats   *stats.Service
	// Leases lets one process of several run each periodic job at a time.
	Leases *lease.Runner
}

// NewLogger makes the structured logger of the configuration.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	level, _ := config.ParseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(web.LogHandler{Handler: h})
}

// Open validates cfg, opens and migrates the database and builds the services.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db, err := sqldb.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("migrated", "applied", applied, "engine", db.Engine)
	}
	box, err := openBox(cfg, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	now := func() time.Time { return time.Now().UTC() }
	a := &App{Cfg: cfg, Log: log, DB: db, Now: now}
	a.Sites = &site.Service{DB: db, Now: now}
	a.Staff = &staff.Service{DB: db, Now: now, Throttle: staff.NewThrottle()}
	a.Members = &member.Service{DB: db, Box: box, Now: now}
	a.Catalog = &catalog.Service{DB: db, Now: now}
	a.Audit = &audit.Service{DB: db}
	a.Idem = &idem.Store{DB: db, Now: now, HashKey: box.Derive("idempotency body fingerprint")}
	// The sandbox signs its webhooks with a key derived from the data key, so
	// that callbacks stay valid across restarts without another secret.
	a.Sandbox = payment.NewSandbox(db, box.Derive("sandbox-webhook"), now)
	gateways := map[string]payment.Gateway{"sandbox": a.Sandbox}
	if cfg.TossSecretKey != "" {
		gateways["toss"] = &payment.Toss{BaseURL: cfg.TossURL, SecretKey: cfg.TossSecretKey}
	}
	a.Coupons = &coupon.Service{DB: db, Now: now, Catalog: a.Catalog, Members: a.Members}
	a.Orders = &order.Service{DB: db, Box: box, Now: now, Log: log, Gateways: gateways, OpenRefund: refund.OpenRequest}
	a.Orders.Coupons = a.Coupons
	var sms notify.Provider = notify.LogProvider{Log: log}
	if cfg.SMSProvider == "aligo" {
		sms = &notify.Aligo{BaseURL: cfg.SMSURL, Key: cfg.SMSKey, UserID: cfg.SMSUser, Sender: cfg.SMSSender}
	}
	a.Outbox = &notify.Outbox{DB: db, Provider: sms, Now: now, Log: log}
	a.Refunds = &refund.Service{DB: db, Box: box, Now: now, Log: log, Gateways: gateways, Outbox: a.Outbox}
	a.Refunds.Coupons = a.Coupons
	a.Settle = &settlement.Service{DB: db, Now: now, Log: log}
	a.Market = &market.Service{DB: db, Now: now, Settle: a.Settle.SettleOrderNos, SettleDays: a.Settle.SettleDays, Preset: a.Settle.AddDefaultRule,
		LateCancel: a.Settle.LateCancel}
	confirmAfter, _ := cfg.ConfirmAfter() // checked by Validate
	a.Ship = &shipping.Service{DB: db, Now: now, Log: log, Orders: a.Orders, ConfirmAfter: confirmAfter}
	a.Stats = &stats.Service{DB: db, Now: now}
	a.Payouts = &payout.Service{DB: db, Now: now}
	a.Settle.AfterRecompute = a.Payouts.AfterRecompute
	a.Leases = &lease.Runner{DB: db, Now: now}
	return a, nil
}

func openBox(cfg config.Config, db *sqldb.DB) (*secret.Box, error) {
	var key []byte
	var err error
	switch {
	case cfg.SecretKey != "":
		key, err = secret.ParseKey(cfg.SecretKey)
	case db.Engine == sqldb.SQLite:
		key, err = secret.LoadOrCreateKeyFile(cfg.KeyFile())
	default:
		var data []byte
		if data, err = os.ReadFile(cfg.KeyFile()); err == nil {
			key, err = secret.ParseKey(string(data))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	return secret.NewBox(key)
}

// Close closes the database.
// Close stops the background settlement jobs (recorded as stopped), then
// closes the database.
func (a *App) Close() error {
	a.Settle.Stop()
	return a.DB.Close()
}

// Handler is the whole HTTP surface: /healthz, /api/v1 and the console.
func (a *App) Handler() (http.Handler, error) {
	apiSrv := &api.Server{Log: a.Log, Staff: a.Staff, Sites: a.Sites, Members: a.Members, Catalog: a.Catalog, Audit: a.Audit, Idem: a.Idem, Orders: a.Orders, Refunds: a.Refunds, Market: a.Market, Settle: a.Settle}
	apiSrv.Coupons = a.Coupons
	con := &console.Server{Log: a.Log, Staff: a.Staff, Sites: a.Sites, Members: a.Members, Catalog: a.Catalog, Audit: a.Audit, Orders: a.Orders, Refunds: a.Refunds, Market: a.Market, Settle: a.Settle}
	con.Coupons = a.Coupons
	apiSrv.Voucher = a.voucher()
	con.Voucher = a.voucher()
	apiSrv.Ship = a.Ship
	con.Ship = a.Ship
	apiSrv.Stats, con.Stats = a.Stats, a.Stats
	apiSrv.Payouts, con.Payouts = a.Payouts, a.Payouts
	proxies, err := a.Cfg.Proxies()
	if err != nil {
		return nil, err
	}
	con.TrustedProxies = proxies
	conH, err := con.Handler()
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.DB.Ping(ctx); err != nil {
			web.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
		web.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("/api/v1/", apiSrv.Handler())
	mux.Handle("/", conH)
	return web.Middleware(a.Log, mux), nil
}

// RecoverGatewayCalls settles the gateway cancels and refunds claimed more
// than olderThan ago whose answer was never recorded (the process died
// between the call and the record, or the answer was lost): each is repeated
// at the gateway with its idempotency key and its answer recorded once.
func (a *App) RecoverGatewayCalls(ctx context.Context, olderThan time.Duration) error {
	before := a.Now().Add(-olderThan)
	n1, err1 := a.Orders.RecoverCancels(ctx, before)
	n2, err2 := a.Refunds.RecoverRefunds(ctx, before)
	if n1+n2 > 0 {
		a.Log.Info("gateway calls recovered", "cancels", n1, "refunds", n2)
	}
	return errors.Join(err1, err2)
}

// recoveryLease is how long a round of a recovery job holds its lease
// without renewal (it is renewed while the round runs).
const recoveryLease = 2 * time.Minute

// runRecovery runs RecoverGatewayCalls at start and then every interval
// until ctx ends, one process at a time (lease gateway_recovery): each call
// is repeated once, not once per server. A claim younger than
// order.RecoverAfter may still have its caller waiting for the gateway, so
// it is left to a later round.
func (a *App) runRecovery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := a.Leases.Run(ctx, "gateway_recovery", recoveryLease, func(ctx context.Context) error {
			return a.RecoverGatewayCalls(ctx, order.RecoverAfter)
		}); err != nil && ctx.Err() == nil {
			a.Log.Error("gateway call recovery", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Serve runs the HTTP server until ctx ends, then shuts down gracefully.
func (a *App) Serve(ctx context.Context, addr string, ready func(addr string)) error {
	h, err := a.Handler()
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// Each background loop ends before Serve returns (and the database
	// closes): a message being sent is recorded, the rest of its batch given
	// back to the outbox; a recovery under way finishes its call and record.
	outboxCtx, stopOutbox := context.WithCancel(context.WithoutCancel(ctx))
	outboxDone := make(chan struct{})
	go func() { defer close(outboxDone); a.Outbox.Run(outboxCtx, 30*time.Second) }()
	defer func() { stopOutbox(); <-outboxDone }()
	recovery, stopRecovery := context.WithCancel(context.WithoutCancel(ctx))
	recovered := make(chan struct{})
	go func() { defer close(recovered); a.runRecovery(recovery, time.Minute) }()
	defer func() { stopRecovery(); <-recovered }()
	confirmRecovery, stopConfirmRecovery := context.WithCancel(context.WithoutCancel(ctx))
	confirmRecovered := make(chan struct{})
	go func() { defer close(confirmRecovered); a.recoverConfirms(confirmRecovery, 30*time.Second) }()
	defer func() { stopConfirmRecovery(); <-confirmRecovered }()
	confirming, stopConfirming := context.WithCancel(context.WithoutCancel(ctx))
	confirmed := make(chan struct{})
	go func() { defer close(confirmed); a.autoConfirm(confirming, time.Hour) }()
	defer func() { stopConfirming(); <-confirmed }() // a batch under way commits or rolls back before the database closes
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// recoverConfirms settles, at start and then every interval, the payment
// confirmations whose gateway answer was never recorded (order.ClaimTTL),
// one process at a time (lease confirm_recovery).
func (a *App) recoverConfirms(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n := 0
		if _, err := a.Leases.Run(ctx, "confirm_recovery", recoveryLease, func(ctx context.Context) error {
			var err error
			n, err = a.Orders.RecoverConfirmClaims(ctx)
			return err
		}); err != nil && ctx.Err() == nil {
			a.Log.ErrorContext(ctx, "settling unrecorded payment confirmations", "settled", n, "err", err)
		} else if n > 0 {
			a.Log.InfoContext(ctx, "settled unrecorded payment confirmations", "settled", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// voucher is 근로자카드주문 over the order, member and catalog services.
func (a *App) voucher() *voucher.Service {
	return &voucher.Service{Orders: a.Orders, Members: a.Members, Catalog: a.Catalog}
}

// autoConfirm runs the 구매확정 job at start and then every interval until
// ctx ends. Processes share its lease: one runs it at a time, and the
// conditional move confirms each item once whatever runs at once.
func (a *App) autoConfirm(ctx context.Context, every time.Duration) {
	host, _ := os.Hostname()
	holder := fmt.Sprintf("%s:%d:%d", host, os.Getpid(), time.Now().UnixNano())
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := a.Ship.AutoConfirm(ctx, holder); err != nil && ctx.Err() == nil {
			a.Log.ErrorContext(ctx, "auto-confirming delivered items", "confirmed", n, "err", err)
		} else if n > 0 {
			a.Log.InfoContext(ctx, "auto-confirmed delivered items", "confirmed", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
