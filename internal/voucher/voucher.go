// Package voucher is 근로자카드주문: the order items of government-refundable
// (내일배움카드) courses with their cohorts (년도/차수), learners and
// enrollments, for the clerk who checks them against HRD-Net before
// approving (수강승인). The rows, approvals and cancellations are the order
// package's (it owns orders, items and enrollments); the cohorts are the
// catalog's and the learners the member package's: this package joins them
// through their functions, never their SQL.
package voucher

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
)

// Service lists training-voucher orders.
type Service struct {
	Orders  *order.Service
	Members *member.Service
	Catalog *catalog.Service
}

// Filter is the 근로자카드주문 search form.
type Filter struct {
	order.VoucherFilter
	ProductID int64 // 과정명
	Year      int   // 년도 (0: every year)
	Round     int   // 차수 (0: every round of the year)
	// Awaiting is [결제완료/수강대기 검색]: paid items whose learner awaits
	// approval.
	Awaiting bool
}

// PerPageChoices are the 건씩 보기 choices.
var PerPageChoices = []int{20, 50, 100}

// ParseFilter reads the filter from a query and checks it.
func ParseFilter(q url.Values) (Filter, error) {
	p, err := paging.FromQuery(q)
	if err != nil {
		return Filter{}, err
	}
	f := Filter{VoucherFilter: order.VoucherFilter{Site: q.Get("site"), OrderedFrom: q.Get("ordered_from"), OrderedTo: q.Get("ordered_to"),
		PaidFrom: q.Get("paid_from"), PaidTo: q.Get("paid_to"), Enrollment: q.Get("enrollment_status"), ItemStatus: q.Get("item_status"),
		Q: q.Get("q"), Field: q.Get("field"), Params: p}}
	var fe apperr.Fields
	num := func(name string, max int64) int64 {
		v := q.Get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > max {
			fe.Add(name, "숫자를 바르게 적어 주세요.", name+" must be a number from 0 to "+strconv.FormatInt(max, 10))
			return 0
		}
		return n
	}
	f.ProductID = num("product_id", 1<<53)
	f.Year = int(num("year", 9999))
	f.Round = int(num("round", 999))
	if f.Round != 0 && f.Year == 0 {
		fe.Add("round", "차수는 년도와 함께 고릅니다.", "round goes with year")
	}
	switch q.Get("awaiting") {
	case "", "false", "0":
	case "true", "1":
		f.Awaiting = true
	default:
		fe.Add("awaiting", "awaiting은 true 또는 false입니다.", "awaiting must be true or false")
	}
	if err := fe.Err(); err != nil {
		return f, err
	}
	err = f.check()
	return f, err
}

func (f *Filter) check() error {
	if f.Awaiting {
		f.Enrollment, f.ItemStatus = order.EnrollAwaitingApproval, order.ItemPaid
	}
	return order.ValidateVoucherFilter(&f.VoucherFilter)
}

// Cohort is one 년도/차수 of the 차수 picker with the rows choosing it lists.
type Cohort struct {
	Year  int `json:"year"`
	Round int `json:"round"`
	Count int `json:"count"`
}

// Row is one line of 근로자카드주문.
type Row struct {
	order.VoucherRow
	Year        int    `json:"year"`
	Round       int    `json:"round"`
	Affiliation string `json:"affiliation"`
	RRNMasked   string `json:"rrn_masked"`
}

// List is one page of 근로자카드주문 with its cohorts.
type List struct {
	paging.Page[Row]
	Cohorts []Cohort `json:"cohorts"`
	// AllCohorts is the count of "- 전체 차수 (N 건) -": the rows of the
	// filter whatever the round.
	AllCohorts int `json:"all_cohorts"`
}

// courses returns the voucher courses by id.
func (s *Service) courses(ctx context.Context, a access.Actor, site string) ([]catalog.Product, map[int64]catalog.Product, error) {
	cs, err := s.Catalog.VoucherCourses(ctx, a, site)
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[int64]catalog.Product, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
	}
	return cs, byID, nil
}

// Courses are the courses of the 과정명 picker.
func (s *Service) Courses(ctx context.Context, a access.Actor, site string) ([]catalog.Product, error) {
	cs, _, err := s.courses(ctx, a, site)
	return cs, err
}

// orderFilter turns the course and cohort choice into the product ids the
// order package filters by.
func orderFilter(f Filter, courses []catalog.Product) order.VoucherFilter {
	of := f.VoucherFilter
	if f.ProductID == 0 && f.Year == 0 {
		return of
	}
	of.ProductIDs = []int64{}
	for _, c := range courses {
		if f.ProductID != 0 && c.ID != f.ProductID {
			continue
		}
		if f.Year != 0 && (c.CohortYear != f.Year || f.Round != 0 && c.CohortRound != f.Round) {
			continue
		}
		of.ProductIDs = append(of.ProductIDs, c.ID)
	}
	return of
}

// List returns one page of the filter, with the 차수 picker's counts.
func (s *Service) List(ctx context.Context, a access.Actor, f Filter) (List, error) {
	if err := f.check(); err != nil {
		return List{}, err
	}
	courses, byID, err := s.courses(ctx, a, f.Site)
	if err != nil {
		return List{}, err
	}
	page, err := s.Orders.VoucherList(ctx, a, orderFilter(f, courses))
	if err != nil {
		return List{}, err
	}
	out := List{Page: paging.Page[Row]{Items: make([]Row, 0, len(page.Items)), Total: page.Total, Page: page.Page, PerPage: page.PerPage}}
	if out.Items, err = s.enrich(ctx, a, page.Items, byID); err != nil {
		return List{}, err
	}
	counts, err := s.Orders.VoucherCounts(ctx, a, f.VoucherFilter)
	if err != nil {
		return List{}, err
	}
	out.Cohorts, out.AllCohorts = cohorts(courses, counts, f.ProductID)
	return out, nil
}

// cohorts sums the per-course counts by 년도/차수, newest first; with a
// course chosen only that course counts.
func cohorts(courses []catalog.Product, counts map[int64]int, productID int64) ([]Cohort, int) {
	type key struct{ y, r int }
	sums := map[key]int{}
	all := 0
	for _, c := range courses {
		if productID != 0 && c.ID != productID {
			continue
		}
		k := key{c.CohortYear, c.CohortRound}
		sums[k] += counts[c.ID]
		all += counts[c.ID]
	}
	out := make([]Cohort, 0, len(sums))
	for k, n := range sums {
		out = append(out, Cohort{Year: k.y, Round: k.r, Count: n})
	}
	slices.SortFunc(out, func(a, b Cohort) int { return cmp.Or(cmp.Compare(b.Year, a.Year), cmp.Compare(b.Round, a.Round)) })
	return out, all
}

// enrich adds the cohort and the learner (masked) to order rows.
func (s *Service) enrich(ctx context.Context, a access.Actor, rows []order.VoucherRow, byID map[int64]catalog.Product) ([]Row, error) {
	ids := memberIDs(rows)
	learners, err := s.Members.Learners(ctx, a, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		out = append(out, row(r, byID, learners))
	}
	return out, nil
}

func row(r order.VoucherRow, byID map[int64]catalog.Product, learners map[int64]member.Learner) Row {
	c := byID[r.ProductID]
	l := learners[r.MemberID]
	masked := l.RRN
	if l.Revealed {
		masked = secret.MaskRRN(l.RRN)
	}
	return Row{VoucherRow: r, Year: c.CohortYear, Round: c.CohortRound, Affiliation: l.Affiliation, RRNMasked: masked}
}

func memberIDs(rows []order.VoucherRow) []int64 {
	seen := map[int64]bool{}
	var ids []int64
	for _, r := range rows {
		if !seen[r.MemberID] {
			seen[r.MemberID] = true
			ids = append(ids, r.MemberID)
		}
	}
	return ids
}

// Each calls fn for every row of the filter (the EXCEL export), 500 rows
// at a time so that the learners are read in batches.
func (s *Service) Each(ctx context.Context, a access.Actor, f Filter, fn func(Row) error) error {
	if err := f.check(); err != nil {
		return err
	}
	courses, byID, err := s.courses(ctx, a, f.Site)
	if err != nil {
		return err
	}
	var batch []order.VoucherRow
	flush := func() error {
		rows, err := s.enrich(ctx, a, batch, byID)
		if err != nil {
			return err
		}
		batch = batch[:0]
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}
	err = s.Orders.VoucherEach(ctx, a, orderFilter(f, courses), func(r order.VoucherRow) error {
		batch = append(batch, r)
		if len(batch) == 500 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// LearnerRow is one line of 회원 EXCEL: a row of the list with its learner,
// whose resident registration number is in full only when Revealed.
type LearnerRow struct {
	Row
	Learner member.Learner
}

// Learners returns the learners of every row of the filter for 회원 EXCEL
// (HRD-Net): in full for the sites whose numbers the actor may reveal, after
// a reason, masked otherwise; the download is audited with the reason and
// the row count (member.ExportLearners).
func (s *Service) Learners(ctx context.Context, a access.Actor, f Filter, reason string) ([]LearnerRow, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	courses, byID, err := s.courses(ctx, a, f.Site)
	if err != nil {
		return nil, err
	}
	var rows []order.VoucherRow
	err = s.Orders.VoucherEach(ctx, a, orderFilter(f, courses), func(r order.VoucherRow) error {
		if len(rows) == member.MaxExportLearners {
			return apperr.New(apperr.Invalid, "내려받을 행이 너무 많습니다. 조건을 좁혀 주세요.", "Too many rows; narrow the filter.")
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	learners, err := s.Members.ExportLearners(ctx, a, memberIDs(rows), reason, len(rows), "voucher-orders")
	if err != nil {
		return nil, err
	}
	out := make([]LearnerRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, LearnerRow{Row: row(r, byID, learners), Learner: learners[r.MemberID]})
	}
	return out, nil
}
