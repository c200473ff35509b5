package refund

import (
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/units"
)

func TestCalculate(t *testing.T) {
	tests := []struct {
		name      string
		in        QuoteInput
		refund    int64
		deduction int64
		percent   string
	}{
		// The manual's example: 280,000원 X 21.11% = 59,135원 (현재 2,197일 중 464일 (21.11%) 경과).
		{"manual by days", QuoteInput{Policy: ByDays, Amount: 280000, TotalDays: 2197, ElapsedDays: 464}, 220865, 59135, "21.11"},
		{"by days none elapsed", QuoteInput{Policy: ByDays, Amount: 280000, TotalDays: 30}, 280000, 0, "0.00"},
		{"by days all elapsed", QuoteInput{Policy: ByDays, Amount: 280000, TotalDays: 30, ElapsedDays: 45}, 0, 280000, "100.00"},
		{"by days floors the deduction", QuoteInput{Policy: ByDays, Amount: 10000, TotalDays: 3, ElapsedDays: 1}, 6667, 3333, "33.33"},
		{"manual by progress", QuoteInput{Policy: ByProgress, Amount: 280000, TotalUnits: units.Of(10)}, 280000, 0, "0.00"},
		{"by progress", QuoteInput{Policy: ByProgress, Amount: 90000, TotalUnits: units.Of(30), UsedUnits: units.Of(7)}, 69000, 21000, "23.33"},
		// One month or less: before start, < 1/3, < 1/2, after; both sides of each threshold (30 days: 10 is 1/3, 15 is 1/2).
		{"lifelong before start", QuoteInput{Policy: LifelongEducation, Amount: 300000, TotalDays: 30}, 300000, 0, "0.00"},
		{"lifelong day 9 (<1/3)", QuoteInput{Policy: LifelongEducation, Amount: 300000, TotalDays: 30, ElapsedDays: 9}, 200000, 100000, "30.00"},
		{"lifelong day 10 (=1/3)", QuoteInput{Policy: LifelongEducation, Amount: 300000, TotalDays: 30, ElapsedDays: 10}, 150000, 150000, "33.33"},
		{"lifelong day 14 (<1/2)", QuoteInput{Policy: LifelongEducation, Amount: 300000, TotalDays: 30, ElapsedDays: 14}, 150000, 150000, "46.66"},
		{"lifelong day 15 (=1/2)", QuoteInput{Policy: LifelongEducation, Amount: 300000, TotalDays: 30, ElapsedDays: 15}, 0, 300000, "50.00"},
		{"hagwon two thirds floors", QuoteInput{Policy: Hagwon, Amount: 100000, TotalDays: 31, ElapsedDays: 1}, 66666, 33334, "3.22"},
		// Over a month: current month by the table plus the remaining months in full.
		{"hagwon 3 months, month 2 day 5 of 30", QuoteInput{Policy: Hagwon, Amount: 300000, TotalDays: 30, ElapsedDays: 5, Months: 3, CurrentMonth: 2}, 166666, 133334, "16.66"},
		{"lifelong 3 months, month 1 past half", QuoteInput{Policy: LifelongEducation, Amount: 300000, TotalDays: 31, ElapsedDays: 16, Months: 3, CurrentMonth: 1}, 200000, 100000, "51.61"},
		{"lifelong 3 months, month 3 day 1", QuoteInput{Policy: LifelongEducation, Amount: 300000, TotalDays: 30, ElapsedDays: 1, Months: 3, CurrentMonth: 3}, 66666, 233334, "3.33"},
		{"lifelong 6 months not started", QuoteInput{Policy: LifelongEducation, Amount: 600000, TotalDays: 30, Months: 6}, 600000, 0, "0.00"},
		// Non-real-time online: paid minus the part studied.
		{"lifelong online 4 of 20 sessions", QuoteInput{Policy: LifelongEducation, Amount: 200000, TotalUnits: units.Of(20), UsedUnits: units.Of(4)}, 160000, 40000, "20.00"},
		// Fractional study hours: 7.5 of 30 hours, exactly.
		{"by progress 7.5 of 30 hours", QuoteInput{Policy: ByProgress, Amount: 90000, TotalUnits: units.Of(30), UsedUnits: 7500, Unit: UnitHours}, 67500, 22500, "25.00"},
		{"by progress 7.333 of 30 floors once", QuoteInput{Policy: ByProgress, Amount: 100000, TotalUnits: units.Of(30), UsedUnits: 7333}, 75557, 24443, "24.44"},
		{"by progress 0.5 of 1.5 hours", QuoteInput{Policy: ByProgress, Amount: 10000, TotalUnits: 1500, UsedUnits: 500}, 6667, 3333, "33.33"},
		{"lifelong online 2.5 of 20 hours", QuoteInput{Policy: LifelongEducation, Amount: 200000, TotalUnits: units.Of(20), UsedUnits: 2500}, 175000, 25000, "12.50"},
		{"hrd before start", QuoteInput{Policy: HRDSelfPay, Amount: 54000, TotalDays: 30}, 54000, 0, "0.00"},
		{"hrd pro rata", QuoteInput{Policy: HRDSelfPay, Amount: 54000, TotalDays: 30, ElapsedDays: 7}, 41400, 12600, "23.33"},
		{"hrd floors", QuoteInput{Policy: HRDSelfPay, Amount: 10000, TotalDays: 3, ElapsedDays: 1}, 6666, 3334, "33.33"},
	}
	for _, tt := range tests {
		q, err := Calculate(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if q.Refund != tt.refund || q.Deduction != tt.deduction || q.Percent != tt.percent {
			t.Errorf("%s: refund %d deduction %d percent %s; want %d %d %s", tt.name, q.Refund, q.Deduction, q.Percent, tt.refund, tt.deduction, tt.percent)
		}
		if q.Refund+q.Deduction != tt.in.Amount {
			t.Errorf("%s: refund + deduction = %d, want %d", tt.name, q.Refund+q.Deduction, tt.in.Amount)
		}
	}
	q, _ := Calculate(QuoteInput{Policy: ByDays, Amount: 280000, TotalDays: 2197, ElapsedDays: 464})
	if want := "280,000원 X 21.11% = 59,135원 (현재 2,197일 중 464일 (21.11%) 경과)"; q.Line != want {
		t.Errorf("line = %q, want %q", q.Line, want)
	}
	q, _ = Calculate(QuoteInput{Policy: ByProgress, Amount: 280000, TotalUnits: units.Of(30)})
	if want := "280,000원 X 0.00% = 0원 (현재 30 중 0 (0.00%) 학습)"; q.Line != want {
		t.Errorf("progress line = %q", q.Line)
	}
	q, _ = Calculate(QuoteInput{Policy: ByProgress, Amount: 280000, TotalUnits: units.Of(30), UsedUnits: 7500, Unit: UnitHours})
	if want := "280,000원 X 25.00% = 70,000원 (현재 30시간 중 7.5시간 (25.00%) 학습)"; q.Line != want {
		t.Errorf("progress line = %q, want %q", q.Line, want)
	}
	q, _ = Calculate(QuoteInput{Policy: ByProgress, Amount: 280000, TotalUnits: units.Of(1200), UsedUnits: units.Of(1000) + 250, Unit: UnitSessions})
	if want := "(현재 1,200회 중 1,000.25회 (83.35%) 학습)"; !strings.HasSuffix(q.Line, want) {
		t.Errorf("sessions line = %q, want suffix %q", q.Line, want)
	}
}

func TestCalculateRefusesBadInput(t *testing.T) {
	for _, in := range []QuoteInput{
		{Policy: "generous", Amount: 1},
		{Policy: ByDays, Amount: 1},
		{Policy: ByDays, Amount: -1, TotalDays: 3},
		{Policy: ByProgress, Amount: 1},
		{Policy: Hagwon, Amount: 1, TotalDays: 30, Months: 3, CurrentMonth: 4},
		{Policy: ByProgress, Amount: 1, TotalUnits: units.Of(30), Unit: "minutes"},
		{Policy: ByProgress, Amount: 1, TotalUnits: units.Of(units.Max + 1)},
	} {
		if _, err := Calculate(in); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("%+v: %v, want invalid", in, err)
		}
	}
}
