package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/app"
	"github.com/orderdesk/orderdesk/internal/config"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/platform/meter"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/staff"
)

// loadClients is how many storefront clients the load test runs at once.
const loadClients = 16

// loadRun numbers the benchmark's runs so that Idempotency-Keys never repeat
// across the runs of growing b.N.
var loadRun atomic.Int64

// BenchmarkStorefrontLoad is the load test of the checkout: a real HTTP
// server (the whole app handler, with its request logging) on a real
// database, and 16 clients that each place orders and pay them through the
// JSON API as the storefront does:
//
//	POST /api/v1/orders                            Idempotency-Key: place-…
//	POST /api/v1/orders/{no}/payments/prepare      (the sandbox issues the payment key)
//	POST /api/v1/orders/{no}/payments/confirm      Idempotency-Key: pay-…
//
// "place" runs the first call alone; "place+pay" all three. Each reports
// orders/s and the p50/p99 latency of one order (all its calls, as the buyer
// waits for them), the CPU time of the process (server and clients), the
// write transactions per order and the engine's commits per order (on SQLite
// a commit takes a batch of transactions). Every answer is checked (the order ends paid for its
// amount) and `orderdesk verify` must hold after each run.
//
//	go test ./internal/app -run XXX -bench StorefrontLoad -benchtime 4000x
func BenchmarkStorefrontLoad(b *testing.B) {
	for _, engine := range sqldbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			ctx := context.Background()
			cfg := config.Default()
			cfg.DB = sqldbtest.DSN(b, engine)
			cfg.SecretKey = testKey
			// The server logs each request as serve does; the lines go nowhere.
			a, err := app.Open(ctx, cfg, app.NewLogger(cfg, io.Discard))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { a.Close() })
			h, err := a.Handler()
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(h)
			b.Cleanup(srv.Close)
			if err := a.LoadDemo(ctx, io.Discard); err != nil {
				b.Fatal(err)
			}
			sys := access.System()
			if _, err := a.Staff.Create(ctx, sys, staff.NewStaff{Login: "shop", Password: "correct horse battery", Role: access.SiteAdmin, Sites: []string{"malgn"}}); err != nil {
				b.Fatal(err)
			}
			tok, err := a.Staff.CreateToken(ctx, sys, "shop", "storefront")
			if err != nil {
				b.Fatal(err)
			}
			m, err := a.Members.List(ctx, sys, member.Filter{Q: "sample2122", Field: "login"})
			if err != nil || m.Total != 1 {
				b.Fatalf("demo member: %v", err)
			}
			c := &shop{base: srv.URL, token: tok, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadClients * 2}}}
			var products struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
			}
			if err := c.call("GET", "/api/v1/products?q="+url.QueryEscape("파워포인트"), "", nil, http.StatusOK, &products); err != nil || len(products.Items) == 0 {
				b.Fatalf("demo product: %v", err)
			}
			placeBody, _ := json.Marshal(map[string]any{"site": "malgn", "member_id": m.Items[0].ID, "payment_method": "card",
				"items": []map[string]any{{"product_id": products.Items[0].ID, "qty": 1}}})
			for _, pay := range []bool{false, true} {
				name := "place"
				if pay {
					name = "place+pay"
				}
				b.Run(name, func(b *testing.B) {
					run := loadRun.Add(1)
					lat := make([]time.Duration, b.N)
					var next atomic.Int64
					var failed atomic.Pointer[error]
					var wg sync.WaitGroup
					b.ResetTimer()
					commits0, flushes0, cpu0, start := a.DB.Commits(), a.DB.EngineCommits(), meter.CPU(), time.Now()
					for range loadClients {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for {
								i := int(next.Add(1)) - 1
								if i >= b.N || failed.Load() != nil {
									return
								}
								t0 := time.Now()
								if err := c.checkout(run, i, placeBody, pay); err != nil {
									failed.CompareAndSwap(nil, &err)
									return
								}
								lat[i] = time.Since(t0)
							}
						}()
					}
					wg.Wait()
					elapsed, cpu, commits, flushes := time.Since(start), meter.CPU()-cpu0, a.DB.Commits()-commits0, a.DB.EngineCommits()-flushes0
					b.StopTimer()
					if err := failed.Load(); err != nil {
						b.Fatal(*err)
					}
					slices.Sort(lat)
					b.ReportMetric(float64(b.N)/elapsed.Seconds(), "orders/s")
					b.ReportMetric(float64(lat[b.N/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(lat[min(b.N-1, b.N*99/100)].Microseconds())/1000, "p99-ms")
					// CPU of the whole process (server and clients) per order:
					// what a busy machine changes least.
					b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/order")
					// Write transactions per order, and the engine's commits
					// per order (on SQLite one commits a batch of them).
					b.ReportMetric(float64(commits)/float64(b.N), "commits/order")
					b.ReportMetric(float64(flushes)/float64(b.N), "engine-commits/order")
					var out bytes.Buffer
					if err := a.Verify(ctx, &out); err != nil {
						b.Fatalf("verify after the load: %v\n%s", err, out.String())
					}
				})
			}
		})
	}
}

// shop is one storefront talking to the API.
type shop struct {
	base, token string
	client      *http.Client
}

// checkout places order i of run and, with pay, pays it at the sandbox.
func (c *shop) checkout(run int64, i int, placeBody []byte, pay bool) error {
	var o struct {
		OrderNo int64  `json:"order_no"`
		Total   int64  `json:"total"`
		Status  string `json:"status"`
	}
	if err := c.call("POST", "/api/v1/orders", fmt.Sprintf("place-%d-%d", run, i), placeBody, http.StatusCreated, &o); err != nil {
		return err
	}
	if o.Status != "pending" || o.Total <= 0 {
		return fmt.Errorf("placed order %d: status %q, total %d", o.OrderNo, o.Status, o.Total)
	}
	if !pay {
		return nil
	}
	path := fmt.Sprintf("/api/v1/orders/%d/payments/", o.OrderNo)
	var ck struct {
		Amount     int64  `json:"amount"`
		PaymentKey string `json:"payment_key"`
	}
	if err := c.call("POST", path+"prepare", "", []byte(`{"gateway":"sandbox"}`), http.StatusOK, &ck); err != nil {
		return err
	}
	if ck.Amount != o.Total || ck.PaymentKey == "" {
		return fmt.Errorf("prepare of order %d: amount %d, key %q", o.OrderNo, ck.Amount, ck.PaymentKey)
	}
	body, _ := json.Marshal(map[string]any{"gateway": "sandbox", "payment_key": ck.PaymentKey, "amount": ck.Amount})
	var paid struct {
		Status    string `json:"status"`
		Collected int64  `json:"collected"`
	}
	if err := c.call("POST", path+"confirm", fmt.Sprintf("pay-%d-%d", run, i), body, http.StatusOK, &paid); err != nil {
		return err
	}
	if paid.Status != "paid" || paid.Collected != o.Total {
		return fmt.Errorf("paid order %d: status %q, collected %d of %d", o.OrderNo, paid.Status, paid.Collected, o.Total)
	}
	return nil
}

// call sends one request and decodes the answer, which must have status want.
func (c *shop) call(method, path, idemKey string, body []byte, want int, out any) error {
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body == nil {
		req.Body, req.ContentLength = nil, 0
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}
