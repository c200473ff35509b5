package shipping

import "testing"

func TestCellNumber(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"123456789013", "123456789013", true},
		{"123456789013.0", "123456789013", true},
		{"1.23456789013E+11", "123456789013", true},
		{"1.23457E+11", "1.23457E+11", false},
		{"1234-5678-9013", "1234-5678-9013", true},
	}
	for _, tt := range tests {
		got, ok := cellNumber(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("cellNumber(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
