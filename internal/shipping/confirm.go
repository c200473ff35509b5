package shipping

import (
	"context"
	"fmt"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// DefaultConfirmAfter is how long after 배송완료 an item becomes 구매확정.
const DefaultConfirmAfter = 7 * 24 * time.Hour

// confirmLease is how long one run of the job holds its lease; a process
// that dies while holding it lets another run after this long.
const confirmLease = 10 * time.Minute

const confirmBatch = 500

// AutoConfirm is the 구매확정 job: the items delivered ConfirmAfter ago or
// earlier become confirmed. One process at a time runs it (a lease row that
// holder takes); another process that finds the lease held does nothing
// and reports 0. It returns how many items it confirmed.
func (s *Service) AutoConfirm(ctx context.Context, holder string) (int, error) {
	now := sqldb.Instant(s.Now())
	var took bool
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE delivery_job_lease SET holder = $1, lease_until = $2
			WHERE name = 'auto_confirm' AND (lease_until < $3 OR holder = $1)`, holder, now.Add(confirmLease), now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		took = n == 1
		return err
	})
	if err != nil || !took {
		return 0, err
	}
	defer func() {
		rctx := context.WithoutCancel(ctx)
		_ = s.DB.InTx(rctx, func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(rctx, `UPDATE delivery_job_lease SET lease_until = $1 WHERE name = 'auto_confirm' AND holder = $2`,
				time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), holder)
			return err
		})
	}()
	return s.ConfirmDue(ctx)
}

// ConfirmDue confirms the items delivered ConfirmAfter ago or earlier. Each
// item moves delivered → confirmed by a conditional update, so that two runs
// at once (with or without the lease) confirm each item once.
func (s *Service) ConfirmDue(ctx context.Context) (int, error) {
	now := sqldb.Instant(s.Now())
	after := s.ConfirmAfter
	if after <= 0 {
		after = DefaultConfirmAfter
	}
	cutoff := now.Add(-after)
	total := 0
	last := int64(0)
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		rows, err := s.DB.Read().QueryContext(ctx, `SELECT d.item_id, o.site, o.order_no FROM deliveries d JOIN order_items i ON i.id = d.item_id
			JOIN orders o ON o.id = i.order_id
			WHERE i.delivery_status = 'delivered' AND i.status = 'paid' AND d.delivered_at <= $1 AND d.item_id > $2 ORDER BY d.item_id LIMIT `+fmt.Sprint(confirmBatch), cutoff, last)
		if err != nil {
			return total, err
		}
		type due struct {
			id, orderNo int64
			site        string
		}
		var batch []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.site, &d.orderNo); err != nil {
				rows.Close()
				return total, err
			}
			batch = append(batch, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, err
		}
		if len(batch) == 0 {
			return total, nil
		}
		last = batch[len(batch)-1].id
		n := 0
		err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
			n = 0
			for _, d := range batch {
				moved, err := order.ConfirmDelivered(ctx, tx, d.id)
				if err != nil {
					return err
				}
				if !moved { // confirmed by another run, or changed by a clerk meanwhile
					continue
				}
				if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET confirmed_at = $1, updated_at = $1 WHERE item_id = $2`, now, d.id); err != nil {
					return err
				}
				if err := audit.Record(ctx, tx, now, access.System(), audit.Change{Site: d.site, Action: "delivery.auto_confirm", Entity: "order_item",
					EntityID: d.id, Before: map[string]any{"order_no": d.orderNo, "state": order.DeliveryDelivered},
					After: map[string]any{"state": order.DeliveryConfirmed}}); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
	}
}
