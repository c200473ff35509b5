package won

import "testing"

func TestWon(t *testing.T) {
	for n, want := range map[int64]string{0: "0원", 8000: "8,000원", 280000: "280,000원", -59135: "-59,135원", 1234567890: "1,234,567,890원"} {
		if got := Format(n); got != want {
			t.Errorf("Format(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestAddMulOverflow(t *testing.T) {
	const maxI, minI = int64(1<<63 - 1), int64(-1 << 63)
	for _, tt := range []struct {
		a, b     int64
		sum, mul int64
		sumOK    bool
		mulOK    bool
	}{
		{2, 3, 5, 6, true, true},
		{1 << 62, 4, 1<<62 + 4, 0, true, false},
		{maxI, 1, 0, maxI, false, true},
		{maxI, -1, maxI - 1, -maxI, true, true},
		{minI, -1, 0, 0, false, false},
		{minI, 1, minI + 1, minI, true, true},
		{-3, 4, 1, -12, true, true},
		{1 << 31, 1 << 31, 1 << 32, 1 << 62, true, true},
		{1 << 31, 1 << 33, 1<<31 + 1<<33, 0, true, false},
		{Max, 999, Max + 999, Max * 999, true, true},
		{0, minI, minI, 0, true, true},
	} {
		s, err := Add(tt.a, tt.b)
		if (err == nil) != tt.sumOK || (err == nil && s != tt.sum) {
			t.Errorf("Add(%d, %d) = %d, %v", tt.a, tt.b, s, err)
		}
		m, err := Mul(tt.a, tt.b)
		if (err == nil) != tt.mulOK || (err == nil && m != tt.mul) {
			t.Errorf("Mul(%d, %d) = %d, %v", tt.a, tt.b, m, err)
		}
	}
	if !InRange(Max) || InRange(Max+1) || InRange(-1) {
		t.Error("InRange")
	}
}

func TestMulDiv(t *testing.T) {
	for _, tc := range []struct{ a, b, d, q, r int64 }{
		{0, 5, 7, 0, 0},
		{3, 10, 7, 4, 2},
		{Max, Max, Max, Max, 0},
		{Max - 1, Max, Max, Max - 1, 0},
		{9_999_999_999, 7_000_000_001, 17_000_000_003, 4_117_647_058, 4_647_058_825}, // a × b ≈ 7.0e19, past int64
	} {
		if q, r := MulDiv(tc.a, tc.b, tc.d); q != tc.q || r != tc.r {
			t.Errorf("MulDiv(%d, %d, %d) = %d r %d, want %d r %d", tc.a, tc.b, tc.d, q, r, tc.q, tc.r)
		}
	}
}
