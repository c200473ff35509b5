package settlement

import (
	"fmt"
	"math/big"
	"math/rand"
	"testing"

	"github.com/orderdesk/orderdesk/internal/settlement/formula"
)

// Property: shares of an order's amount add up to the rounded whole, and
// each share is its exact value rounded down or up.
func TestSharesAddUp(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for iter := 0; iter < 2000; iter++ {
		n := 2 + r.Intn(6)
		mode := []string{"floor", "round", "ceil"}[r.Intn(3)]
		rule := &compiled{Rule: Rule{Rounding: mode, VersionID: 1}}
		var results []result

		total := new(big.Rat)
		for i := 0; i < n; i++ {
			v := big.NewRat(int64(r.Intn(2000000)-500000), int64(1+r.Intn(7)))
			total.Add(total, v)
			q, _ := formula.QOf(v) // the same amount held both ways
			results = append(results, result{l: &line{id: int64(i + 1), orderNo: "A"}, rule: rule, sale: amount{big: v}, settle: amount{q: q}})

		}
		exact := make([]*big.Rat, n)
		for i := range results {
			exact[i] = new(big.Rat).Set(results[i].sale.rat())
		}
		shareOrderTotals(results)
		var sum int64
		for i, res := range results {
			if a, b := res.sale.round("floor"), res.settle.round("floor"); a != b {
				t.Fatalf("share %d: %d held as big.Rat, %d as int64 fraction", i, a, b)
			}
			got := res.sale.round("floor")
			if own := roundWon(exact[i], mode); got < own-1 || got > own+1 {
				t.Fatalf("share %d = %d, more than one won from its own %s %d of %s", i, got, mode, own, exact[i].RatString())
			}
			sum += got
		}
		if want := roundWon(total, mode); sum != want {
			t.Fatalf("shares add to %d, want %d (%s of %s)", sum, want, mode, total.RatString())
		}
	}
}

func TestRoundWon(t *testing.T) {
	for _, tc := range []struct {
		num, den int64
		mode     string
		want     int64
	}{
		{12695, 10, "floor", 1269}, {12695, 10, "round", 1270}, {12694, 10, "round", 1269}, {12691, 10, "ceil", 1270},
		{10000, 3, "floor", 3333}, {10000, 3, "ceil", 3334}, {10000, 3, "round", 3333}, {5, 2, "round", 3}, {7, 1, "ceil", 7},
		// Negative amounts as a spreadsheet's ROUNDDOWN, ROUNDUP and ROUND do them.
		{-10000, 3, "floor", -3333}, {-1033333, 100, "floor", -10333}, {-10000, 3, "ceil", -3334}, {-10000, 3, "round", -3333},
		{-12695, 10, "floor", -1269}, {-12695, 10, "ceil", -1270}, {-12695, 10, "round", -1270}, {-12694, 10, "round", -1269},
		{-5, 2, "round", -3}, {-7, 1, "floor", -7}, {-7, 1, "ceil", -7}, {0, 1, "ceil", 0},
	} {
		if got := roundWon(big.NewRat(tc.num, tc.den), tc.mode); got != tc.want {
			t.Errorf("roundWon(%d/%d, %s) = %d, want %d", tc.num, tc.den, tc.mode, got, tc.want)
		}
	}
}

// Under 절상 three lines of 10,000/3 add up to the rounded 10,000, each within
// a won of its own 3,334 (README: the sharing rule).
func TestSharesUnderCeil(t *testing.T) {
	rule := &compiled{Rule: Rule{Rounding: "ceil", VersionID: 1}}
	var results []result
	for i := range 3 {
		results = append(results, result{l: &line{id: int64(i + 1), orderNo: "A"}, rule: rule, sale: amount{big: big.NewRat(10000, 3)}, settle: amount{q: formula.Q{N: -10000, D: 3}}})
	}
	shareOrderTotals(results)
	var sales, settles []int64
	for _, r := range results {
		sales = append(sales, r.sale.round("floor"))
		settles = append(settles, r.settle.round("floor"))
	}
	if fmt.Sprint(sales) != "[3334 3333 3333]" || fmt.Sprint(settles) != "[-3334 -3333 -3333]" {
		t.Fatalf("shares %v and %v, want [3334 3333 3333] and [-3334 -3333 -3333]", sales, settles)
	}
}
