package engine

import (
	"sync"
	"sync/atomic"
)

// DefaultParallel is how many failbacks a run handles at once when
// Options.Parallel is not set. Most of a failback's time in a run is
// waiting on I/O (the state store, the providers' APIs, the checks), which
// the providers share per run (providers.RunCache, their rate limiters),
// so the bound is about the store: 32 requests in flight keep a run of
// 1,000 failbacks on S3 state at 20 ms a request under 10 s.
const DefaultParallel = 32

// forEach calls f(i) for every i in [0, n), on at most par goroutines.
// Indices whose key is the same run one after another in index order on
// one goroutine, as they would without concurrency: two entries for one
// failback never race for its lock. With par <= 1, or a single key, it
// runs every call in index order on the caller's goroutine.
//
// A panic in f stops the other goroutines from starting further
// calls and is raised again on the caller's goroutine once they have
// returned, so a caller that recovers it (the crash tests) sees it as it
// would without concurrency.
func forEach(n, par int, key func(i int) string, f func(i int)) {
	if n == 0 {
		return
	}
	// Groups of indices by key, in order of first appearance.
	var groups [][]int
	if par > 1 {
		at := make(map[string]int, n)
		for i := 0; i < n; i++ {
			k := key(i)
			g, ok := at[k]
			if !ok {
				g = len(groups)
				at[k] = g
				groups = append(groups, nil)
			}
			groups[g] = append(groups[g], i)
		}
	}
	if par <= 1 || len(groups) <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var (
		next     atomic.Int64
		panicked atomic.Bool
		once     sync.Once
		pv       any
		wg       sync.WaitGroup
	)
	work := func() {
		defer wg.Done()
		defer func() {
			if v := recover(); v != nil {
				once.Do(func() { pv = v })
				panicked.Store(true)
			}
		}()
		for !panicked.Load() {
			g := int(next.Add(1)) - 1
			if g >= len(groups) {
				return
			}
			for _, i := range groups[g] {
				f(i)
			}
		}
	}
	workers := min(par, len(groups))
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go work()
	}
	wg.Wait()
	if panicked.Load() {
		panic(pv)
	}
}
