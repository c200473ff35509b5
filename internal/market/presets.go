package market

// Presets are the sheet formats of the common marketplaces, from the headers
// of their order downloads; a new marketplace with one of these codes starts
// from its preset, and staff adjust it in 발주서 포맷.
var Presets = map[string]Format{
	"smartstore": {
		Fields: map[string]string{"order_no": "주문번호", "order_id_seq": "상품주문번호", "order_date": "주문일시", "product_code": "판매자 상품코드",
			"product_name": "상품명", "option": "옵션정보", "qty": "수량", "shop_price": "최종 상품별 총 주문금액", "pay_type": "결제수단",
			"org_trans_who": "배송비 형태", "buyer": "구매자명", "recipient": "수취인명", "phone": "수취인연락처1", "phone2": "구매자연락처",
			"zipcode": "우편번호", "address": "통합배송지", "request": "배송메세지", "status": "주문상태", "ship_no": "배송비 묶음번호"},
		Codes:        map[int]string{1: "상품가격", 2: "옵션가격", 3: "최종 상품별 할인액", 11: "최종 상품별 총 주문금액", 12: "네이버페이 주문관리 수수료", 13: "매출연동 수수료", 14: "정산예정금액", 18: "배송비 합계"},
		CancelWords:  []string{"취소", "반품"},
		PrepaidWords: []string{"선결제"}, // 배송비 형태: 선결제, 착불, 무료
	},
	"coupang": {
		Fields: map[string]string{"order_no": "주문번호", "order_id_seq": "옵션ID", "order_date": "주문일", "product_code": "업체상품코드",
			"product_name": "등록상품명", "option": "등록옵션명", "qty": "구매수(수량)", "shop_price": "결제액", "pay_type": "결제위치",
			"org_trans_who": "배송비구분", "buyer": "구매자", "recipient": "수취인이름", "phone": "수취인전화번호", "phone2": "구매자전화번호",
			"zipcode": "우편번호", "address": "수취인 주소", "request": "배송메세지", "ship_no": "묶음배송번호"},
		Codes:        map[int]string{11: "결제액", 12: "옵션판매가(판매단가)", 18: "배송비"},
		PrepaidWords: []string{"유료"}, // 배송비구분: 무료, 유료, 조건부무료, 착불
	},
	"esm": {
		Fields: map[string]string{"order_no": "장바구니번호(결제번호)", "order_id_seq": "주문번호", "order_date": "주문일자(결제확인전)", "product_code": "판매자 관리코드",
			"product_name": "상품명", "option": "주문옵션", "qty": "수량", "shop_price": "판매금액", "pay_type": "판매방식", "org_trans_who": "배송비",
			"buyer": "구매자명", "recipient": "수령인명", "phone": "수령인 휴대폰", "phone2": "구매자 휴대폰", "zipcode": "우편번호", "address": "주소",
			"request": "배송시 요구사항", "ship_no": "배송번호"},
		Codes:        map[int]string{1: "아이디", 11: "판매금액", 12: "판매단가", 13: "서비스이용료", 14: "정산예정금액", 15: "판매자쿠폰할인", 18: "배송비 금액"},
		CancelWords:  []string{"취소"},
		PrepaidWords: []string{"선결제", "선불"},
	},
	"11st": {
		Fields: map[string]string{"order_no": "주문번호", "order_id_seq": "주문순번", "order_date": "결제일시", "product_code": "판매자 상품코드",
			"product_name": "상품명", "option": "옵션", "qty": "수량", "shop_price": "주문금액", "pay_type": "판매방식", "org_trans_who": "배송비결제방식",
			"buyer": "구매자", "recipient": "수취인", "phone": "휴대폰번호", "phone2": "전화번호", "zipcode": "우편번호", "address": "주소",
			"request": "배송메시지", "status": "주문상태", "ship_no": "배송번호"},
		Codes:        map[int]string{11: "주문금액", 12: "판매단가", 13: "서비스이용료", 14: "정산예정금액", 15: "옵션가", 18: "배송비"},
		CancelWords:  []string{"취소", "반품"},
		PrepaidWords: []string{"선불", "선결제"}, // 배송비결제방식: 선불, 착불
	},
}
