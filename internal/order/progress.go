package order

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/units"
)

// Progress units. A course's total is known in hours only (the catalog's
// 총 학습시간, study_hours); sessions are recorded as studied, without a total.
const (
	ProgressHours    = "hours"
	ProgressSessions = "sessions"
)

// ProgressInput is what a learner has studied of one enrollment: hours or
// sessions, exactly one of them. Fractions are allowed (7.5 hours).
type ProgressInput struct {
	Hours    *units.Value `json:"hours,omitempty"`
	Sessions *units.Value `json:"sessions,omitempty"`
}

// Progress is the recorded study of one enrollment.
type Progress struct {
	Unit       string      `json:"unit"`        // hours, sessions, or "" when nothing is recorded
	Studied    units.Value `json:"studied"`     // in that unit
	TotalHours int         `json:"total_hours"` // the course's 총 학습시간; 0 when not known
	At         *time.Time  `json:"recorded_at"`
}

// Enrollment is a learner's place in a course bought by an order item.
type Enrollment struct {
	ID        int64    `json:"id"`
	OrderNo   int64    `json:"order_no"`
	ItemID    int64    `json:"item_id"`
	ProductID int64    `json:"product_id"`
	Site      string   `json:"site"`
	Status    string   `json:"status"`
	Progress  Progress `json:"progress"`
}

const enrollmentColumns = `e.id, o.order_no, e.order_item_id, e.product_id, o.site, e.status, e.progress_unit, e.progress, e.progress_at, p.study_hours`

func scanEnrollment(row interface{ Scan(...any) error }) (Enrollment, error) {
	var e Enrollment
	var at sql.NullTime
	err := row.Scan(&e.ID, &e.OrderNo, &e.ItemID, &e.ProductID, &e.Site, &e.Status, &e.Progress.Unit, &e.Progress.Studied, &at, &e.Progress.TotalHours)
	if at.Valid {
		e.Progress.At = &at.Time
	}
	return e, err
}

func loadEnrollment(ctx context.Context, q sqldb.Querier, where string, arg int64) (Enrollment, error) {
	e, err := scanEnrollment(q.QueryRowContext(ctx, `SELECT `+enrollmentColumns+`
		FROM enrollments e JOIN orders o ON o.id = e.order_id JOIN products p ON p.id = e.product_id WHERE `+where, arg))
	if err != nil {
		return e, sqldb.NotFound(err, "수강정보", "enrollment")
	}
	return e, nil
}

// ItemProgress returns the recorded progress of the enrollment of an order
// item (the refund screen's 학습시간 기준); an item without an enrollment
// has none recorded.
func ItemProgress(ctx context.Context, q sqldb.Querier, itemID int64) (Progress, error) {
	e, err := loadEnrollment(ctx, q, `e.order_item_id = $1`, itemID)
	if apperr.IsNotFound(err) {
		return Progress{}, nil
	}
	return e.Progress, err
}

// Enrollment returns one enrollment the actor may see.
func (s *Service) Enrollment(ctx context.Context, a access.Actor, id int64) (Enrollment, error) {
	e, err := loadEnrollment(ctx, s.DB.Read(), `e.id = $1`, id)
	if err != nil {
		return e, err
	}
	if err := a.CheckRead(e.Site, "수강정보", "enrollment"); err != nil {
		return Enrollment{}, err
	}
	return e, nil
}

// SetProgress records what the learner has studied of an enrollment, in
// hours or sessions: never negative, never above the course's 총 학습시간
// when that is known, never on a cancelled enrollment. Audited.
func (s *Service) SetProgress(ctx context.Context, a access.Actor, id int64, in ProgressInput) (Enrollment, error) {
	var fe apperr.Fields
	var unit string
	var v units.Value
	switch {
	case in.Hours != nil && in.Sessions != nil:
		fe.Add("hours", "학습시간(hours)과 학습회차(sessions) 중 하나만 적어 주세요.", "give hours or sessions, not both")
	case in.Hours != nil:
		unit, v = ProgressHours, *in.Hours
	case in.Sessions != nil:
		unit, v = ProgressSessions, *in.Sessions
	default:
		fe.Add("hours", "학습시간(hours) 또는 학습회차(sessions)를 적어 주세요.", "hours or sessions is required")
	}
	if unit != "" && (v < 0 || v > units.Of(units.Max)) {
		fe.Add(unit, fmt.Sprintf("0부터 %d까지 적어 주세요.", units.Max), fmt.Sprintf("must be from 0 to %d", units.Max))
	}
	if err := fe.Err(); err != nil {
		return Enrollment{}, err
	}
	now := sqldb.Instant(s.Now())
	var out Enrollment
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		e, err := loadEnrollment(ctx, tx, `e.id = $1`, id)
		if err != nil {
			return err
		}
		if err := a.CheckRead(e.Site, "수강정보", "enrollment"); err != nil {
			return err
		}
		if err := a.CheckWrite(e.Site, "수강정보", "enrollment"); err != nil {
			return err
		}
		if e.Status == EnrollCancelled {
			return apperr.New(apperr.Conflict, "수강취소된 수강정보에는 진도를 기록할 수 없습니다.", "The enrollment is cancelled; no progress can be recorded.")
		}
		if unit == ProgressHours && e.Progress.TotalHours > 0 && v > units.Of(int64(e.Progress.TotalHours)) {
			return &apperr.Error{Code: apperr.Invalid,
				Message: fmt.Sprintf("학습시간이 과정의 총 학습시간(%d시간)보다 많습니다.", e.Progress.TotalHours),
				English: fmt.Sprintf("hours exceed the course's %d study hours", e.Progress.TotalHours),
				Fields: []apperr.FieldError{{Location: "hours", Message: fmt.Sprintf("%d시간 이하로 적어 주세요.", e.Progress.TotalHours),
					English: fmt.Sprintf("at most %d", e.Progress.TotalHours)}}}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE enrollments SET progress_unit = $1, progress = $2, progress_at = $3, updated_at = $3 WHERE id = $4`,
			unit, v, now, id); err != nil {
			return err
		}
		before := e.Progress
		out = e
		out.Progress.Unit, out.Progress.Studied, out.Progress.At = unit, v, &now
		return audit.Record(ctx, tx, now, a, audit.Change{Site: e.Site, Action: "enrollment.progress", Entity: "enrollment", EntityID: id,
			Before: map[string]any{"unit": before.Unit, "studied": before.Studied.String()},
			After:  map[string]any{"unit": unit, "studied": v.String()}})
	})
	return out, err
}
