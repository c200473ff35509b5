package market_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

func sheet100k(n int) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"주문번호", "주문순번", "결제일시", "판매자 상품코드", "상품명", "옵션", "수량", "주문금액", "판매방식", "배송비결제방식", "구매자",
		"수취인", "휴대폰번호", "전화번호", "우편번호", "주소", "배송메시지", "주문상태", "판매단가", "서비스이용료", "정산예정금액", "옵션가", "배송비"})
	for i := 0; i < n; i++ {
		_ = w.Write([]string{fmt.Sprint(202510130000000 + i/3), fmt.Sprint(i%3 + 1), "2025-10-13 09:40:12", fmt.Sprintf("BK-%03d", i%500),
			"교재 " + fmt.Sprint(i%500), "", fmt.Sprint(1 + i%3), "31,000", "고정가", "선결제", "구매자", fmt.Sprint("수취인", i/3),
			"010-0000-0000", "", "06236", "서울특별시 강남구 테헤란로 152", "", "배송준비중", "28,000", "3,720", "27,280", "0", "0"})
	}
	w.Flush()
	return buf.Bytes()
}

// BenchmarkImport100k imports 100,000 rows of an 11번가 sheet (CSV) into an
// empty database; it reports rows per second and the peak heap.
func BenchmarkImport100k(b *testing.B) {
	const n = 100_000
	data := sheet100k(n)
	for _, engine := range sqldbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := sqldbtest.Open(b, engine)
				svc := newService(b, db)
				runtime.GC()
				var peak atomic.Uint64
				stop := make(chan struct{})
				go func() {
					var ms runtime.MemStats
					for {
						runtime.ReadMemStats(&ms)
						if ms.HeapAlloc > peak.Load() {
							peak.Store(ms.HeapAlloc)
						}
						select {
						case <-stop:
							return
						case <-time.After(20 * time.Millisecond):
						}
					}
				}()
				b.StartTimer()
				start := time.Now()
				_, imp, err := svc.Import(context.Background(), sys, market.ImportInput{Marketplace: "11st", Filename: "big.csv", Data: data})
				elapsed := time.Since(start)
				b.StopTimer()
				close(stop)
				if err != nil || imp.Inserted != n {
					b.Fatalf("import: %+v %v", imp, err)
				}
				b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
				b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
				b.StartTimer()
			}
		})
	}
}
