package market

import (
	"context"
	"fmt"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// LineKey identifies a stored order line: what a payout file's row is
// matched against (정산대사).
type LineKey struct {
	ID        int64
	OrderNo   string
	SubNo     string
	OrderDay  string
	BundleID  int64
	Cancelled bool
}

// LineKeys returns the lines of the order numbers of a marketplace, in the
// caller's transaction or on a reader.
func LineKeys(ctx context.Context, q sqldb.Querier, marketplaceID int64, orderNos []string) ([]LineKey, error) {
	var out []LineKey
	for start := 0; start < len(orderNos); start += 500 {
		var w sqldb.Where
		w.Add("marketplace_id = ?", marketplaceID)
		w.In("order_no", orderNos[start:min(start+500, len(orderNos))])
		rows, err := q.QueryContext(ctx, `SELECT id, order_no, sub_no, order_day, bundle_id, cancelled FROM market_orders`+w.SQL()+` ORDER BY id`, w.Args()...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k LineKey
			if err := rows.Scan(&k.ID, &k.OrderNo, &k.SubNo, &k.OrderDay, &k.BundleID, &k.Cancelled); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// BundleFirstLines returns, per bundle, its first line that is not
// cancelled (the line that carries the bundle's shipping in settlement), or
// its first line when all are cancelled.
func BundleFirstLines(ctx context.Context, q sqldb.Querier, bundleIDs []int64) (map[int64]LineKey, error) {
	out := map[int64]LineKey{}
	for start := 0; start < len(bundleIDs); start += 500 {
		ids := make([]string, 0, 500)
		for _, b := range bundleIDs[start:min(start+500, len(bundleIDs))] {
			ids = append(ids, fmt.Sprint(b))
		}
		var w sqldb.Where
		w.In("bundle_id", ids)
		rows, err := q.QueryContext(ctx, `SELECT id, order_no, sub_no, order_day, bundle_id, cancelled FROM market_orders`+w.SQL()+` ORDER BY bundle_id, cancelled, id`, w.Args()...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k LineKey
			if err := rows.Scan(&k.ID, &k.OrderNo, &k.SubNo, &k.OrderDay, &k.BundleID, &k.Cancelled); err != nil {
				rows.Close()
				return nil, err
			}
			if _, ok := out[k.BundleID]; !ok {
				out[k.BundleID] = k
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
