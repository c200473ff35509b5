package formula

import (
	"math/big"
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

func rat(s string) *big.Rat { r, _ := new(big.Rat).SetString(s); return r }

// Every formula printed in the seed, with the value a hand computation gives.
func TestSeedFormulas(t *testing.T) {
	tests := []struct {
		name    string
		formula string
		vars    Vars
		want    string // exact rational
	}{
		{"shop_price / cnt_order", "shop_price / cnt_order", Vars{"shop_price": Int(10000), "cnt_order": Int(3)}, "10000/3"},
		{"결제완료 조건", `org_trans_who=="결제완료"?code18:0`, Vars{"org_trans_who": Str("결제완료"), "code18": Str("2500")}, "2500"},
		{"결제완료 아님", `org_trans_who=="결제완료"?code18:0`, Vars{"org_trans_who": Str("착불"), "code18": Str("2500")}, "0"},
		{"카드 0.95", `(code11*(pay_type=="C"?0.95:1))`, Vars{"pay_type": Str("C"), "code11": Str("31,000")}, "29450"},
		{"카드 아님", `(code11*(pay_type=="C"?0.95:1))`, Vars{"pay_type": Str("B"), "code11": Str("31000")}, "31000"},
		{"선결제 curly quotes", `org_trans_who==”선결제”?code12:0`, Vars{"org_trans_who": Str("선결제"), "code12": Str("3000")}, "3000"},
		{"선결제 curly both", `org_trans_who==“선결제”?code12:0`, Vars{"org_trans_who": Str("착불"), "code12": Str("3000")}, "0"},
		{"큰 값", `code11>= code12 ? code11 : code12`, Vars{"code11": Str("27280"), "code12": Str("28000")}, "28000"},
		{"큰 값 2", `code11>= code12 ? code11 : code12`, Vars{"code11": Str("29000"), "code12": Str("28000")}, "29000"},
		{"code_c", "code11_c", Vars{"code11": Str("[2500] 할인쿠폰")}, "2500"},
		{"code_c won", "code11_c", Vars{"code11": Str("12,000원")}, "12000"},
		{"수수료 8%", "code11*0.92", Vars{"code11": Str("31000")}, "28520"},
		{"수수료 10%", "code11*0.90", Vars{"code11": Str("31000")}, "27900"},
		{"수수료 15%", "code11*0.85", Vars{"code11": Str("31000")}, "26350"},
		{"exact decimal", "code11*(100-15.4)/100", Vars{"code11": Str("1500")}, "1269"},
		{"qty", "shop_price * qty", Vars{"shop_price": Int(28000), "qty": Int(2)}, "56000"},
		{"products macros", "products:supply_price * per_products + products:trans_fee", Vars{"products:supply_price": Int(15000), "per_products": Int(3), "products:trans_fee": Int(1700)}, "46700"},
		{"get_order_products", "get_order_products * 1000", Vars{"order_products": Int(2)}, "2000"},
		{"counts", "tot_order + tot_products + cnt_order_seq + usertrans_cnt + cancel_order + cancel_cnt", Vars{"tot_order": Int(1), "tot_products": Int(2), "cnt_order_seq": Int(3), "usertrans_cnt": Int(4), "cancel_order": Int(5), "cancel_cnt": Int(6)}, "21"},
		{"nested ternary", `pay_type=="A" ? 1 : pay_type=="B" ? 2 : 3`, Vars{"pay_type": Str("B")}, "2"},
		{"and or", `(qty > 1 && shop_price >= 1000) || pay_type == "X" ? 1 : 0`, Vars{"qty": Int(2), "shop_price": Int(1000), "pay_type": Str("")}, "1"},
		{"single quotes", `pay_type=='C' ? 1 : 0`, Vars{"pay_type": Str("C")}, "1"},
		{"negative code", "code14 - code13", Vars{"code14": Str("-1,053"), "code13": Str("-580")}, "-473"},
		{"empty code is zero", "code20 + 1", Vars{}, "1"},
	}
	for _, tt := range tests {
		p, err := Compile(tt.formula)
		if err != nil {
			t.Errorf("%s: compile %q: %v", tt.name, tt.formula, err)
			continue
		}
		got, err := p.Eval(tt.vars)
		if err != nil {
			t.Errorf("%s: eval: %v", tt.name, err)
			continue
		}
		if got.Cmp(rat(tt.want)) != 0 {
			t.Errorf("%s: %s = %s, want %s", tt.name, tt.formula, got.RatString(), tt.want)
		}
	}
}

func TestRefusalsCarryThePosition(t *testing.T) {
	tests := []struct {
		formula string
		vars    Vars
		pos     int
		word    string
	}{
		{"code11 * cde12", nil, 10, "code12"},
		{"shop_prise / 2", nil, 1, "shop_price"},
		{"org_trans_who", nil, 1, "숫자가 아닙니다"},
		{`code11 + "원"`, nil, 10, "문자"},
		{"code11 * (2 + ", nil, 0, "괄호가 닫히지 않았습니다"},
		{"code11 * 2)", nil, 0, "닫는 괄호"},
		{`code11 == "선결제`, nil, 0, "따옴표"},
		{"code11 × 2", nil, 8, "* 로"},
		{"code11 *", nil, 0, "끝나지 않았습니다"},
		// Positions count characters, not bytes, after Korean text.
		{`org_trans_who=="결제완료"?cod18:0`, nil, 23, "code18"},
		{`org_trans_who=="선결제" ? code11/code15 : 0`, Vars{"org_trans_who": Str("선결제"), "code11": Code("1"), "code15": Code("0")}, 31, "0으로"},
		{`org_trans_who=="선결제" ? "가" : 선결제`, nil, 30, "알 수 없는 이름"},
		{"shop_price / cnt_order", Vars{"shop_price": Int(1), "cnt_order": Int(0)}, 14, "0으로"},
		{"code11 * 2", Vars{"code11": Str("[2500] 할인쿠폰")}, 1, "_c"},
		{`pay_type == 3`, nil, 13, "종류"},
		{`“선결제” * 2`, nil, 1, "문자"},
		// The manual's per-product brackets: products:x is that sum already.
		{"[products:supply_price*per_products]", nil, 1, "products:supply_price 로"},
		{"code11 + [1]", nil, 10, "대괄호"},
	}
	for _, tt := range tests {
		p, err := Compile(tt.formula)
		if err == nil {
			_, err = p.Eval(tt.vars)
		}
		fe, ok := err.(*Error)
		if !ok {
			t.Errorf("%q: %v, want a formula error", tt.formula, err)
			continue
		}
		if tt.pos != 0 && fe.Pos != tt.pos {
			t.Errorf("%q: position %d, want %d (%s)", tt.formula, fe.Pos, tt.pos, fe.Message)
		}
		if fe.Pos < 1 || !strings.Contains(fe.Message, tt.word) {
			t.Errorf("%q: %q lacks %q", tt.formula, fe.Message, tt.word)
		}
		if strings.Contains(fe.English, "ast.") || fe.English == "" {
			t.Errorf("%q: the English %q names the parser's types", tt.formula, fe.English)
		}
	}
}

func TestLengthCountsCharacters(t *testing.T) {
	long := `pay_type == "` + strings.Repeat("가", 3900) + `" ? 1 : 0` // 11,700 bytes, 3,922 characters
	if _, err := Compile(long); err != nil {
		t.Fatalf("a formula of 3,922 characters was refused: %v", err)
	}
	_, err := Compile(long + strings.Repeat(" ", 100))
	fe, ok := err.(*Error)
	if !ok || !strings.Contains(fe.Message, "4000자") || !strings.Contains(fe.Message, "4022자") {
		t.Fatalf("a formula of 4,022 characters: %v", err)
	}
}

// A decimal after Korean text is read from its own characters, exactly.
func TestDecimalAfterKoreanIsExact(t *testing.T) {
	got, err := Evaluate(`org_trans_who=="선결제" ? code11*(100-15.4)/100 : 0`, Vars{"org_trans_who": Str("선결제"), "code11": Code("1,500")})
	if err != nil || got.Exact != "1269" || got.Value != 1269 {
		t.Fatalf("got %+v, %v; want exactly 1269", got, err)
	}
}

// Full-width operators and digits typed on a Korean keyboard are read as
// their ASCII forms, except inside quotes.
func TestFullWidthOutsideQuotes(t *testing.T) {
	got, err := Evaluate(`pay_type == "（주）" ? code11＊２ : code11`, Vars{"pay_type": Str("（주）"), "code11": Code("500")})
	if err != nil || got.Value != 1000 {
		t.Fatalf("got %+v, %v; want 1000", got, err)
	}
	got, err = Evaluate(`pay_type == "(주)" ? code11＊２ : code11`, Vars{"pay_type": Str("（주）"), "code11": Code("500")})
	if err != nil || got.Value != 500 {
		t.Fatalf("text in quotes was changed: got %+v, %v; want 500", got, err)
	}
}

func TestOverflowIsRefused(t *testing.T) {
	for _, f := range []string{"10000000000*10000000000", "-10000000000*10000000000", "1000000000001"} {
		_, err := Evaluate(f, Vars{})
		if err == nil || !strings.Contains(err.Error(), "너무 큽니다") {
			t.Errorf("%s: %v, want a refusal as too large", f, err)
		}
	}
	if got, err := Evaluate("1000000000000", Vars{}); err != nil || got.Value != 1_000_000_000_000 {
		t.Errorf("1조 itself: %+v, %v", got, err)
	}
}

// A code's plain integer is read as big.Rat.SetString reads it.
func TestCodeIntegersAsSetString(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	ins := []string{"0", "-0", "007", "-", "--1", "999999999999999999", "-999999999999999999", "9999999999999999999", "1e3", "+5", "12.5", "3,720", " 31,000원 "}
	for range 5000 {
		n := r.Int63() >> uint(r.Intn(63))
		s := strconv.FormatInt(n, 10)
		if r.Intn(2) == 0 {
			s = "-" + s
		}
		ins = append(ins, s, "0"+s)
	}
	for _, in := range ins {
		got := Code(in)
		want, ok := new(big.Rat).SetString(codeText(in))
		if codeText(in) == "" {
			want, ok = new(big.Rat), true
		}
		if ok != (got.Num != nil) || ok && got.Num.Cmp(want) != 0 {
			t.Fatalf("Code(%q) = %v, SetString gives %v (%v)", in, got.Num, want, ok)
		}
	}
}
