package market_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

type shimBulk struct {
	table string
	cols  []string
}

func ceilingBulk(cols []string) shimBulk { return shimBulk{"bench_ceiling", cols} }

func ceilingWrite(ctx context.Context, tx *sqldb.Tx, b shimBulk, rows [][]any) error {
	ph := make([]string, len(b.cols))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO `+b.table+` (`+strings.Join(b.cols, ", ")+`) VALUES (`+strings.Join(ph, ", ")+`)`)
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
