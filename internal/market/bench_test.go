package market_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/meter"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/sheet"
)

var benchHeader = []string{"주문번호", "주문순번", "결제일시", "판매자 상품코드", "상품명", "옵션", "수량", "주문금액", "판매방식", "배송비결제방식", "구매자",
	"수취인", "휴대폰번호", "전화번호", "우편번호", "주소", "배송메시지", "주문상태", "판매단가", "서비스이용료", "정산예정금액", "옵션가", "배송비"}

func benchRow(i int) []string {
	return []string{fmt.Sprint(202510130000000 + i/3), fmt.Sprint(i%3 + 1), "2025-10-13 09:40:12", fmt.Sprintf("BK-%03d", i%500),
		"교재 " + fmt.Sprint(i%500), "", fmt.Sprint(1 + i%3), "31,000", "고정가", "선결제", "구매자", fmt.Sprint("수취인", i/3),
		"010-0000-0000", "", "06236", "서울특별시 강남구 테헤란로 152", "", "배송준비중", "28,000", "3,720", "27,280", "0", "0"}
}

// writeSheet writes an 11번가 CSV of n rows to a file, a row at a time.
func writeSheet(tb testing.TB, n int) (*os.File, int64) {
	path := filepath.Join(tb.TempDir(), "11st.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	w := csv.NewWriter(bw)
	_ = w.Write(benchHeader)
	for i := 0; i < n; i++ {
		_ = w.Write(benchRow(i))
	}
	w.Flush()
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f, st.Size()
}

// benchSizes are the sheet sizes of BenchmarkImport100k:
// ORDERDESK_BENCH_IMPORT_ROWS (e.g. "100000,1000000"), 100,000 by default.
func benchSizes() []int {
	var out []int
	for _, f := range strings.Split(os.Getenv("ORDERDESK_BENCH_IMPORT_ROWS"), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		out = []int{100_000}
	}
	return out
}

// ceiling inserts n rows as wide as a stored line (the 28 columns of
// market_orders: 8 numbers and times, 20 texts of the same lengths) into a
// table without keys or indexes, through the same bulk path the import
// stages through, in batches of the same size; it returns rows/s. It is the
// engine's plain-insert ceiling that the import is compared with.
func ceiling(b *testing.B, db *sqldb.DB, n int) float64 {
	ctx := context.Background()
	cols := make([]string, 28)
	defs := make([]string, 28)
	for i := range cols {
		cols[i] = fmt.Sprintf("c%d", i)
		typ := "TEXT"
		if i < 8 {
			typ = "BIGINT"
		}
		defs[i] = cols[i] + " " + typ
	}
	if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE bench_ceiling (`+strings.Join(defs, ", ")+`)`)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	target := sqldb.Bulk{Table: "bench_ceiling", Columns: cols}
	start := time.Now()
	batch := make([][]any, 0, 5000)
	flush := func() {
		if err := db.InTx(ctx, func(tx *sqldb.Tx) error { return tx.WriteRows(ctx, target, batch) }); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := 0; i < n; i++ {
		r := benchRow(i)
		row := []any{int64(1), int64(i), int64(i % 3), int64(31000), int64(28000), int64(i), int64(i), int64(1)}
		for j := 0; j < 20; j++ {
			row = append(row, r[j%len(r)])
		}
		batch = append(batch, row)
		if len(batch) == cap(batch) {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkImport100k imports an 11번가 sheet (CSV, 100,000 rows unless
// ORDERDESK_BENCH_IMPORT_ROWS says otherwise) read from a file into an empty
// database. It reports rows/s, the peak Go heap sampled during the import,
// and the ratio to the engine's plain-insert ceiling measured in the same
// run (see ceiling).
func BenchmarkImport100k(b *testing.B) {
	for _, n := range benchSizes() {
		file, size := writeSheet(b, n)
		for _, engine := range sqldbtest.Engines() {
			b.Run(fmt.Sprintf("%s/%d", engine, n), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					db := sqldbtest.Open(b, engine)
					ceil := ceiling(b, db, n)
					svc := newService(b, db)
					svc.Limits = sheet.Limits{MaxBytes: 1 << 40, MaxRows: n, MaxUncompressed: 1 << 30}
					runtime.GC()
					stop := meter.PeakHeap(10 * time.Millisecond)
					b.StartTimer()
					start := time.Now()
					_, imp, err := svc.Import(context.Background(), sys, market.ImportInput{Marketplace: "11st", Filename: "big.csv", Reader: file, Size: size})
					elapsed := time.Since(start)
					b.StopTimer()
					peak := stop()
					if err != nil || imp.Inserted != n {
						b.Fatalf("import: %+v %v", imp, err)
					}
					rate := float64(n) / elapsed.Seconds()
					b.ReportMetric(rate, "rows/s")
					b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
					b.ReportMetric(ceil, "ceiling-rows/s")
					b.ReportMetric(rate/ceil, "of-ceiling")
					b.StartTimer()
				}
			})
		}
	}
}
