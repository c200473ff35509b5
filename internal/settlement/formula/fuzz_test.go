package formula

import (
	"testing"
)

// FuzzCompile feeds random text to the engine: no panic, and every refusal
// carries a position inside the formula.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"shop_price / cnt_order", `org_trans_who=="결제완료"?code18:0`, `(code11*(pay_type=="C"?0.95:1))`,
		`org_trans_who==”선결제”?code12:0`, "code11>= code12 ? code11 : code12", "code11_c", "code11*(100-15.4)/100",
		"products:supply_price * per_products", "((((", "1/0", `"a" + 1`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Compile(src)
		if err != nil {
			fe, ok := err.(*Error)
			if !ok || fe.Pos < 1 || fe.Pos > len([]rune(src))+2 {
				t.Fatalf("Compile(%q) = %v, want an error with a position", src, err)
			}
			return
		}
		_, err = p.Eval(Vars{"code11": Str("1,500"), "code12": Str("x"), "shop_price": Int(1000), "cnt_order": Int(0)})
		if err != nil {
			if fe, ok := err.(*Error); !ok || fe.Pos < 1 {
				t.Fatalf("Eval(%q) = %v, want an error with a position", src, err)
			}
		}
	})
}

// BenchmarkSixFormulas evaluates a rule of six formulas for one order.
func BenchmarkSixFormulas(b *testing.B) {
	srcs := []string{"code11", "code11*(100-15.4)/100", "(100-15.4)", `org_trans_who=="선결제"?code18:0`, "code18 - products:trans_fee", "shop_price / cnt_order"}
	var ps []*Program
	for _, s := range srcs {
		p, err := Compile(s)
		if err != nil {
			b.Fatal(err)
		}
		ps = append(ps, p)
	}
	vars := Vars{"code11": Code("31000"), "code18": Code("2500"), "org_trans_who": Str("선결제"), "products:trans_fee": Int(1700),
		"shop_price": Int(31000), "cnt_order": Int(2)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, p := range ps {
			if _, err := p.Eval(vars); err != nil {
				b.Fatal(err)
			}
		}
	}
}
