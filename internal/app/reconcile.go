package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/payment"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/won"
)

// ErrReconcileDiffers is returned when the gateway and the books differ.
var ErrReconcileDiffers = errors.New("the gateway and the books differ")

// defaultGateway is the gateway that reconciliation asks unless told: Toss
// when it is configured, else the built-in sandbox.
func (a *App) defaultGateway() string {
	if _, ok := a.Orders.Gateways["toss"]; ok {
		return "toss"
	}
	return "sandbox"
}

// Reconcile lists a gateway's transactions of one Seoul business day and
// compares, order by order, the money they moved with the journal's captures,
// cancels and refunds of that day. It returns ErrReconcileDiffers when any
// order differs.
func (a *App) Reconcile(ctx context.Context, w io.Writer, gatewayName, day string) error {
	from, err := kst.ParseDay(day)
	if err != nil {
		return usageError{err.Error()}
	}
	gatewayName = cmp.Or(gatewayName, a.defaultGateway())
	g, ok := a.Orders.Gateways[gatewayName]
	if !ok {
		return usageError{fmt.Sprintf("gateway %q is not configured", gatewayName)}
	}
	lister, ok := g.(payment.Lister)
	if !ok {
		return usageError{fmt.Sprintf("gateway %q cannot list its transactions", gatewayName)}
	}
	txs, err := lister.Transactions(ctx, from, from.AddDate(0, 0, 1))
	if err != nil {
		return fmt.Errorf("%s transactions: %w", gatewayName, err)
	}
	books, err := a.Orders.GatewayBooks(ctx, gatewayName, day)
	if err != nil {
		return err
	}
	atGateway, inBooks := map[string]int64{}, map[string]int64{}
	var gatewayNet, booksNet int64
	for _, t := range txs {
		atGateway[t.OrderNo] += t.Net()
		gatewayNet += t.Net()
	}
	for _, b := range books {
		inBooks[strconv.FormatInt(b.OrderNo, 10)] += b.Net
		booksNet += b.Net
	}
	fmt.Fprintf(w, "%s, Seoul day %s: %d transactions at the gateway, net %s; %d orders in the books, net %s\n",
		gatewayName, day, len(txs), won.Format(gatewayNet), len(books), won.Format(booksNet))
	for _, t := range txs {
		fmt.Fprintf(w, "  %s  %-19s order %-8s %-24s %12s\n", t.At.In(kst.Seoul).Format("15:04:05"), t.Status, t.OrderNo, t.PaymentKey, won.Format(t.Amount))
	}
	orders := slices.Collect(maps.Keys(atGateway))
	for no := range inBooks {
		if _, ok := atGateway[no]; !ok {
			orders = append(orders, no)
		}
	}
	slices.SortFunc(orders, func(x, y string) int {
		nx, _ := strconv.ParseInt(x, 10, 64)
		ny, _ := strconv.ParseInt(y, 10, 64)
		return cmp.Or(cmp.Compare(nx, ny), cmp.Compare(x, y))
	})
	differ := 0
	for _, no := range orders {
		if atGateway[no] == inBooks[no] {
			continue
		}
		if differ == 0 {
			fmt.Fprintln(w, "differences:")
		}
		differ++
		fmt.Fprintf(w, "  order %s: the gateway moved %s, the books %s (difference %s)\n", no, won.Format(atGateway[no]), won.Format(inBooks[no]),
			won.Format(atGateway[no]-inBooks[no]))
	}
	if differ > 0 {
		return ErrReconcileDiffers
	}
	fmt.Fprintln(w, "no differences")
	return nil
}
