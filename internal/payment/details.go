package payment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Detail is one field of a gateway's answer as 결제정보 shows it.
type Detail struct {
	Key   string // the answer's field, nested ones with dots (card.number)
	Label string // its Korean name, or the key for a field orderdesk does not know
	Value string
	order int // its place in detailLabels; len(detailLabels) for an unknown key
}

// detailLabels name the fields of the sandbox's and Toss's answers and
// callbacks, in the order 결제정보 lists them (the manual's names where it has
// them: 구매자명, 구매자메일, 가상계좌입금번호 …).
var detailLabels = []struct{ key, label string }{
	{"orderId", "주문번호"}, {"orderName", "주문명"}, {"paymentKey", "결제키"}, {"transactionKey", "거래키"},
	{"status", "결과상태"}, {"code", "응답코드"}, {"message", "응답메시지"}, {"method", "결제수단"},
	{"totalAmount", "결제금액"}, {"balanceAmount", "취소 가능 금액"}, {"currency", "통화"},
	{"requestedAt", "요청일시"}, {"approvedAt", "승인일시"}, {"createdAt", "생성일시"},
	{"company", "결제사"}, {"approveNo", "승인번호"}, {"installment", "할부개월"},
	{"card.issuerCode", "카드사 코드"}, {"card.acquirerCode", "매입사 코드"}, {"card.number", "신용카드번호"},
	{"card.installmentPlanMonths", "할부개월"}, {"card.approveNo", "승인번호"}, {"card.cardType", "카드 종류"},
	{"card.ownerType", "소유자 구분"}, {"card.isInterestFree", "무이자 여부"},
	{"accountNumber", "가상계좌입금번호"}, {"virtualAccount.accountNumber", "가상계좌입금번호"},
	{"virtualAccount.bankCode", "입금은행 코드"}, {"virtualAccount.customerName", "입금자명"}, {"virtualAccount.dueDate", "입금기한"},
	{"customerName", "구매자명"}, {"customerEmail", "구매자메일"}, {"customerMobilePhone", "구매자 휴대전화"},
	{"useEscrow", "에스크로 사용유무"}, {"mId", "상점아이디"}, {"secret", "시크릿"},
	{"receipt.url", "영수증"}, {"cancels.cancelAmount", "취소금액"}, {"cancels.canceledAt", "취소일시"},
	{"cancels.cancelReason", "취소사유"}, {"eventType", "이벤트"}, {"eventId", "이벤트 번호"},
}

// Details lists a raw answer's fields, known ones first in 결제정보's order
// with their Korean names, then the others by key; nil for a raw text that is
// not a JSON object. Nested objects are flattened (card.number); a list of
// objects (cancels) gives each element's fields, numbered when there are
// several. Empty values and nulls are left out.
func Details(raw []byte) []Detail {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v map[string]any
	if err := d.Decode(&v); err != nil {
		return nil
	}
	var out []Detail
	flatten("", v, &out)
	for i := range out {
		d := &out[i]
		plain, n := d.Key, ""
		if j := strings.IndexByte(d.Key, '['); j >= 0 { // cancels[2].cancelAmount is cancels.cancelAmount, the second
			k := strings.IndexByte(d.Key, ']')
			plain, n = d.Key[:j]+d.Key[k+1:], d.Key[j+1:k]
		}
		d.Label, d.order = d.Key, len(detailLabels)
		if r, ok := detailOrder[plain]; ok {
			d.Label, d.order = detailLabels[r].label, r
			if n != "" {
				d.Label += " " + n // 취소금액 2
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Detail) int {
		if a.order != b.order {
			return a.order - b.order
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// detailOrder is each known key's place in detailLabels.
var detailOrder = func() map[string]int {
	m := make(map[string]int, len(detailLabels))
	for i, l := range detailLabels {
		m[l.key] = i
	}
	return m
}()

func flatten(prefix string, v any, out *[]Detail) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flatten(key, x, out)
		}
	case []any:
		for i, x := range t {
			key := prefix
			if len(t) > 1 {
				key = fmt.Sprintf("%s[%d]", prefix, i+1)
			}
			flatten(key, x, out)
		}
	case nil:
	case string:
		if t != "" {
			*out = append(*out, Detail{Key: prefix, Value: t})
		}
	default:
		*out = append(*out, Detail{Key: prefix, Value: fmt.Sprint(t)})
	}
}
