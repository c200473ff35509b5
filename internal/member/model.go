// Package member manages the members of each site: their contact details and,
// for training-voucher holders, the resident registration number (encrypted at
// rest, shown masked, revealed only by an audited action) and final education.
package member

import (
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/paging"
)

// Statuses of a member.
const (
	StatusActive    = "active"    // 정상
	StatusDormant   = "dormant"   // 휴면
	StatusWithdrawn = "withdrawn" // 탈퇴회원: still shown on old orders
)

// StatusLabels are the Korean labels of the statuses, in menu order.
var StatusLabels = []struct{ Code, Label string }{
	{StatusActive, "정상"}, {StatusDormant, "휴면"}, {StatusWithdrawn, "탈퇴"},
}

// EducationLabels are the final-education levels a training-voucher form asks for.
var EducationLabels = []struct{ Code, Label string }{
	{"", "-"},
	{"middle_school", "중학교 졸업 이하"},
	{"high_school", "고등학교 졸업"},
	{"college", "전문대학 졸업"},
	{"university", "대학교 졸업"},
	{"graduate", "대학원 졸업"},
}

// Label returns the Korean label of a code in a label table, or the code.
func Label(table []struct{ Code, Label string }, code string) string {
	for _, l := range table {
		if l.Code == code {
			return l.Label
		}
	}
	return code
}

// Member is one member of a site.
type Member struct {
	ID          int64     `json:"id"`
	Site        string    `json:"site"`
	Login       string    `json:"login"`
	Name        string    `json:"name"`
	Affiliation string    `json:"affiliation"`
	Phone       string    `json:"phone"`
	Email       string    `json:"email"`
	Status      string    `json:"status"`
	RRNMasked   string    `json:"rrn_masked"` // 750101-1******, "" when none
	Education   string    `json:"education"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Input creates a member. RRN is the plain number; it is stored encrypted.
type Input struct {
	Site        string `json:"site"`
	Login       string `json:"login"`
	Name        string `json:"name"`
	Affiliation string `json:"affiliation"`
	Phone       string `json:"phone"`
	Email       string `json:"email"`
	Status      string `json:"status"`
	RRN         string `json:"rrn"`
	Education   string `json:"education"`
}

// Patch changes the fields that are not nil. An empty RRN removes it.
type Patch struct {
	Name        *string `json:"name"`
	Affiliation *string `json:"affiliation"`
	Phone       *string `json:"phone"`
	Email       *string `json:"email"`
	Status      *string `json:"status"`
	RRN         *string `json:"rrn"`
	Education   *string `json:"education"`
}

// Filter narrows the member list.
type Filter struct {
	Site   string
	Status string
	Q      string // keyword
	Field  string // login, name, affiliation, phone, email; "" searches login and name
	paging.Params
}

// SearchFields are the keyword fields of the member list.
var SearchFields = []struct{ Code, Label string }{
	{"", "- 전체 -"}, {"login", "아이디"}, {"name", "이름"}, {"affiliation", "소속"}, {"phone", "전화번호"}, {"email", "이메일"},
}
