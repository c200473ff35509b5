package web

import (
	"net/http"
	"strings"
)

// XLSX is the media type of an xlsx workbook.
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Attachment marks the response as a download named name, which may be
// Korean (주문목록_2026-11-29.xlsx): RFC 6266 with an ASCII filename for old
// clients and the UTF-8 name in filename* (RFC 5987).
func Attachment(w http.ResponseWriter, name, ascii string) {
	w.Header().Set("Content-Disposition", `attachment; filename="`+asciiName(ascii)+`"; filename*=UTF-8''`+encode5987(name))
}

// asciiName keeps letters, digits, dot, dash, underscore and tilde; any
// other character becomes an underscore.
func asciiName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(".-_~", r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// encode5987 percent-encodes every byte that is not an attr-char of RFC 5987.
func encode5987(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
