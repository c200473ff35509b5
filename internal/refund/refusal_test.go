package refund

import (
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

// Refusals a clerk meets on the refund screens are sentences without state
// codes: the refund's own and the items'.
func TestRefundRefusalsAreSentences(t *testing.T) {
	codes := []string{StatusRequested, StatusCompleted, StatusDenied, order.ItemAwaitingDeposit, order.ItemPaid, order.ItemRefundRequested,
		order.ItemRefunded, order.ItemCancelled}
	check := func(what, ko, en string) {
		t.Helper()
		if ko == "" || en == "" {
			t.Errorf("%s: empty message %q / %q", what, ko, en)
		}
		for _, c := range codes {
			if strings.Contains(ko, c) || strings.Contains(en, "("+c+")") || (strings.Contains(c, "_") && strings.Contains(en, c)) ||
				strings.Contains(en, "status "+c) || strings.Contains(en, "from "+c) {
				t.Errorf("%s names the code %s: %q / %q", what, c, ko, en)
			}
		}
	}
	for _, s := range []string{StatusCompleted, StatusDenied, StatusRequested} {
		e, _ := apperr.As(statusRefusal(s))
		check("refund "+s, e.Message, e.English)
	}
	if e, _ := apperr.As(statusRefusal(StatusCompleted)); e.Message != "이미 환불완료된 요청입니다." {
		t.Errorf("completed twice = %q", e.Message)
	}
	for _, s := range []string{order.ItemAwaitingDeposit, order.ItemPaid, order.ItemRefundRequested, order.ItemRefunded, order.ItemCancelled} {
		ko, en := order.ItemRefusal(order.Item{ID: 7, Status: s, Paid: 100, Refunded: 100})
		check("item "+s, ko, en)
		if !strings.Contains(ko, "항목 7") {
			t.Errorf("item refusal does not name the item: %q", ko)
		}
	}
}
