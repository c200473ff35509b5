package coupon

import (
	"math/big"
	"sort"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/won"
)

// isCourse reports whether a catalog kind is a 과정 (a course or what
// extends one: a free pass, an extension); the rest (textbooks) are 도서.
func isCourse(kind string) bool { return kind != "textbook" }

// eligible marks the lines the coupon applies to, or says why none is:
// never a 환급과정, only the scope's kind, only its course when it names one,
// only items whose price is at least the minimum.
func eligible(c Coupon, lines []Line) ([]bool, error) {
	ok := make([]bool, len(lines))
	left := 0
	for i := range lines {
		ok[i] = true
		left++
	}
	drop := func(reason error, out func(Line) bool) error {
		n := 0
		for i, l := range lines {
			if ok[i] && out(l) {
				ok[i] = false
			}
			if ok[i] {
				n++
			}
		}
		if n == 0 && left > 0 {
			return reason
		}
		left = n
		return nil
	}
	if err := drop(refuse(apperr.Invalid, "쿠폰은 비환급과정에만 적용됩니다. 환급과정에는 쓸 수 없습니다.",
		"Coupons do not apply to government-refundable courses."), func(l Line) bool { return l.GovRefundable }); err != nil {
		return nil, err
	}
	switch c.Scope {
	case ScopeCourse:
		if err := drop(refuse(apperr.Invalid, "과정에만 쓸 수 있는 쿠폰입니다.", "This coupon applies to courses only."),
			func(l Line) bool { return !isCourse(l.Kind) }); err != nil {
			return nil, err
		}
	case ScopeTextbook:
		if err := drop(refuse(apperr.Invalid, "도서에만 쓸 수 있는 쿠폰입니다.", "This coupon applies to books only."),
			func(l Line) bool { return isCourse(l.Kind) }); err != nil {
			return nil, err
		}
	}
	if c.CourseID != nil {
		if err := drop(refuse(apperr.Invalid, "이 쿠폰은 '"+c.CourseName+"' 과정에만 쓸 수 있습니다.", "This coupon applies to another course only."),
			func(l Line) bool { return l.ProductID != *c.CourseID }); err != nil {
			return nil, err
		}
	}
	if c.MinPrice > 0 {
		if err := drop(refuse(apperr.Invalid, "이 쿠폰은 "+won.Format(c.MinPrice)+" 이상인 상품에만 쓸 수 있습니다.",
			"This coupon applies to items priced at least "+won.Number(c.MinPrice)+" won."), func(l Line) bool { return l.UnitPrice < c.MinPrice }); err != nil {
			return nil, err
		}
	}
	if left == 0 {
		return nil, refuse(apperr.Invalid, "쿠폰을 적용할 상품이 없습니다.", "No item of the cart takes this coupon.")
	}
	return ok, nil
}

// Value is the coupon's discount on eligible items worth base won: 정액 is
// its amount, 정률 its rate of base rounded down and capped at its maximum;
// never more than base.
func (c Coupon) Value(base int64) int64 {
	var v int64
	if c.Kind == KindRate {
		p := new(big.Int).Mul(big.NewInt(base), big.NewInt(int64(c.Rate)))
		v = p.Quo(p, big.NewInt(100)).Int64()
		if c.MaxDiscount > 0 {
			v = min(v, c.MaxDiscount)
		}
	} else {
		v = c.Amount
	}
	return max(0, min(v, base))
}

// Split is the one computation of a coupon's discount on a cart: the
// coupon's value on the eligible lines, spread over them in proportion to
// their price (rounded down), the remainder to the largest lines, so that
// the lines add up to the value exactly and none exceeds its price.
func Split(c Coupon, lines []Line) ([]int64, error) {
	ok, err := eligible(c, lines)
	if err != nil {
		return nil, err
	}
	var base int64
	for i, l := range lines {
		if ok[i] {
			base += l.ListPrice
		}
	}
	out := make([]int64, len(lines))
	value := c.Value(base)
	if value == 0 || base == 0 {
		return out, nil
	}
	var given int64
	for i, l := range lines {
		if !ok[i] {
			continue
		}
		p := new(big.Int).Mul(big.NewInt(value), big.NewInt(l.ListPrice))
		out[i] = p.Quo(p, big.NewInt(base)).Int64()
		given += out[i]
	}
	order := make([]int, 0, len(lines))
	for i := range lines {
		if ok[i] {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return lines[order[a]].ListPrice > lines[order[b]].ListPrice })
	for rest := value - given; rest > 0; {
		for _, i := range order {
			add := min(rest, lines[i].ListPrice-out[i])
			out[i] += add
			rest -= add
			if rest == 0 {
				break
			}
		}
	}
	return out, nil
}

func refuse(code apperr.Code, ko, en string) error {
	return &apperr.Error{Code: code, Message: ko, English: en,
		Fields: []apperr.FieldError{{Location: "coupon_code", Message: ko, English: en}}}
}
