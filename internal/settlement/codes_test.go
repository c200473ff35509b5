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
