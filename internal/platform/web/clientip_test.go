package web

import (
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	proxies, err := ParseProxies("10.0.0.0/8, 192.168.1.1, ::1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, remote string
		xff          []string
		trusted      bool
		want         string
	}{
		{"no config: peer", "203.0.113.9:5000", []string{"198.51.100.1"}, false, "203.0.113.9"},
		{"no config: a proxy's header is ignored too", "10.0.0.2:5000", []string{"198.51.100.1"}, false, "10.0.0.2"},
		{"untrusted peer's header is ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, true, "203.0.113.9"},
		{"trusted proxy: the client", "10.0.0.2:5000", []string{"198.51.100.1"}, true, "198.51.100.1"},
		{"spoofed left part is skipped", "10.0.0.2:5000", []string{"1.1.1.1, 198.51.100.1"}, true, "198.51.100.1"},
		{"chain of trusted proxies", "10.0.0.2:5000", []string{"1.1.1.1, 198.51.100.1, 10.0.0.7", "192.168.1.1"}, true, "198.51.100.1"},
		{"garbage after the client", "10.0.0.2:5000", []string{"junk, 198.51.100.1"}, true, "198.51.100.1"},
		{"garbage from the proxy: the proxy", "10.0.0.2:5000", []string{"junk"}, true, "10.0.0.2"},
		{"no header: the proxy", "10.0.0.2:5000", nil, true, "10.0.0.2"},
		{"ipv6 loopback proxy", "[::1]:5000", []string{"2001:db8::1"}, true, "2001:db8::1"},
		{"mapped v4", "[::ffff:10.0.0.2]:5000", []string{"198.51.100.1"}, true, "198.51.100.1"},
		{"hop with port", "10.0.0.2:5000", []string{"198.51.100.1:4711"}, true, "198.51.100.1"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		var tr = proxies
		if !tt.trusted {
			tr = nil
		}
		if got := ClientIP(r, tr); got != tt.want {
			t.Errorf("%s: ClientIP = %q, want %q", tt.name, got, tt.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "nonsense", "10.0.0.1/8/1"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q) accepted", bad)
		}
	}
}
