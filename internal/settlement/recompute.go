package settlement

import (
	"context"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// RecomputeBatch is how many order numbers one recompute transaction settles.
const RecomputeBatch = 300

// Recompute settles again the lines of the Seoul business days from..to
// (optionally of one marketplace), in batches of whole order numbers. It is
// idempotent: the same inputs give the same rows. progress, when set, hears
// the order numbers done and their total.
func (s *Service) Recompute(ctx context.Context, a access.Actor, from, to, marketplace string, progress func(done, total int)) (int, error) {
	if err := CheckRecompute(a, from, to); err != nil {
		return 0, err
	}
	if marketplace != "" {
		var one int
		if err := s.DB.Read().QueryRowContext(ctx, `SELECT 1 FROM marketplaces WHERE code = $1`, marketplace).Scan(&one); err != nil {
			return 0, &apperr.Error{Code: apperr.Invalid, Message: "없는 판매처입니다: " + marketplace, English: "no such marketplace: " + marketplace,
				Fields: []apperr.FieldError{{Location: "marketplace", Message: "없는 판매처입니다.", English: "no such marketplace"}}}
		}
	}
	var w sqldb.Where
	w.Add("o.order_day >= ? AND o.order_day <= ?", from, to)
	if marketplace != "" {
		w.Add("m.code = ?", marketplace)
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT DISTINCT o.marketplace_id, o.order_no FROM market_orders o JOIN marketplaces m ON m.id = o.marketplace_id`+
		w.SQL()+` ORDER BY o.marketplace_id, o.order_no`, w.Args()...)
	if err != nil {
		return 0, err
	}
	type key struct {
		mp int64
		no string
	}
	var keys []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.mp, &k.no); err != nil {
			rows.Close()
			return 0, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	// usertrans_cnt per marketplace and day, counted once for the whole run.
	prepaid := map[int64]map[string]int64{}
	for _, k := range keys {
		if _, ok := prepaid[k.mp]; !ok {
			m, err := prepaidBundles(ctx, s.DB.Read(), k.mp)
			if err != nil {
				return 0, err
			}
			prepaid[k.mp] = m
		}
	}
	for start := 0; start < len(keys); start += RecomputeBatch {
		part := keys[start:min(start+RecomputeBatch, len(keys))]
		err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
			byMP := map[int64][]string{}
			for _, k := range part {
				byMP[k.mp] = append(byMP[k.mp], k.no)
			}
			for mp, nos := range byMP {
				if err := s.settleOrderNos(ctx, tx, mp, nos, prepaid[mp]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return start, err
		}
		if progress != nil {
			progress(start+len(part), len(keys))
		}
	}
	return len(keys), nil
}

// CheckRecompute says whether the actor may recompute the range, before any work.
func CheckRecompute(a access.Actor, from, to string) error {
	if a.Role == access.Viewer {
		return access.ErrReadOnly
	}
	var fe apperr.Fields
	for name, v := range map[string]string{"from": from, "to": to} {
		if _, err := kst.ParseDay(v); err != nil {
			fe.Add(name, "날짜는 YYYY-MM-DD 형식의 있는 날짜입니다.", "dates are real days as YYYY-MM-DD")
		}
	}
	if fe == nil && to < from {
		fe.Add("to", "끝 날짜가 시작 날짜보다 앞섭니다.", "to is before from")
	}
	return fe.Err()
}
