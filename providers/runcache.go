package providers

import (
	"context"
	"errors"
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
	// flushers registered by OnFlush since the last FlushRun, in order.
	flushKeys []string
	flushers  map[string]func(ctx context.Context) error
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

// OnFlush registers f to run at the run's next flush (FlushRun), once per
// key: a later registration under a key already waiting is ignored, so
// every target staging into one batch may register the batch's flusher.
// After the flush the key is free again. On a nil RunCache f is dropped:
// a run without a cache has no flush, and Stagers must not be used in it
// (see Stager).
func (c *RunCache) OnFlush(key string, f func(ctx context.Context) error) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flushers == nil {
		c.flushers = map[string]func(ctx context.Context) error{}
	}
	if _, ok := c.flushers[key]; ok {
		return
	}
	c.flushers[key] = f
	c.flushKeys = append(c.flushKeys, key)
}

// FlushRun runs every flusher registered on the context's RunCache since the
// last flush, each exactly once, in the order of registration, and clears
// them. It returns every flusher's error, joined; a flusher's error is also
// reported to the Pendings of its batch, which is where callers look.
// Without a RunCache it does nothing.
func FlushRun(ctx context.Context) error {
	c := RunCacheFrom(ctx)
	if c == nil {
		return nil
	}
	c.mu.Lock()
	keys, fs := c.flushKeys, c.flushers
	c.flushKeys, c.flushers = nil, nil
	c.mu.Unlock()
	var errs []error
	for _, k := range keys {
		if err := fs[k](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Cached returns the run cache's value for key, loading it with load the
// first time in the run (every time when ctx has no RunCache). An error is
// cached like a value, except a context error: that entry is forgotten, so
// that the next caller (whose context may be fine) loads again, and a
// caller whose own context is fine retries once itself.
func Cached[T any](ctx context.Context, key string, load func(ctx context.Context) (T, error)) (T, error) {
	rc := RunCacheFrom(ctx)
	for attempt := 0; ; attempt++ {
		v, err := rc.Get(key, func() (any, error) { return load(ctx) })
		if err == nil {
			return v.(T), nil
		}
		var zero T
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			return zero, err
		}
		rc.Forget(key)
		if ctx.Err() != nil || attempt > 0 || rc == nil {
			return zero, err
		}
	}
}
