package settlement

import (
	"math/big"
	"math/rand"
	"testing"
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
			v := big.NewRat(int64(r.Intn(2000000)), int64(1+r.Intn(7)))
			total.Add(total, v)
			results = append(results, result{l: line{id: int64(i + 1), orderNo: "A"}, rule: rule, sale: v, settle: new(big.Rat).Set(v)})

		}
		exact := make([]*big.Rat, n)
		for i := range results {
			exact[i] = new(big.Rat).Set(results[i].sale)
		}
		shareOrderTotals(results)
		var sum int64
		for i, res := range results {
			got := roundWon(res.sale, "floor")
			if got < roundWon(exact[i], "floor") || got > roundWon(exact[i], "ceil") {
				t.Fatalf("share %d = %d outside floor/ceil of %s", i, got, exact[i].RatString())
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
		{-12695, 10, "floor", -1270}, {-12695, 10, "round", -1270}, {-12694, 10, "round", -1269}, {10000, 3, "floor", 3333}, {10000, 3, "ceil", 3334},
	} {
		if got := roundWon(big.NewRat(tc.num, tc.den), tc.mode); got != tc.want {
			t.Errorf("roundWon(%d/%d, %s) = %d, want %d", tc.num, tc.den, tc.mode, got, tc.want)
		}
	}
}
