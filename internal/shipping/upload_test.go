package shipping_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/sheet"
	"github.com/orderdesk/orderdesk/internal/shipping"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func render(res shipping.UploadResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "carrier=%s state=%s changes=%d unchanged=%d refused=%d blank=%d applied=%d\n",
		res.Carrier, res.State, res.Changes, res.Unchanged, res.Refused, res.Blank, res.Applied)
	for _, r := range res.Rows {
		fmt.Fprintf(&b, "row %d | %d | %d | %s | %d | %s | %s | %s | %s | %s %s→%s | %s\n", r.Line, r.OrderNo, r.ItemID, r.ProductName, r.Qty,
			r.BuyerName, r.Recipient, r.CarrierName, r.TrackingNo, r.Outcome, r.From, r.To, r.Reason)
	}
	return b.String()
}

// goldenFixture makes the orders that testdata/upload.* name: item 1 (order
// 1), items 2 and 3 (order 2), item 4 of another site (order 3), item 5 of a
// cancelled order (order 4), item 6 (order 5).
func goldenFixture(t *testing.T, db *sqldb.DB) *fixture {
	f := setup(t, db)
	f.paid(t, f.book)
	f.paid(t, f.book, f.book2)
	f.paid(t, f.other)
	o4 := f.paid(t, f.book)
	if _, err := f.orders.Cancel(context.Background(), sys, o4.OrderNo, "단순변심"); err != nil {
		t.Fatal(err)
	}
	f.paid(t, f.book2)
	return f
}

// TestUploadGolden previews the same sheet as an xls saved by LibreOffice,
// an xlsx saved by LibreOffice and a CP949 CSV: each gives the preview of
// testdata/upload.golden.
func TestUploadGolden(t *testing.T) {
	admin := access.Actor{Login: "admin", Role: access.SiteAdmin, Sites: []string{"malgn"}, Lang: "ko"}
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := goldenFixture(t, db)
		for _, name := range []string{"upload.xls", "upload.xlsx", "upload_cp949.csv"} {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			res, err := f.ship.Upload(context.Background(), admin, shipping.UploadInput{Filename: name, Data: data, Carrier: "LT", State: "shipped", DryRun: true})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got := render(res)
			golden := filepath.Join("testdata", "upload.golden")
			if *update && name == "upload.xls" {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s preview:\n%s\nwant:\n%s", name, got, want)
			}
		}
		// A dry run changes nothing.
		if r := f.state(t, 1); r.State != "waiting" || r.TrackingNo != "" {
			t.Fatalf("a dry run changed item 1: %+v", r)
		}
	})
}

// TestUploadRoundTrip: download the 배송관리 EXCEL, fill three tracking
// numbers (one with a bad check digit), upload it: the preview shows two
// changes and one refusal; 등록하기 changes exactly those two items; the same
// upload again changes nothing.
func TestUploadRoundTrip(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		var ids []int64
		for range 3 {
			ids = append(ids, books(f.paid(t, f.course, f.book, f.book2))...)
		}
		var xlsx bytes.Buffer
		if err := export.Deliveries(ctx, f.ship, sys, shipping.Filter{}, &xlsx); err != nil {
			t.Fatal(err)
		}
		rows, err := sheet.ReadAll(&xlsx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+len(ids) {
			t.Fatalf("export has %d rows, want %d items and the header", len(rows)-1, len(ids))
		}
		ci, ct := slices.Index(rows[0], "항목번호"), slices.Index(rows[0], "송장번호")
		fill := map[string]string{fmt.Sprint(ids[0]): "123456789013", fmt.Sprint(ids[3]): "1000-0000-0004", fmt.Sprint(ids[5]): "123456789014"}
		var filled bytes.Buffer
		w, err := sheet.NewWriter(&filled, "배송관리", rows[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows[1:] {
			for len(r) < len(rows[0]) {
				r = append(r, "")
			}
			if n, ok := fill[r[ci]]; ok {
				r[ct] = n
			}
			vals := make([]any, len(r))
			for i, v := range r {
				vals[i] = v
			}
			if err := w.Row(vals...); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		in := shipping.UploadInput{Filename: "배송관리.xlsx", Data: filled.Bytes(), Carrier: "LT", State: "shipped", DryRun: true}
		prev, err := f.ship.Upload(ctx, sys, in)
		if err != nil {
			t.Fatal(err)
		}
		if prev.Changes != 2 || prev.Refused != 1 || prev.Unchanged != 0 || len(prev.Rows) != 3 {
			t.Fatalf("preview:\n%s", render(prev))
		}
		bad := prev.Rows[slices.IndexFunc(prev.Rows, func(r shipping.UploadRow) bool { return r.Outcome == shipping.OutcomeRefused })]
		if bad.ItemID != ids[5] || !strings.Contains(bad.Reason, "123456789014") || !strings.Contains(bad.Reason, "검증번호") {
			t.Fatalf("refusal %+v", bad)
		}
		in.DryRun = false
		res, err := f.ship.Upload(ctx, sys, in)
		if err != nil || res.Applied != 2 {
			t.Fatalf("apply: %v\n%s", err, render(res))
		}
		for _, id := range ids {
			r := f.state(t, id)
			switch id {
			case ids[0], ids[3]:
				if r.State != "shipped" || r.Carrier != "LT" || r.ShippedAt == nil || (r.TrackingNo != "123456789013" && r.TrackingNo != "100000000004") {
					t.Errorf("item %d after the upload: %+v", id, r)
				}
			default:
				if r.State != "waiting" || r.TrackingNo != "" {
					t.Errorf("item %d changed: %+v", id, r)
				}
			}
		}
		again, err := f.ship.Upload(ctx, sys, in)
		if err != nil || again.Changes != 0 || again.Applied != 0 || again.Unchanged != 2 || again.Refused != 1 {
			t.Fatalf("the same upload again: %v\n%s", err, render(again))
		}
		var audits int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'delivery.upload'`).Scan(&audits); err != nil || audits != 2 {
			t.Fatalf("upload audit entries %d (%v), want 2", audits, err)
		}
		// A new number for a shipped item is a change, and the preview shows
		// the number it replaces (the state alone reads 발송완료 → 발송완료).
		renum, err := f.ship.Upload(ctx, sys, shipping.UploadInput{Filename: "renumber.csv", Carrier: "LT", State: "shipped", DryRun: true,
			Data: fmt.Appendf(nil, "항목번호,송장번호\n%d,100000000015\n", ids[3])})
		if err != nil || renum.Changes != 1 || renum.Rows[0].TrackingFrom != "100000000004" || renum.Rows[0].TrackingNo != "100000000015" {
			t.Fatalf("a new number for a shipped item: %v\n%s (%+v)", err, render(renum), renum.Rows)
		}
		if again.Rows[0].TrackingFrom != "" {
			t.Fatalf("an unchanged row names a replaced number: %+v", again.Rows[0])
		}
		// An item delivered since keeps 배송완료 when an old file says 발송완료.
		if _, err := f.ship.Update(ctx, sys, ids[0], shipping.Change{State: ptr("delivered")}); err != nil {
			t.Fatal(err)
		}
		if again, err := f.ship.Upload(ctx, sys, in); err != nil || again.Applied != 0 || f.state(t, ids[0]).State != "delivered" {
			t.Fatalf("an old file moved a delivered item back: %v\n%s", err, render(again))
		}
	})
}

// tenThousandRows places 100 paid orders of order.MaxItems textbooks each
// (10,000 items) and returns a delivery file of a tracking number for each.
func tenThousandRows(t testing.TB, f *fixture) []byte {
	ctx := context.Background()
	items := make([]order.ItemInput, order.MaxItems)
	for i := range items {
		items[i] = order.ItemInput{ProductID: f.book, Qty: 1}
	}
	var csv strings.Builder
	csv.WriteString("주문번호,항목번호,송장번호\n")
	for range 100 {
		o, err := f.orders.Place(ctx, sys, order.PlaceInput{Site: "malgn", MemberID: f.memberID, Method: "bank_deposit", Items: items,
			Shipping: &order.Shipping{Recipient: "홍길동1", Phone: "010", Address: "서울"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.ConfirmDeposit(ctx, sys, o.OrderNo); err != nil {
			t.Fatal(err)
		}
		for _, it := range o.Items {
			fmt.Fprintf(&csv, "%d,%d,6%011d\n", o.OrderNo, it.ID, it.ID)
		}
	}
	return []byte(csv.String())
}

// TestUploadTenThousandRows: a file of 10,000 rows previews every row as a
// change and applies them all (its speed is BenchmarkUploadPreview10k's).
func TestUploadTenThousandRows(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		in := shipping.UploadInput{Filename: "big.csv", Data: tenThousandRows(t, f), Carrier: "CJ", State: "shipped", DryRun: true}
		res, err := f.ship.Upload(ctx, sys, in)
		if err != nil || res.Changes != 10000 || res.Applied != 0 {
			t.Fatalf("preview: %v, %d changes, %d applied", err, res.Changes, res.Applied)
		}
		in.DryRun = false
		res, err = f.ship.Upload(ctx, sys, in)
		if err != nil || res.Applied != 10000 {
			t.Fatalf("apply: %v, %d applied", err, res.Applied)
		}
		var shipped int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE tracking_no LIKE '6%' AND carrier = 'CJ'`).Scan(&shipped); err != nil || shipped != 10000 {
			t.Fatalf("%d items carry a tracking number (%v), want 10,000", shipped, err)
		}
	})
}

// BenchmarkUploadPreview10k previews a delivery file of 10,000 rows (the
// 송장 upload's dry run: every row parsed, looked up and checked).
func BenchmarkUploadPreview10k(b *testing.B) {
	for _, engine := range sqldbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			f := setup(b, sqldbtest.Open(b, engine))
			in := shipping.UploadInput{Filename: "big.csv", Data: tenThousandRows(b, f), Carrier: "CJ", State: "shipped", DryRun: true}
			b.ResetTimer()
			for range b.N {
				res, err := f.ship.Upload(context.Background(), sys, in)
				if err != nil || res.Changes != 10000 {
					b.Fatalf("preview: %v, %d changes", err, res.Changes)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/file")
		})
	}
}

// TestConcurrentChangesCountOnce: two bulk changes and two uploads of the
// same items at once change each item once (one wins, the other changes
// nothing or is told the item changed), with one audit entry per change.
func TestConcurrentChangesCountOnce(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := setup(t, db)
		ctx := context.Background()
		var ids []int64
		for range 4 {
			ids = append(ids, books(f.paid(t, f.book, f.book2))...)
		}
		var csv strings.Builder
		csv.WriteString("항목번호,송장번호\n")
		for _, id := range ids[4:] {
			fmt.Fprintf(&csv, "%d,123456789013\n", id)
		}
		var wg sync.WaitGroup
		changed := make([]int, 4)
		errs := make([]error, 4)
		for i := range 2 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				res, err := f.ship.BulkState(ctx, sys, shipping.Bulk{ItemIDs: ids[:4], State: "shipped", Carrier: "CJ", TrackingNo: "1234567890"})
				changed[i], errs[i] = res.Changed, err
			}()
			go func() {
				defer wg.Done()
				res, err := f.ship.Upload(ctx, sys, shipping.UploadInput{Filename: "t.csv", Data: []byte(csv.String()), Carrier: "LT", State: "shipped"})
				changed[2+i], errs[2+i] = res.Applied, err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil && apperr.CodeOf(err) != apperr.Conflict {
				t.Fatalf("run %d: %v", i, err)
			}
		}
		if changed[0]+changed[1] != 4 || changed[2]+changed[3] != 4 {
			t.Fatalf("changed %v, want 4 by the bulk changes and 4 by the uploads", changed)
		}
		var audits int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('delivery.bulk_state', 'delivery.upload')`).Scan(&audits); err != nil || audits != 8 {
			t.Fatalf("audit entries %d (%v), want 8", audits, err)
		}
	})
}
