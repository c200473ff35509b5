package console

// messages holds the English of the console's Korean words. Korean is the
// console's own language: a key is the Korean text, and an English user sees
// the translation when there is one.
var messages = map[string]string{
	"주문결제관리": "Orders & payments", "주문관리": "Orders", "주문목록": "Order list", "배송관리": "Shipping",
	"환불관리": "Refunds", "근로자카드주문": "Voucher-card orders", "매출통계": "Sales statistics", "일별매출통계": "Daily sales",
	"월별매출통계": "Monthly sales", "과정매출통계": "Sales by course", "쿠폰관리": "Coupons", "정산관리": "Settlement",
	"판매처": "Marketplaces", "발주서 포맷": "Sheet formats", "정산룰": "Settlement rules", "정산통계": "Settlement reports", "정산대사": "Reconciliation", "정산대사 라인": "Reconciliation line",
	"회원·상품": "Members & products", "회원": "Members", "상품": "Products", "사이트": "Sites", "운영": "Operations",
	"감사 로그": "Audit log", "직원": "Staff", "로그아웃": "Log out", "로그인": "Log in", "아이디": "Login", "비밀번호": "Password",
	"검색": "Search", "전체": "All", "등록": "Create", "수정": "Edit", "저장": "Save", "목록": "List", "취소": "Cancel",
	"이름": "Name", "소속": "Affiliation", "전화번호": "Phone", "이메일": "Email", "상태": "Status", "주민등록번호": "Resident reg. no.",
	"최종학력": "Final education", "등록일": "Created", "회원 등록": "New member", "회원 정보": "Member", "회원 수정": "Edit member",
	"주민등록번호 보기": "Reveal number", "준비 중": "Coming soon", "이 화면은 준비 중입니다.": "This screen is being built.",
	"상품 등록": "New product", "상품 수정": "Edit product", "상품명": "Name", "구분": "Kind", "정가": "List price", "판매가": "Sale price",
	"노출": "Display", "분류": "Category", "교육방식": "Delivery", "운영방식": "Schedule", "환급과정": "Gov. refundable",
	"수강기간(일)": "Access days", "시작일": "Start", "종료일": "End", "총 학습시간": "Study hours", "년도": "Year", "차수": "Round",
	"환불 규정": "Refund policy", "저자": "Author", "출판사": "Publisher", "배송비": "Shipping fee", "코드": "Code",
	"사이트 등록": "New site", "직원 등록": "New staff", "권한": "Role", "사이트들": "Sites", "사용": "Active", "사용중지": "Disabled",
	"일시": "When", "작업자": "Who", "작업": "Action", "대상": "Entity", "변경 전": "Before", "변경 후": "After",
	"언어": "Language", "홈": "Home", "입력값을 확인해 주세요.": "Please check the input.", "저장했습니다.": "Saved.",
	"판매처 주문": "Marketplace orders", "상품매칭": "Product matching", "주문출력": "Print order", "결제내역": "Payment log",
	"입금확인": "Confirm deposit", "주문취소": "Cancel order", "환불신청": "Refund request",
	"내 API 토큰": "My API tokens", "폐기": "Revoke", "마지막 사용": "Last used", "폐기했습니다.": "Revoked.",
	"API 토큰이 없습니다.": "No API tokens.",
	"폐기한 토큰은 이 서버에서 즉시, 다른 서버에서도 1초 안에 쓸 수 없게 됩니다. 새 토큰은 orderdesk token create --login 아이디 로 만듭니다.": "A revoked token stops working at once on this server and within a second on the others. Make a new one with orderdesk token create --login LOGIN.",
	"배송업체 관리": "Couriers", "송장번호 일괄갱신": "Bulk tracking numbers", "배송정보": "Delivery",
	"- 전체 -": "- All -", "이전": "Prev", "다음": "Next", "없음": "None", "English": "English", "한국어": "한국어",
}

// translate returns the text for lang.
func translate(lang, ko string) string {
	if lang == "en" {
		if en, ok := messages[ko]; ok {
			return en
		}
	}
	return ko
}
