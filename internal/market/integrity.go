package market

import (
	"context"
	"fmt"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// On PostgreSQL the marketplace lines carry no per-row foreign keys
// (migration 0024: their triggers were more than half of writing a batch);
// SQLite keeps them. Their references hold by construction and are checked
// in bulk instead:
//   - marketplace_id, import_id: an import writes its marketplace's id and
//     its own session's, rows it read in its transaction; neither table's
//     rows are ever deleted;
//   - bundle_id: an import writes only the ids its batch's bundle insert or
//     lookup returned (loader.values refuses a batch with a missing one),
//     합포/분리 only ids they read or made in their transaction, and a
//     bundle is deleted only when no line names it;
//   - all three, across the whole table: Orphans (orderdesk verify).

// Orphans lists marketplace lines whose marketplace, import or bundle does
// not exist, or whose bundle is another marketplace's (orderdesk verify).
func Orphans(ctx context.Context, q sqldb.Querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT o.id, o.order_no, o.sub_no,
		CASE WHEN m.id IS NULL THEN 'no such marketplace' WHEN i.id IS NULL THEN 'no such import'
		WHEN b.id IS NULL THEN 'no such bundle' ELSE 'a bundle of another marketplace' END
		FROM market_orders o LEFT JOIN marketplaces m ON m.id = o.marketplace_id LEFT JOIN market_imports i ON i.id = o.import_id
		LEFT JOIN market_bundles b ON b.id = o.bundle_id
		WHERE m.id IS NULL OR i.id IS NULL OR b.id IS NULL OR b.marketplace_id <> o.marketplace_id
		ORDER BY o.id LIMIT 100`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var no, sub, why string
		if err := rows.Scan(&id, &no, &sub, &why); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("marketplace line %d (주문번호 %s-%s): %s", id, no, sub, why))
	}
	return out, rows.Err()
}
