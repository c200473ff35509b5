package sqldb

import (
	"fmt"
	"testing"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		in, want string
		perm     []int
	}{
		{"SELECT 1", "SELECT 1", nil},
		{"SELECT a FROM t WHERE a = $1 AND b = $2", "SELECT a FROM t WHERE a = ? AND b = ?", nil},
		{"UPDATE t SET a = $2 WHERE id = $1", "UPDATE t SET a = ? WHERE id = ?", []int{2, 1}},
		{"SELECT $1, $1, $10", "SELECT ?, ?, ?", []int{1, 1, 10}},
		{"SELECT '$1', \"$2\", $1 -- $3\n, $2 /* $4 */", "SELECT '$1', \"$2\", ? -- $3\n, ? /* $4 */", nil},
		{"SELECT 'it''s $1', $1", "SELECT 'it''s $1', ?", nil},
		{"SELECT $0, $a, $", "SELECT $0, $a, $", nil},
		{"SELECT '한국어 $1' || $1", "SELECT '한국어 $1' || ?", nil},
	}
	for _, tt := range tests {
		got, perm := rebind(tt.in)
		if got != tt.want || fmt.Sprint(perm) != fmt.Sprint(tt.perm) {
			t.Errorf("rebind(%q) = %q, %v; want %q, %v", tt.in, got, perm, tt.want, tt.perm)
		}
	}
}
