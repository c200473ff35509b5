package payout_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// A payout file that repeats rows of one imported before (an overlapping
// download: the first rows again, matched or 미매칭, with a new one) is
// refused whole, naming the repeated rows, and changes nothing; the new row alone imports, and a
// row of another 지급예정일 is not a repeat.
func TestOverlappingPayoutFilesAreRefused(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		e := setup(t, db, "coupang")
		ctx := context.Background()
		data, err := os.ReadFile("testdata/coupang_payout.csv")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.po.Import(ctx, sys, payout.ImportInput{Marketplace: "coupang", Filename: "10월.csv", Data: data}); err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(data), "\n")
		later := strings.Replace(lines[3], "2025-10-27", "2025-11-24", 1) // the same line paid on another day
		if !strings.HasPrefix(lines[10], "31000199999999,") {
			t.Fatalf("the sample's unmatched row moved: %s", lines[10])
		}
		overlap := lines[0] + lines[1] + lines[2] + later + lines[10] // the 미매칭 row is paid too
		before, err := e.po.List(ctx, payout.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := e.po.Import(ctx, sys, payout.ImportInput{Marketplace: "coupang", Filename: "겹침.csv", Data: []byte(overlap), DryRun: true})
		if err != nil || len(p.Errors) != 3 || p.Errors[0].Row != 2 || p.Errors[1].Row != 3 || p.Errors[2].Row != 5 || !strings.Contains(p.Errors[0].Reason, "이미 있는 행") {
			t.Fatalf("preview of an overlapping file: %+v, %v", p.Errors, err)
		}
		if _, _, err := e.po.Import(ctx, sys, payout.ImportInput{Marketplace: "coupang", Filename: "겹침.csv", Data: []byte(overlap)}); !isConflict(err, "겹치는 행이 3개") {
			t.Fatalf("an overlapping file: %v", err)
		}
		if after, err := e.po.List(ctx, payout.Filter{}); err != nil || after.Total != before.Total || after.Sum != before.Sum {
			t.Fatalf("a refused file changed the reconciliation: %+v → %+v (%v)", before.Sum, after.Sum, err)
		}
		if _, _, err := e.po.Import(ctx, sys, payout.ImportInput{Marketplace: "coupang", Filename: "11월.csv", Data: []byte(lines[0] + later)}); err != nil {
			t.Fatalf("a row of another day: %v", err)
		}
	})
}

// A row stored as 미매칭 (its line not imported yet) and repeated after the
// line arrives is still a repeat: it was counted as paid already.
func TestRepeatOfAnUnmatchedRowIsRefused(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		e := setup(t, db)
		ctx := context.Background()
		if _, err := e.mk.CreateMarketplace(ctx, sys, market.Marketplace{Code: "coupang", Name: "쿠팡"}); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile("testdata/coupang_payout.csv")
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := e.po.Import(ctx, sys, payout.ImportInput{Marketplace: "coupang", Filename: "10월.csv", Data: data})
		if err != nil || p.Matched != 0 {
			t.Fatalf("a payout file before its orders: %+v, %v", p, err)
		}
		sheet, err := os.ReadFile("../market/testdata/coupang_cp949.csv")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.mk.Import(ctx, sys, market.ImportInput{Marketplace: "coupang", Filename: "orders.csv", Data: sheet}); err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(data), "\n")
		again := lines[0] + lines[1]
		p, _, err = e.po.Import(ctx, sys, payout.ImportInput{Marketplace: "coupang", Filename: "다시.csv", Data: []byte(again), DryRun: true})
		if err != nil || p.Matched != 1 || len(p.Errors) != 1 || p.Errors[0].Row != 2 {
			t.Fatalf("the first row again, matched now: %+v %+v, %v", p, p.Errors, err)
		}
	})
}
