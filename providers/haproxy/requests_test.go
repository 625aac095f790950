package haproxy

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/providers"
)

// Every command sent to the runtime API is reported once, named by its
// first two words, "ok" when HAProxy answered and "error" when it did not.
func TestRequestObserver(t *testing.T) {
	f := startFakeAPI(t, "app", map[string]int{"p1": 0, "s1": 256})
	tg := fakeTarget(t, f, []string{"p1"}, []string{"s1"})
	var mu sync.Mutex
	got := map[string]int{}
	ctx := providers.WithRequestObserver(context.Background(), func(provider, op, code string) {
		mu.Lock()
		defer mu.Unlock()
		got[provider+" "+op+" "+code]++
	})
	if share, err := tg.Apply(ctx, 10000); err != nil || share != 10000 {
		t.Fatalf("Apply = %v, %v", share, err)
	}
	want := map[string]int{"haproxy show servers ok": 2, "haproxy set server ok": 2}
	mu.Lock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observed commands:\n%s", diff)
	}
	clear(got)
	mu.Unlock()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := NewClient(addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Command(ctx, "show info"); err == nil {
		t.Fatal("a command to a closed port succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(map[string]int{"haproxy show info error": 1}, got); diff != "" {
		t.Errorf("observed commands:\n%s", diff)
	}
}
