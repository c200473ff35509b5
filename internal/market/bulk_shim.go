package market

import (
	"context"
	"fmt"
	"strings"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// bulk and writeRows stand in for sqldb.Bulk and (*sqldb.Tx).WriteRows until
// they land.
type bulk struct {
	Table   string
	Columns []string
}

func writeRows(ctx context.Context, tx *sqldb.Tx, b bulk, rows [][]any) error {
	ph := make([]string, len(b.Columns))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO `+b.Table+` (`+strings.Join(b.Columns, ", ")+`) VALUES (`+strings.Join(ph, ", ")+`)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r...); err != nil {
			return err
		}
	}
	return nil
}
