// Package formula is the settlement-rule language of the marketplace
// manual: numbers, + - * /, parentheses, comparisons, == != on text, && ||,
// cond ? a : b, text in straight or curly quotes, codeN and codeN_c, the
// order fields and the macros. expr-lang/expr parses it; this package checks
// the tree against the names it knows and evaluates it with exact rational
// arithmetic (never float64), once compiled per rule version.
package formula

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
)

// Kind is a value's type.
type Kind uint8

const (
	Number Kind = iota + 1
	Text
	Bool
	Dynamic // a settlement code: text that becomes a number where one is needed
)

// Value is a formula value.
type Value struct {
	Kind Kind
	Num  *big.Rat
	Str  string
	B    bool
}

// Num makes a number value.
func Num(r *big.Rat) Value { return Value{Kind: Number, Num: r} }

// Int makes a number value from an integer.
func Int(n int64) Value { return Value{Kind: Number, Num: new(big.Rat).SetInt64(n)} }

// Str makes a text value.
func Str(s string) Value { return Value{Kind: Text, Str: s} }

// Code makes the value of a settlement code: its text, and its number when
// the text is one (read once here, not at every use).
func Code(s string) Value {
	v := Value{Kind: Dynamic, Str: s}
	t := codeText(s)
	if t == "" {
		v.Num = new(big.Rat)
	} else if n, ok := plainInt(t); ok {
		v.Num = new(big.Rat).SetInt64(n)
	} else if r, ok := new(big.Rat).SetString(t); ok {
		v.Num = r
	}
	return v
}

// codeCleaner drops the thousands separators, 원 and spaces of a code's
// text; a Replacer is safe for concurrent use, so it is made once.
var codeCleaner = strings.NewReplacer(",", "", "원", "", " ", "")

// codeText is a code's text as a number would be read from it.
func codeText(s string) string { return codeCleaner.Replace(strings.TrimSpace(s)) }

// plainInt reads an optional minus and up to 18 decimal digits (the
// common code, read the same as big.Rat.SetString would but without it).
func plainInt(t string) (int64, bool) {
	d := t
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(d[i]-'0')
	}
	if len(d) < len(t) {
		n = -n
	}
	return n, true
}

// Error is a refusal with its place in the formula.
type Error struct {
	Pos     int    // 1-based character position in the formula
	Message string // Korean
	English string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d번째 글자: %s (at %d: %s)", e.Pos, e.Message, e.Pos, e.English)
}

// Names the language knows, besides codeN and codeN_c.
var (
	NumberFields = []string{"shop_price", "qty", "cnt_order", "cnt_order_seq", "usertrans_cnt", "tot_order", "tot_products",
		"order_products", "get_order_products", "cancel_order", "cancel_cnt", "per_products",
		"products:supply_price", "products:shop_price", "products:org_price", "products:trans_fee"}
	TextFields = []string{"pay_type", "org_trans_who", "order_status", "option", "product_code"}
)

var codeName = regexp.MustCompile(`^code([1-9][0-9]?)(_c)?$`)

// KindOf says what a name is, and false for an unknown name.
func KindOf(name string) (Kind, bool) {
	if m := codeName.FindStringSubmatch(name); m != nil {
		if m[2] == "_c" {
			return Number, true
		}
		return Dynamic, true
	}
	for _, n := range NumberFields {
		if n == name {
			return Number, true
		}
	}
	for _, n := range TextFields {
		if n == name {
			return Text, true
		}
	}
	return 0, false
}

// Vars are an order's values by name.
type Vars map[string]Value

// Program is a compiled formula.
type Program struct {
	Source string
	Names  []string // the names it reads, for the playground
	root   node
	kind   Kind
}

type node struct {
	pos     int
	kind    Kind
	eval    func(v Vars) (Value, error)
	fast    fast // the same on a Row without allocating; nil: never fast
	isConst bool // needs no variable: folded at compile time
	// For the peephole below: a product of a variable part and a constant.
	mulVar   *node
	mulConst *big.Rat
}

// fold evaluates a node whose inputs are all constant once, at compile time.
func fold(n node, inputs ...node) node {
	for _, in := range inputs {
		if !in.isConst {
			return n
		}
	}
	v, err := n.eval(nil)
	if err != nil {
		return n // keep the runtime error (e.g. 1/0) where it happens
	}
	n.eval = func(Vars) (Value, error) { return v, nil }
	n.fast = constFast(v)
	n.isConst = true
	return n
}

// products:xxx is not expr syntax: it becomes an identifier of the same length.
var productsRef = regexp.MustCompile(`products:(supply_price|shop_price|org_price|trans_fee)`)

// normalize turns curly quotes into straight ones, full-width ASCII
// outside quotes (＊, （, ３ typed on a Korean keyboard) into its ASCII form,
// and products:x into products_x, keeping every character's position: each
// character becomes exactly one character.
func normalize(src string) string {
	var b strings.Builder
	b.Grow(len(src))
	var quote rune
	for _, r := range src {
		switch r {
		case '“', '”', '″':
			r = '"'
		case '‘', '’':
			r = '\''
		}
		if quote == 0 {
			switch {
			case r >= '！' && r <= '～': // U+FF01-FF5E: full-width forms of ASCII
				r -= '！' - '!'
			case r == '\u3000': // ideographic space
				r = ' '
			}
		}
		switch {
		case quote == 0 && (r == '"' || r == '\''):
			quote = r
		case quote != 0 && r == quote:
			quote = 0
		}
		b.WriteRune(r)
	}
	return productsRef.ReplaceAllStringFunc(b.String(), func(s string) string { return strings.Replace(s, ":", "_", 1) })
}

// charPos turns a parser location (expr-lang counts characters from 0)
// into the 1-based character position shown to people.
func charPos(from int) int { return max(from, 0) + 1 }

// MaxLength is the longest formula accepted, in characters.
const MaxLength = 4000

// Compile parses and checks a formula. A formula must give a number.
func Compile(src string) (*Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &Error{Pos: 1, Message: "수식이 비어 있습니다", English: "empty formula"}
	}
	if n := utf8.RuneCountInString(src); n > MaxLength {
		return nil, &Error{Pos: MaxLength + 1, Message: fmt.Sprintf("수식이 너무 깁니다 (%d자까지, 지금 %d자)", MaxLength, n),
			English: fmt.Sprintf("formula over %d characters (%d)", MaxLength, n)}
	}
	if !utf8.ValidString(src) {
		return nil, &Error{Pos: 1, Message: "수식에 읽을 수 없는 문자가 있습니다", English: "the formula is not valid UTF-8"}
	}
	norm := normalize(src)
	tree, err := parser.Parse(norm)
	if err != nil {
		if fe, ok := err.(*file.Error); ok {
			ko, en := syntaxMessage(norm, fe.Message)
			return nil, &Error{Pos: charPos(fe.Location.From), Message: ko, English: en}
		}
		return nil, &Error{Pos: 1, Message: "수식을 읽을 수 없습니다", English: err.Error()}
	}
	c := &compiler{src: []rune(norm), names: map[string]bool{}}
	root, err := c.compile(tree.Node)
	if err != nil {
		return nil, err
	}
	if root.kind == Text || root.kind == Bool {
		return nil, &Error{Pos: root.pos, Message: "수식의 결과가 숫자가 아닙니다", English: "the formula must give a number"}
	}
	p := &Program{Source: src, root: root, kind: root.kind}
	for n := range c.names {
		p.Names = append(p.Names, n)
	}
	return p, nil
}

// Eval computes the formula for one order. The result is exact; the caller
// rounds it to the won.
func (p *Program) Eval(v Vars) (*big.Rat, error) {
	val, err := p.root.eval(v)
	if err != nil {
		return nil, err
	}
	n, err := toNumber(val, p.root.pos)
	if err != nil {
		return nil, err
	}
	return n, nil
}

type compiler struct {
	src   []rune
	names map[string]bool
}

func (c *compiler) pos(n ast.Node) int { return charPos(n.Location().From) }

func (c *compiler) compile(n ast.Node) (node, error) {
	pos := c.pos(n)
	switch t := n.(type) {
	case *ast.IntegerNode:
		r := new(big.Rat).SetInt64(int64(t.Value))
		return constNode(pos, Value{Kind: Number, Num: r}), nil
	case *ast.FloatNode:
		// Read the literal's own text so that 15.4 is exactly 154/10.
		text := literalAt(c.src, n.Location().From)
		r, ok := new(big.Rat).SetString(text)
		if !ok {
			r = new(big.Rat)
			r.SetFloat64(t.Value)
		}
		return constNode(pos, Value{Kind: Number, Num: r}), nil
	case *ast.StringNode:
		return constNode(pos, Value{Kind: Text, Str: t.Value}), nil
	case *ast.BoolNode:
		return constNode(pos, Value{Kind: Bool, B: t.Value}), nil
	case *ast.IdentifierNode:
		name := t.Value
		if strings.HasPrefix(name, "products_") {
			name = "products:" + strings.TrimPrefix(name, "products_")
		}
		if name == "get_order_products" {
			name = "order_products"
		}
		kind, ok := KindOf(name)
		if !ok {
			msg, en := "알 수 없는 이름입니다: "+t.Value, "unknown name "+t.Value
			if s := Suggest(t.Value); s != "" {
				msg += " (" + s + "을(를) 뜻했나요?)"
				en += " (did you mean " + s + "?)"
			}
			return node{}, &Error{Pos: pos, Message: msg, English: en}
		}
		c.names[name] = true
		digitsOf := ""
		if m := codeName.FindStringSubmatch(name); m != nil && m[2] == "_c" {
			digitsOf = "code" + m[1]
		}
		return node{pos: pos, kind: kind, fast: identFast(name), eval: func(v Vars) (Value, error) {
			val, ok := v[name]
			if !ok && digitsOf != "" {
				return Digits(v[digitsOf].Str), nil
			}
			if !ok {
				switch kind {
				case Text, Dynamic:
					return Value{Kind: kind, Str: ""}, nil
				}
				return Value{Kind: Number, Num: new(big.Rat)}, nil
			}
			if kind == Dynamic && val.Kind == Text {
				val.Kind = Dynamic
			}
			return val, nil
		}}, nil
	case *ast.UnaryNode:
		x, err := c.compile(t.Node)
		if err != nil {
			return node{}, err
		}
		switch t.Operator {
		case "-", "+":
			if x.kind == Text || x.kind == Bool {
				return node{}, &Error{Pos: pos, Message: "숫자가 아닌 값에 부호를 붙였습니다", English: "sign on a non-number"}
			}
			neg := t.Operator == "-"
			var f fast
			if x.fast != nil {
				f = func(r *Row) (fv, bool) {
					a, ok := x.fast(r)
					if !ok {
						return a, false
					}
					q, ok := a.number()
					if neg {
						q.N = -q.N
						ok = ok && q.N != math.MinInt64
					}
					return fv{kind: Number, num: q, numOK: true}, ok
				}
			}
			return node{pos: pos, kind: Number, fast: f, eval: func(v Vars) (Value, error) {
				a, err := x.eval(v)
				if err != nil {
					return a, err
				}
				n, err := toNumber(a, x.pos)
				if err != nil || !neg {
					return Value{Kind: Number, Num: n}, err
				}
				return Value{Kind: Number, Num: new(big.Rat).Neg(n)}, nil
			}}, nil
		case "!", "not":
			if x.kind != Bool {
				return node{}, &Error{Pos: pos, Message: "! 뒤에는 조건이 와야 합니다", English: "! needs a condition"}
			}
			var f fast
			if x.fast != nil {
				f = func(r *Row) (fv, bool) {
					a, ok := x.fast(r)
					return fv{kind: Bool, b: !a.b}, ok
				}
			}
			return node{pos: pos, kind: Bool, fast: f, eval: func(v Vars) (Value, error) {
				a, err := x.eval(v)
				return Value{Kind: Bool, B: !a.B}, err
			}}, nil
		}
	case *ast.BinaryNode:
		return c.binary(t, pos)
	case *ast.ConditionalNode:
		cond, err := c.compile(t.Cond)
		if err != nil {
			return node{}, err
		}
		if cond.kind != Bool {
			return node{}, &Error{Pos: cond.pos, Message: "? 앞에는 조건(==, >, && 등)이 와야 합니다", English: "the part before ? must be a condition"}
		}
		a, err := c.compile(t.Exp1)
		if err != nil {
			return node{}, err
		}
		b, err := c.compile(t.Exp2)
		if err != nil {
			return node{}, err
		}
		kind := a.kind
		if a.kind != b.kind {
			if numeric(a.kind) && numeric(b.kind) {
				kind = Number
			} else {
				return node{}, &Error{Pos: b.pos, Message: "조건의 두 결과가 같은 종류(숫자/문자)가 아닙니다", English: "both branches must have the same type"}
			}
		}
		var f fast
		if cond.fast != nil && a.fast != nil && b.fast != nil {
			f = func(r *Row) (fv, bool) {
				cv, ok := cond.fast(r)
				if !ok {
					return cv, false
				}
				if cv.b {
					return a.fast(r)
				}
				return b.fast(r)
			}
		}
		return node{pos: pos, kind: kind, fast: f, eval: func(v Vars) (Value, error) {
			cv, err := cond.eval(v)
			if err != nil {
				return cv, err
			}
			if cv.B {
				return a.eval(v)
			}
			return b.eval(v)
		}}, nil
	}
	if _, ok := n.(*ast.ArrayNode); ok {
		// The manual writes the per-product macros inside [products:…]; here
		// products:x is that sum already.
		return node{}, &Error{Pos: pos,
			Message: "대괄호 [ ]는 쓸 수 없습니다. products:supply_price 등은 이미 매칭된 상품마다 (값 × 개수)를 더한 값이니 [products:supply_price*per_products] 대신 products:supply_price 로 쓰세요",
			English: "brackets [ ] are not supported: products:supply_price and the like are already the sum over the matched products of value × count; write products:supply_price for [products:supply_price*per_products]"}
	}
	return node{}, &Error{Pos: pos, Message: "정산룰에서 쓸 수 없는 표현입니다", English: "this expression is not supported in settlement rules"}
}

func numeric(k Kind) bool { return k == Number || k == Dynamic }

// literalAt returns the number literal starting at character from.
func literalAt(s []rune, from int) string {
	if from < 0 || from > len(s) {
		return ""
	}
	end := from
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' || s[end] == '_' || s[end] == 'e' || s[end] == 'E') {
		end++
	}
	return strings.ReplaceAll(string(s[from:end]), "_", "")
}

func (c *compiler) binary(t *ast.BinaryNode, pos int) (node, error) {
	l, err := c.compile(t.Left)
	if err != nil {
		return node{}, err
	}
	r, err := c.compile(t.Right)
	if err != nil {
		return node{}, err
	}
	op := t.Operator
	switch op {
	case "and":
		op = "&&"
	case "or":
		op = "||"
	}
	// Exact arithmetic may reassociate: (x * c1) / c2 is x * (c1/c2), and
	// x * c1 * c2 is x * (c1*c2): one multiplication a line instead of two.
	if (op == "/" || op == "*") && r.isConst && l.mulVar != nil {
		if cv, err := r.eval(nil); err == nil && cv.Kind == Number && cv.Num.Sign() != 0 {
			k := new(big.Rat)
			if op == "/" {
				k.Quo(l.mulConst, cv.Num)
			} else {
				k.Mul(l.mulConst, cv.Num)
			}
			return mulByConst(*l.mulVar, k, pos), nil
		}
	}
	if op == "*" && numeric(l.kind) && numeric(r.kind) && !l.isConst && r.isConst {
		if cv, err := r.eval(nil); err == nil && cv.Kind == Number {
			return mulByConst(l, cv.Num, pos), nil
		}
	}
	if op == "*" && numeric(l.kind) && numeric(r.kind) && l.isConst && !r.isConst {
		if cv, err := l.eval(nil); err == nil && cv.Kind == Number {
			return mulByConst(r, cv.Num, pos), nil
		}
	}
	switch op {
	case "+", "-", "*", "/":
		for _, x := range []node{l, r} {
			if !numeric(x.kind) {
				return node{}, &Error{Pos: x.pos, Message: "문자나 조건을 숫자처럼 계산할 수 없습니다", English: "a text or condition used as a number"}
			}
		}
		return fold(node{pos: pos, kind: Number, fast: arithFast(op, l, r), eval: func(v Vars) (Value, error) {
			a, b, err := evalNums(v, l, r)
			if err != nil {
				return Value{}, err
			}
			out := new(big.Rat)
			switch op {
			case "+":
				out.Add(a, b)
			case "-":
				out.Sub(a, b)
			case "*":
				out.Mul(a, b)
			case "/":
				if b.Sign() == 0 {
					return Value{}, &Error{Pos: r.pos, Message: "0으로 나눌 수 없습니다", English: "division by zero"}
				}
				out.Quo(a, b)
			}
			return Value{Kind: Number, Num: out}, nil
		}}, l, r), nil
	case "<", "<=", ">", ">=":
		for _, x := range []node{l, r} {
			if !numeric(x.kind) {
				return node{}, &Error{Pos: x.pos, Message: "크기 비교는 숫자끼리만 할 수 있습니다", English: "comparison needs numbers"}
			}
		}
		return node{pos: pos, kind: Bool, fast: compareFast(op, l, r), eval: func(v Vars) (Value, error) {
			a, b, err := evalNums(v, l, r)
			if err != nil {
				return Value{}, err
			}
			cmp := a.Cmp(b)
			var res bool
			switch op {
			case "<":
				res = cmp < 0
			case "<=":
				res = cmp <= 0
			case ">":
				res = cmp > 0
			case ">=":
				res = cmp >= 0
			}
			return Value{Kind: Bool, B: res}, nil
		}}, nil
	case "==", "!=":
		textual := l.kind == Text || r.kind == Text
		if (l.kind == Bool) != (r.kind == Bool) || (textual && (l.kind == Number || r.kind == Number)) {
			return node{}, &Error{Pos: r.pos, Message: "서로 다른 종류(숫자/문자)를 비교했습니다", English: "compared values of different types"}
		}
		return node{pos: pos, kind: Bool, fast: equalFast(op == "!=", textual, l, r), eval: func(v Vars) (Value, error) {
			a, err := l.eval(v)
			if err != nil {
				return a, err
			}
			b, err := r.eval(v)
			if err != nil {
				return b, err
			}
			var eq bool
			switch {
			case textual || (a.Kind == Dynamic && b.Kind == Dynamic):
				eq = strings.TrimSpace(a.Str) == strings.TrimSpace(b.Str)
			case a.Kind == Bool:
				eq = a.B == b.B
			default:
				x, err := toNumber(a, l.pos)
				if err != nil {
					return Value{}, err
				}
				y, err := toNumber(b, r.pos)
				if err != nil {
					return Value{}, err
				}
				eq = x.Cmp(y) == 0
			}
			if op == "!=" {
				eq = !eq
			}
			return Value{Kind: Bool, B: eq}, nil
		}}, nil
	case "&&", "||":
		if l.kind != Bool || r.kind != Bool {
			return node{}, &Error{Pos: pos, Message: "&& 와 || 는 조건끼리 잇습니다", English: "&& and || join conditions"}
		}
		var f fast
		if l.fast != nil && r.fast != nil {
			f = func(row *Row) (fv, bool) {
				a, ok := l.fast(row)
				if !ok || op == "&&" && !a.b || op == "||" && a.b {
					return a, ok
				}
				return r.fast(row)
			}
		}
		return node{pos: pos, kind: Bool, fast: f, eval: func(v Vars) (Value, error) {
			a, err := l.eval(v)
			if err != nil {
				return a, err
			}
			if op == "&&" && !a.B || op == "||" && a.B {
				return a, nil
			}
			return r.eval(v)
		}}, nil
	}
	return node{}, &Error{Pos: pos, Message: "정산룰에서 쓸 수 없는 연산자입니다: " + t.Operator, English: "unsupported operator " + t.Operator}
}

// mulByConst is x * k for a constant k.
func mulByConst(x node, k *big.Rat, pos int) node {
	xv := x
	n := node{pos: pos, kind: Number, mulVar: &xv, mulConst: k}
	if kq, ok := QOf(k); ok && x.fast != nil {
		n.fast = func(r *Row) (fv, bool) {
			a, ok := x.fast(r)
			if !ok {
				return a, false
			}
			q, ok := a.number()
			if !ok {
				return a, false
			}
			q, ok = MulQ(q, kq)
			return fv{kind: Number, num: q, numOK: true}, ok
		}
	}
	n.eval = func(v Vars) (Value, error) {
		a, err := x.eval(v)
		if err != nil {
			return a, err
		}
		num, err := toNumber(a, x.pos)
		if err != nil {
			return Value{}, err
		}
		return Value{Kind: Number, Num: new(big.Rat).Mul(num, k)}, nil
	}
	return n
}

func evalNums(v Vars, l, r node) (*big.Rat, *big.Rat, error) {
	a, err := l.eval(v)
	if err != nil {
		return nil, nil, err
	}
	b, err := r.eval(v)
	if err != nil {
		return nil, nil, err
	}
	x, err := toNumber(a, l.pos)
	if err != nil {
		return nil, nil, err
	}
	y, err := toNumber(b, r.pos)
	return x, y, err
}

// toNumber reads a value as a number: a settlement code's text must be a
// number ("31,000", "-1053", "12.5").
func toNumber(v Value, pos int) (*big.Rat, error) {
	switch v.Kind {
	case Number:
		if v.Num == nil {
			return new(big.Rat), nil
		}
		return v.Num, nil
	case Dynamic, Text:
		if v.Num != nil { // a code whose text the caller already read as a number
			return v.Num, nil
		}
		s := codeText(v.Str)
		if s == "" {
			return new(big.Rat), nil
		}
		if r, ok := new(big.Rat).SetString(s); ok {
			return r, nil
		}
		return nil, &Error{Pos: pos, Message: fmt.Sprintf("숫자가 아닌 값 %q을(를) 숫자로 썼습니다 (숫자만 쓰려면 _c를 붙이세요)", v.Str),
			English: fmt.Sprintf("text %q used as a number (use codeN_c for its digits)", v.Str)}
	}
	return nil, &Error{Pos: pos, Message: "조건을 숫자로 썼습니다", English: "a condition used as a number"}
}

// Digits is codeN_c: the digits of a code's text as a number
// ("[2500] 할인쿠폰" → 2500, "12,000원" → 12000, "-1,053" → -1053).
func Digits(s string) Value {
	var b strings.Builder
	neg := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '-' && b.Len() == 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			neg = true
		}
	}
	if b.Len() == 0 {
		return Int(0)
	}
	n, _ := new(big.Int).SetString(b.String(), 10)
	if neg {
		n.Neg(n)
	}
	return Num(new(big.Rat).SetInt(n))
}

// Suggest returns the known name nearest to a misspelt one, or "".
func Suggest(name string) string {
	best, bestD := "", 3
	cands := append(append([]string{}, NumberFields...), TextFields...)
	if m := regexp.MustCompile(`^c?o?d?e?(\d+)`).FindStringSubmatch(name); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n >= 1 && n <= 99 {
			cands = append(cands, fmt.Sprintf("code%d", n), fmt.Sprintf("code%d_c", n))
		}
	}
	for _, c := range cands {
		c = strings.Replace(c, "products:", "products_", 1)
		if d := levenshtein(name, c); d < bestD || (d == bestD && best == "") && d < 3 {
			best, bestD = strings.Replace(c, "products_", "products:", 1), d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
