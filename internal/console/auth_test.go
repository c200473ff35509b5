package console

import "testing"

func TestSafeNextKeepsRedirectsOnThisSite(t *testing.T) {
	tests := []struct{ next, want string }{
		{"/", "/"},
		{"/orders?status=paid&q=%EB%B0%95+%EC%A3%BC%EB%9E%80", "/orders?status=paid&q=%EB%B0%95+%EC%A3%BC%EB%9E%80"},
		{"/members?q=a%20b", "/members?q=a%20b"},
		{"/orders/202#items", "/orders/202#items"},
		{"", "/"},
		{"/%09/evil.example", "/"},
		{"/\t/evil.example", "/"},
		{"/%0a/evil.example", "/"},
		{"/%20/evil.example", "/"},
		{"/%2F/evil.example", "/"},
		{"/%5C/evil.example", "/"},
		{"//evil.example", "/"},
		{"//evil.example/path", "/"},
		{"/\\evil.example", "/"},
		{"/\\/evil.example", "/"},
		{"https://evil.example", "/"},
		{"http:/evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{" /orders", "/"},
		{"orders", "/"},
		{"/orders?x=%00", "/"},
		{"/orders?x=%zz", "/"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}
