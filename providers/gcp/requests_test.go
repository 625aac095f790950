package gcp

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/internal/sim/fault"
	gcpsim "github.com/fbctl/fbctl/internal/sim/gcp"
	"github.com/fbctl/fbctl/providers"
)

// Every attempt that reaches the Compute API is reported once with its
// operation and HTTP status (200 for a success), retries included.
func TestRequestObserverSeesEveryAttempt(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 41})
	w.srv.Faults().Add(fault.Rule{Op: "urlMaps.patch", Kind: fault.ServerError, Nth: 1})
	tg := defaultRouteTarget(t, providerBlock(t, w.url))
	w.srv.ResetCalls()

	var mu sync.Mutex
	got := map[string]int{}
	ctx := providers.WithRequestObserver(testCtx(t), func(provider, op, code string) {
		mu.Lock()
		defer mu.Unlock()
		got[provider+" "+op+" "+code]++
	})
	if share, err := tg.Apply(ctx, 5000); err != nil || share != 5000 {
		t.Fatalf("Apply = %v, %v", share, err)
	}
	want := map[string]int{}
	for op, n := range w.srv.Calls() {
		if op == "urlMaps.patch" {
			want["gcp urlMaps.patch 500"]++
			n--
		}
		if n > 0 {
			want["gcp "+op+" 200"] += n
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observed requests (-what reached the API +what was reported):\n%s", diff)
	}
	if !strings.Contains(strings.Join(keys(got), ","), "urlMaps.patch 200") {
		t.Errorf("the retried patch was not reported: %v", got)
	}
}

func keys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
