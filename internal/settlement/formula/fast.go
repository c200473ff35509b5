package formula

import (
	"math"
	"math/big"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// The fast path: a compiled formula also evaluates on a Row (variables in
// fixed slots, not a map) with int64 fractions, allocating nothing. It gives
// exactly what Eval gives or says it cannot (an int64 would overflow, a code
// is not a plain number, division by zero, any error): the caller then runs
// Eval, which has the exact answer or the error with its position.

// Q is an exact fraction N/D with D > 0 (not necessarily reduced).
type Q struct{ N, D int64 }

// QInt is the fraction n/1.
func QInt(n int64) Q { return Q{n, 1} }

// IsInt reports whether q is a whole number.
func (q Q) IsInt() bool { return q.D == 1 || q.N%q.D == 0 }

// Rat is q as a big.Rat.
func (q Q) Rat() *big.Rat { return big.NewRat(q.N, q.D) }

// Round rounds q to an integer by mode, as RoundInt does.
func (q Q) Round(mode string) int64 {
	if q.D == 1 {
		return q.N
	}
	quo, rem := q.N/q.D, q.N%q.D // toward zero; rem has N's sign
	if rem == 0 {
		return quo
	}
	if rem < 0 {
		rem = -rem
	}
	away := false
	switch mode {
	case Ceil:
		away = true
	case Round:
		away = rem >= q.D-rem // twice the remainder reaches the denominator
	}
	if away {
		if q.N < 0 {
			return quo - 1
		}
		return quo + 1
	}
	return quo
}

// QOf returns r as a Q when its numerator and denominator fit in int64.
func QOf(r *big.Rat) (Q, bool) {
	if !r.Num().IsInt64() || !r.Denom().IsInt64() {
		return Q{}, false
	}
	return Q{r.Num().Int64(), r.Denom().Int64()}, true
}

func add64(a, b int64) (int64, bool) {
	c := a + b
	return c, (c > a) == (b > 0)
}

func mul64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a == math.MinInt64 || b == math.MinInt64 {
		return 0, false
	}
	neg := (a < 0) != (b < 0)
	hi, lo := bits.Mul64(uint64(abs64(a)), uint64(abs64(b)))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(lo), true
	}
	return int64(lo), true
}

func abs64(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

func gcd(a, b int64) int64 {
	a, b = abs64(a), abs64(b)
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// reduce divides out the common factor (D stays positive).
func (q Q) reduce() Q {
	if q.D == 1 {
		return q
	}
	if g := gcd(q.N, q.D); g > 1 {
		return Q{q.N / g, q.D / g}
	}
	return q
}

// AddQ is a + b, false when an int64 would overflow.
func AddQ(a, b Q) (Q, bool) {
	if a.D == b.D {
		n, ok := add64(a.N, b.N)
		return Q{n, a.D}.reduce(), ok
	}
	x, ok1 := mul64(a.N, b.D)
	y, ok2 := mul64(b.N, a.D)
	d, ok3 := mul64(a.D, b.D)
	n, ok4 := add64(x, y)
	return Q{n, d}.reduce(), ok1 && ok2 && ok3 && ok4
}

// MulQ is a × b, false when an int64 would overflow.
func MulQ(a, b Q) (Q, bool) {
	if a.D == 1 && b.D == 1 {
		n, ok := mul64(a.N, b.N)
		return Q{n, 1}, ok
	}
	// Cross-reduce first so that the products stay small.
	g1, g2 := gcd(a.N, b.D), gcd(b.N, a.D)
	if g1 > 1 {
		a.N, b.D = a.N/g1, b.D/g1
	}
	if g2 > 1 {
		b.N, a.D = b.N/g2, a.D/g2
	}
	n, ok1 := mul64(a.N, b.N)
	d, ok2 := mul64(a.D, b.D)
	return Q{n, d}, ok1 && ok2
}

// quoQ is a ÷ b; false for b = 0 or an overflow.
func quoQ(a, b Q) (Q, bool) {
	if b.N == 0 || b.N == math.MinInt64 {
		return Q{}, false
	}
	inv := Q{b.D, b.N}
	if inv.D < 0 {
		inv = Q{-inv.N, -inv.D}
	}
	return MulQ(a, inv)
}

// cmpQ compares a and b (-1, 0, 1); false when an int64 would overflow.
func cmpQ(a, b Q) (int, bool) {
	x, y := a.N, b.N
	if a.D != b.D {
		var ok1, ok2 bool
		x, ok1 = mul64(a.N, b.D)
		y, ok2 = mul64(b.N, a.D)
		if !ok1 || !ok2 {
			return 0, false
		}
	}
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	}
	return 0, true
}

// Slots of a Row: the number fields in NumberFields order, the text fields
// in TextFields order, codes by their number (code1..code99).
var (
	numSlot  = map[string]int{}
	textSlot = map[string]int{}
)

func init() {
	for i, n := range NumberFields {
		numSlot[n] = i
	}
	for i, n := range TextFields {
		textSlot[n] = i
	}
}

// NumSlot and TextSlot give a field's slot in a Row (false for an unknown name).
func NumSlot(name string) (int, bool)  { i, ok := numSlot[name]; return i, ok }
func TextSlot(name string) (int, bool) { i, ok := textSlot[name]; return i, ok }

// codeVal is a settlement code in a Row: its text and, when the text is a
// plain number, that number.
type codeVal struct {
	text  string
	num   Q
	numOK bool // text read as a number here; false: Eval decides
}

// Row is one order line's variables for EvalRow. Fill it with SetNum,
// SetText and SetCode; a slot never set reads as an absent variable (0 or
// ""), as in Vars. A Row is reused line after line: set every slot the
// formulas read for each line.
type Row struct {
	nums  [16]int64
	texts [5]string
	codes [100]codeVal
}

// SetNum sets a number field by its slot (NumSlot).
func (r *Row) SetNum(slot int, n int64) { r.nums[slot] = n }

// SetText sets a text field by its slot (TextSlot).
func (r *Row) SetText(slot int, s string) { r.texts[slot] = s }

// SetCode sets codeN's text (n from 1 to 99); "" is an absent code.
func (r *Row) SetCode(n int, text string) {
	c := &r.codes[n]
	c.text = text
	c.num, c.numOK = plainNumber(text)
}

// Vars is the Row as the variables Eval reads.
func (r *Row) Vars() Vars {
	v := Vars{}
	for i, n := range NumberFields {
		v[n] = Int(r.nums[i])
	}
	for i, n := range TextFields {
		v[n] = Str(r.texts[i])
	}
	for i := 1; i < len(r.codes); i++ {
		if r.codes[i].text != "" {
			v["code"+itoa(i)] = Code(r.codes[i].text)
		}
	}
	return v
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return string([]byte{byte('0' + i/10), byte('0' + i%10)})
}

// plainNumber reads a code's text as Code does when it is made only of
// digits, one leading minus, one decimal point, thousands commas, spaces
// and 원 (the forms marketplaces write); false for anything else (Eval then
// reads it).
func plainNumber(s string) (Q, bool) {
	var n, d int64 = 0, 1
	neg, dot, digits, frac, signOK := false, false, 0, 0, true
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits >= 18 {
				return Q{}, false
			}
			n = n*10 + int64(c-'0')
			digits++
			if dot {
				d *= 10
				frac++
			}
			signOK = false
			i++
		case c == ',' || c == ' ':
			i++
		case c == '-' && signOK && !neg:
			neg = true
			i++
		case c == '.' && !dot && digits > 0:
			dot = true
			signOK = false
			i++
		case strings.HasPrefix(s[i:], "원"):
			i += len("원")
		default:
			return Q{}, false
		}
	}
	switch {
	case digits == 0 && !neg && !dot:
		return Q{0, 1}, true // empty once cleaned: zero
	case digits == 0, dot && frac == 0:
		return Q{}, false
	}
	if neg {
		n = -n
	}
	return Q{n, d}.reduce(), true
}

// digitsQ is Digits (codeN_c) as a Q; false when it would not fit.
func digitsQ(s string) (Q, bool) {
	var n int64
	neg, any := false, false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r >= '0' && r <= '9':
			d := int64(r - '0')
			if n > (math.MaxInt64-d)/10 {
				return Q{}, false
			}
			n = n*10 + d
			any = true
		case r == '-' && !any && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			neg = true
		}
		i += size
	}
	if neg {
		n = -n
	}
	return Q{n, 1}, true
}

// fv is a value on the fast path.
type fv struct {
	kind  Kind
	b     bool
	num   Q // Number; Dynamic when numOK
	numOK bool
	s     string // Text; Dynamic's text
}

// fast is a node's evaluation on a Row; false: Eval must decide.
type fast func(r *Row) (fv, bool)

// number is v read as a number (toNumber), false when Eval must decide.
func (v fv) number() (Q, bool) {
	switch v.kind {
	case Number:
		return v.num, true
	case Dynamic:
		return v.num, v.numOK
	}
	return Q{}, false
}

// constFast turns a constant Value into a fast node (nil when its number
// does not fit).
func constFast(v Value) fast {
	out := fv{kind: v.Kind, b: v.B, s: v.Str}
	if v.Num != nil {
		q, ok := QOf(v.Num)
		if !ok {
			return nil
		}
		out.num, out.numOK = q, true
	} else if v.Kind == Number {
		out.numOK = true
		out.num = Q{0, 1}
	}
	return func(*Row) (fv, bool) { return out, true }
}

// identFast reads a variable from its slot.
func identFast(name string) fast {
	if m := codeName.FindStringSubmatch(name); m != nil {
		k := 0
		for _, c := range m[1] {
			k = k*10 + int(c-'0')
		}
		if m[2] == "_c" {
			return func(r *Row) (fv, bool) {
				q, ok := digitsQ(r.codes[k].text)
				return fv{kind: Number, num: q, numOK: true}, ok
			}
		}
		return func(r *Row) (fv, bool) {
			c := &r.codes[k]
			if c.text == "" { // absent: zero
				return fv{kind: Dynamic, num: Q{0, 1}, numOK: true}, true
			}
			return fv{kind: Dynamic, s: c.text, num: c.num, numOK: c.numOK}, true
		}
	}
	if i, ok := numSlot[name]; ok {
		return func(r *Row) (fv, bool) { return fv{kind: Number, num: Q{r.nums[i], 1}, numOK: true}, true }
	}
	if i, ok := textSlot[name]; ok {
		return func(r *Row) (fv, bool) { return fv{kind: Text, s: r.texts[i]}, true }
	}
	return nil
}

// EvalRow computes the formula on a Row: the exact value Eval would give,
// or false when Eval must be run (its value does not fit, or it fails).
func (p *Program) EvalRow(r *Row) (Q, bool) {
	if p.root.fast == nil {
		return Q{}, false
	}
	v, ok := p.root.fast(r)
	if !ok {
		return Q{}, false
	}
	return v.number()
}

// constNode is a constant of the language.
func constNode(pos int, v Value) node {
	return node{pos: pos, kind: v.Kind, isConst: true, fast: constFast(v), eval: func(Vars) (Value, error) { return v, nil }}
}

// numbersFast evaluates both sides, which must be numbers, and gives them to
// op; any side that cannot be done fast makes the whole fall back to Eval.
func numbersFast(l, r node, op func(x, y Q) (fv, bool)) fast {
	if l.fast == nil || r.fast == nil {
		return nil
	}
	return func(row *Row) (fv, bool) {
		a, ok1 := l.fast(row)
		if !ok1 {
			return a, false
		}
		b, ok2 := r.fast(row)
		if !ok2 {
			return b, false
		}
		x, ok1 := a.number()
		y, ok2 := b.number()
		if !ok1 || !ok2 {
			return fv{}, false
		}
		return op(x, y)
	}
}

// arithFast is + - * / of two numbers.
func arithFast(op string, l, r node) fast {
	var f func(x, y Q) (Q, bool)
	switch op {
	case "+":
		f = AddQ
	case "-":
		f = func(x, y Q) (Q, bool) {
			if y.N == math.MinInt64 {
				return Q{}, false
			}
			return AddQ(x, Q{-y.N, y.D})
		}
	case "*":
		f = MulQ
	case "/":
		f = quoQ
	default:
		return nil
	}
	return numbersFast(l, r, func(x, y Q) (fv, bool) {
		q, ok := f(x, y)
		return fv{kind: Number, num: q, numOK: true}, ok
	})
}

// compareFast is < <= > >= of two numbers.
func compareFast(op string, l, r node) fast {
	var holds func(c int) bool
	switch op {
	case "<":
		holds = func(c int) bool { return c < 0 }
	case "<=":
		holds = func(c int) bool { return c <= 0 }
	case ">":
		holds = func(c int) bool { return c > 0 }
	case ">=":
		holds = func(c int) bool { return c >= 0 }
	default:
		return nil
	}
	return numbersFast(l, r, func(x, y Q) (fv, bool) {
		c, ok := cmpQ(x, y)
		return fv{kind: Bool, b: holds(c)}, ok
	})
}

// equalFast is == (or != when not) as Eval does it: text when either side
// is text or both are codes, else numbers.
func equalFast(not, textual bool, l, r node) fast {
	if l.fast == nil || r.fast == nil {
		return nil
	}
	return func(row *Row) (fv, bool) {
		a, ok := l.fast(row)
		if !ok {
			return a, false
		}
		b, ok := r.fast(row)
		if !ok {
			return b, false
		}
		var eq bool
		switch {
		case textual || (a.kind == Dynamic && b.kind == Dynamic):
			eq = strings.TrimSpace(a.s) == strings.TrimSpace(b.s)
		case a.kind == Bool:
			eq = a.b == b.b
		default:
			x, ok1 := a.number()
			y, ok2 := b.number()
			if !ok1 || !ok2 {
				return fv{}, false
			}
			c, ok := cmpQ(x, y)
			if !ok {
				return fv{}, false
			}
			eq = c == 0
		}
		return fv{kind: Bool, b: eq != not}, true
	}
}
