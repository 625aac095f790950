package providers_test

import (
	"sync"
	"testing"

	"github.com/fbctl/fbctl/providers"
)

func TestSharedBuildsOncePerKey(t *testing.T) {
	var s providers.Shared[*int]
	builds := 0
	build := func() *int { builds++; n := builds; return &n }
	var wg sync.WaitGroup
	got := make([]*int, 10)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = s.Get("a", build) }()
	}
	wg.Wait()
	for _, p := range got {
		if p != got[0] {
			t.Fatal("one key gave two values")
		}
	}
	if b := s.Get("b", build); b == got[0] || builds != 2 {
		t.Fatalf("another key: %d builds", builds)
	}
}
