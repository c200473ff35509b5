// Package won writes amounts of money the way the manual prints them.
package won

import (
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var korean = message.NewPrinter(language.Korean)

// Number writes n with thousands separators: 280000 → 280,000.
func Number(n int64) string { return korean.Sprintf("%d", n) }

// Format writes an amount the way the manual does: 8,000원.
func Format(n int64) string { return Number(n) + "원" }
