package config

import (
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

func TestValidate(t *testing.T) {
	env := map[string]string{"ORDERDESK_DB": "postgres://postgres@127.0.0.1:5432/od", "ORDERDESK_SECRET_KEY": "x"}
	c := Default().FromEnv(func(k string) string { return env[k] })
	if c.DB != env["ORDERDESK_DB"] {
		t.Fatalf("env not read: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"malformed dsn", func(c *Config) { c.DB = "postgres//nohost" }},
		{"unknown engine", func(c *Config) { c.DB = "mysql://root@x/db" }},
		{"bad addr", func(c *Config) { c.Addr = "8080" }},
		{"bad level", func(c *Config) { c.LogLevel = "loud" }},
		{"bad format", func(c *Config) { c.LogFormat = "xml" }},
		{"postgres without key", func(c *Config) { c.SecretKey = "" }},
		{"bad trusted proxies", func(c *Config) { c.TrustedProxies = "10.0.0.0/33" }},
	}
	for _, tt := range tests {
		c := c
		tt.edit(&c)
		if err := c.Validate(); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("%s: %v, want invalid", tt.name, err)
		}
	}
	if got := Default().KeyFile(); got != "orderdesk.db.key" {
		t.Errorf("KeyFile = %q", got)
	}
}

func TestConfirmDays(t *testing.T) {
	c := Default()
	if d, err := c.ConfirmAfter(); err != nil || d != 7*24*time.Hour {
		t.Fatalf("default: %v %v", d, err)
	}
	c = c.FromEnv(func(k string) string {
		if k == "ORDERDESK_CONFIRM_DAYS" {
			return "14"
		}
		return ""
	})
	if d, err := c.ConfirmAfter(); err != nil || d != 14*24*time.Hour {
		t.Fatalf("14 days: %v %v", d, err)
	}
	for _, bad := range []string{"0", "x", "366", "-1"} {
		c.ConfirmDays = bad
		if err := c.Validate(); err == nil {
			t.Errorf("ORDERDESK_CONFIRM_DAYS=%s accepted", bad)
		}
	}
}
