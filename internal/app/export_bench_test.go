package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/app"
	"github.com/orderdesk/orderdesk/internal/config"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/meter"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/site"
	"github.com/orderdesk/orderdesk/internal/staff"
)

// exportEnv is a served orderdesk holding n seeded orders, and a token.
type exportEnv struct {
	app *app.App
	srv *httptest.Server
	tok string
}

// newExportEnv opens a fresh database of the engine, seeds n orders in SQL
// (the dates spread over 1,000 business days, one site, one member) and
// serves the real handler.
func newExportEnv(tb testing.TB, engine sqldb.Engine, n int) *exportEnv {
	tb.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DB = sqldbtest.DSN(tb, engine)
	cfg.SecretKey = testKey
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	sys := access.System()
	if _, err := a.Sites.Create(ctx, sys, site.Site{Code: "malgn", Name: "맑은소프트"}); err != nil {
		tb.Fatal(err)
	}
	m, err := a.Members.Create(ctx, sys, member.Input{Site: "malgn", Login: "sample2122", Name: "홍길금2"})
	if err != nil {
		tb.Fatal(err)
	}
	seedExportOrders(tb, a.DB, m.ID, n)
	if _, err := a.Staff.Create(ctx, sys, staff.NewStaff{Login: "bench", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
		tb.Fatal(err)
	}
	tok, err := a.Staff.CreateToken(ctx, sys, "bench", "bench")
	if err != nil {
		tb.Fatal(err)
	}
	h, err := a.Handler()
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &exportEnv{app: a, srv: srv, tok: tok}
}

// seedExportOrders writes n orders in one statement: a numbers table joined
// to 1,000 business days, the same SQL on both engines. Every fifth order
// waits for its deposit (no 결제일: an empty cell); titles cycle through 300
// courses, one of them starting with "=" (neutralised in the workbook).
func seedExportOrders(tb testing.TB, db *sqldb.DB, memberID int64, n int) {
	tb.Helper()
	if n == 0 {
		return
	}
	ctx := context.Background()
	day0 := time.Date(2018, 1, 1, 12, 0, 0, 0, kst.Seoul)
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := benchDays(ctx, tx, day0, 1000); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO orders (order_no, site, member_id, buyer_name, buyer_login, title, method, status,
			list_total, subsidy_total, discount_total, shipping_fee, total, collected, ordered_at, ordered_day, paid_day, updated_at)
			WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $1)
			SELECT n + 1000, 'malgn', $2, '구매자' || (n % 5000), 'user' || (n % 5000),
				CASE WHEN n % 300 = 7 THEN '=과정 ' || (n % 300) ELSE '과정 ' || (n % 300) END,
				CASE n % 4 WHEN 0 THEN 'card' WHEN 1 THEN 'transfer' WHEN 2 THEN 'vbank' ELSE 'bank_deposit' END,
				CASE WHEN n % 5 = 0 THEN 'awaiting_deposit' ELSE 'paid' END,
				10000 + n % 7 * 1000, 0, 0, 0, 10000 + n % 7 * 1000, CASE WHEN n % 5 = 0 THEN 0 ELSE 10000 + n % 7 * 1000 END,
				$3, d.day, CASE WHEN n % 5 = 0 THEN '' ELSE d.day END, $3
			FROM seq JOIN bench_days d ON d.i = (n * 1000 / ($1 + 1))`, n, memberID, sqldb.Instant(day0))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DROP TABLE bench_days`)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	if db.Engine == sqldb.Postgres {
		if _, err := db.Read().ExecContext(ctx, `ANALYZE orders`); err != nil {
			tb.Fatal(err)
		}
	}
}

// download GETs path with the token and reads the body to the end; it
// returns the status, the time to the first byte of the body, and the size.
func download(tb testing.TB, srv *httptest.Server, tok, path string) (status int, firstByte time.Duration, size int64) {
	tb.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	start := time.Now()
	resp, err := srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var one [1]byte
	if k, err := io.ReadFull(resp.Body, one[:]); k == 1 {
		firstByte = time.Since(start)
		size = 1
	} else if err != nil {
		return resp.StatusCode, 0, 0
	}
	rest, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		tb.Fatalf("%s: %v after %d bytes", path, err, size+rest)
	}
	return resp.StatusCode, firstByte, size + rest
}

// benchOrders is the size of the export benchmarks: 100,000, or
// ORDERDESK_BENCH_ORDERS.
func benchOrders() int {
	if v, err := strconv.Atoi(os.Getenv("ORDERDESK_BENCH_ORDERS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

// BenchmarkExportOrders100k downloads 주문목록's EXCEL of 100,000 orders
// over HTTP through the real API handler, and reports the time to the first
// byte, the peak Go heap of the process (server and client) during the
// download, and the process's CPU time.
func BenchmarkExportOrders100k(b *testing.B) {
	n := benchOrders()
	for _, engine := range sqldbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			start := time.Now()
			e := newExportEnv(b, engine, n)
			b.Logf("%s: seeded %d orders in %s", engine, n, time.Since(start).Round(time.Millisecond))
			benchDownload(b, e, "/api/v1/orders/export.xlsx", n)
		})
	}
}

// BenchmarkExportMarketOrders100k downloads the marketplace orders' EXCEL
// (판매처 주문, with its settlement columns) of 100,000 imported 11번가 lines.
func BenchmarkExportMarketOrders100k(b *testing.B) {
	n := benchOrders()
	var csvData bytes.Buffer
	cw := csv.NewWriter(&csvData)
	_ = cw.Write([]string{"주문번호", "주문순번", "결제일시", "판매자 상품코드", "상품명", "옵션", "수량", "주문금액", "판매방식", "배송비결제방식", "구매자",
		"수취인", "휴대폰번호", "전화번호", "우편번호", "주소", "배송메시지", "주문상태", "판매단가", "서비스이용료", "정산예정금액", "옵션가", "배송비"})
	for i := 0; i < n; i++ {
		_ = cw.Write([]string{fmt.Sprint(202510130000000 + i/3), fmt.Sprint(i%3 + 1), "2025-10-13 09:40:12", fmt.Sprintf("BK-%03d", i%500),
			"교재 " + fmt.Sprint(i%500), "", fmt.Sprint(1 + i%3), "31,000", "고정가", "선결제", "구매자", fmt.Sprint("수취인", i/3),
			"010-0000-0000", "", "06236", "서울특별시 강남구 테헤란로 152", "", "배송준비중", "28,000", "3,720", "27,280", "0", "0"})
	}
	cw.Flush()
	for _, engine := range sqldbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			start := time.Now()
			e := newExportEnv(b, engine, 0)
			ctx, sys := context.Background(), access.System()
			if _, err := e.app.Market.CreateMarketplace(ctx, sys, market.Marketplace{Code: "11st", Name: "11번가"}); err != nil {
				b.Fatal(err)
			}
			_, imp, err := e.app.Market.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "big.csv", Data: csvData.Bytes()})
			if err != nil || imp.Inserted != n {
				b.Fatalf("import: %+v %v", imp, err)
			}
			b.Logf("%s: imported %d lines in %s", engine, n, time.Since(start).Round(time.Millisecond))
			benchDownload(b, e, "/api/v1/marketplace-orders/export.xlsx?marketplace=11st", n)
		})
	}
}

// benchDownload downloads path b.N times and reports the figures.
func benchDownload(b *testing.B, e *exportEnv, path string, rows int) {
	var first, cpu time.Duration
	var peak uint64
	var size int64
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc // what the process holds before the download: the app, the seed's leftovers
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stop, cpu0 := meter.PeakHeap(5*time.Millisecond), meter.CPU()
		status, ttfb, sz := download(b, e.srv, e.tok, path)
		p := stop()
		cpu += meter.CPU() - cpu0
		if status != http.StatusOK || sz < int64(rows)*20 {
			b.Fatalf("%s = %d, %d bytes", path, status, sz)
		}
		first += ttfb
		peak, size = max(peak, p), sz
	}
	b.StopTimer()
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "first-byte-ms")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(base)/(1<<20), "heap-before-MiB")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(size)/(1<<20), "MiB-file")
	b.Logf("%d rows, %.1f MiB, first byte after %s, peak heap %d MiB", rows, float64(size)/(1<<20),
		(first / time.Duration(b.N)).Round(time.Millisecond), peak>>20)
}
