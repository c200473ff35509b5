package payment

import (
	"strings"
	"testing"
)

// 결제정보 lists an answer's fields by their Korean names, known ones first
// in a fixed order, nested and listed fields flattened, empty ones left out.
func TestDetails(t *testing.T) {
	raw := `{"mId":"tosspayments","zeta":"z","paymentKey":"pk","orderId":"290","status":"PARTIAL_CANCELED","method":"카드","totalAmount":15000,
		"card":{"issuerCode":"61","number":"12345678****123*","installmentPlanMonths":0,"approveNo":"00000000"},"virtualAccount":null,"customerEmail":"",
		"cancels":[{"cancelAmount":5000,"cancelReason":"고객 요청"},{"cancelAmount":1000,"cancelReason":"파본"}]}`
	var got []string
	for _, d := range Details([]byte(raw)) {
		got = append(got, d.Label+"="+d.Value)
	}
	want := "주문번호=290 결제키=pk 결과상태=PARTIAL_CANCELED 결제수단=카드 결제금액=15000 카드사 코드=61 신용카드번호=12345678****123* " +
		"할부개월=0 승인번호=00000000 상점아이디=tosspayments 취소금액 1=5000 취소금액 2=1000 취소사유 1=고객 요청 취소사유 2=파본 zeta=z"
	if strings.Join(got, " ") != want {
		t.Fatalf("details:\n%s\nwant:\n%s", strings.Join(got, " "), want)
	}
	for _, in := range []string{"", "not json", `[1,2]`, `"text"`} {
		if d := Details([]byte(in)); d != nil {
			t.Errorf("Details(%q) = %v, want nil", in, d)
		}
	}
}
