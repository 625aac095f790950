package aws

import (
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	route53sim "github.com/fbctl/fbctl/internal/sim/route53"
	"github.com/fbctl/fbctl/providers"
)

// requestLog is a providers.RequestObserver that remembers what it was
// told, as "provider operation code".
type requestLog struct {
	mu     sync.Mutex
	counts map[string]int
}

func (l *requestLog) observe(provider, op, code string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[string]int{}
	}
	l.counts[provider+" "+op+" "+code]++
}

func (l *requestLog) snapshot() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.counts {
		out[k] = v
	}
	return out
}

// Every attempt that reaches the API is reported once with its operation
// and HTTP status, retries included; a context without an observer
// reports nothing, and the calls behave the same either way.
func TestRequestObserverSeesEveryAttempt(t *testing.T) {
	w := newSimR53World(t, route53sim.Options{Seed: 3})
	p := startProxy(t, w.url)
	p.setFault(func(op string, n int) (int, string, bool) {
		if op == "ChangeResourceRecordSets" && n == 0 {
			return 503, `<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>injected</Message></Error></ErrorResponse>`, true
		}
		return 0, "", false
	})
	pc := providerBlock(t, p.URL, nil)
	tg := w.target(t, pc, "api.example.com", []string{"aws"}, []string{"gcp"})

	var log requestLog
	ctx := providers.WithRequestObserver(testCtx(t), log.observe)
	if got, err := tg.Apply(ctx, 5000); err != nil || got != 5000 {
		t.Fatalf("Apply = %v, %v", got, err)
	}
	want := map[string]int{}
	for op, n := range p.snapshot() {
		if op == "ChangeResourceRecordSets" {
			want["aws "+op+" 503"]++
			n--
		}
		if n > 0 {
			want[fmt.Sprintf("aws %s 200", op)] += n
		}
	}
	if diff := cmp.Diff(want, log.snapshot()); diff != "" {
		t.Errorf("observed requests (-what reached the API +what was reported):\n%s", diff)
	}

	// Without an observer: the same calls, nothing reported.
	before := log.snapshot()
	if _, err := tg.Apply(testCtx(t), 2500); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, log.snapshot()); diff != "" {
		t.Errorf("reported without an observer:\n%s", diff)
	}
}

// An attempt that gets no answer is reported as "error", once per attempt.
func TestRequestObserverNoAnswer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: every attempt is refused
	pc := providerBlock(t, "http://"+addr, nil)
	tg, err := NewRoute53Weighted(providers.Config{Name: "dns", Provider: pc,
		Attrs: r53Attrs("Z1", "", "api.example.com", "A", []string{"aws"}, []string{"gcp"})})
	if err != nil {
		t.Fatal(err)
	}
	var log requestLog
	ctx := providers.WithRequestObserver(testCtx(t), log.observe)
	if _, err := tg.Observe(ctx); err == nil {
		t.Fatal("Observe of a closed port succeeded")
	}
	want := map[string]int{"aws ListResourceRecordSets error": MaxAttempts}
	if diff := cmp.Diff(want, log.snapshot()); diff != "" {
		t.Errorf("observed requests:\n%s", diff)
	}
}
