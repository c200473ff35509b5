package settlement

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// The settlement rows carry no per-row foreign keys (migration 0018: each
// row's lookups were a third of writing them). Their references hold by
// construction and are checked in bulk instead:
//   - market_order_id: a batch writes only the ids of the lines it read
//     from market_orders in its own transaction, and lines are never deleted;
//   - rule_version_id: checkVersions, once per batch, over the versions the
//     batch wrote;
//   - both, across the whole table: Orphans (orderdesk verify).

// checkVersions makes sure that every rule version the rows name is a
// version of a rule of the marketplace: one query per batch.
func checkVersions(ctx context.Context, q sqldb.Querier, marketplaceID int64, rows []row) error {
	var vers []string
	for _, r := range rows {
		if v, ok := r.ver.(int64); ok {
			s := strconv.FormatInt(v, 10)
			if !slices.Contains(vers, s) {
				vers = append(vers, s)
			}
		}
	}
	if len(vers) == 0 {
		return nil
	}
	var w sqldb.Where
	w.Add("r.marketplace_id = ?", marketplaceID)
	w.In("v.id", vers)
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM settlement_rule_versions v JOIN settlement_rules r ON r.id = v.rule_id`+w.SQL(), w.Args()...).Scan(&n); err != nil {
		return err
	}
	if n != len(vers) {
		return fmt.Errorf("settlement: %d of the rule versions %v are not the marketplace's", len(vers)-n, vers)
	}
	return nil
}

// Orphans lists the settlement rows whose line or rule version does not
// exist, or whose marketplace is not their line's (orderdesk verify).
func Orphans(ctx context.Context, q sqldb.Querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT st.market_order_id, COALESCE(st.rule_version_id, 0),
		CASE WHEN o.id IS NULL THEN 'no such marketplace line' WHEN o.marketplace_id <> st.marketplace_id THEN 'another marketplace than its line'
		ELSE 'no such rule version' END
		FROM market_settlements st LEFT JOIN market_orders o ON o.id = st.market_order_id
		LEFT JOIN settlement_rule_versions v ON v.id = st.rule_version_id
		WHERE o.id IS NULL OR o.marketplace_id <> st.marketplace_id OR (st.rule_version_id IS NOT NULL AND v.id IS NULL)
		ORDER BY st.market_order_id LIMIT 100`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, ver int64
		var why string
		if err := rows.Scan(&id, &ver, &why); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("settlement of marketplace line %d (rule version %d): %s", id, ver, why))
	}
	return out, rows.Err()
}
