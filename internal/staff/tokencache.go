package staff

import (
	"slices"
	"sync"
	"time"
)

// TokenCacheTTL is how long a process answers an API token from memory
// before it asks the database again.
//
// Every API call presents a token, and looking it up was two queries on the
// read pool (the token with its account, then the account's sites): a tenth
// of the server's CPU in the checkout load test, measured. A token is a
// long-lived credential that changes only when it is revoked or its account
// is disabled or changed, so each process keeps the accounts of the tokens
// it saw for one second. The cost of the cache is that a revocation made
// through another process (a second serve behind the same load balancer, or
// the command line) reaches this one within TokenCacheTTL; a revocation, a
// disabled account or a changed language made through this process's staff
// Service empties the cache at once.
const TokenCacheTTL = time.Second

// tokenCacheMax bounds the tokens kept: a staff has a handful of tokens, so
// more than this means something unusual and the cache starts again empty.
// Only tokens that were found are kept; unknown ones always reach the database.
const tokenCacheMax = 1024

type tokenCache struct {
	mu      sync.Mutex
	entries map[string]cachedToken // by token hash
	// gen counts forget calls: a lookup that began before one (and may
	// have read the token before its revocation committed) is not kept.
	gen uint64
}

type cachedToken struct {
	st        Staff
	at, until time.Time // kept at, fresh until
}

// get returns a copy of the account cached for hash, if it is still fresh
// at now, and the generation to hand to put after a lookup in the database.
func (c *tokenCache) get(hash string, now time.Time) (Staff, uint64, bool) {
	c.mu.Lock()
	e, ok := c.entries[hash]
	gen := c.gen
	c.mu.Unlock()
	// A clock stepped back (before at) makes no entry fresh for longer.
	if !ok || !now.Before(e.until) || now.Before(e.at) {
		return Staff{}, gen, false
	}
	st := e.st
	st.Sites = slices.Clone(st.Sites) // callers own what they are given
	return st, gen, true
}

// put keeps st for hash until now + TokenCacheTTL, unless the cache was
// emptied since get returned gen.
func (c *tokenCache) put(hash string, st Staff, now time.Time, gen uint64) {
	st.Sites = slices.Clone(st.Sites)
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= tokenCacheMax {
		c.entries = make(map[string]cachedToken)
	}
	c.entries[hash] = cachedToken{st: st, at: now, until: now.Add(TokenCacheTTL)}
}

// forget empties the cache: called after any change to an account or token.
func (c *tokenCache) forget() {
	c.mu.Lock()
	c.entries = nil
	c.gen++
	c.mu.Unlock()
}
