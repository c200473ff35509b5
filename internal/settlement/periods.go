package settlement

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// 정산마감. A marketplace's month can be closed: from then on its figures do
// not change. Recompute refuses a range touching it (409 naming the month),
// settling during an import leaves its lines' rows as they are, and a later
// cancellation of one of its lines is booked as an adjustment row
// (settlement_adjustments) dated in the open month: the closed line keeps its
// row, and the reports add the adjustment on its own day. Reopening (a
// super_admin, with a reason) lets recompute touch the month again; the
// adjustments already booked stay where they are.

// Period is a marketplace month's closing state.
type Period struct {
	Marketplace string    `json:"marketplace"`
	Month       string    `json:"month"`
	Closed      bool      `json:"closed"`
	Reason      string    `json:"reason"`
	ChangedBy   string    `json:"changed_by"`
	ChangedAt   time.Time `json:"changed_at"`
}

var monthPattern = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// ClosedMonths returns the closed months (YYYY-MM) of a marketplace.
func ClosedMonths(ctx context.Context, q sqldb.Querier, marketplaceID int64) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT month FROM settlement_periods WHERE marketplace_id = $1 AND closed = TRUE`, marketplaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		out[m] = true
	}
	return out, rows.Err()
}

// Periods lists the months closed or reopened of a marketplace ("" for all).
func (s *Service) Periods(ctx context.Context, marketplace string) ([]Period, error) {
	var w sqldb.Where
	if marketplace != "" {
		w.Add("m.code = ?", marketplace)
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT m.code, p.month, p.closed, p.reason, p.changed_by, p.changed_at
		FROM settlement_periods p JOIN marketplaces m ON m.id = p.marketplace_id`+w.SQL()+` ORDER BY p.month DESC, m.code`, w.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Period{}
	for rows.Next() {
		var p Period
		if err := rows.Scan(&p.Marketplace, &p.Month, &p.Closed, &p.Reason, &p.ChangedBy, &p.ChangedAt); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ClosePeriod closes a marketplace's month (정산마감), audited with its reason.
func (s *Service) ClosePeriod(ctx context.Context, a access.Actor, marketplace, month, reason string) (Period, error) {
	if a.Role == access.Viewer {
		return Period{}, access.ErrReadOnly
	}
	return s.setPeriod(ctx, a, marketplace, month, reason, true)
}

// ReopenPeriod reopens a closed month: a super_admin only, with a reason, audited.
func (s *Service) ReopenPeriod(ctx context.Context, a access.Actor, marketplace, month, reason string) (Period, error) {
	if a.Role != access.SuperAdmin {
		return Period{}, apperr.New(apperr.Forbidden, "마감된 달을 다시 여는 것은 최고 관리자만 할 수 있습니다.", "only a super_admin reopens a closed month")
	}
	return s.setPeriod(ctx, a, marketplace, month, reason, false)
}

func (s *Service) setPeriod(ctx context.Context, a access.Actor, marketplace, month, reason string, closed bool) (Period, error) {
	reason = strings.TrimSpace(reason)
	var fe apperr.Fields
	if !monthPattern.MatchString(month) {
		fe.Add("month", "달은 YYYY-MM 형식입니다.", "month is YYYY-MM")
	}
	if reason == "" {
		fe.Add("reason", "사유를 입력해 주세요.", "a reason is required")
	} else if len([]rune(reason)) > 500 {
		fe.Add("reason", "사유는 500자까지입니다.", "reason is at most 500 characters")
	}
	if err := fe.Err(); err != nil {
		return Period{}, err
	}
	var mpID int64
	if err := s.DB.Read().QueryRowContext(ctx, `SELECT id FROM marketplaces WHERE code = $1`, marketplace).Scan(&mpID); err != nil {
		return Period{}, sqldb.NotFound(err, "판매처 "+marketplace, "marketplace "+marketplace)
	}
	now := sqldb.Instant(s.Now())
	p := Period{Marketplace: marketplace, Month: month, Closed: closed, Reason: reason, ChangedBy: a.Login, ChangedAt: now}
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		var was bool
		err := tx.QueryRowContext(ctx, `SELECT closed FROM settlement_periods WHERE marketplace_id = $1 AND month = $2`, mpID, month).Scan(&was)
		if err != nil && !apperr.IsNotFound(sqldb.NotFound(err, "", "")) {
			return err
		}
		if was == closed {
			if closed {
				return apperr.New(apperr.Conflict, fmt.Sprintf("%s %s은(는) 이미 마감되었습니다.", marketplace, month), "the month is closed already")
			}
			return apperr.New(apperr.Conflict, fmt.Sprintf("%s %s은(는) 마감된 달이 아닙니다.", marketplace, month), "the month is not closed")
		}
		if closed {
			// A running recompute of the month would change it after the close.
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM settlement_jobs WHERE status = 'running' AND lease_until >= $1 AND from_day <= $2 AND to_day >= $3
				AND (marketplace = '' OR marketplace = $4) ORDER BY id LIMIT 1`, now, month+"-31", month+"-01", marketplace).Scan(&id)
			if err == nil {
				return apperr.New(apperr.Conflict, fmt.Sprintf("이 달의 정산 재생성 #%d이 진행 중입니다. 끝난 뒤 마감해 주세요.", id), "a recompute of the month is running")
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settlement_periods (marketplace_id, month, closed, reason, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (marketplace_id, month) DO UPDATE SET closed = excluded.closed, reason = excluded.reason, changed_by = excluded.changed_by,
			changed_at = excluded.changed_at`, mpID, month, closed, reason, a.Login, now); err != nil {
			return err
		}
		action := "settlement.period.close"
		if !closed {
			action = "settlement.period.reopen"
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: action, Entity: "settlement_period", EntityID: marketplace + "/" + month,
			Before: map[string]any{"closed": was}, After: p})
	})
	return p, err
}

// closedIn returns the first closed month touched by the days from..to of a
// marketplace (any marketplace when it is ""), or "".
func closedIn(ctx context.Context, q sqldb.Querier, from, to, marketplace string) (string, string, error) {
	var w sqldb.Where
	w.Add("p.closed = TRUE AND p.month >= ? AND p.month <= ?", from[:7], to[:7])
	if marketplace != "" {
		w.Add("m.code = ?", marketplace)
	}
	var month, code string
	err := q.QueryRowContext(ctx, `SELECT p.month, m.code FROM settlement_periods p JOIN marketplaces m ON m.id = p.marketplace_id`+w.SQL()+
		` ORDER BY p.month, m.code LIMIT 1`, w.Args()...).Scan(&month, &code)
	if apperr.IsNotFound(sqldb.NotFound(err, "", "")) {
		return "", "", nil
	}
	return month, code, err
}

// LateCancel books the cancellation of a line of a closed month as an
// adjustment in the open month (market import's cancel path calls it in its
// transaction). It reports whether the line's cancellation goes through an
// adjustment: its month is closed, or it was closed when the cancellation was
// booked (the month reopened since: the adjustment still carries it, and
// cancelling the line too would take its money off the reports twice). When
// it does not, nothing is written and the caller cancels the line as usual.
// The adjustment reverses the line's stored settlement on today (or, if
// today's month is closed too, the first day of the next open month);
// booking it twice writes nothing.
func (s *Service) LateCancel(ctx context.Context, tx *sqldb.Tx, marketplaceID, lineID int64, orderDay, today string) (closed, booked bool, err error) {
	months, err := ClosedMonths(ctx, tx, marketplaceID)
	if err != nil {
		return false, false, err
	}
	if len(orderDay) < 7 || !months[orderDay[:7]] {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM settlement_adjustments WHERE market_order_id = $1 AND kind = 'cancel'`, lineID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, false, nil
		}
		return err == nil, false, err
	}
	day := today
	for months[day[:7]] {
		t, err := kst.ParseDay(day[:7] + "-01")
		if err != nil {
			return true, false, err
		}
		day = kst.Day(t.AddDate(0, 1, 0))
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO settlement_adjustments (market_order_id, marketplace_id, day, kind, sale, settle, prepaid, margin, note, created_at)
		SELECT o.id, o.marketplace_id, $1, 'cancel', -COALESCE(st.sale, 0), -COALESCE(st.settle, 0), -COALESCE(st.prepaid, 0), -COALESCE(st.margin, 0), $2, $3
		FROM market_orders o LEFT JOIN market_settlements st ON st.market_order_id = o.id WHERE o.id = $4
		ON CONFLICT (market_order_id, kind) DO NOTHING`, day, "마감월("+orderDay[:7]+") 주문 취소", sqldb.Instant(s.Now()), lineID)
	if err != nil {
		return true, false, err
	}
	n, _ := res.RowsAffected()
	return true, n == 1, nil
}

// Adjustment is a closed month's line changed later, booked on an open day.
type Adjustment struct {
	ID            int64  `json:"id"`
	MarketOrderID int64  `json:"market_order_id"`
	Marketplace   string `json:"marketplace"`
	Day           string `json:"day"`
	Kind          string `json:"kind"`
	Sale          int64  `json:"sale"`
	Settle        int64  `json:"settle"`
	Prepaid       int64  `json:"prepaid"`
	Margin        int64  `json:"margin"`
	Note          string `json:"note"`
}

// Adjustments lists the adjustments booked on the days from..to.
func (s *Service) Adjustments(ctx context.Context, from, to, marketplace string) ([]Adjustment, error) {
	var w sqldb.Where
	w.Add("a.day >= ? AND a.day <= ?", from, to)
	if marketplace != "" {
		w.Add("m.code = ?", marketplace)
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT a.id, a.market_order_id, m.code, a.day, a.kind, a.sale, a.settle, a.prepaid, a.margin, a.note
		FROM settlement_adjustments a JOIN marketplaces m ON m.id = a.marketplace_id`+w.SQL()+` ORDER BY a.day, a.id`, w.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Adjustment{}
	for rows.Next() {
		var a Adjustment
		if err := rows.Scan(&a.ID, &a.MarketOrderID, &a.Marketplace, &a.Day, &a.Kind, &a.Sale, &a.Settle, &a.Prepaid, &a.Margin, &a.Note); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
