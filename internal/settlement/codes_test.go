package settlement

import (
	"encoding/json"
	"maps"
	"math/rand"
	"testing"
)

// The hand-read codes are exactly what encoding/json reads, errors included.
func TestEachCodeReadsAsJSON(t *testing.T) {
	inputs := []string{`{}`, ` { } `, `{"code11":"31,000","code13":"3,720"}`, "{\n \"code1\" : \"a b\" ,\"code2\":\"\"}\n",
		`{"code1":"x","code1":"y"}`, `{"code1":"\"q\""}`, `{"code1":"\u00e9"}`, `{"code1":1}`, `{"code1":null}`, `null`, ``,
		`{"code1":"x",}`, `{"code1":"x"} x`, `{"code1":"x"`, `{"code1" "x"}`, "{\"code1\":\"\xff\"}", "{\"code1\":\"a\tb\"}",
		`{"코드":"정산 3,000원"}`, `[]`, `{"a":"b"}{}`}
	r := rand.New(rand.NewSource(1))
	alphabet := []string{`{`, `}`, `"`, `:`, `,`, ` `, `code1`, `31,000`, `\`, `n`, `1`, "\xff", `원`, "\n"}
	for range 20000 {
		s := ""
		for range r.Intn(14) {
			s += alphabet[r.Intn(len(alphabet))]
		}
		inputs = append(inputs, s, `{"code1":"`+s+`"}`)
	}
	plain := 0
	for _, in := range inputs {
		var want map[string]string
		wantErr := json.Unmarshal([]byte(in), &want)
		got := map[string]string{}
		err := eachCode(in, func(k, v string) { got[k] = v })
		if (err == nil) != (wantErr == nil) || err == nil && want != nil && !maps.Equal(got, want) || err == nil && want == nil && len(got) != 0 {
			t.Fatalf("%q: read %v (%v), encoding/json %v (%v)", in, got, err, want, wantErr)
		}
		if _, ok := plainCodes(in); ok {
			plain++
		}
	}
	if plain < 100 {
		t.Fatalf("only %d inputs took the hand-read path", plain)
	}
}

// A rule's formulas name the variables a line needs; codeN_c also needs
// codeN (its digits are read from codeN's text when the import stored no
// codeN_c).
func TestNeededVars(t *testing.T) {
	c, err := compileRule(Rule{Sale: "code11_c + qty", Settle: `pay_type == "C" ? products:supply_price : 0`})
	if err != nil {
		t.Fatal(err)
	}
	need := neededVars([]*compiled{c})
	for _, n := range []string{"code11_c", "code11", anyCode, "qty", "pay_type", "products:supply_price"} {
		if !need[n] {
			t.Errorf("%s is not built", n)
		}
	}
	for _, n := range []string{"shop_price", "code13", "cnt_order"} {
		if need[n] {
			t.Errorf("%s is built but never read", n)
		}
	}
	if len(neededVars(nil)) != 0 {
		t.Error("no rule needs no variable")
	}
}
