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

func TestCachedForgetsContextErrors(t *testing.T) {
	ctx := providers.WithRunCache(context.Background())
	loads := 0
	load := func(context.Context) (int, error) { loads++; return 42, nil }
	for range 2 {
		if v, err := providers.Cached(ctx, "k", load); v != 42 || err != nil {
			t.Fatalf("Cached = %v, %v", v, err)
		}
	}
	if loads != 1 {
		t.Fatalf("loaded %d times in one run", loads)
	}

	// Another caller's cancelled context is not kept: this caller, whose
	// context is fine, loads again itself.
	loads = 0
	calls := 0
	flaky := func(context.Context) (string, error) {
		calls++
		if calls == 1 {
			return "", context.Canceled
		}
		loads++
		return "ok", nil
	}
	if v, err := providers.Cached(ctx, "flaky", flaky); v != "ok" || err != nil || calls != 2 {
		t.Fatalf("Cached = %q, %v after %d calls", v, err, calls)
	}

	// Other errors are kept for the run.
	calls = 0
	failing := func(context.Context) (string, error) { calls++; return "", errors.New("boom") }
	for range 2 {
		if _, err := providers.Cached(ctx, "failing", failing); err == nil || err.Error() != "boom" {
			t.Fatalf("Cached = %v", err)
		}
	}
	if calls != 1 {
		t.Fatalf("a failing load ran %d times in one run", calls)
	}

	// A cancelled caller gets its error without a retry.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	calls = 0
	cancelled := func(ctx context.Context) (int, error) { calls++; return 0, ctx.Err() }
	if _, err := providers.Cached(cctx, "cancelled", cancelled); !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("Cached = %v after %d calls", err, calls)
	}
}
