package order

import (
	"context"
	"fmt"
	"slices"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// ShippingProduct is the product id under which the sales rollup keeps the
// part of a movement that belongs to no item: the shipping fee (배송비).
const ShippingProduct = 0

// itemShare is the part of a money movement that belongs to one item.
type itemShare struct{ item, amount int64 }

// productParts splits one journal row of amount (positive: received,
// negative: returned) over the products of sales_products (Seoul day × site
// × product) and sales_products_monthly (the same by Seoul month), which
// rollProducts then adds up; book reads the parts at once and writes them
// at the end of its transaction.
//
// The split is exact, in won, and sums to the row's amount:
//   - without shares (a capture, a deposit confirmed, a cancel): each item
//     of the order gets its 실결제금액 (paid), signed as the movement;
//   - with shares (a refund): each item gets its share;
//   - in both cases the rest, what no item holds (the shipping fee, or the
//     shipping returned by a refund), goes to ShippingProduct.
//
// Several items of one product add up under that product. A movement that
// receives money counts one order for each product of the order (a 0원 order
// too, as the manual's "0원 2건"), and ShippingProduct only when it receives
// some of it; a movement that returns money counts one refund for each product
// whose part is not 0. The migration 0015 rolls up older journal rows by the
// same rule.
func productParts(ctx context.Context, tx *sqldb.Tx, o row, amount int64, shares []itemShare) ([]productPart, error) {
	product := map[int64]int64{}
	paid := map[int64]int64{}
	var order []int64
	if o.allItems {
		for _, it := range o.Items {
			product[it.ID], paid[it.ID] = it.ProductID, it.Paid
			order = append(order, it.ID)
		}
		slices.Sort(order)
	} else {
		rows, err := tx.QueryContext(ctx, `SELECT id, product_id, paid FROM order_items WHERE order_id = $1 ORDER BY id`, o.ID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, pid, p int64
			if err := rows.Scan(&id, &pid, &p); err != nil {
				rows.Close()
				return nil, err
			}
			product[id] = pid
			paid[id] = p
			order = append(order, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	inflow := amount >= 0
	abs := amount
	if !inflow {
		abs = -amount
	}
	parts := map[int64]int64{}
	var products []int64
	add := func(pid, v int64) {
		if _, ok := parts[pid]; !ok {
			products = append(products, pid)
		}
		parts[pid] += v
	}
	rest := abs
	if shares == nil {
		for _, id := range order {
			add(product[id], paid[id])
			rest -= paid[id]
		}
	} else {
		for _, s := range shares {
			pid, ok := product[s.item]
			if !ok {
				return nil, fmt.Errorf("sales rollup: item %d is not of order %d", s.item, o.ID)
			}
			add(pid, s.amount)
			rest -= s.amount
		}
	}
	if rest != 0 {
		add(ShippingProduct, rest)
	}
	slices.Sort(products) // one lock order for concurrent transactions
	out := make([]productPart, 0, len(products))
	for _, pid := range products {
		v := parts[pid]
		p := productPart{product: pid}
		if inflow {
			p.captured, p.orders = v, 1
		} else {
			if v == 0 {
				continue
			}
			p.returned, p.refunds = v, 1
		}
		out = append(out, p)
	}
	return out, nil
}

// productPart is one product's row of a movement in sales_products.
type productPart struct {
	product, captured, returned int64
	orders, refunds             int
}

// rollProducts adds the parts productParts made to sales_products and
// sales_products_monthly.
func rollProducts(ctx context.Context, tx *sqldb.Tx, site, day string, parts []productPart) error {
	for _, p := range parts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sales_products (site, day, product_id, captured, returned, orders, refunds)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (site, day, product_id) DO UPDATE SET
			captured = sales_products.captured + excluded.captured, returned = sales_products.returned + excluded.returned,
			orders = sales_products.orders + excluded.orders, refunds = sales_products.refunds + excluded.refunds`,
			site, day, p.product, p.captured, p.returned, p.orders, p.refunds); err != nil {
			return fmt.Errorf("sales rollup by product: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sales_products_monthly (site, month, product_id, captured, returned, orders, refunds)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (site, month, product_id) DO UPDATE SET
			captured = sales_products_monthly.captured + excluded.captured, returned = sales_products_monthly.returned + excluded.returned,
			orders = sales_products_monthly.orders + excluded.orders, refunds = sales_products_monthly.refunds + excluded.refunds`,
			site, day[:7], p.product, p.captured, p.returned, p.orders, p.refunds); err != nil {
			return fmt.Errorf("sales rollup by product and month: %w", err)
		}
	}
	return nil
}
