//go:build unix

package meter

import (
	"syscall"
	"time"
)

// CPU is the CPU time (user and system) the process has used so far: on a
// shared machine it says more than the wall time does.
func CPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
