package providers

import (
	"context"
	"sync"
)

// RunCache holds what providers read once per run and share across the
// failbacks of that run: a Route 53 zone's record sets, a URL map. One run
// is one fbctl invocation's pass over its failbacks. Entries are computed
// once per key, even under concurrent callers; a provider deletes an entry
// when it writes what the entry describes, so the read-back after a write
// is a real read.
type RunCache struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	once sync.Once
	val  any
	err  error
}

type runCacheKey struct{}

// WithRunCache returns a context carrying a new RunCache.
func WithRunCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, runCacheKey{}, &RunCache{entries: map[string]*cacheEntry{}})
}

// RunCacheFrom returns the context's RunCache, or nil when there is none (a
// nil *RunCache computes every value afresh).
func RunCacheFrom(ctx context.Context) *RunCache {
	c, _ := ctx.Value(runCacheKey{}).(*RunCache)
	return c
}

// Get returns the value for key, computing it with load the first time. An
// error is cached too (the run does not hammer a failing API), until
// Forget.
func (c *RunCache) Get(key string, load func() (any, error)) (any, error) {
	if c == nil {
		return load()
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	if !ok {
		e = &cacheEntry{}
		c.entries[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.val, e.err = load() })
	return e.val, e.err
}

// Forget drops key, so the next Get loads it again.
func (c *RunCache) Forget(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}
