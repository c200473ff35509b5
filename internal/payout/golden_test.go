package payout_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/korean"

	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func readCSV(t *testing.T, name string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// xlsxOf writes rows as an xlsx (numbers as numbers), encrypted when a
// password is given.
func xlsxOf(t *testing.T, rows [][]string, password string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			var val any = v
			var n int64
			if _, err := fmt.Sscan(v, &n); err == nil && fmt.Sprint(n) == v && len(v) < 12 {
				val = n
			}
			if err := f.SetCellValue("Sheet1", cell, val); err != nil {
				t.Fatal(err)
			}
		}
	}
	var opts []excelize.Options
	if password != "" {
		opts = append(opts, excelize.Options{Password: password})
	}
	buf, err := f.WriteToBuffer()
	if password != "" {
		var out bytes.Buffer
		if err := f.Write(&out, opts...); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func cp949(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	out, err := korean.EUCKR.NewEncoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// report is the reconciliation of a marketplace as text: every line with
// its state and differences, the totals per state, the statement.
func report(t *testing.T, e env, marketplace string, st *payout.Statement) string {
	t.Helper()
	res, err := e.po.List(context.Background(), payout.Filter{Marketplace: marketplace, Params: paging.Params{PerPage: 500}})
	if err != nil {
		t.Fatal(err)
	}
	lines := res.Items
	sort.Slice(lines, func(i, j int) bool {
		return lines[i].OrderNo+lines[i].SubNo < lines[j].OrderNo+lines[j].SubNo
	})
	var b strings.Builder
	fmt.Fprintf(&b, "order|line|state|expected|paid|difference|sale|fee|coupon|shipping|age\n")
	for _, l := range lines {
		fmt.Fprintf(&b, "%s|%s|%s %s|%d|%d|%d|%d|%d|%d|%d|%d\n", l.OrderNo, l.SubNo, l.State, l.StateLabel, l.Expected, l.Paid, l.Difference,
			l.DiffSale, l.DiffFee, l.DiffCoupon, l.DiffShipping, l.AgeDays)
	}
	for _, tot := range append(res.Totals, res.Sum) {
		fmt.Fprintf(&b, "total %s %s: %d lines, expected %d, paid %d, difference %d\n", tot.State, tot.Label, tot.Lines, tot.Expected, tot.Paid, tot.Difference)
	}
	fmt.Fprintf(&b, "statement: %s rows %d matched %d unmatched %d paid %d expected %d difference %d period %s..%s\n", st.Status, st.Rows, st.Matched,
		st.Unmatched, st.PaidTotal, st.Expected, st.Difference, st.From, st.To)
	return b.String()
}

func isConflict(err error, words string) bool {
	e, ok := apperr.As(err)
	return ok && e.Code == apperr.Conflict && strings.Contains(e.Message, words)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

// Golden: a 스마트스토어 건별 정산내역 (as xlsx with its title rows, as an
// encrypted xlsx and as a CP949 CSV), a 쿠팡 file with a 70% / 30% pair and
// an ESM file, each reconciled against the order samples' settlement: every
// state with the right differences.
func TestGoldenPayouts(t *testing.T) {
	cases := []struct {
		name, marketplace, file, password string
		data                              func(t *testing.T) []byte
	}{
		{"smartstore", "smartstore", "정산내역.xlsx", "", func(t *testing.T) []byte { return xlsxOf(t, readCSV(t, "smartstore_payout.csv"), "") }},
		{"smartstore", "smartstore", "정산내역-암호.xlsx", "1234", func(t *testing.T) []byte { return xlsxOf(t, readCSV(t, "smartstore_payout.csv"), "1234") }},
		{"smartstore", "smartstore", "정산내역.csv", "", func(t *testing.T) []byte { return cp949(t, "smartstore_payout.csv") }},
		{"coupang", "coupang", "coupang.csv", "", func(t *testing.T) []byte { b, _ := os.ReadFile("testdata/coupang_payout.csv"); return b }},
		{"esm", "esm", "esm.xlsx", "", func(t *testing.T) []byte { return xlsxOf(t, readCSV(t, "esm_payout.csv"), "") }},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
				e := setup(t, db, c.marketplace)
				ctx := context.Background()
				in := payout.ImportInput{Marketplace: c.marketplace, Filename: c.file, Data: c.data(t), Password: c.password}
				dry := in
				dry.DryRun = true
				p, st, err := e.po.Import(ctx, sys, dry)
				if err != nil || st != nil || p.Unmatched != 1 {
					t.Fatalf("dry run: %+v %v %v", p, st, err)
				}
				if res, _ := e.po.List(ctx, payout.Filter{}); res.Total != 0 {
					t.Fatalf("a dry run stored %d lines", res.Total)
				}
				_, st, err = e.po.Import(ctx, sys, in)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, c.name, report(t, e, c.marketplace, st))
				// The same file again is refused.
				if _, _, err := e.po.Import(ctx, sys, in); !isConflict(err, "이미 가져온") {
					t.Fatalf("the same file twice: %v", err)
				}
			})
		})
	}
}
