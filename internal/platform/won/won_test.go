package won

import "testing"

func TestWon(t *testing.T) {
	for n, want := range map[int64]string{0: "0원", 8000: "8,000원", 280000: "280,000원", -59135: "-59,135원", 1234567890: "1,234,567,890원"} {
		if got := Format(n); got != want {
			t.Errorf("Format(%d) = %q, want %q", n, got, want)
		}
	}
}
