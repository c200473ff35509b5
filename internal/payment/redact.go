package payment

import (
	"bytes"
	"encoding/json"
)

// Redacted replaces a secret in a kept raw answer.
const Redacted = "(가림)"

// Redact returns a gateway's raw answer or callback with the value of every
// "secret" field blanked. Toss answers a virtual account with the payment's
// secret and sends it back in the deposit callback, which it authenticates:
// kept as received in 결제내역, which every staff member may read, it would
// let one forge the deposit of an order that is still waiting for it. A raw
// text that is not JSON, or holds no secret, is returned as it is.
func Redact(raw []byte) []byte {
	if !bytes.Contains(raw, []byte(`"secret"`)) {
		return raw
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return raw
	}
	if !redact(v) {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return out
}

// redact blanks the secrets in v and reports whether it found one.
func redact(v any) bool {
	found := false
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if k == "secret" {
				if s, ok := x.(string); ok && s != "" {
					t[k], found = Redacted, true
				}
				continue
			}
			found = redact(x) || found
		}
	case []any:
		for _, x := range t {
			found = redact(x) || found
		}
	}
	return found
}
