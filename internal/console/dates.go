package console

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
)

// dateRange is a from/to pair of a screen's search form and how the screen
// names it (주문일, 요청일).
type dateRange struct {
	From, To    string // query parameter names
	Label, Name string // Korean and English label
}

// checkDates checks every date range of a console search form before the
// list is read: each day is a real calendar day written YYYY-MM-DD, and the
// end is not before the start. The error names the field and says why, in
// the sentence shown above the list, and marks each field.
func checkDates(q url.Values, ranges ...dateRange) error {
	var fe apperr.Fields
	var ko, en []string
	for _, r := range ranges {
		from, to := strings.TrimSpace(q.Get(r.From)), strings.TrimSpace(q.Get(r.To))
		ok := true
		for _, d := range []struct{ param, v, side, sideEN string }{{r.From, from, "시작", "start"}, {r.To, to, "끝", "end"}} {
			if d.v == "" {
				continue
			}
			if _, err := kst.ParseDay(d.v); err != nil {
				ok = false
				if rs := []rune(d.v); len(rs) > 20 {
					d.v = string(rs[:20]) + "…"
				}
				m := fmt.Sprintf("%s %s 날짜 %q는 없는 날짜이거나 형식이 틀렸습니다. 2026-11-29처럼 YYYY-MM-DD로 적어 주세요.", r.Label, d.side, d.v)
				e := fmt.Sprintf("%s %s date %q is not a real day; write it YYYY-MM-DD, e.g. 2026-11-29.", r.Name, d.sideEN, d.v)
				fe.Add(d.param, m, e)
				ko, en = append(ko, m), append(en, e)
			}
		}
		if ok && from != "" && to != "" && to < from {
			m := fmt.Sprintf("%s 끝 날짜(%s)가 시작 날짜(%s)보다 앞섭니다. 기간을 바르게 적어 주세요.", r.Label, to, from)
			e := fmt.Sprintf("%s: the end %s is before the start %s.", r.Name, to, from)
			fe.Add(r.To, m, e)
			ko, en = append(ko, m), append(en, e)
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return &apperr.Error{Code: apperr.Invalid, Message: strings.Join(ko, " "), English: strings.Join(en, " "), Fields: fe}
}

// The date ranges of the console's search forms.
var (
	orderDates  = []dateRange{{"ordered_from", "ordered_to", "주문일", "Order date"}, {"paid_from", "paid_to", "결제일", "Payment date"}}
	refundDates = []dateRange{{"from", "to", "요청일", "Request date"}}
	periodDates = []dateRange{{"from", "to", "기간", "Period"}}
)
