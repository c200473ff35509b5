// Package catalog holds what is sold: courses, textbooks, free passes and
// extensions, with the fields the orders, refunds and settlements need.
package catalog

import (
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/paging"
)

// Kinds of product (the order item's 구분).
const (
	KindCourse    = "course"    // 과정
	KindTextbook  = "textbook"  // 교재
	KindFreepass  = "freepass"  // 프리패스
	KindExtension = "extension" // 연장
)

// Choice is a code with its Korean label.
type Choice struct{ Code, Label string }

// Label tables, in the order the console offers them.
var (
	Kinds      = []Choice{{KindCourse, "과정"}, {KindTextbook, "교재"}, {KindFreepass, "프리패스"}, {KindExtension, "연장"}}
	Deliveries = []Choice{{"online", "온라인"}, {"offline", "집합"}}
	Schedules  = []Choice{{"scheduled", "정규"}, {"always_open", "상시"}}
	Displays   = []Choice{{"visible", "정상"}, {"hidden", "숨김"}}
	// RefundPolicies are the calculators of the refund issue; a course names one.
	RefundPolicies = []Choice{
		{"lifelong_education", "평생교육법 (시행령 제23조 별표3)"},
		{"hagwon", "학원법 (시행령 제18조 별표4)"},
		{"by_days", "경과일수 기준"},
		{"by_progress", "학습진도 기준"},
		{"hrd_self_pay", "내일배움카드 자부담금"},
	}
)

// LabelOf returns the label of code in table, or code itself.
func LabelOf(table []Choice, code string) string {
	for _, c := range table {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

func known(table []Choice, code string) bool {
	for _, c := range table {
		if c.Code == code {
			return true
		}
	}
	return false
}

// Product is anything that can be ordered.
type Product struct {
	ID        int64  `json:"id"`
	Site      string `json:"site"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Display   string `json:"display"`    // visible / hidden
	ListPrice int64  `json:"list_price"` // 정가, won
	SalePrice int64  `json:"sale_price"` // 판매가, won

	// Courses.
	Category      string `json:"category"`
	Delivery      string `json:"delivery"`       // online / offline
	Schedule      string `json:"schedule"`       // scheduled / always_open
	GovRefundable bool   `json:"gov_refundable"` // 환급과정: coupons never apply
	AccessDays    int    `json:"access_days"`    // always_open courses, free passes, extensions (days added)
	StartDate     string `json:"start_date"`     // scheduled courses, YYYY-MM-DD
	EndDate       string `json:"end_date"`
	StudyHours    int    `json:"study_hours"` // 총 학습시간
	CohortYear    int    `json:"cohort_year"`
	CohortRound   int    `json:"cohort_round"`
	RefundPolicy  string `json:"refund_policy"`

	// Textbooks.
	ISBN        string `json:"isbn"`
	Author      string `json:"author"`
	Publisher   string `json:"publisher"`
	ShippingFee int64  `json:"shipping_fee"` // 배송비, won

	// Marketplace settlement: the prices the settlement formulas read.
	SupplyPrice int64  `json:"supply_price"` // 공급가
	Cost        int64  `json:"cost"`         // 원가
	CourierFee  int64  `json:"courier_fee"`  // 택배비
	SupplierID  *int64 `json:"supplier_id"`  // 공급처

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Filter narrows the product list.
type Filter struct {
	Site     string
	Kind     string
	Display  string
	Category string
	Q        string // name contains
	paging.Params
}
