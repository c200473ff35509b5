// Package notify sends SMS through an outbox: a message is written in the
// transaction of the change it reports and sent after commit, retried with
// backoff until the provider takes it. Several processes may send from one
// outbox: each message is claimed by one sender before it is sent.
package notify

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	// Holder names this process in its claims (default host:pid:start).
	Holder string

	once       sync.Once
	kick       chan struct{}
	holderOnce sync.Once
	claims     atomic.Int64 // numbers this process's claims
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

// Claims: several senders (one per orderdesk process) share one outbox. A
// sender claims a few due messages at a time by one conditional UPDATE …
// RETURNING that writes its claim token and moves their next_at forward by
// ClaimLease; a message already claimed (next_at in the future) is not due,
// so two senders never hold the same message. The answer is recorded only
// under the same claim. A sender that dies between the provider's answer and
// the record leaves its messages to be sent again once the lease has passed:
// at least once, exactly once in every other case.
const (
	// ClaimBatch is how many messages one claim takes.
	ClaimBatch = 10
	// SendTimeout bounds one provider call.
	SendTimeout = 20 * time.Second
	// ClaimLease is how long a claim holds its messages: long enough to send
	// the whole batch one after the other.
	ClaimLease = ClaimBatch*SendTimeout + time.Minute
)

type claimed struct {
	id          int64
	phone, body string
	attempts    int
}

// holder names this sender in its claims: host, process and start.
func (o *Outbox) holder() string {
	o.holderOnce.Do(func() {
		if o.Holder == "" {
			host, _ := os.Hostname()
			o.Holder = fmt.Sprintf("%s:%d:%d", host, os.Getpid(), time.Now().UnixNano())
		}
	})
	return o.Holder
}

// claim takes up to ClaimBatch due messages for token.
func (o *Outbox) claim(ctx context.Context, token string) ([]claimed, error) {
	now := sqldb.Instant(o.Now())
	var out []claimed
	err := o.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		out = out[:0]
		// The outer conditions are checked again on the row as it is when
		// the update reaches it: a message another sender claimed meanwhile
		// is no longer due and is left out.
		rows, err := tx.QueryContext(ctx, `UPDATE sms_outbox SET claim = $1, next_at = $2
			WHERE status = 'pending' AND next_at <= $3
			AND id IN (SELECT id FROM sms_outbox WHERE status = 'pending' AND next_at <= $3 ORDER BY id LIMIT `+fmt.Sprint(ClaimBatch)+`)
			RETURNING id, phone, body, attempts`, token, now.Add(ClaimLease), now)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m claimed
			if err := rows.Scan(&m.id, &m.phone, &m.body, &m.attempts); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	slices.SortFunc(out, func(a, b claimed) int { return cmp.Compare(a.id, b.id) })
	return out, err
}

// release gives claimed messages that were not sent back to the outbox, due
// at once (the process is stopping).
func (o *Outbox) release(token string, left []claimed) error {
	ctx := context.Background()
	now := sqldb.Instant(o.Now())
	return o.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		for _, m := range left {
			if _, err := tx.ExecContext(ctx, `UPDATE sms_outbox SET claim = '', next_at = $1 WHERE id = $2 AND claim = $3 AND status = 'pending'`,
				now, m.id, token); err != nil {
				return err
			}
		}
		return nil
	})
}

// SendDue sends the messages that are due and returns how many were sent.
// A failure is retried later with exponential backoff; after MaxTries the
// message is marked failed.
func (o *Outbox) SendDue(ctx context.Context) (int, error) {
	maxTries := o.MaxTries
	if maxTries == 0 {
		maxTries = 8
	}
	sent := 0
	for {
		token := fmt.Sprintf("%s/%d", o.holder(), o.claims.Add(1))
		batch, err := o.claim(ctx, token)
		for try := 0; err == nil && len(batch) == 0 && try < 5; try++ {
			// Nothing claimed: either nothing is due, or another sender
			// claimed the same messages a moment before (its claim won
			// them all). Look again while messages are still due.
			var due int
			if err = o.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT id FROM sms_outbox WHERE status = 'pending' AND next_at <= $1 LIMIT 1) d`,
				sqldb.Instant(o.Now())).Scan(&due); err != nil || due == 0 {
				break
			}
			batch, err = o.claim(ctx, token)
		}
		if err != nil || len(batch) == 0 {
			return sent, err
		}
		for i, m := range batch {
			if err := ctx.Err(); err != nil {
				return sent, errors.Join(err, o.release(token, batch[i:]))
			}
			// A send under way finishes even when the process stops: its
			// answer is recorded, not left to a second send after the lease.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), SendTimeout)
			sendErr := o.Provider.Send(sctx, m.phone, m.body)
			cancel()
			now := sqldb.Instant(o.Now())
			var recorded bool
			rctx := context.WithoutCancel(ctx)
			err := o.DB.InTx(rctx, func(tx *sqldb.Tx) error {
				var res sql.Result
				var err error
				if sendErr == nil {
					res, err = tx.ExecContext(rctx, `UPDATE sms_outbox SET status = 'sent', attempts = attempts + 1, sent_at = $1, last_error = ''
						WHERE id = $2 AND claim = $3 AND status = 'pending'`, now, m.id, token)
				} else {
					status := "pending"
					if m.attempts+1 >= maxTries {
						status = "failed"
					}
					next := now.Add(time.Duration(1<<min(m.attempts, 10)) * 30 * time.Second)
					res, err = tx.ExecContext(rctx, `UPDATE sms_outbox SET status = $1, attempts = attempts + 1, next_at = $2, last_error = $3, claim = ''
						WHERE id = $4 AND claim = $5 AND status = 'pending'`, status, next, sqldb.Truncate(sendErr.Error(), 500), m.id, token)
				}
				if err != nil {
					return err
				}
				n, err := res.RowsAffected()
				recorded = n == 1
				return err
			})
			if err != nil {
				return sent, errors.Join(err, o.release(token, batch[i+1:]))
			}
			switch {
			case !recorded:
				o.Log.ErrorContext(ctx, "sms claim lost before its answer was recorded (the lease ran out); another sender may send it again",
					"id", m.id, "sent", sendErr == nil)
			case sendErr == nil:
				sent++
			default:
				o.Log.WarnContext(ctx, "sms not sent; will retry", "id", m.id, "err", sendErr)
			}
		}
	}
}
