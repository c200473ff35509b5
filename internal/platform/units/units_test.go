package units

import (
	"encoding/json"
	"testing"
)

func TestParseAndString(t *testing.T) {
	for in, want := range map[string]Value{"7.5": 7500, "30": 30000, "0.125": 125, "1e1": 10000, " 2.50 ": 2500, "0": 0} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-1", "0.0001", "1/3", "1000001", "NaN", "Inf"} {
		if v, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %d, want an error", bad, v)
		}
	}
	for v, want := range map[Value]string{7500: "7.5", 30000: "30", 125: "0.125", 0: "0", 10: "0.01"} {
		if got := v.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", v, got, want)
		}
	}
}

func TestJSON(t *testing.T) {
	var in struct {
		H Value `json:"h"`
	}
	if err := json.Unmarshal([]byte(`{"h": 7.5}`), &in); err != nil || in.H != 7500 {
		t.Fatalf("7.5 → %d %v", in.H, err)
	}
	for _, bad := range []string{`{"h": "7.5"}`, `{"h": -1}`, `{"h": 0.00001}`, `{"h": true}`} {
		if err := json.Unmarshal([]byte(bad), &in); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	out, _ := json.Marshal(in)
	if string(out) != `{"h":7.5}` {
		t.Fatalf("marshal = %s", out)
	}
}
