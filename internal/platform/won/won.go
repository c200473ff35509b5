// Package won writes amounts of money the way the manual prints them, and
// bounds and adds them without overflow.
package won

import (
	"errors"
	"math/bits"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var korean = message.NewPrinter(language.Korean)

// Number writes n with thousands separators: 280000 → 280,000.
func Number(n int64) string { return korean.Sprintf("%d", n) }

// Format writes an amount the way the manual does: 8,000원.
func Format(n int64) string { return Number(n) + "원" }

// Max bounds every amount of money that comes in from outside (prices,
// fees, subsidies, discounts, refunds, payments): 100억원. Totals computed
// from bounded amounts stay far below int64's range; Add and Mul check anyway,
// for rows stored before the bound.
const Max int64 = 10_000_000_000

// MaxLabel is Max as the messages say it.
const MaxLabel = "100억원 (10,000,000,000원)"

// InRange reports whether n is an amount from 0 to Max.
func InRange(n int64) bool { return n >= 0 && n <= Max }

// ErrOverflow is an amount beyond int64.
var ErrOverflow = errors.New("amount overflows")

// Add returns a + b, or ErrOverflow.
func Add(a, b int64) (int64, error) {
	s := a + b
	if (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0) {
		return 0, ErrOverflow
	}
	return s, nil
}

// Mul returns a × b, or ErrOverflow.
func Mul(a, b int64) (int64, error) {
	if a == 0 || b == 0 {
		return 0, nil
	}
	neg := (a < 0) != (b < 0)
	hi, lo := bits.Mul64(abs(a), abs(b))
	if hi != 0 || (!neg && lo > 1<<63-1) || (neg && lo > 1<<63) {
		return 0, ErrOverflow
	}
	if neg {
		return -int64(lo), nil
	}
	return int64(lo), nil
}

// MulDiv returns a × b ÷ d and its remainder, exactly (the product in 128
// bits), for a, b ≥ 0 and d > 0 with a ≤ d, so that the quotient fits (it
// is at most b): a proportional share, a of d, of the amount b.
func MulDiv(a, b, d int64) (q, r int64) {
	if a < 0 || b < 0 || d <= 0 || a > d {
		panic("won.MulDiv: needs 0 ≤ a ≤ d, b ≥ 0, d > 0")
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	quo, rem := bits.Div64(hi, lo, uint64(d)) // hi < d: a×b < d×2^63
	return int64(quo), int64(rem)
}

func abs(n int64) uint64 {
	if n < 0 {
		return uint64(-(n + 1)) + 1
	}
	return uint64(n)
}
