package haproxy_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/providertest"
)

// lab is a real HAProxy whose backend "app" holds the servers a target
// names and one it does not ("other"), next to a backend "foreign" that
// has a server of the same name as a primary server.
type lab struct {
	h       *testenv.HAProxy
	initial map[string]int // "backend/server" -> weight at start
	owned   []string       // servers of app the target names
}

func startLab(t *testing.T, primary, secondary []string) *lab {
	t.Helper()
	names := append(append([]string{}, primary...), secondary...)
	be := testenv.StartHTTPBackends(t, append(names, "other", "f1")...)
	var servers []testenv.HAProxyServer
	for i := range names {
		servers = append(servers, be[i].Server(1))
	}
	servers = append(servers, be[len(names)].Server(7))
	h := testenv.StartHAProxy(t, testenv.HAProxyConfig{
		Servers: servers,
		ExtraBackends: []testenv.HAProxyBackend{{Name: "foreign", Servers: []testenv.HAProxyServer{
			be[len(names)+1].Server(3),
			{Name: primary[0], Addr: be[0].Addr, Weight: 5},
		}}},
	})
	return &lab{h: h, initial: h.Weights(t), owned: names}
}

func (l *lab) harness(newTarget func(t *testing.T) providers.Target) providertest.Harness {
	return providertest.Harness{
		New: newTarget,
		// Everything but the weights of the named servers of app, read
		// straight from HAProxy with testenv's own parser.
		Snapshot: func(t *testing.T) any {
			s := l.h.Servers(t)
			for _, n := range l.owned {
				st := s["app/"+n]
				st.Weight = 0 // owned
				s["app/"+n] = st
			}
			return s
		},
		Owned: func(t *testing.T) any {
			w := l.h.Weights(t)
			out := map[string]int{}
			for _, n := range l.owned {
				out[n] = w["app/"+n]
			}
			return out
		},
		Reset: func(t *testing.T) {
			for _, n := range l.owned {
				l.h.SetWeight(t, "app", n, l.initial["app/"+n])
			}
		},
	}
}

func TestConformanceUnixSocket(t *testing.T) {
	l := startLab(t, []string{"p1", "p2"}, []string{"s1"})
	providertest.Conformance(t, l.harness(func(t *testing.T) providers.Target {
		return newTarget(t, map[string]any{
			"runtime_api": l.h.SocketPath, "backend": "app",
			"primary": []string{"p1", "p2"}, "secondary": []string{"s1"},
		})
	}))
}

func TestConformanceUnixPrefix(t *testing.T) {
	l := startLab(t, []string{"p1"}, []string{"s1", "s2"})
	providertest.Conformance(t, l.harness(func(t *testing.T) providers.Target {
		return newTarget(t, map[string]any{
			"runtime_api": "unix:" + l.h.SocketPath, "backend": "app",
			"primary": []string{"p1"}, "secondary": []string{"s1", "s2"}, "max_weight": 100,
		})
	}))
}

// Over TCP, with a coarse max_weight: the resolution is 909 basis points,
// and the suite holds the target to it.
func TestConformanceTCP(t *testing.T) {
	l := startLab(t, []string{"p1"}, []string{"s1"})
	providertest.Conformance(t, l.harness(func(t *testing.T) providers.Target {
		tg := newTarget(t, map[string]any{
			"runtime_api": l.h.RuntimeTCPAddr, "backend": "app",
			"primary": []string{"p1"}, "secondary": []string{"s1"}, "max_weight": 10,
		})
		if r := tg.Resolution(); r != 909 {
			t.Fatalf("Resolution = %v, want 9.09%% (weights 1:10)", r)
		}
		return tg
	}))
}

// Real traffic through the frontend follows the applied share.
func TestRealTrafficSplit(t *testing.T) {
	be := testenv.StartHTTPBackends(t, "p1", "p2", "s1")
	h := testenv.StartHAProxy(t, testenv.HAProxyConfig{Servers: []testenv.HAProxyServer{
		be[0].Server(1), be[1].Server(1), be[2].Server(1),
	}})
	tg := newTarget(t, map[string]any{
		"runtime_api": h.SocketPath, "backend": "app",
		"primary": []string{"p1", "p2"}, "secondary": []string{"s1"},
	})
	const n = 400
	for _, pct := range []int{0, 25, 50, 75, 100} {
		want := providers.Share(pct * 100)
		got, err := tg.Apply(context.Background(), want)
		if err != nil {
			t.Fatalf("Apply(%v): %v", want, err)
		}
		counts, err := testenv.Spread(h.FrontendURL, n)
		if err != nil {
			t.Fatal(err)
		}
		primary := counts["p1"] + counts["p2"]
		real := 100 * float64(primary) / n
		w := h.Weights(t)
		t.Logf("share %3d%%: Apply delivered %v, weights p1=%d p2=%d s1=%d, %d requests: %v -> primary %.2f%%",
			pct, got, w["app/p1"], w["app/p2"], w["app/s1"], n, counts, real)
		if counts["p1"]+counts["p2"]+counts["s1"] != n {
			t.Errorf("share %d%%: not every request was answered by a backend: %v", pct, counts)
		}
		if math.Abs(real-float64(pct)) > 5 {
			t.Errorf("share %d%%: the primary got %.2f%% of real traffic, want %d%% ± 5", pct, real, pct)
		}
	}
}

func TestObserveReportsRealWeights(t *testing.T) {
	l := startLab(t, []string{"p1", "p2"}, []string{"s1"})
	tg := newTarget(t, map[string]any{
		"runtime_api": l.h.SocketPath, "backend": "app",
		"primary": []string{"p1", "p2"}, "secondary": []string{"s1"},
	})
	ctx := context.Background()
	// Weights fbctl would not write, but HAProxy splits by them: 40/60.
	l.h.SetWeight(t, "app", "p1", 10)
	l.h.SetWeight(t, "app", "p2", 30)
	l.h.SetWeight(t, "app", "s1", 20)
	if got, err := tg.Observe(ctx); err != nil || got != 6667 {
		t.Fatalf("Observe = %v, %v; want 66.67%%", got, err)
	}
	// Applying the observed share changes nothing.
	before := l.h.Weights(t)
	if got, err := tg.Apply(ctx, 6667); err != nil || got != 6667 {
		t.Fatalf("Apply(66.67%%) = %v, %v", got, err)
	}
	if diff := cmp.Diff(before, l.h.Weights(t)); diff != "" {
		t.Errorf("Apply of the observed share changed weights (-before +after):\n%s", diff)
	}

	// No weight on any named server: an error, and Apply repairs it.
	for _, s := range []string{"p1", "p2", "s1"} {
		l.h.SetWeight(t, "app", s, 0)
	}
	_, err := tg.Observe(ctx)
	if err == nil || !strings.Contains(err.Error(), "has no weight") || !strings.Contains(err.Error(), "HAProxy would answer 503") {
		t.Fatalf("Observe with every weight 0: %v", err)
	}
	if got, err := tg.Apply(ctx, 5000); err != nil || got != 5000 {
		t.Fatalf("Apply(50%%) from all-zero weights = %v, %v", got, err)
	}
	if w := l.h.Weights(t); w["app/p1"] != 64 || w["app/p2"] != 64 || w["app/s1"] != 128 {
		t.Errorf("weights at 50%% with two primary servers: %v, want p1=64 p2=64 s1=128", w)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	l := startLab(t, []string{"p1"}, []string{"s1"})
	base := map[string]any{
		"runtime_api": l.h.SocketPath, "backend": "app",
		"primary": []string{"p1"}, "secondary": []string{"s1"},
	}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		m[k] = v
		return m
	}

	refusedUnix := filepath.Join(t.TempDir(), "refused.sock")
	ln, err := net.Listen("unix", refusedUnix)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // the file stays; nobody accepts
	refusedTCP := testenv.ClosedAddr(t)
	missing := filepath.Join(t.TempDir(), "none.sock")

	for _, tc := range []struct {
		name  string
		attrs map[string]any
		want  string // the whole message, or a part of it after "..."
		is    error
		class providers.ErrorClass
	}{
		{"server not in backend", with("primary", []string{"p1", "zz"}),
			fmt.Sprintf(`haproxy runtime API at %s: server "zz" is not in backend "app", which has servers other, p1, s1`, l.h.SocketPath), nil, providers.Fatal},
		{"servers not in backend", with("secondary", []string{"s9", "s8"}),
			`...servers "s9", "s8" are not in backend "app"`, nil, providers.Fatal},
		{"server of another backend", with("primary", []string{"f1"}),
			`...server "f1" is not in backend "app"`, nil, providers.Fatal},
		{"unknown backend", with("backend", "nope"),
			fmt.Sprintf("haproxy runtime API at %s: show servers state nope: Can't find backend.", l.h.SocketPath), nil, providers.Fatal},
		{"refused unix socket", with("runtime_api", refusedUnix),
			"haproxy runtime API at " + refusedUnix + ": connection refused", syscall.ECONNREFUSED, providers.Transient},
		{"refused unix: socket", with("runtime_api", "unix:"+refusedUnix),
			"haproxy runtime API at unix:" + refusedUnix + ": connection refused", syscall.ECONNREFUSED, providers.Transient},
		{"refused tcp", with("runtime_api", refusedTCP),
			"haproxy runtime API at " + refusedTCP + ": connection refused", syscall.ECONNREFUSED, providers.Transient},
		{"missing socket", with("runtime_api", missing),
			"haproxy runtime API at " + missing + ": no such socket (is HAProxy running with this stats socket?)", nil, providers.Fatal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := newTarget(t, tc.attrs)
			before := l.h.Servers(t)
			check := func(op string, err error) {
				t.Helper()
				switch {
				case err == nil:
					t.Errorf("%s: no error", op)
				case strings.HasPrefix(tc.want, "..."):
					if !strings.Contains(err.Error(), tc.want[3:]) {
						t.Errorf("%s: %q\nwant it to contain %q", op, err, tc.want[3:])
					}
				case err.Error() != tc.want:
					t.Errorf("%s: %q\nwant           %q", op, err, tc.want)
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Errorf("%s: %v does not wrap %v", op, err, tc.is)
				}
				if c := providers.Classify(err); err != nil && c != tc.class {
					t.Errorf("%s: %v is %v, want %v", op, err, c, tc.class)
				}
			}
			_, err := tg.Observe(context.Background())
			check("Observe", err)
			for _, share := range []providers.Share{0, 5000, 10000} {
				_, err = tg.Apply(context.Background(), share)
				check(fmt.Sprintf("Apply(%v)", share), err)
			}
			if diff := cmp.Diff(before, l.h.Servers(t)); diff != "" {
				t.Errorf("weights changed (-before +after):\n%s", diff)
			}
		})
	}
}

// A sensitive runtime_api or server name never shows in an error.
func TestSensitiveValuesStayHidden(t *testing.T) {
	addr := testenv.ClosedAddr(t)
	tg := newTarget(t, map[string]any{
		"runtime_api": cty.StringVal(addr).Mark("sensitive"), "backend": "app",
		"primary": []string{"p1"}, "secondary": []string{"s1"},
	})
	_, err := tg.Observe(context.Background())
	if err == nil || strings.Contains(err.Error(), addr) || err.Error() != "haproxy runtime API at (sensitive value): connection refused" {
		t.Errorf("Observe: %v", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("the hidden error lost its cause: %v", err)
	}

	l := startLab(t, []string{"p1"}, []string{"s1"})
	tg = newTarget(t, map[string]any{
		"runtime_api": l.h.SocketPath, "backend": "app",
		"primary":   cty.ListVal([]cty.Value{cty.StringVal("p1"), cty.StringVal("secretsrv").Mark("sensitive")}),
		"secondary": []string{"s1"},
	})
	_, err = tg.Apply(context.Background(), 5000)
	if err == nil || strings.Contains(err.Error(), "secretsrv") || !strings.Contains(err.Error(), "(sensitive value)") {
		t.Errorf("Apply with a sensitive missing server: %v", err)
	}
}

func TestNewTargetRejectsBadBlocks(t *testing.T) {
	k := kind(t)
	good := map[string]any{"runtime_api": "/run/haproxy/admin.sock", "backend": "app",
		"primary": []string{"p1"}, "secondary": []string{"s1"}}
	for _, tc := range []struct {
		name, attr string
		value      any
		want       string
	}{
		// What Validate refuses, the constructor refuses with its words.
		{"empty primary", "primary", []string{}, "Empty primary"},
		{"empty secondary", "secondary", []string{}, "Empty secondary"},
		{"server on both sides", "secondary", []string{"p1"}, `"p1" is listed in both primary and secondary`},
		{"duplicate server", "primary", []string{"p1", "p1"}, `"p1" is listed twice in primary`},
		{"command injection", "primary", []string{"p1;shutdown sessions server app/s1"}, "is not a valid HAProxy name"},
		{"newline", "secondary", []string{"s1\nset server app/p1 weight 0"}, "is not a valid HAProxy name"},
		{"space in backend", "backend", "app x", `backend must be a valid HAProxy name`},
		{"sensitive bad name", "backend", cty.StringVal("top secret").Mark("sensitive"), "backend: the value is not valid (it is sensitive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given := map[string]any{}
			for k, v := range good {
				given[k] = v
			}
			given[tc.attr] = tc.value
			_, err := k.NewTarget(providers.Config{Name: "lb", Attrs: providertest.Body(t, k, given)})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), `haproxy_backend "lb": `) || strings.Contains(err.Error(), "top secret") {
				t.Errorf("NewTarget: %v; want an error containing %q", err, tc.want)
			}
		})
	}
	// Bodies the kind's Validate rejects are refused by the constructor
	// too, should it ever be called without validation.
	for _, bad := range []struct {
		attr  string
		value cty.Value
	}{
		{"max_weight", cty.NumberIntVal(0)},
		{"max_weight", cty.NumberIntVal(257)},
		{"max_weight", cty.NumberFloatVal(1.5)},
		{"runtime_api", cty.StringVal("relative/path")},
		{"runtime_api", cty.StringVal("unix:")},
		{"runtime_api", cty.UnknownVal(cty.String)},
	} {
		body := attrs(t, good).AsValueMap()
		body[bad.attr] = bad.value
		if _, err := k.NewTarget(providers.Config{Name: "lb", Attrs: cty.ObjectVal(body)}); err == nil {
			t.Errorf("NewTarget with %s = %#v: no error", bad.attr, bad.value)
		}
	}
}

// The resolution is honest: every share in 0..10000 is delivered within it.
func TestResolutionIsHonest(t *testing.T) {
	for _, c := range []struct {
		p, s, maxWeight int
		want            providers.Share
	}{
		{1, 1, 256, 39}, // 1/257
		{2, 1, 256, 78}, // 2/258
		{1, 2, 256, 78},
		{3, 3, 256, 39},
		{1, 1, 10, 909},
		{1, 1, 1, 5000},
	} {
		var p, s []string
		for i := 0; i < c.p; i++ {
			p = append(p, fmt.Sprintf("p%d", i))
		}
		for i := 0; i < c.s; i++ {
			s = append(s, fmt.Sprintf("s%d", i))
		}
		tg := newTarget(t, map[string]any{"runtime_api": "/x.sock", "backend": "b", "primary": p, "secondary": s, "max_weight": c.maxWeight})
		if got := tg.Resolution(); got != c.want {
			t.Errorf("%d primary, %d secondary, max_weight %d: Resolution = %d bp, want %d", c.p, c.s, c.maxWeight, got, c.want)
		}
	}
}

// Observe and Apply honour a deadline while HAProxy does not answer.
func TestHungAPIHonoursDeadline(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "hung.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var conns []net.Conn // read nothing, answer nothing
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	tg := newTarget(t, map[string]any{"runtime_api": sock, "backend": "app", "primary": []string{"p"}, "secondary": []string{"s"}})
	for _, op := range []string{"Observe", "Apply"} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		var err error
		if op == "Observe" {
			_, err = tg.Observe(ctx)
		} else {
			_, err = tg.Apply(ctx, 5000)
		}
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s against a hung API: %v, want a deadline error", op, err)
		}
		if c := providers.Classify(err); c != providers.Fatal {
			t.Errorf("%s past the caller's deadline: %v, want Fatal (the caller gave up)", op, c)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %v with a 100ms deadline", op, d)
		}
	}
	// Cancellation (no deadline) unblocks it too.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := tg.Observe(ctx)
		done <- err
	}()
	time.AfterFunc(50*time.Millisecond, cancel)
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Observe: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Observe did not return after cancel")
	}
}

// A real HAProxy that went away: its runtime API refuses, on either
// socket, and the error is Transient (HAProxy may come back).
func TestStoppedHAProxyRefuses(t *testing.T) {
	l := startLab(t, []string{"p1"}, []string{"s1"})
	var targets []providers.Target
	for _, api := range []string{l.h.SocketPath, l.h.RuntimeTCPAddr} {
		tg := newTarget(t, map[string]any{"runtime_api": api, "backend": "app", "primary": []string{"p1"}, "secondary": []string{"s1"}})
		if _, err := tg.Apply(context.Background(), 2500); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, tg)
	}
	l.h.Stop()
	for i, api := range []string{l.h.SocketPath, l.h.RuntimeTCPAddr} {
		want := "haproxy runtime API at " + api + ": connection refused"
		if _, err := targets[i].Observe(context.Background()); err == nil || err.Error() != want {
			t.Errorf("Observe: %v, want %q", err, want)
		}
		_, err := targets[i].Apply(context.Background(), 5000)
		if err == nil || err.Error() != want {
			t.Errorf("Apply: %v, want %q", err, want)
		}
		if c := providers.Classify(err); c != providers.Transient {
			t.Errorf("Apply against a stopped HAProxy: %v, want Transient", c)
		}
	}
}
