// Package coupon owns the coupons (쿠폰관리): their terms, their codes, the
// assignment of codes to members, and each use of a code by an order. The
// discount of a cart is computed here once (Split), for the storefront's
// quote and for order placement alike; the code is consumed in the order's
// own transaction (Consume) and given back by a cancel or a full refund.
package coupon

import (
	"fmt"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/won"
)

// Scopes (쿠폰범위).
const (
	ScopeAll      = "all"      // 과정/도서
	ScopeCourse   = "course"   // 과정
	ScopeTextbook = "textbook" // 도서
)

// Kinds (할인구분).
const (
	KindFixed = "fixed" // 정액: a fixed amount of won
	KindRate  = "rate"  // 정률: a percent of the eligible items, at most MaxDiscount
)

// Statuses (상태).
const (
	StatusActive  = "active"  // 정상
	StatusStopped = "stopped" // 중지: cannot be used
)

// Period statuses (기간상태), derived from the dates, as DESIGN.md names
// them.
const (
	PeriodUpcoming = "upcoming" // 대기
	PeriodActive   = "active"   // 진행
	PeriodEnded    = "ended"    // 마감
)

// Choice is a code and its Korean label.
type Choice struct{ Code, Label string }

// Scopes label the 쿠폰범위.
var Scopes = []Choice{{ScopeAll, "과정/도서"}, {ScopeCourse, "과정"}, {ScopeTextbook, "도서"}}

// Kinds label the 할인구분.
var Kinds = []Choice{{KindFixed, "정액"}, {KindRate, "정률"}}

// Statuses label the 상태.
var Statuses = []Choice{{StatusActive, "정상"}, {StatusStopped, "중지"}}

// Periods label the 기간상태.
var Periods = []Choice{{PeriodUpcoming, "대기"}, {PeriodActive, "진행"}, {PeriodEnded, "마감"}}

// Notice is what every coupon screen says.
const Notice = "쿠폰은 비환급과정에만 적용됩니다."

// Label returns the label of code in table, or code.
func Label(table []Choice, code string) string {
	for _, c := range table {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

// Coupon is one coupon with its terms.
type Coupon struct {
	ID          int64     `json:"id"`
	Site        string    `json:"site"`
	Name        string    `json:"name"`
	Scope       string    `json:"scope"`
	CourseID    *int64    `json:"course_id"`
	CourseName  string    `json:"course_name"`
	MinPrice    int64     `json:"min_price"`
	Kind        string    `json:"kind"`
	Amount      int64     `json:"amount"`       // 정액: won
	Rate        int       `json:"rate"`         // 정률: percent
	MaxDiscount int64     `json:"max_discount"` // 정률: at most this many won
	Shared      bool      `json:"shared"`       // 공용 (one code) or 개별 (N codes)
	ValidFrom   string    `json:"valid_from"`   // Seoul day, included
	ValidTo     string    `json:"valid_to"`     // Seoul day, included
	Status      string    `json:"status"`
	Period      string    `json:"period"` // 대기/진행/마감, from the dates
	Codes       int       `json:"codes"`  // codes issued
	Used        int       `json:"used"`   // live uses
	Benefit     string    `json:"benefit"`
	Title       string    `json:"title"` // name with its conditions, as the list shows it
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// BenefitText is the list's 할인혜택: "20,000원" or "10% (최대 5,000원)".
func (c Coupon) BenefitText() string {
	if c.Kind == KindRate {
		return fmt.Sprintf("%d%% (최대 %s)", c.Rate, won.Format(c.MaxDiscount))
	}
	return won.Format(c.Amount)
}

// TitleText is the name with its conditions: "B2B TEST [1,000원 이상의 전체 과정/도서]".
func (c Coupon) TitleText() string {
	what := "전체 " + Label(Scopes, c.Scope)
	if c.CourseID != nil {
		what = c.CourseName
	}
	if c.MinPrice > 0 {
		return fmt.Sprintf("%s [%s 이상의 %s]", c.Name, won.Format(c.MinPrice), what)
	}
	return fmt.Sprintf("%s [%s]", c.Name, what)
}

// PeriodOn is the 기간상태 of the coupon on the Seoul day today.
func (c Coupon) PeriodOn(today string) string {
	switch {
	case today < c.ValidFrom:
		return PeriodUpcoming
	case today > c.ValidTo:
		return PeriodEnded
	}
	return PeriodActive
}

// Input creates a coupon. Count is 발행수, the number of 개별 codes.
type Input struct {
	Site        string `json:"site"`
	Name        string `json:"name"`
	Scope       string `json:"scope"`
	CourseID    *int64 `json:"course_id"`
	MinPrice    int64  `json:"min_price"`
	Kind        string `json:"kind"`
	Amount      int64  `json:"amount"`
	Rate        int    `json:"rate"`
	MaxDiscount int64  `json:"max_discount"`
	Shared      bool   `json:"shared"`
	Count       int    `json:"count"`
	ValidFrom   string `json:"valid_from"`
	ValidTo     string `json:"valid_to"`
	Status      string `json:"status"` // "" starts 중지, as the form does
}

// Patch changes the fields that are not nil. Discount terms (scope, course,
// minimum, kind, amount, rate, maximum) stay as they are once a code was used.
type Patch struct {
	Name        *string `json:"name"`
	Scope       *string `json:"scope"`
	CourseID    *int64  `json:"course_id"`
	MinPrice    *int64  `json:"min_price"`
	Kind        *string `json:"kind"`
	Amount      *int64  `json:"amount"`
	Rate        *int    `json:"rate"`
	MaxDiscount *int64  `json:"max_discount"`
	ValidFrom   *string `json:"valid_from"`
	ValidTo     *string `json:"valid_to"`
	Status      *string `json:"status"`
}

// Filter is the list's search form.
type Filter struct {
	Site     string
	Scope    string
	CourseID int64
	From, To string // 유효기간 overlapping [From, To]
	Kind     string
	Shared   string // "", "shared", "individual"
	Status   string
	Q        string
	paging.Params
}

// Code is one row of 쿠폰사용관리: a code, the member holding or using it,
// and its use. A 공용 code has a row per member who used it.
type Code struct {
	ID                int64      `json:"id"`
	CouponID          int64      `json:"coupon_id"`
	CouponSite        string     `json:"coupon_site"`
	Code              string     `json:"code"`
	MemberID          *int64     `json:"member_id"`
	MemberSite        string     `json:"member_site"`
	MemberLogin       string     `json:"member_login"`
	MemberName        string     `json:"member_name"`
	MemberAffiliation string     `json:"member_affiliation"`
	Used              bool       `json:"used"`
	UsedAt            *time.Time `json:"used_at"`
	OrderNo           *int64     `json:"order_no"`
	AssignedAt        *time.Time `json:"assigned_at"`
	CreatedAt         time.Time  `json:"created_at"`
}

// Recallable reports whether 쿠폰 회수 applies: assigned and unused.
func (c Code) Recallable() bool { return c.MemberID != nil && !c.Used && c.AssignedAt != nil }

// CodeFilter is 쿠폰사용관리's search form.
type CodeFilter struct {
	Used string // "", "used", "unused"
	Q    string // code, member login or name
	paging.Params
}

// Line is one line of a cart as a coupon sees it.
type Line struct {
	ProductID     int64  `json:"product_id"`
	Kind          string `json:"kind"` // catalog kind
	Name          string `json:"name"`
	Qty           int    `json:"qty"`
	UnitPrice     int64  `json:"unit_price"`
	ListPrice     int64  `json:"list_price"` // unit price × qty
	GovRefundable bool   `json:"gov_refundable"`
}

// Cart is what a coupon code is checked against.
type Cart struct {
	Site     string
	MemberID int64
	Code     string
	Lines    []Line
}

// Applied is a code checked against a cart, with the discount of each line.
type Applied struct {
	CouponID  int64   `json:"coupon_id"`
	Name      string  `json:"coupon_name"`
	Code      string  `json:"coupon_code"`
	Discount  int64   `json:"discount_total"`
	Discounts []int64 `json:"-"`
	codeID    int64
	shared    bool
}

// Holder is the member using a code, as shown later in 쿠폰사용관리.
type Holder struct {
	ID          int64
	Site        string
	Login       string
	Name        string
	Affiliation string
}
