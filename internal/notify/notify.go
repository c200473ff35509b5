// Package notify sends SMS through an outbox: a message is written in the
// transaction of the change it reports and sent after commit, retried with
// backoff until the provider takes it.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// Provider sends one SMS.
type Provider interface {
	Send(ctx context.Context, phone, body string) error
}

// LogProvider only logs messages: the default, so that nothing leaves the
// machine until a real provider is configured.
type LogProvider struct{ Log *slog.Logger }

// Send implements Provider.
func (p LogProvider) Send(ctx context.Context, phone, body string) error {
	p.Log.InfoContext(ctx, "sms (log provider)", "to", phone, "body", body)
	return nil
}

// Aligo speaks the Aligo SMS API (POST /send/ with key, user_id, sender,
// receiver, msg; the answer's result_code is 1 on success).
type Aligo struct {
	BaseURL string // https://apis.aligo.in unless testing
	Key     string
	UserID  string
	Sender  string
	Client  *http.Client
}

// Send implements Provider.
func (a *Aligo) Send(ctx context.Context, phone, body string) error {
	form := url.Values{"key": {a.Key}, "user_id": {a.UserID}, "sender": {a.Sender}, "receiver": {phone}, "msg": {body}}
	base := a.BaseURL
	if base == "" {
		base = "https://apis.aligo.in"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/send/", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := a.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var ans struct {
		ResultCode json.Number `json:"result_code"`
		Message    string      `json:"message"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &ans) != nil {
		return fmt.Errorf("sms provider: HTTP %d %s", resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	if ans.ResultCode.String() != "1" {
		return fmt.Errorf("sms provider: %s %s", ans.ResultCode, ans.Message)
	}
	return nil
}

// Outbox queues and sends messages.
type Outbox struct {
	DB       *sqldb.DB
	Provider Provider
	Now      func() time.Time
	Log      *slog.Logger
	MaxTries int // default 8

	once sync.Once
	kick chan struct{}
}

func (o *Outbox) init() { o.once.Do(func() { o.kick = make(chan struct{}, 1) }) }

// NotMobileNote is what a record says when its SMS was not sent because the
// number is not a mobile phone's.
const NotMobileNote = "휴대전화 번호가 아니어서 문자를 보내지 않았습니다"

// Mobile reports whether phone is a Korean mobile number (010, 011, 016,
// 017, 018, 019; written with or without hyphens, or as +82 10 …), the
// only numbers an SMS can reach; a landline (02-…, 031-…) or an internet
// phone (070-…) is not one.
func Mobile(phone string) bool {
	var d []byte
	for _, r := range phone {
		switch {
		case r >= '0' && r <= '9':
			d = append(d, byte(r))
		case r == '-' || r == ' ' || r == '.' || r == '(' || r == ')' || r == '+':
		default:
			return false
		}
	}
	s := string(d)
	if strings.HasPrefix(strings.TrimSpace(phone), "+") {
		rest, ok := strings.CutPrefix(s, "82")
		if !ok {
			return false
		}
		s = "0" + strings.TrimPrefix(rest, "0")
	}
	if len(s) < 10 || len(s) > 11 || s[:2] != "01" {
		return false
	}
	switch s[2] {
	case '0':
		return len(s) == 11
	case '1', '6', '7', '8', '9':
		return true
	}
	return false
}

// Enqueue writes a message in the caller's transaction and wakes the sender
// once that transaction commits. A number that is not a mobile phone's is
// skipped (nothing is queued); callers that must say so check Mobile first.
func (o *Outbox) Enqueue(ctx context.Context, tx *sqldb.Tx, phone, body, ref string) error {
	if !Mobile(phone) {
		if o.Log != nil {
			o.Log.InfoContext(ctx, "sms skipped: not a mobile number", "ref", ref)
		}
		return nil
	}
	now := sqldb.Instant(o.Now())
	if _, err := tx.ExecContext(ctx, `INSERT INTO sms_outbox (phone, body, next_at, ref, created_at) VALUES ($1, $2, $3, $4, $3)`,
		phone, body, now, ref); err != nil {
		return fmt.Errorf("sms outbox: %w", err)
	}
	tx.AfterCommit(o.Kick)
	return nil
}

// Kick wakes the sender.
func (o *Outbox) Kick() {
	o.init()
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Run sends due messages until ctx ends, waking on Kick or every interval.
func (o *Outbox) Run(ctx context.Context, interval time.Duration) {
	o.init()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := o.SendDue(ctx); err != nil && ctx.Err() == nil {
			o.Log.ErrorContext(ctx, "sms outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-o.kick:
		}
	}
}

// SendDue sends the messages that are due and returns how many were sent.
// A failure is retried later with exponential backoff; after MaxTries the
// message is marked failed.
func (o *Outbox) SendDue(ctx context.Context) (int, error) {
	now := sqldb.Instant(o.Now())
	rows, err := o.DB.Read().QueryContext(ctx, `SELECT id, phone, body, attempts FROM sms_outbox WHERE status = 'pending' AND next_at <= $1 ORDER BY id LIMIT 100`, now)
	if err != nil {
		return 0, err
	}
	type msg struct {
		id          int64
		phone, body string
		attempts    int
	}
	var due []msg
	for rows.Next() {
		var m msg
		if err := rows.Scan(&m.id, &m.phone, &m.body, &m.attempts); err != nil {
			rows.Close()
			return 0, err
		}
		due = append(due, m)
	}
	rows.Close()
	maxTries := o.MaxTries
	if maxTries == 0 {
		maxTries = 8
	}
	sent := 0
	for _, m := range due {
		sendErr := o.Provider.Send(ctx, m.phone, m.body)
		err := o.DB.InTx(ctx, func(tx *sqldb.Tx) error {
			if sendErr == nil {
				_, err := tx.ExecContext(ctx, `UPDATE sms_outbox SET status = 'sent', attempts = attempts + 1, sent_at = $1, last_error = '' WHERE id = $2`, now, m.id)
				return err
			}
			status := "pending"
			if m.attempts+1 >= maxTries {
				status = "failed"
			}
			next := now.Add(time.Duration(1<<min(m.attempts, 10)) * 30 * time.Second)
			_, err := tx.ExecContext(ctx, `UPDATE sms_outbox SET status = $1, attempts = attempts + 1, next_at = $2, last_error = $3 WHERE id = $4`,
				status, next, sendErr.Error(), m.id)
			return err
		})
		if err != nil {
			return sent, err
		}
		if sendErr == nil {
			sent++
		} else {
			o.Log.WarnContext(ctx, "sms not sent; will retry", "id", m.id, "err", sendErr)
		}
	}
	return sent, nil
}
