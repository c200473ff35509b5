package formula

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// VarsFromJSON reads variables given as a JSON object: numbers become
// numbers, text becomes text (settlement codes: text that may be a number).
func VarsFromJSON(data []byte) (Vars, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("변수는 JSON 객체({\"code11\": \"31,000\"})로 주세요 (vars must be a JSON object): %w", err)
	}
	v := Vars{}
	for name, msg := range raw {
		kind, ok := KindOf(name)
		if !ok {
			s := Suggest(name)
			if s != "" {
				return nil, fmt.Errorf("알 수 없는 변수입니다: %s (%s을(를) 뜻했나요?) (unknown variable %q, did you mean %s?)", name, s, name, s)
			}
			return nil, fmt.Errorf("알 수 없는 변수입니다: %s (unknown variable %q)", name, name)
		}
		var s string
		if err := json.Unmarshal(msg, &s); err == nil {
			switch kind {
			case Dynamic:
				v[name] = Code(s)
			case Number:
				r, ok := new(big.Rat).SetString(strings.ReplaceAll(s, ",", ""))
				if !ok {
					return nil, fmt.Errorf("변수 %s은(는) 숫자여야 합니다: %q (variable %s must be a number)", name, s, name)
				}
				v[name] = Num(r)
			default:
				v[name] = Str(s)
			}
			continue
		}
		var n json.Number
		if err := json.Unmarshal(msg, &n); err != nil {
			return nil, fmt.Errorf("변수 %s은(는) 숫자나 문자여야 합니다 (variable %s must be a number or text)", name, name)
		}
		r, ok := new(big.Rat).SetString(n.String())
		if !ok {
			return nil, fmt.Errorf("변수 %s의 숫자를 읽을 수 없습니다: %s (variable %s: bad number)", name, n, name)
		}
		switch kind {
		case Text:
			v[name] = Str(n.String())
		case Dynamic:
			// A code sent as a JSON number is the same code as its text:
			// codeN_c reads its digits and codeN == "2500" holds.
			v[name] = Code(n.String())
		default:
			v[name] = Num(r)
		}
	}
	return v, nil
}

// Result is a formula's value for display: exact, and cut to the won (절사,
// toward zero).
type Result struct {
	Exact string `json:"exact"` // e.g. "10000/3"
	Value int64  `json:"value"` // cut to the won
}

// Evaluate compiles and evaluates src once, cut to the won (절사).
func Evaluate(src string, v Vars) (Result, error) { return EvaluateIn(src, v, Floor) }

// EvaluateIn compiles and evaluates src once and rounds it to the won by
// mode (Floor, Round or Ceil), as settling a rule of that rounding does (the
// playground of a rule).
func EvaluateIn(src string, v Vars, mode string) (Result, error) {
	p, err := Compile(src)
	if err != nil {
		return Result{}, err
	}
	r, err := p.Eval(v)
	if err != nil {
		return Result{}, err
	}
	w, err := Won(r, mode)
	if err != nil {
		return Result{}, &Error{Pos: 1, Message: err.Error(), English: err.Error()}
	}
	return Result{Exact: r.RatString(), Value: w}, nil
}
