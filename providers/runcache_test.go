package providers_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fbctl/fbctl/providers"
)

func TestRunCacheLoadsOncePerKey(t *testing.T) {
	ctx := providers.WithRunCache(context.Background())
	c := providers.RunCacheFrom(ctx)
	var loads atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.Get("zone", func() (any, error) { loads.Add(1); return 42, nil })
			if err != nil || v.(int) != 42 {
				t.Errorf("Get = %v, %v", v, err)
			}
		}()
	}
	wg.Wait()
	if loads.Load() != 1 {
		t.Fatalf("loaded %d times", loads.Load())
	}
	c.Forget("zone")
	_, _ = c.Get("zone", func() (any, error) { loads.Add(1); return 0, errors.New("x") })
	if loads.Load() != 2 {
		t.Fatalf("Forget did not reload")
	}
	var none *providers.RunCache
	if v, _ := none.Get("k", func() (any, error) { return 1, nil }); v.(int) != 1 {
		t.Fatal("nil cache")
	}
	if providers.RunCacheFrom(context.Background()) != nil {
		t.Fatal("cache from a bare context")
	}
}

func TestRunCacheFlushOncePerKey(t *testing.T) {
	ctx := providers.WithRunCache(context.Background())
	c := providers.RunCacheFrom(ctx)
	var order []string
	boom := errors.New("boom")
	for i := 0; i < 3; i++ {
		c.OnFlush("zone-a", func(context.Context) error { order = append(order, "a"); return nil })
		c.OnFlush("zone-b", func(context.Context) error { order = append(order, "b"); return boom })
	}
	if err := providers.FlushRun(ctx); !errors.Is(err, boom) {
		t.Fatalf("FlushRun = %v, want boom", err)
	}
	if len(order) != 2 || order[0] != "a" || order[1] != "b" {
		t.Fatalf("flushers ran %v, want [a b]", order)
	}
	// Cleared: a second flush runs nothing, a new registration runs again.
	if err := providers.FlushRun(ctx); err != nil || len(order) != 2 {
		t.Fatalf("second flush: %v, %v", err, order)
	}
	c.OnFlush("zone-a", func(context.Context) error { order = append(order, "a2"); return nil })
	if err := providers.FlushRun(ctx); err != nil || len(order) != 3 || order[2] != "a2" {
		t.Fatalf("third flush: %v, %v", err, order)
	}
	// Without a run cache there is nothing to flush.
	if err := providers.FlushRun(context.Background()); err != nil {
		t.Fatal(err)
	}
	var nilCache *providers.RunCache
	nilCache.OnFlush("x", func(context.Context) error { t.Error("ran"); return nil })
}
