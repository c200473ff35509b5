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
//
// An attempt counts as a failure before its password is checked (Reserve),
// and is forgotten only when it succeeds: so concurrent attempts cannot all
// read "under the limit" before any of them is counted.
type Throttle struct {
	MaxFailures int
	Window      time.Duration

	mu       sync.Mutex
	seq      uint64
	failures map[string][]attempt
}

type attempt struct {
	at time.Time
	id uint64
}

// NewThrottle returns a throttle of 5 failures per 15 minutes.
func NewThrottle() *Throttle {
	return &Throttle{MaxFailures: 5, Window: 15 * time.Minute, failures: map[string][]attempt{}}
}

func keys(login, ip string) []string {
	return []string{"login:" + strings.ToLower(login), "ip:" + ip}
}

// Reservation is one attempt counted in advance; unless Succeed or Cancel is
// called, it stays counted as a failure.
type Reservation struct {
	t         *Throttle
	login, ip string
	id        uint64
}

// Reserve counts an attempt for login from ip at once, as a failure, and
// returns it; ok is false (and nothing is counted) when the login or the
// address already has MaxFailures within the window.
func (t *Throttle) Reserve(login, ip string, now time.Time) (*Reservation, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failures == nil {
		t.failures = map[string][]attempt{}
	}
	ks := keys(login, ip)
	for _, k := range ks {
		if len(t.recent(k, now)) >= t.MaxFailures {
			return nil, false
		}
	}
	t.seq++
	r := &Reservation{t: t, login: login, ip: ip, id: t.seq}
	for _, k := range ks {
		t.failures[k] = append(t.recent(k, now), attempt{at: now, id: r.id})
	}
	if len(t.failures) > 100000 { // bound memory under a spray of logins
		for k, v := range t.failures {
			if len(v) == 0 || now.Sub(v[len(v)-1].at) > t.Window {
				delete(t.failures, k)
			}
		}
	}
	return r, true
}

// Succeed forgets the failures of the login and this attempt of the address.
func (r *Reservation) Succeed() {
	if r == nil {
		return
	}
	r.t.mu.Lock()
	defer r.t.mu.Unlock()
	delete(r.t.failures, keys(r.login, r.ip)[0])
	r.t.drop(keys(r.login, r.ip)[1], r.id)
}

// Cancel forgets this attempt: its password was never checked.
func (r *Reservation) Cancel() {
	if r == nil {
		return
	}
	r.t.mu.Lock()
	defer r.t.mu.Unlock()
	for _, k := range keys(r.login, r.ip) {
		r.t.drop(k, r.id)
	}
}

func (t *Throttle) drop(k string, id uint64) {
	all := t.failures[k]
	for i, a := range all {
		if a.id == id {
			t.failures[k] = append(all[:i:i], all[i+1:]...)
			return
		}
	}
}

func (t *Throttle) recent(k string, now time.Time) []attempt {
	all := t.failures[k]
	i := 0
	for i < len(all) && now.Sub(all[i].at) > t.Window {
		i++
	}
	return all[i:]
}
