package catalog

import (
	"context"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// MaxVoucherCourses bounds the course picker of 근로자카드주문.
const MaxVoucherCourses = 2000

// VoucherCourses lists the government-refundable (내일배움카드) courses the
// actor may read, newest cohort (년도/차수) first: the 과정명 and 차수
// pickers of 근로자카드주문. site "" is every site the actor reads.
func (s *Service) VoucherCourses(ctx context.Context, a access.Actor, site string) ([]Product, error) {
	var w sqldb.Where
	w.Add("kind = 'course' AND gov_refundable = ?", true)
	if scope := a.ReadScope(); scope != nil {
		w.In("site", scope)
	}
	if site != "" {
		w.Add("site = ?", site)
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+columns+` FROM products`+w.SQL()+
		` ORDER BY cohort_year DESC, cohort_round DESC, name, id LIMIT `+strconv.Itoa(MaxVoucherCourses), w.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Product{}
	for rows.Next() {
		p, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
