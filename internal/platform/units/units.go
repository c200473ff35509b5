// Package units holds amounts of study (hours or sessions) that may have a
// fraction, such as 7.5 hours: exact fixed-point numbers in thousandths, so
// that ratios built from them are exact and nothing is lost to floats.
package units

import (
	"encoding/json"
	"errors"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// Scale is how many steps make one unit: three decimals.
const Scale = 1000

// Max bounds a value: 1,000,000 units (hours or sessions) is beyond any course.
const Max = 1_000_000

// Value is an amount of units in thousandths: 7.5 is Value(7500).
type Value int64

// ErrSyntax and ErrRange say why a text is not a Value.
var (
	ErrSyntax    = errors.New("not a decimal number")
	ErrPrecision = errors.New("more than three decimals")
	ErrRange     = errors.New("must be from 0 to 1000000")
)

// Of returns n whole units.
func Of(n int64) Value { return Value(n * Scale) }

// Parse reads a decimal such as "7.5", "30" or "1e1" exactly.
func Parse(s string) (Value, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrSyntax
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "/") {
		return 0, ErrSyntax
	}
	if r.Sign() < 0 || r.Cmp(big.NewRat(Max, 1)) > 0 {
		return 0, ErrRange
	}
	r.Mul(r, big.NewRat(Scale, 1))
	if !r.IsInt() {
		return 0, ErrPrecision
	}
	return Value(r.Num().Int64()), nil
}

// Rat is the exact value.
func (v Value) Rat() *big.Rat { return big.NewRat(int64(v), Scale) }

// IsZero reports whether v is 0.
func (v Value) IsZero() bool { return v == 0 }

// String writes v with as few decimals as it needs: 7.5, 30, 0.125.
func (v Value) String() string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(int64(v)/Scale, 10)
	if f := int64(v) % Scale; f != 0 {
		s += "." + strings.TrimRight(strconv.FormatInt(Scale+f, 10)[1:], "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// MarshalJSON writes v as a JSON number.
func (v Value) MarshalJSON() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalJSON reads a JSON number (fractions allowed, up to three decimals).
func (v *Value) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if !json.Valid(b) || strings.HasPrefix(s, `"`) || s == "true" || s == "false" || strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
		return &json.UnmarshalTypeError{Value: "non-number " + s, Type: typeOf}
	}
	n, err := Parse(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: s + " (" + err.Error() + ")", Type: typeOf}
	}
	*v = n
	return nil
}

// Set implements flag.Value, so a command line can take 7.5.
func (v *Value) Set(s string) error {
	n, err := Parse(s)
	if err != nil {
		return err
	}
	*v = n
	return nil
}

var typeOf = reflect.TypeOf(Value(0))
