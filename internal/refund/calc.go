// Package refund holds refund requests (환불관리), the refund calculator
// under Korean refund law, and the completion that returns money exactly:
// never more than was paid, never twice, even under concurrent clicks.
package refund

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/units"
	"github.com/orderdesk/orderdesk/internal/platform/won"
)

// Policies a course can name.
const (
	ByDays            = "by_days"
	ByProgress        = "by_progress"
	LifelongEducation = "lifelong_education" // 평생교육법 시행령 제23조 별표3
	Hagwon            = "hagwon"             // 학원의 설립·운영 및 과외교습에 관한 법률 시행령 제18조 별표4
	HRDSelfPay        = "hrd_self_pay"       // 내일배움카드: only the learner's own share
)

// QuoteInput is what the calculator needs. Days and units it does not use
// may be zero.
type QuoteInput struct {
	Policy       string      `json:"policy"`
	Amount       int64       `json:"amount"`         // what was paid (for hrd_self_pay: the learner's own share)
	TotalDays    int         `json:"total_days"`     // the period (with months > 1: the current month's days)
	ElapsedDays  int         `json:"elapsed_days"`   // days passed since the start; 0 = not started
	TotalUnits   units.Value `json:"total_units"`    // hours or sessions; fractions allowed (7.5), three decimals at most
	UsedUnits    units.Value `json:"used_units"`     // studied (a session counts once opened)
	Unit         string      `json:"unit,omitempty"` // hours or sessions: only how the line names them
	Months       int         `json:"months"`         // billing period in months; 0 or 1 = one month or less
	CurrentMonth int         `json:"current_month"`  // 1-based month of the period now running
}

// QuoteRequest is the calculator as outside callers ask it (POST
// /api/v1/refunds/quote, orderdesk refund quote): the same input, with the
// amount required, since a quote of nothing is a mistake and not 0원.
type QuoteRequest struct {
	QuoteInput
	Amount *int64 `json:"amount"`
}

// Calculate checks that the amount was given and runs Calculate.
func (r QuoteRequest) Calculate() (Quote, error) {
	if r.Amount == nil {
		var fe apperr.Fields
		fe.Add("amount", "결제금액(amount)이 필요합니다.", "amount is required")
		return Quote{Policy: r.Policy}, fe.Err()
	}
	in := r.QuoteInput
	in.Amount = *r.Amount
	return Calculate(in)
}

// Quote is the calculator's answer.
type Quote struct {
	Policy    string `json:"policy"`
	Rule      string `json:"rule"`      // the rule applied, in Korean
	Refund    int64  `json:"refund"`    // won
	Deduction int64  `json:"deduction"` // won = amount - refund
	Percent   string `json:"percent"`   // the used share, truncated to two decimals, e.g. "21.11"
	Line      string `json:"line"`      // as the refund screen prints it
}

// frac is an exact ratio.
func frac(a, b int64) *big.Rat { return new(big.Rat).SetFrac64(a, b) }

// floorMul returns floor(amount × r) in won.
func floorMul(amount int64, r *big.Rat) int64 {
	n := new(big.Int).Mul(big.NewInt(amount), r.Num())
	q := new(big.Int).Div(n, r.Denom()) // Euclidean: floor for positive denominators
	return q.Int64()
}

// Percent2 writes used/total as a percentage truncated to two decimals.
func Percent2(used, total int64) string {
	if total <= 0 {
		return "0.00"
	}
	bp := used * 10000 / total // basis points, truncated
	return fmt.Sprintf("%d.%02d", bp/100, bp%100)
}

func clamp[T int | units.Value](v, lo, hi T) T { return max(lo, min(v, hi)) }

// Unit names.
const (
	UnitHours    = "hours"
	UnitSessions = "sessions"
)

// unitText writes an amount of study with its unit: 7.5시간, 3회, or 7.5
// when the unit is not known.
func unitText(v units.Value, unit string) string {
	s := unitNumber(v)
	switch unit {
	case UnitHours:
		return s + "시간"
	case UnitSessions:
		return s + "회"
	}
	return s
}

// unitNumber writes v with thousands separators: 1,234.5.
func unitNumber(v units.Value) string {
	s := v.String()
	if whole, frac, ok := strings.Cut(s, "."); ok {
		s = won.Number(mustInt(whole)) + "." + frac
	} else {
		s = won.Number(mustInt(s))
	}
	return s
}

func mustInt(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

// Calculate applies the policy. Ratios are exact; money is floored to the
// won once, at the end.
func Calculate(in QuoteInput) (Quote, error) {
	var fe apperr.Fields
	if in.Amount < 0 {
		fe.Add("amount", "금액은 0원 이상입니다.", "amount must not be negative")
	}
	if in.Amount > won.Max {
		fe.Add("amount", "금액은 "+won.MaxLabel+" 이하입니다.", "amount must be at most 10,000,000,000 won")
	}
	if in.TotalDays < 0 || in.ElapsedDays < 0 || in.TotalUnits < 0 || in.UsedUnits < 0 || in.Months < 0 || in.CurrentMonth < 0 ||
		in.TotalUnits > units.Of(units.Max) || in.UsedUnits > units.Of(units.Max) {
		fe.Add("days", "일수와 단위는 0 이상입니다.", "days, units and months must not be negative")
	}
	needDays := func() {
		if in.TotalDays <= 0 {
			fe.Add("total_days", "전체 일수(total_days)가 필요합니다.", "total_days is required")
		}
	}
	if in.Unit != "" && in.Unit != UnitHours && in.Unit != UnitSessions {
		fe.Add("unit", "단위(unit)는 hours 또는 sessions입니다.", "unit must be hours or sessions")
	}
	q := Quote{Policy: in.Policy}
	switch in.Policy {
	case ByDays, HRDSelfPay:
		needDays()
	case ByProgress:
		if in.TotalUnits <= 0 {
			fe.Add("total_units", "전체 학습량(total_units)이 필요합니다.", "total_units is required")
		}
	case LifelongEducation, Hagwon:
		if in.TotalUnits <= 0 {
			needDays()
		}
		if in.Months > 1 && in.CurrentMonth > in.Months {
			fe.Add("current_month", "현재 월(current_month)은 0(시작 전)부터 개월 수까지입니다.", "current_month must be 0 (not started) to months")
		}
	default:
		fe.Add("policy", fmt.Sprintf("알 수 없는 환불 규정입니다: %q", in.Policy), fmt.Sprintf("unknown policy %q (by_days, by_progress, lifelong_education, hagwon, hrd_self_pay)", in.Policy))
	}
	if err := fe.Err(); err != nil {
		return q, err
	}
	a := in.Amount
	switch in.Policy {
	case ByDays:
		e := clamp(in.ElapsedDays, 0, in.TotalDays)
		q.Deduction = floorMul(a, frac(int64(e), int64(in.TotalDays)))
		q.Refund = a - q.Deduction
		q.Percent = Percent2(int64(e), int64(in.TotalDays))
		q.Rule = "경과일수 기준: 결제금액 × 경과일 ÷ 수강일"
		q.Line = fmt.Sprintf("%s원 X %s%% = %s원 (현재 %s일 중 %s일 (%s%%) 경과)", won.Number(a), q.Percent, won.Number(q.Deduction), won.Number(int64(in.TotalDays)), won.Number(int64(e)), q.Percent)
	case ByProgress:
		u := clamp(in.UsedUnits, 0, in.TotalUnits)
		q.Deduction = floorMul(a, frac(int64(u), int64(in.TotalUnits)))
		q.Refund = a - q.Deduction
		q.Percent = Percent2(int64(u), int64(in.TotalUnits))
		q.Rule = "학습진도 기준: 결제금액 × 학습량 ÷ 전체 학습량"
		q.Line = fmt.Sprintf("%s원 X %s%% = %s원 (현재 %s 중 %s (%s%%) 학습)", won.Number(a), q.Percent, won.Number(q.Deduction), unitText(in.TotalUnits, in.Unit), unitText(u, in.Unit), q.Percent)
	case LifelongEducation, Hagwon:
		law := "평생교육법 시행령 제23조 별표3"
		if in.Policy == Hagwon {
			law = "학원법 시행령 제18조 별표4"
		}
		if in.TotalUnits > 0 { // non-real-time online course: the part actually studied is kept
			u := clamp(in.UsedUnits, 0, in.TotalUnits)
			q.Deduction = floorMul(a, frac(int64(u), int64(in.TotalUnits)))
			q.Refund = a - q.Deduction
			q.Percent = Percent2(int64(u), int64(in.TotalUnits))
			q.Rule = law + " (원격 비실시간): 결제금액 - 실제 학습한 부분"
			q.Line = fmt.Sprintf("%s원 - %s원 (전체 %s 중 %s 학습, %s%%)", won.Number(a), won.Number(q.Deduction), unitText(in.TotalUnits, in.Unit), unitText(u, in.Unit), q.Percent)
			break
		}
		months, current := max(in.Months, 1), max(in.CurrentMonth, 1)
		e := clamp(in.ElapsedDays, 0, in.TotalDays)
		// The share of the current month refunded by the table.
		var share *big.Rat
		var step string
		switch {
		case e == 0:
			share, step = frac(1, 1), "시작 전: 전액"
		case 3*e < in.TotalDays:
			share, step = frac(2, 3), "1/3 경과 전: 2/3"
		case 2*e < in.TotalDays:
			share, step = frac(1, 2), "1/2 경과 전: 1/2"
		default:
			share, step = frac(0, 1), "1/2 경과 후: 없음"
		}
		if months == 1 {
			q.Refund = floorMul(a, share)
			q.Rule = law + " (1개월 이하): " + step
		} else {
			if in.CurrentMonth == 0 {
				share = frac(1, 1)
				step = "시작 전: 전액"
			}
			// (share of the current month + the months not begun) / months
			r := new(big.Rat).Add(share, frac(int64(months-current), 1))
			r.Quo(r, frac(int64(months), 1))
			q.Refund = floorMul(a, r)
			q.Rule = fmt.Sprintf("%s (%d개월): 현재 %d개월째 %s + 남은 %d개월 전액", law, months, current, step, months-current)
		}
		q.Deduction = a - q.Refund
		q.Percent = Percent2(int64(e), int64(in.TotalDays))
		q.Line = fmt.Sprintf("%s원 중 %s원 환불 (현재 %s일 중 %s일 (%s%%) 경과)", won.Number(a), won.Number(q.Refund), won.Number(int64(in.TotalDays)), won.Number(int64(e)), q.Percent)
	case HRDSelfPay:
		e := clamp(in.ElapsedDays, 0, in.TotalDays)
		if e == 0 {
			q.Refund = a
			q.Rule = "내일배움카드 자부담금: 개강 전 전액"
		} else {
			q.Refund = floorMul(a, frac(int64(in.TotalDays-e), int64(in.TotalDays)))
			q.Rule = "내일배움카드 자부담금: 남은 일수 비율"
		}
		q.Deduction = a - q.Refund
		q.Percent = Percent2(int64(e), int64(in.TotalDays))
		q.Line = fmt.Sprintf("자부담금 %s원 중 %s원 환불 (현재 %s일 중 %s일 (%s%%) 경과)", won.Number(a), won.Number(q.Refund), won.Number(int64(in.TotalDays)), won.Number(int64(e)), q.Percent)
	}
	return q, nil
}
