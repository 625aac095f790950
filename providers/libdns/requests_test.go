package libdns_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/fbctl/fbctl/providers"
)

// Every driver call is reported once, named by the driver and the call.
func TestRequestObserver(t *testing.T) {
	b := startBIND(t)
	setRRset(t, b, "obs", "60 IN A 192.0.2.1", "60 IN A 198.51.100.1")
	tg := newTarget(t, provider(b, nil), map[string]any{"name": "obs", "primary": []string{"192.0.2.1"}, "secondary": []string{"198.51.100.1"}})
	var mu sync.Mutex
	got := map[string]int{}
	ctx := providers.WithRequestObserver(providers.WithRunCache(context.Background()), func(provider, op, code string) {
		mu.Lock()
		defer mu.Unlock()
		got[provider+" "+op+" "+code]++
	})
	if _, err := tg.Apply(ctx, 0); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got["libdns rfc2136.GetRecords ok"] == 0 || got["libdns rfc2136.SetRecords ok"] != 1 {
		t.Errorf("observed calls %v; want GetRecords and one SetRecords of rfc2136, ok", got)
	}
	for k := range got {
		if !strings.HasPrefix(k, "libdns rfc2136.") || !strings.HasSuffix(k, " ok") {
			t.Errorf("unexpected call %q", k)
		}
	}
}
