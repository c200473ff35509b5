package settlement

import (
	"context"
	"math"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

// PreviewLines is how many of a marketplace's latest lines a preview settles.
const PreviewLines = 20

// PreviewLine is one line as the draft rule would settle it.
type PreviewLine struct {
	ID          int64  `json:"id"`
	OrderNo     string `json:"order_no"`
	ProductCode string `json:"product_code"`
	Day         string `json:"order_day"`
	Cancelled   bool   `json:"cancelled"` // settled as stored, but not in the totals (as in the reports)
	ByDraft     bool   `json:"by_draft"`  // the draft is the rule this line would get
	Rule        string `json:"rule"`      // the rule it would get, when another one
	Sale        int64  `json:"sale"`
	Settle      int64  `json:"settle"`
	Fee         int64  `json:"fee"` // sale − settle
	Prepaid     int64  `json:"prepaid"`
	Margin      int64  `json:"margin"`
	Payment     int64  `json:"payment"`
	Reason      string `json:"reason"` // why it is unsettled
}

// Preview is what a rule draft gives on the latest lines of its marketplace,
// computed by settleLines and finalRows exactly as settling stores it, with
// the draft in place of its saved version among the marketplace's rules.
type Preview struct {
	Lines []PreviewLine `json:"lines"`
	// Totals over the live lines the draft settles (cancelled lines are not
	// sales, as in the reports).
	Orders                              int   `json:"orders"`
	Cancelled                           int   `json:"-"`
	Sale, Settle, Fee, Prepaid, Margin  int64 `json:"-"`
	Negative, OverSale, Errors, ByOther int   `json:"-"`
	Uncovered                           int   `json:"-"` // lines no rule covers
}

// Preview settles the latest lines of the draft's marketplace (whole order
// numbers, so shares are as stored) with the draft and shows the result;
// nothing is written. The draft must pass Check. A draft saved disabled
// previews as if it were enabled.
func (s *Service) Preview(ctx context.Context, draft Rule) (Preview, error) {
	if err := Check(&draft); err != nil {
		return Preview{}, err
	}
	q := s.DB.Read()
	var mp int64
	if err := q.QueryRowContext(ctx, `SELECT id FROM marketplaces WHERE code = $1`, draft.Marketplace).Scan(&mp); err != nil {
		return Preview{}, apperr.New(apperr.Invalid, "판매처를 선택해 주세요.", "no such marketplace")
	}
	rows, err := q.QueryContext(ctx, `SELECT order_no FROM market_orders WHERE marketplace_id = $1 ORDER BY id DESC LIMIT $2`, mp, PreviewLines)
	if err != nil {
		return Preview{}, err
	}
	var orderNos []string
	seen := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return Preview{}, err
		}
		if !seen[n] {
			seen[n] = true
			orderNos = append(orderNos, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Preview{}, err
	}
	var p Preview
	if len(orderNos) == 0 {
		return p, nil
	}
	saved, err := s.rulesOf(ctx, q, mp)
	if err != nil {
		return Preview{}, err
	}
	d := draft
	if d.ID == 0 {
		d.ID = math.MaxInt64 // a new rule is the newest on a tie, as once saved
	}
	d.VersionID = -1 // never a stored version
	d.Enabled = true // a draft saved disabled previews as if enabled
	dc, err := compileRule(d)
	if err != nil {
		return Preview{}, err
	}
	rules := []*compiled{dc}
	for _, c := range saved {
		if c.ID != draft.ID || draft.ID == 0 {
			rules = append(rules, c)
		}
	}
	need := neededVars(rules)
	need["product_code"] = true // each line shows it
	b, err := loadLines(ctx, q, mp, orderNos, 0, nil, need)
	if err != nil {
		return Preview{}, err
	}
	results := settleLines(rules, b, nil)
	final := finalRows(results)
	for i, r := range results {
		w := final[i]
		pl := PreviewLine{ID: r.l.id, OrderNo: r.l.orderNo, ProductCode: r.l.code, Day: r.l.day, Cancelled: r.l.cancelled, Reason: w.reason}
		switch {
		case r.rule == dc && r.l.cancelled:
			pl.ByDraft = true
			pl.Sale, pl.Settle, pl.Fee, pl.Prepaid, pl.Margin, pl.Payment = w.sale, w.settle, w.sale-w.settle, w.prepaid, w.margin, w.payment
			p.Cancelled++
		case r.rule == dc:
			pl.ByDraft = true
			pl.Sale, pl.Settle, pl.Fee, pl.Prepaid, pl.Margin, pl.Payment = w.sale, w.settle, w.sale-w.settle, w.prepaid, w.margin, w.payment
			p.Orders++
			p.Sale += w.sale
			p.Settle += w.settle
			p.Fee += w.sale - w.settle
			p.Prepaid += w.prepaid
			p.Margin += w.margin
			if w.sale < 0 || w.settle < 0 {
				p.Negative++
			}
			if w.settle > w.sale {
				p.OverSale++
			}
		case r.rule != nil:
			pl.Rule = r.rule.Title
			p.ByOther++
		case r.failed == dc:
			pl.ByDraft = true
			p.Errors++
		case r.failed != nil:
			pl.Rule = r.failed.Title
			p.ByOther++
		default:
			p.Uncovered++
		}
		p.Lines = append(p.Lines, pl)
	}
	return p, nil
}
