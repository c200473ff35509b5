package refund_test

import (
	"context"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/platform/units"
	"github.com/orderdesk/orderdesk/internal/refund"
)

func ptr(v units.Value) *units.Value { return &v }

// Recorded study hours reach the refund screen's 학습시간 기준 with units,
// bounded by the course's 총 학습시간, audited and scoped to the site.
func TestProgressFeedsTheEstimate(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.paidOrder(t, "card", f.course) // 280,000원, 30 hours
		enr := o.Items[0].EnrollmentID
		if enr == 0 {
			t.Fatalf("course item without enrollment id: %+v", o.Items[0])
		}
		for name, in := range map[string]order.ProgressInput{
			"none":          {},
			"both":          {Hours: ptr(1000), Sessions: ptr(1000)},
			"above total":   {Hours: ptr(units.Of(30) + 1)},
			"negative":      {Hours: ptr(-500)},
			"sessions huge": {Sessions: ptr(units.Of(units.Max) + 1)},
		} {
			if _, err := f.orders.SetProgress(ctx, sys, enr, in); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		other := access.Actor{Login: "b-admin", Role: access.SiteAdmin, Sites: []string{"other"}}
		if _, err := f.orders.SetProgress(ctx, other, enr, order.ProgressInput{Hours: ptr(7500)}); !apperr.IsNotFound(err) && apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("another site's admin: %v", err)
		}
		viewer := access.Actor{Login: "viewer", Role: access.Viewer, Sites: []string{"malgn"}}
		if _, err := f.orders.SetProgress(ctx, viewer, enr, order.ProgressInput{Hours: ptr(7500)}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("viewer: %v", err)
		}
		e, err := f.orders.SetProgress(ctx, sys, enr, order.ProgressInput{Hours: ptr(7500)})
		if err != nil || e.Progress.Unit != order.ProgressHours || e.Progress.Studied != 7500 || e.Progress.TotalHours != 30 {
			t.Fatalf("set 7.5 hours = %+v %v", e, err)
		}
		var audits int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'enrollment.progress'`).Scan(&audits); err != nil || audits != 1 {
			t.Fatalf("audit rows = %d %v", audits, err)
		}
		r, err := f.refunds.Request(ctx, sys, refund.RequestInput{OrderNo: o.OrderNo, ItemIDs: itemIDs(o), Method: refund.MethodPGCancel})
		if err != nil {
			t.Fatal(err)
		}
		p := r.Estimate.ByProgress
		if p == nil || p.Deduction != 70000 || p.Percent != "25.00" || !strings.Contains(p.Line, "30시간 중 7.5시간") {
			t.Fatalf("by progress = %+v", p)
		}
		// Sessions have no known total: recorded and said, not computed.
		if _, err := f.orders.SetProgress(ctx, sys, enr, order.ProgressInput{Sessions: ptr(3000)}); err != nil {
			t.Fatal(err)
		}
		r, _ = f.refunds.Get(ctx, sys, r.ID)
		if r.Estimate.ByProgress != nil || !strings.Contains(r.Estimate.ProgressNote, "3회") {
			t.Fatalf("sessions estimate = %+v", r.Estimate)
		}
	})
}
