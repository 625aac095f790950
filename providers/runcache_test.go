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
