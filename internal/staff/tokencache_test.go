package staff

import (
	"testing"
	"time"
)

// A lookup that read the token before a revocation committed must not put
// it back into the cache the revocation emptied.
func TestTokenCacheKeepsNoLookupOlderThanAForget(t *testing.T) {
	var c tokenCache
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	st := Staff{ID: 1, Login: "kim", Sites: []string{"malgn"}}

	_, gen, ok := c.get("h", now)
	if ok {
		t.Fatal("empty cache answered")
	}
	c.forget() // the revocation commits while the lookup reads the database
	c.put("h", st, now, gen)
	if _, _, ok := c.get("h", now); ok {
		t.Fatal("a lookup begun before the revocation was kept")
	}

	_, gen, _ = c.get("h", now)
	c.put("h", st, now, gen)
	got, _, ok := c.get("h", now.Add(TokenCacheTTL-time.Nanosecond))
	if !ok || got.Login != "kim" {
		t.Fatalf("fresh entry: %+v, %v", got, ok)
	}
	if _, _, ok := c.get("h", now.Add(TokenCacheTTL)); ok {
		t.Fatal("entry answered after its TTL")
	}
	if _, _, ok := c.get("h", now.Add(-time.Minute)); ok {
		t.Fatal("entry answered after the clock was stepped back")
	}
}
