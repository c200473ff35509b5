// Package config reads orderdesk's settings from flags and ORDERDESK_*
// variables (a flag wins over its variable) and validates them at start.
package config

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/web"
)

// Config is every setting of one run.
type Config struct {
	DB            string // ORDERDESK_DB: sqlite:PATH or postgres://…
	Addr          string // ORDERDESK_ADDR: listen address of serve
	SecretKey     string // ORDERDESK_SECRET_KEY: 32 bytes as hex or base64
	SecretKeyFile string // ORDERDESK_SECRET_KEY_FILE: default PATH.key beside an SQLite file
	AdminPassword string // ORDERDESK_ADMIN_PASSWORD: password of the first admin
	LogLevel      string // ORDERDESK_LOG_LEVEL: debug, info, warn, error
	LogFormat     string // ORDERDESK_LOG_FORMAT: text or json
	TossSecretKey string // ORDERDESK_TOSS_SECRET_KEY: enables the toss gateway
	TossURL       string // ORDERDESK_TOSS_URL: Toss Payments API base (default https://api.tosspayments.com)
	SMSProvider   string // ORDERDESK_SMS_PROVIDER: log (default) or aligo
	SMSKey        string // ORDERDESK_SMS_KEY, ORDERDESK_SMS_USER, ORDERDESK_SMS_SENDER: the aligo account
	SMSUser       string
	SMSSender     string
	SMSURL        string // ORDERDESK_SMS_URL: provider API base, for testing
	// TrustedProxies (ORDERDESK_TRUSTED_PROXIES, --trusted-proxies): comma-separated
	// CIDRs of the reverse proxies whose X-Forwarded-For names the client.
	TrustedProxies string
	// ConfirmDays (ORDERDESK_CONFIRM_DAYS): days after 배송완료 when an item
	// becomes 구매확정 by the job inside serve; default 7.
	ConfirmDays string
}

// Default is the configuration with nothing set.
func Default() Config {
	return Config{DB: "sqlite:orderdesk.db", Addr: "127.0.0.1:8080", LogLevel: "info", LogFormat: "text"}
}

// FromEnv overlays the ORDERDESK_* variables on c.
func (c Config) FromEnv(getenv func(string) string) Config {
	for name, dst := range map[string]*string{
		"ORDERDESK_DB": &c.DB, "ORDERDESK_ADDR": &c.Addr, "ORDERDESK_SECRET_KEY": &c.SecretKey,
		"ORDERDESK_SECRET_KEY_FILE": &c.SecretKeyFile, "ORDERDESK_ADMIN_PASSWORD": &c.AdminPassword,
		"ORDERDESK_LOG_LEVEL": &c.LogLevel, "ORDERDESK_LOG_FORMAT": &c.LogFormat,
		"ORDERDESK_TOSS_SECRET_KEY": &c.TossSecretKey, "ORDERDESK_TOSS_URL": &c.TossURL,
		"ORDERDESK_SMS_PROVIDER": &c.SMSProvider, "ORDERDESK_SMS_KEY": &c.SMSKey, "ORDERDESK_SMS_USER": &c.SMSUser,
		"ORDERDESK_SMS_SENDER": &c.SMSSender, "ORDERDESK_SMS_URL": &c.SMSURL,
		"ORDERDESK_TRUSTED_PROXIES": &c.TrustedProxies,
		"ORDERDESK_CONFIRM_DAYS":    &c.ConfirmDays,
	} {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	return c
}

// Load returns the defaults overlaid by the environment.
func Load() Config { return Default().FromEnv(os.Getenv) }

// Register adds the flags common to every command to fs, writing into c.
func (c *Config) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.DB, "db", c.DB, "database: sqlite:PATH or postgres://USER@HOST:PORT/DB (ORDERDESK_DB)")
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", c.SecretKeyFile, "file with the 32-byte key that encrypts personal data (ORDERDESK_SECRET_KEY_FILE)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (ORDERDESK_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json (ORDERDESK_LOG_FORMAT)")
}

// Validate checks every setting and says what is wrong in one line.
func (c Config) Validate() error {
	engine, path, err := sqldb.ParseDSN(c.DB)
	if err != nil {
		return err
	}
	if c.Addr != "" {
		if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
			return invalid("--addr", fmt.Sprintf("listen address %q must be HOST:PORT, e.g. 127.0.0.1:8080", c.Addr))
		}
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return invalid("--log-format", fmt.Sprintf("log format %q must be text or json", c.LogFormat))
	}
	if engine == sqldb.Postgres && c.SecretKey == "" && c.SecretKeyFile == "" {
		return invalid("ORDERDESK_SECRET_KEY", "on PostgreSQL set ORDERDESK_SECRET_KEY or --secret-key-file (a key beside the database file exists only for SQLite)")
	}
	_ = path
	if _, err := c.Proxies(); err != nil {
		return err
	}
	if _, err := c.ConfirmAfter(); err != nil {
		return err
	}
	switch c.SMSProvider {
	case "", "log":
	case "aligo":
		if c.SMSKey == "" || c.SMSUser == "" || c.SMSSender == "" {
			return invalid("ORDERDESK_SMS_PROVIDER", "aligo needs ORDERDESK_SMS_KEY, ORDERDESK_SMS_USER and ORDERDESK_SMS_SENDER")
		}
	default:
		return invalid("ORDERDESK_SMS_PROVIDER", fmt.Sprintf("SMS provider %q must be log or aligo", c.SMSProvider))
	}
	return nil
}

// TrustedProxiesHelp describes --trusted-proxies.
const TrustedProxiesHelp = "comma-separated CIDRs of reverse proxies (e.g. 10.0.0.0/8,::1); only behind them is X-Forwarded-For read for the client address of the login limit (ORDERDESK_TRUSTED_PROXIES; default none)"

// Proxies parses TrustedProxies.
func (c Config) Proxies() ([]netip.Prefix, error) {
	p, err := web.ParseProxies(c.TrustedProxies)
	if err != nil {
		return nil, invalid("--trusted-proxies", fmt.Sprintf("%q must be comma-separated CIDRs such as 10.0.0.0/8 or addresses (%v)", c.TrustedProxies, err))
	}
	return p, nil
}

// KeyFile is where the encryption key lives when no key is given.
func (c Config) KeyFile() string {
	if c.SecretKeyFile != "" {
		return c.SecretKeyFile
	}
	if engine, path, err := sqldb.ParseDSN(c.DB); err == nil && engine == sqldb.SQLite {
		return path + ".key"
	}
	return ""
}

// ParseLevel reads a log level.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, invalid("--log-level", fmt.Sprintf("log level %q must be debug, info, warn or error", s))
	}
	return l, nil
}

func invalid(setting, why string) error {
	return apperr.New(apperr.Invalid, "설정 "+setting+"이(가) 올바르지 않습니다: "+why, setting+": "+why)
}

// ConfirmAfter is how long after 배송완료 an item becomes 구매확정
// (ORDERDESK_CONFIRM_DAYS, 1 to 365 days; 7 when unset).
func (c Config) ConfirmAfter() (time.Duration, error) {
	if c.ConfirmDays == "" {
		return 7 * 24 * time.Hour, nil
	}
	n, err := strconv.Atoi(c.ConfirmDays)
	if err != nil || n < 1 || n > 365 {
		return 0, invalid("ORDERDESK_CONFIRM_DAYS", fmt.Sprintf("confirm days %q must be a whole number of days from 1 to 365", c.ConfirmDays))
	}
	return time.Duration(n) * 24 * time.Hour, nil
}
