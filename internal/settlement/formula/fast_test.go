package formula

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
)

// randomFormula writes a formula of the language from a few variables,
// constants and every operator; some are ill-typed (Compile refuses them).
func randomFormula(r *rand.Rand, depth int) string {
	if depth <= 0 || r.Intn(4) == 0 {
		return []string{"shop_price", "qty", "cnt_order", "code11", "code12", "code13_c", "code14", "0", "1", "3", "100", "15.4",
			"0.95", "7", "9223372036854775807", "1000000000000", `"선결제"`, "org_trans_who", "pay_type", "code12_c"}[r.Intn(20)]
	}
	a, b := randomFormula(r, depth-1), randomFormula(r, depth-1)
	switch r.Intn(12) {
	case 0:
		return "-" + a
	case 1:
		return "(" + a + ")"
	case 2:
		return fmt.Sprintf("(%s %s %s) ? %s : %s", a, []string{"<", "<=", ">", ">=", "==", "!="}[r.Intn(6)], b, randomFormula(r, depth-1), randomFormula(r, depth-1))
	case 3:
		return fmt.Sprintf("(%s == %s && %s > 0) || %s != %s ? %s : %s", a, b, a, b, a, b, a)
	}
	return a + " " + []string{"+", "-", "*", "/"}[r.Intn(4)] + " " + b
}

var codeTexts = []string{"31,000", "-1,053", "12.5", "", "x", "[2500] 할인쿠폰", "1e3", "9999999999999999999", "0.333", " 7 원", "-", "12.", ".5",
	"0", "-0", "007", "3,720", "1/3", "+5", "원", "--1", "1.000000000000000001", "１２", "  -12.50  ", "123456789012345678", "-9,223,372,036,854,775,808"}

func randomRow(r *rand.Rand) *Row {
	row := &Row{}
	for i := range NumberFields {
		switch r.Intn(4) {
		case 0:
			row.SetNum(i, int64(r.Intn(5)))
		case 1:
			row.SetNum(i, r.Int63n(100000)-5000)
		case 2:
			row.SetNum(i, []int64{math.MaxInt64, math.MinInt64, 1 << 40, -(1 << 33)}[r.Intn(4)])
		}
	}
	for i := range TextFields {
		row.SetText(i, []string{"선결제", " 선결제 ", "착불", "", "C"}[r.Intn(5)])
	}
	for _, k := range []int{11, 12, 13, 14} {
		row.SetCode(k, codeTexts[r.Intn(len(codeTexts))])
	}
	return row
}

// The fast path gives exactly Eval's value, or leaves it to Eval; it never
// gives a value where Eval fails.
func TestEvalRowEqualsEval(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	compiled, fastOK := 0, 0
	for range 20000 {
		src := randomFormula(r, 1+r.Intn(4))
		p, err := Compile(src)
		if err != nil {
			continue
		}
		compiled++
		for range 5 {
			row := randomRow(r)
			want, werr := p.Eval(row.Vars())
			got, ok := p.EvalRow(row)
			if !ok {
				continue
			}
			if werr != nil {
				t.Fatalf("%s on %+v: EvalRow gave %d/%d where Eval fails: %v", src, row.Vars(), got.N, got.D, werr)
			}
			if got.Rat().Cmp(want) != 0 {
				t.Fatalf("%s on %+v: EvalRow %d/%d, Eval %s", src, row.Vars(), got.N, got.D, want.RatString())
			}
			for _, mode := range []string{Floor, Round, Ceil} {
				if g, w := got.Round(mode), RoundInt(want, mode); !w.IsInt64() || g != w.Int64() {
					t.Fatalf("%s: %s of %s: %d, want %s", src, mode, want.RatString(), g, w)
				}
			}
			fastOK++
		}
	}
	t.Logf("%d formulas, %d fast evaluations of %d", compiled, fastOK, 5*compiled)
	if compiled < 5000 || fastOK < compiled {
		t.Fatalf("only %d formulas compiled and %d evaluations took the fast path", compiled, fastOK)
	}
}

// The rules' usual formulas run on the fast path.
func TestUsualFormulasAreFast(t *testing.T) {
	row := &Row{}
	slot := func(n string) int { i, _ := NumSlot(n); return i }
	row.SetNum(slot("shop_price"), 31000)
	row.SetNum(slot("cnt_order"), 3)
	row.SetNum(slot("products:trans_fee"), 1700)
	ts, _ := TextSlot("org_trans_who")
	row.SetText(ts, "선결제")
	row.SetCode(11, "31,000")
	row.SetCode(18, "2,500원")
	row.SetCode(13, "[2500] 할인쿠폰")
	for src, want := range map[string]string{"code11": "31000", "code11*(100-15.4)/100": "26226", `org_trans_who=="선결제"?code18:0`: "2500",
		"code18 - products:trans_fee": "800", "shop_price / cnt_order": "31000/3", "code11*0.92": "28520", "code13_c": "2500",
		`(code11*(pay_type=="C"?0.95:1))`: "31000", "-code18 + 1": "-2499"} {
		p, err := Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := p.EvalRow(row)
		if !ok || got.Rat().RatString() != want {
			t.Errorf("%s: %d/%d (%v), want %s on the fast path", src, got.N, got.D, ok, want)
		}
	}
}

// plainNumber reads what Code reads, or leaves it to Code.
func TestPlainNumberAsCode(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	ins := append([]string{}, codeTexts...)
	for range 3000 {
		var b strings.Builder
		for range 1 + r.Intn(12) {
			b.WriteString([]string{"1", "0", "9", ",", " ", "-", ".", "원", "x", "5"}[r.Intn(10)])
		}
		ins = append(ins, b.String())
	}
	read := 0
	for _, in := range ins {
		q, ok := plainNumber(in)
		if !ok {
			continue
		}
		read++
		c := Code(in)
		if c.Num == nil || c.Num.Cmp(q.Rat()) != 0 {
			t.Fatalf("plainNumber(%q) = %d/%d, Code reads %v", in, q.N, q.D, c.Num)
		}
	}
	if read < 500 {
		t.Fatalf("only %d of %d texts read", read, len(ins))
	}
}

// BenchmarkSixFormulasRow is BenchmarkSixFormulas on the fast path.
func BenchmarkSixFormulasRow(b *testing.B) {
	srcs := []string{"code11", "code11*(100-15.4)/100", "(100-15.4)", `org_trans_who=="선결제"?code18:0`, "code18 - products:trans_fee", "shop_price / cnt_order"}
	var ps []*Program
	for _, s := range srcs {
		p, err := Compile(s)
		if err != nil {
			b.Fatal(err)
		}
		ps = append(ps, p)
	}
	row := &Row{}
	slot := func(n string) int { i, _ := NumSlot(n); return i }
	ts, _ := TextSlot("org_trans_who")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		row.SetCode(11, "31000")
		row.SetCode(18, "2500")
		row.SetText(ts, "선결제")
		row.SetNum(slot("products:trans_fee"), 1700)
		row.SetNum(slot("shop_price"), 31000)
		row.SetNum(slot("cnt_order"), 2)
		for _, p := range ps {
			if _, ok := p.EvalRow(row); !ok {
				b.Fatal("not fast")
			}
		}
	}
}
