// Package meter measures a process for benchmarks: the peak of the Go heap
// while something runs, and the CPU time the process has used.
package meter

import (
	"runtime"
	"sync/atomic"
	"time"
)

// PeakHeap samples the Go heap (runtime.MemStats.HeapAlloc: live objects and
// those not yet collected) every interval until the returned function is
// called, and that function returns the largest value seen.
func PeakHeap(every time.Duration) (stop func() uint64) {
	var peak atomic.Uint64
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}
