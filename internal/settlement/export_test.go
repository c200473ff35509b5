package settlement

import (
	"context"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// CheckVersions runs checkVersions over rows of the given rule versions.
func CheckVersions(ctx context.Context, q sqldb.Querier, marketplaceID int64, versions []int64) error {
	rows := make([]row, len(versions))
	for i, v := range versions {
		rows[i].ver = v
	}
	return checkVersions(ctx, q, marketplaceID, rows)
}
