package coupon

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSplitExamples(t *testing.T) {
	rate := Coupon{Kind: KindRate, Rate: 20, MaxDiscount: 5000, Scope: ScopeAll}
	fixed := Coupon{Kind: KindFixed, Amount: 3000, Scope: ScopeAll}
	line := func(id, price int64) Line {
		return Line{ProductID: id, Kind: "course", Qty: 1, UnitPrice: price, ListPrice: price}
	}
	for _, tc := range []struct {
		name  string
		c     Coupon
		lines []Line
		want  []int64
	}{
		{"20% capped at 5,000 on 40,000", rate, []Line{line(1, 40000)}, []int64{5000}},
		{"20% capped at 5,000 on 30,000 + 10,000", rate, []Line{line(1, 30000), line(2, 10000)}, []int64{3750, 1250}},
		{"3,000 fixed on three of 10,000", fixed, []Line{line(1, 10000), line(2, 10000), line(3, 10000)}, []int64{1000, 1000, 1000}},
		{"20% under the cap", rate, []Line{line(1, 10000), line(2, 5000)}, []int64{2000, 1000}},
		{"remainder to the largest", Coupon{Kind: KindFixed, Amount: 1000, Scope: ScopeAll}, []Line{line(1, 3000), line(2, 3000), line(3, 4000)}, []int64{300, 300, 400}},
		{"fixed above a cart of 10 won", Coupon{Kind: KindFixed, Amount: 100, Scope: ScopeAll}, []Line{line(1, 3), line(2, 3), line(3, 4)}, []int64{3, 3, 4}},
		{"remainder", Coupon{Kind: KindFixed, Amount: 10, Scope: ScopeAll}, []Line{line(1, 300), line(2, 300), line(3, 300)}, []int64{4, 3, 3}},
		{"fixed above the cart stops at the prices", Coupon{Kind: KindFixed, Amount: 50000, Scope: ScopeAll}, []Line{line(1, 10000), line(2, 20000)}, []int64{10000, 20000}},
		{"환급과정 line gets nothing", fixed, []Line{line(1, 10000), {ProductID: 2, Kind: "course", Qty: 1, UnitPrice: 8000, ListPrice: 8000, GovRefundable: true}}, []int64{3000, 0}},
		{"below the minimum gets nothing", Coupon{Kind: KindFixed, Amount: 3000, Scope: ScopeAll, MinPrice: 5000}, []Line{line(1, 10000), line(2, 4000)}, []int64{3000, 0}},
		{"도서 scope", Coupon{Kind: KindFixed, Amount: 1000, Scope: ScopeTextbook}, []Line{line(1, 10000), {ProductID: 2, Kind: "textbook", Qty: 2, UnitPrice: 5000, ListPrice: 10000}}, []int64{0, 1000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Split(tc.c, tc.lines)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Split = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSplitProperty: for random coupons and carts, the discounts add up to
// the coupon's value on the eligible lines exactly, and none passes its
// line's price or lands on an ineligible line.
func TestSplitProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n++ {
		c := Coupon{Scope: []string{ScopeAll, ScopeCourse, ScopeTextbook}[r.IntN(3)]}
		if r.IntN(2) == 0 {
			c.Kind, c.Amount = KindFixed, 1+r.Int64N(100000)
		} else {
			c.Kind, c.Rate, c.MaxDiscount = KindRate, 1+r.IntN(100), 1+r.Int64N(100000)
		}
		if r.IntN(3) == 0 {
			c.MinPrice = r.Int64N(50000)
		}
		lines := make([]Line, 1+r.IntN(8))
		for i := range lines {
			price := r.Int64N(200000)
			if r.IntN(5) == 0 {
				price = r.Int64N(10)
			}
			qty := 1 + r.IntN(3)
			lines[i] = Line{ProductID: int64(i + 1), Kind: []string{"course", "textbook", "freepass"}[r.IntN(3)], Qty: qty, UnitPrice: price,
				ListPrice: price * int64(qty), GovRefundable: r.IntN(6) == 0}
		}
		got, err := Split(c, lines)
		ok, eerr := eligible(c, lines)
		if (err == nil) != (eerr == nil) {
			t.Fatalf("Split and eligible disagree: %v, %v", err, eerr)
		}
		if err != nil {
			continue
		}
		var base, total int64
		for i, l := range lines {
			if got[i] < 0 || got[i] > l.ListPrice {
				t.Fatalf("line %d: discount %d outside 0..%d (%+v, %+v)", i, got[i], l.ListPrice, c, lines)
			}
			if !ok[i] && got[i] != 0 {
				t.Fatalf("ineligible line %d got %d", i, got[i])
			}
			if ok[i] {
				base += l.ListPrice
			}
			total += got[i]
		}
		if want := c.Value(base); total != want {
			t.Fatalf("discounts add up to %d, want the coupon's value %d (%+v, %+v)", total, want, c, lines)
		}
		if c.Kind == KindRate && total > c.MaxDiscount {
			t.Fatalf("rate coupon gave %d over its maximum %d", total, c.MaxDiscount)
		}
	}
}

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		c, err := NewCode()
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != CodeLength {
			t.Fatalf("code %q has %d characters", c, len(c))
		}
		for _, r := range c {
			switch r {
			case '0', 'O', '1', 'I', 'L':
				t.Fatalf("code %q has the look-alike %q", c, r)
			}
		}
		if seen[c] {
			t.Fatalf("code %q drawn twice", c)
		}
		seen[c] = true
	}
	if got := NormalizeCode(" abcd-efgh-jkmn "); got != "ABCDEFGHJKMN" {
		t.Errorf("NormalizeCode = %q", got)
	}
}

func TestListTexts(t *testing.T) {
	c := Coupon{Name: "B2B TEST", Scope: ScopeAll, MinPrice: 1000, Kind: KindFixed, Amount: 20000}
	if got := c.TitleText(); got != "B2B TEST [1,000원 이상의 전체 과정/도서]" {
		t.Errorf("title %q", got)
	}
	if got := c.BenefitText(); got != "20,000원" {
		t.Errorf("benefit %q", got)
	}
	r := Coupon{Name: "테스트 쿠폰", Scope: ScopeAll, Kind: KindRate, Rate: 10, MaxDiscount: 5000}
	if got := r.BenefitText(); got != "10% (최대 5,000원)" {
		t.Errorf("benefit %q", got)
	}
	if got := r.TitleText(); got != "테스트 쿠폰 [전체 과정/도서]" {
		t.Errorf("title %q", got)
	}
	p := Coupon{ValidFrom: "2020-08-07", ValidTo: "2020-08-31"}
	for day, want := range map[string]string{"2020-08-06": PeriodUpcoming, "2020-08-07": PeriodActive, "2020-08-31": PeriodActive, "2020-09-01": PeriodEnded} {
		if got := p.PeriodOn(day); got != want {
			t.Errorf("PeriodOn(%s) = %s, want %s", day, got, want)
		}
	}
}
