package staff

import (
	"strings"
	"sync"
	"time"
)

// Throttle limits failed logins: after MaxFailures failures of one login, or
// of one address, within Window, further attempts are refused until Window
// has passed since the earliest of them. It is kept in memory: one orderdesk
// process guards its own door (run one console process, or put the same
// limits on the load balancer).
type Throttle struct {
	MaxFailures int
	Window      time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
}

// NewThrottle returns a throttle of 5 failures per 15 minutes.
func NewThrottle() *Throttle {
	return &Throttle{MaxFailures: 5, Window: 15 * time.Minute, failures: map[string][]time.Time{}}
}

func keys(login, ip string) []string {
	return []string{"login:" + strings.ToLower(login), "ip:" + ip}
}

// Blocked reports whether an attempt for login from ip must be refused now.
func (t *Throttle) Blocked(login, ip string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys(login, ip) {
		if len(t.recent(k, now)) >= t.MaxFailures {
			return true
		}
	}
	return false
}

// Fail records a failed attempt.
func (t *Throttle) Fail(login, ip string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys(login, ip) {
		t.failures[k] = append(t.recent(k, now), now)
	}
	if len(t.failures) > 100000 { // bound memory under a spray of logins
		for k, v := range t.failures {
			if len(v) == 0 || now.Sub(v[len(v)-1]) > t.Window {
				delete(t.failures, k)
			}
		}
	}
}

// Succeed forgets the failures of the login.
func (t *Throttle) Succeed(login string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, "login:"+strings.ToLower(login))
}

func (t *Throttle) recent(k string, now time.Time) []time.Time {
	all := t.failures[k]
	i := 0
	for i < len(all) && now.Sub(all[i]) > t.Window {
		i++
	}
	return all[i:]
}
