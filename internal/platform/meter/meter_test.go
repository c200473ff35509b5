package meter_test

import (
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/meter"
)

// TestPeakHeapSeesAnAllocation: a 64 MiB slice kept alive while sampling
// shows in the peak; CPU grows while the process works.
func TestPeakHeapSeesAnAllocation(t *testing.T) {
	stop := meter.PeakHeap(time.Millisecond)
	cpu0 := meter.CPU()
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	time.Sleep(20 * time.Millisecond)
	peak := stop()
	if peak < 64<<20 {
		t.Fatalf("peak heap %d bytes, want at least 64 MiB", peak)
	}
	if buf[len(buf)-1] != byte(len(buf)-1) {
		t.Fatal("buffer changed")
	}
	if cpu := meter.CPU() - cpu0; cpu <= 0 {
		t.Fatalf("CPU time did not grow: %v", cpu)
	}
}
