package formula

import (
	"fmt"
	"math/big"
	"strings"
)

// Rounding modes of a settlement rule, as a spreadsheet's ROUNDDOWN,
// ROUNDUP and ROUND with 0 digits do them:
//   - Floor (절사) drops the fraction: toward zero, -10,333.33 → -10,333;
//   - Ceil (절상) rounds away from zero: 3,333.33 → 3,334, -3,333.33 → -3,334;
//   - Round (반올림) rounds half away from zero: 2.5 → 3, -2.5 → -3.
const (
	Floor = "floor"
	Round = "round"
	Ceil  = "ceil"
)

// MaxAmount bounds every amount a formula gives (1조원): larger values are
// refused rather than wrapped, and a report's sum over millions of lines
// still fits in int64.
const MaxAmount = 1_000_000_000_000

// ErrTooLarge is the refusal of an amount beyond MaxAmount.
type ErrTooLarge struct{ Value string }

func (e *ErrTooLarge) Error() string {
	return fmt.Sprintf("금액이 너무 큽니다: %s (±%s원까지) (amount %s beyond ±%d)", e.Value, groupDigits(MaxAmount), e.Value, int64(MaxAmount))
}

// Won rounds an exact amount to the won by mode (Floor, Round or Ceil; ""
// is Floor). An amount beyond MaxAmount is refused.
func Won(r *big.Rat, mode string) (int64, error) {
	if r == nil {
		return 0, nil
	}
	q := RoundInt(r, mode)
	if q.CmpAbs(big.NewInt(MaxAmount)) > 0 {
		return 0, &ErrTooLarge{Value: approx(r)}
	}
	return q.Int64(), nil
}

// RoundInt rounds r to an integer by mode, without bounds.
func RoundInt(r *big.Rat, mode string) *big.Int {
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int)) // toward zero; m has num's sign
	if m.Sign() != 0 {
		away := false
		switch mode {
		case Ceil:
			away = true
		case Round:
			twice := new(big.Int).Abs(m)
			twice.Lsh(twice, 1)
			away = twice.Cmp(den) >= 0
		}
		if away {
			q.Add(q, big.NewInt(int64(num.Sign())))
		}
	}
	return q
}

// approx writes a huge value briefly (its integer part, cut when very long).
func approx(r *big.Rat) string {
	s := new(big.Int).Quo(r.Num(), r.Denom()).String()
	if len(s) > 30 {
		return s[:30] + "…"
	}
	return s
}

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// syntaxMessage says in Korean (and English) why the parser refused src.
func syntaxMessage(src, msg string) (string, string) {
	open, quote := 0, rune(0)
	for _, r := range src {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '(':
			open++
		case r == ')':
			open--
		}
	}
	switch {
	case quote != 0 || strings.Contains(msg, "literal not terminated"):
		return "따옴표가 닫히지 않았습니다", "a quote is not closed"
	case open > 0:
		return "괄호가 닫히지 않았습니다", "a bracket is not closed"
	case open < 0:
		return "여는 괄호 없이 닫는 괄호가 있습니다", "a closing bracket has no opening one"
	case strings.Contains(msg, "unexpected end") || strings.Contains(msg, "EOF"):
		return "수식이 끝나지 않았습니다 (연산자 뒤에 값이 없습니다)", "the formula ends too early"
	case strings.HasPrefix(msg, "unrecognized character"):
		c := ""
		if i := strings.LastIndex(msg, "'"); i > 0 {
			if j := strings.LastIndex(msg[:i], "'"); j >= 0 {
				c = msg[j+1 : i]
			}
		}
		switch c {
		case "×":
			return "× 는 * 로 써 주세요", "write × as *"
		case "÷":
			return "÷ 는 / 로 써 주세요", "write ÷ as /"
		}
		return "수식에 쓸 수 없는 문자입니다: " + c, "character not allowed: " + c
	case strings.Contains(msg, "too large"):
		return "숫자가 너무 큽니다", "number too large"
	case strings.HasPrefix(msg, "unexpected token"):
		return "여기에 올 수 없는 기호입니다: " + strings.TrimPrefix(msg, "unexpected token "), msg
	}
	return "수식을 읽을 수 없습니다: " + msg, "syntax: " + msg
}
