package settlement

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// DefaultTitle names the rule a preset marketplace starts with.
const DefaultTitle = "기본 정산룰"

// presetCommission is the commission (%) of a preset marketplace whose order
// sheet has no 정산예정금액 column: 쿠팡's category fee for books and
// educational goods (도서, 10.8 %). Staff adjust it on the rule screen.
var presetCommission = map[string]string{"coupang": "10.8"}

// DefaultRule is the rule a marketplace created from a preset starts with
// (자동 연동 판매처의 기본 설정): priority 0 over the whole period; 총판매금액 is
// the sheet's order amount (code11, else shop_price); 정산예정금액 is the
// sheet's own 정산예정금액 column where it has one, else the sale less the
// preset's commission; 선결제처리 is the sheet's shipping column (code18) on
// lines whose 배송비 wording is one of the format's prepaid words. ok is false
// for a format that gives nothing to build on.
func DefaultRule(code string, f market.Format) (Rule, bool) {
	r := Rule{Marketplace: code, Title: DefaultTitle, Enabled: true, Rounding: "floor", Sale: "shop_price"}
	if _, ok := f.Codes[11]; ok {
		r.Sale = "code11"
	}
	var ns []int
	for n, h := range f.Codes {
		if strings.Contains(strings.ReplaceAll(h, " ", ""), "정산예정금액") {
			ns = append(ns, n)
		}
	}
	sort.Ints(ns)
	switch {
	case len(ns) > 0:
		r.Settle = market.CodeName(ns[0])
	case presetCommission[code] != "":
		c, _ := strconv.ParseFloat(presetCommission[code], 64)
		r.Rate = strconv.FormatFloat(100-c, 'f', -1, 64)
	default:
		return Rule{}, false
	}
	if _, ok := f.Codes[18]; ok {
		var conds []string
		for _, w := range f.Prepaid() {
			conds = append(conds, fmt.Sprintf("org_trans_who == %q", w))
		}
		r.Prepaid = strings.Join(conds, " || ") + " ? code18 : 0"
	}
	return r, true
}

// AddDefaultRule saves DefaultRule for a new marketplace in the caller's
// transaction (the market package calls it when it creates a marketplace
// from a preset).
func (s *Service) AddDefaultRule(ctx context.Context, tx *sqldb.Tx, a access.Actor, code string, f market.Format) error {
	r, ok := DefaultRule(code, f)
	if !ok {
		return nil
	}
	if err := Check(&r); err != nil {
		return fmt.Errorf("default rule of %s: %w", code, err)
	}
	_, err := s.save(ctx, tx, a, 0, r)
	return err
}
