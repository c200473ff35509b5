package market

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// MatchItem is one catalogue product of a marketplace product, with how many
// of it one marketplace unit holds (a set of three textbooks: three lines).
type MatchItem struct {
	ProductID int64  `json:"product_id"`
	Name      string `json:"name,omitempty"`
	Count     int    `json:"count"`
}

// Match is 상품매칭 of one marketplace product code and option.
type Match struct {
	Marketplace string      `json:"marketplace"`
	ProductCode string      `json:"product_code"`
	Option      string      `json:"option"`
	Items       []MatchItem `json:"items"`
}

// Unmatched is a marketplace product without a match, with its orders.
type Unmatched struct {
	Marketplace string `json:"marketplace"`
	ProductCode string `json:"product_code"`
	Option      string `json:"option"`
	ProductName string `json:"product_name"`
	Orders      int    `json:"orders"`
}

// SetMatch replaces the match of a marketplace product code and option; it
// applies at once to every order with that code and option. No items
// removes the match.
func (s *Service) SetMatch(ctx context.Context, a access.Actor, m Match) error {
	if err := canWrite(a); err != nil {
		return err
	}
	mp, err := s.Marketplace(ctx, m.Marketplace)
	if err != nil {
		return err
	}
	m.ProductCode, m.Option = strings.TrimSpace(m.ProductCode), strings.TrimSpace(m.Option)
	var fe apperr.Fields
	if m.ProductCode == "" {
		fe.Add("product_code", "판매처 상품코드를 입력해 주세요.", "product_code is required")
	}
	seen := map[int64]bool{}
	for _, it := range m.Items {
		if it.Count < 1 || it.Count > 1000 {
			fe.Add("items", "상품 수는 1~1000입니다.", "count must be 1-1000")
		}
		if seen[it.ProductID] {
			fe.Add("items", "같은 상품이 두 번 들어 있습니다.", "a product is given twice")
		}
		seen[it.ProductID] = true
	}
	if err := fe.Err(); err != nil {
		return err
	}
	// A product of a site the actor cannot see does not exist for them. A
	// product's site never changes, so checking before the transaction holds.
	for _, it := range m.Items {
		if err := s.checkProduct(ctx, a, it.ProductID); err != nil {
			return err
		}
	}
	now := sqldb.Instant(s.Now())
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		// Replacing a match removes its products: refuse when one of them is
		// of a site the actor cannot see.
		old, err := matchedProducts(ctx, tx, mp.ID, m.ProductCode, m.Option)
		if err != nil {
			return err
		}
		for _, id := range old {
			if err := s.checkProduct(ctx, a, id); apperr.CodeOf(err) == apperr.NotFound {
				return apperr.New(apperr.Forbidden, "다른 사이트의 상품이 들어 있는 매칭은 바꿀 수 없습니다.", "The match holds a product of a site you do not have; you cannot change it.")
			} else if err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM product_matches WHERE marketplace_id = $1 AND product_code = $2 AND option_text = $3`,
			mp.ID, m.ProductCode, m.Option); err != nil {
			return err
		}
		for _, it := range m.Items {
			if _, err := tx.ExecContext(ctx, `INSERT INTO product_matches (marketplace_id, product_code, option_text, product_id, count) VALUES ($1, $2, $3, $4, $5)`,
				mp.ID, m.ProductCode, m.Option, it.ProductID, it.Count); err != nil {
				if sqldb.IsForeignKeyViolation(err) {
					return noProduct(it.ProductID)
				}
				return err
			}
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "market.match", Entity: "product_match", EntityID: m.Marketplace + ":" + m.ProductCode, After: m})
	})
}

func noProduct(id int64) error {
	msg, en := fmt.Sprintf("없는 상품입니다: %d", id), fmt.Sprintf("no such product: %d", id)
	return &apperr.Error{Code: apperr.NotFound, Message: msg, English: en, Fields: []apperr.FieldError{{Location: "items", Message: msg, English: en}}}
}

// checkProduct answers "없는 상품입니다" for a product that does not exist or
// whose site the actor cannot see: to them, both are the same.
func (s *Service) checkProduct(ctx context.Context, a access.Actor, id int64) error {
	cat := s.Catalog
	if cat == nil {
		cat = &catalog.Service{DB: s.DB, Now: s.Now}
	}
	if _, err := cat.Get(ctx, a, id); err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return noProduct(id)
		}
		return err
	}
	return nil
}

func matchedProducts(ctx context.Context, q sqldb.Querier, marketplaceID int64, code, option string) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT product_id FROM product_matches WHERE marketplace_id = $1 AND product_code = $2 AND option_text = $3`,
		marketplaceID, code, option)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Matches lists the matches of a marketplace. Products of sites the actor
// cannot see are left out (a match of only such products is left out whole).
func (s *Service) Matches(ctx context.Context, a access.Actor, marketplace string) ([]Match, error) {
	if _, err := s.Marketplace(ctx, marketplace); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT pm.product_code, pm.option_text, pm.product_id, p.name, p.site, pm.count
		FROM product_matches pm JOIN marketplaces m ON m.id = pm.marketplace_id JOIN products p ON p.id = pm.product_id
		WHERE m.code = $1 ORDER BY pm.product_code, pm.option_text, pm.product_id`, marketplace)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Match{}
	for rows.Next() {
		var code, opt, site string
		var it MatchItem
		if err := rows.Scan(&code, &opt, &it.ProductID, &it.Name, &site, &it.Count); err != nil {
			return nil, err
		}
		if !a.CanRead(site) {
			continue
		}
		if n := len(out); n > 0 && out[n-1].ProductCode == code && out[n-1].Option == opt {
			out[n-1].Items = append(out[n-1].Items, it)
			continue
		}
		out = append(out, Match{Marketplace: marketplace, ProductCode: code, Option: opt, Items: []MatchItem{it}})
	}
	return out, rows.Err()
}

// UnmatchedProducts lists marketplace products without a match, most orders first.
func (s *Service) UnmatchedProducts(ctx context.Context, marketplace string) ([]Unmatched, error) {
	var w sqldb.Where
	if marketplace != "" {
		w.Add("m.code = ?", marketplace)
	}
	w.Add(`NOT EXISTS (SELECT 1 FROM product_matches pm WHERE pm.marketplace_id = o.marketplace_id AND pm.product_code = o.product_code AND pm.option_text = o.option_text)`)
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT m.code, o.product_code, o.option_text, MIN(o.product_name), COUNT(*)
		FROM market_orders o JOIN marketplaces m ON m.id = o.marketplace_id`+w.SQL()+`
		GROUP BY m.code, o.product_code, o.option_text ORDER BY COUNT(*) DESC, m.code, o.product_code LIMIT 500`, w.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Unmatched{}
	for rows.Next() {
		var u Unmatched
		if err := rows.Scan(&u.Marketplace, &u.ProductCode, &u.Option, &u.ProductName, &u.Orders); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SplitBundle moves an order line out of its bundle into one of its own.
func (s *Service) SplitBundle(ctx context.Context, a access.Actor, orderID int64) (int64, error) {
	if err := canWrite(a); err != nil {
		return 0, err
	}
	var bid int64
	// Alone: settling the lines again may take a while (a whole day's lines
	// when a rule reads usertrans_cnt); on SQLite the checkouts of a batch
	// would wait for it.
	err := s.DB.InTx(sqldb.Alone(ctx), func(tx *sqldb.Tx) error {
		var mp int64
		var old int64
		if err := tx.QueryRowContext(ctx, `SELECT marketplace_id, bundle_id FROM market_orders WHERE id = $1`, orderID).Scan(&mp, &old); err != nil {
			return sqldb.NotFound(err, "판매처 주문", "marketplace order")
		}
		// Imports of the marketplace settle the same days: take turns.
		if err := lockMarketplace(ctx, tx, mp); err != nil {
			return err
		}
		// The key names the line, its old bundle and the number of bundles
		// split off it before, so a line split, joined back and split again
		// gets a bundle of its own again.
		var splits int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_bundles WHERE marketplace_id = $1 AND bundle_key LIKE $2`,
			mp, "split:"+itoa(orderID)+":%").Scan(&splits); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO market_bundles (marketplace_id, bundle_key, manual) VALUES ($1, $2, TRUE) RETURNING id`,
			mp, "split:"+itoa(orderID)+":"+itoa(old)+":"+itoa(splits+1)).Scan(&bid); err != nil {
			return err
		}
		touched, err := bundleLines(ctx, tx, []int64{orderID})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE market_orders SET bundle_id = $1 WHERE id = $2`, bid, orderID); err != nil {
			return err
		}
		if err := s.settleBundles(ctx, tx, mp, touched); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.Now(), a, audit.Change{Action: "market.bundle_split", Entity: "market_order", EntityID: orderID,
			Before: map[string]int64{"bundle": old}, After: map[string]int64{"bundle": bid}})
	})
	return bid, err
}

// JoinBundle moves order lines into the bundle of the first; all must be of one marketplace.
func (s *Service) JoinBundle(ctx context.Context, a access.Actor, orderIDs []int64) (int64, error) {
	if err := canWrite(a); err != nil {
		return 0, err
	}
	if len(orderIDs) < 2 {
		return 0, apperr.New(apperr.Invalid, "합포할 주문을 두 개 이상 선택해 주세요.", "choose at least two orders")
	}
	var bid int64
	err := s.DB.InTx(sqldb.Alone(ctx), func(tx *sqldb.Tx) error { // as SplitBundle
		var mp int64
		if err := tx.QueryRowContext(ctx, `SELECT marketplace_id, bundle_id FROM market_orders WHERE id = $1`, orderIDs[0]).Scan(&mp, &bid); err != nil {
			return sqldb.NotFound(err, "판매처 주문", "marketplace order")
		}
		if err := lockMarketplace(ctx, tx, mp); err != nil {
			return err
		}
		touched, err := bundleLines(ctx, tx, orderIDs)
		if err != nil {
			return err
		}
		for _, id := range orderIDs[1:] {
			res, err := tx.ExecContext(ctx, `UPDATE market_orders SET bundle_id = $1 WHERE id = $2 AND marketplace_id = $3`, bid, id, mp)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return apperr.New(apperr.Invalid, "같은 판매처의 주문만 합포할 수 있습니다.", "only orders of one marketplace can be bundled")
			}
		}
		if err := s.settleBundles(ctx, tx, mp, touched); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.Now(), a, audit.Change{Action: "market.bundle_join", Entity: "market_order", EntityID: orderIDs[0],
			After: map[string]any{"bundle": bid, "orders": orderIDs}})
	})
	return bid, err
}

// bundled are the order numbers and days of the lines of some bundles.
type bundled struct {
	orderNos, days []string
}

// bundleLines returns the order numbers and order days of the lines of the
// bundles that hold the lines lineIDs, read before a split or join moves any
// of them.
func bundleLines(ctx context.Context, tx *sqldb.Tx, lineIDs []int64) (bundled, error) {
	var out bundled
	var w sqldb.Where
	w.InInt("id", lineIDs)
	nos, days := map[string]bool{}, map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT order_no, order_day FROM market_orders WHERE bundle_id IN (SELECT bundle_id FROM market_orders`+w.SQL()+`)`, w.Args()...)
	err = sqldb.ScanEach(rows, err, func(row sqldb.Scanner) error {
		var no, day string
		if err := row.Scan(&no, &day); err != nil {
			return err
		}
		nos[no], days[day] = true, true
		return nil
	})
	out.orderNos, out.days = slices.Sorted(maps.Keys(nos)), slices.Sorted(maps.Keys(days))
	return out, err
}

// settleBundles settles again, after a split or join, the lines of the
// bundles it changed (their shipping, margin and bundle counts move with the
// lines) and, when a rule reads usertrans_cnt, their days (the number of
// prepaid bundles changed), as an import does.
func (s *Service) settleBundles(ctx context.Context, tx *sqldb.Tx, marketplaceID int64, b bundled) error {
	if s.Settle != nil {
		if err := s.Settle(ctx, tx, marketplaceID, b.orderNos); err != nil {
			return fmt.Errorf("settle: %w", err)
		}
	}
	if s.SettleDays != nil {
		if err := s.SettleDays(ctx, tx, marketplaceID, b.days); err != nil {
			return fmt.Errorf("settle: %w", err)
		}
	}
	return nil
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
