package powerdns_test

import (
	"context"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/providertest"
)

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestConformance(t *testing.T) {
	p := startPDNS(t)
	pc := provider(p, p.APIKey)
	providertest.Conformance(t, providertest.Harness{
		New:      func(t *testing.T) providers.Target { return newTarget(t, pc, nil) },
		Snapshot: func(t *testing.T) any { return others(t, p, "www") },
		Owned:    func(t *testing.T) any { return luaRecords(t, p, "www") },
		Reset: func(t *testing.T) {
			setLUA(t, p, "www", initial, `AAAA "pickwrandom({{1, '2001:db8::1'}, {1, '2001:db8::2'}})"`)
		},
		Goroutines: 4,
	})
}

// TestFailbackMeasuredInRealAnswers steps a pickwhashed record from 5 to
// 100 % and measures each step in real DNS answers: one query from each
// of 1,000 distinct loopback addresses. pickwhashed picks by a hash of the
// client's address, so the measurement is deterministic: the same
// addresses get the same answers on every run. For 1,000 well-spread
// hashes the fraction's standard deviation is at most
// sqrt(0.25/1000) ≈ 1.6 points; 5 points is three of them, and since the
// hash is fixed, a pass is a pass on every run. 0 % and 100 % are exact:
// PowerDNS never picks an entry of weight 0.
func TestFailbackMeasuredInRealAnswers(t *testing.T) {
	start := time.Now()
	p := startPDNS(t)
	tg := newTarget(t, provider(p, p.APIKey), nil)
	before := others(t, p, "www")
	srcs := sources(1000)
	for _, step := range []providers.Share{0, 500, 2500, 5000, 7500, 10000} {
		got, err := tg.Apply(ctx(t), step)
		if err != nil {
			t.Fatal(err)
		}
		if d := int(got) - int(step); d < -int(tg.Resolution()) || d > int(tg.Resolution()) {
			t.Fatalf("Apply(%v) delivered %v", step, got)
		}
		obs, err := tg.Observe(ctx(t))
		if err != nil || obs != got {
			t.Fatalf("Observe after Apply(%v) = %v, %v; want %v", step, obs, err, got)
		}
		f := primaryFraction(t, p, "www."+zone, "192.0.2.1", "198.51.100.1", srcs)
		want := float64(step) / 10000
		tol := 0.05
		if step == 0 || step == 10000 {
			tol = 0
		}
		t.Logf("step %v: %.1f %% of %d clients answered with the primary", step, f*100, len(srcs))
		if math.Abs(f-want) > tol {
			t.Errorf("step %v: %.3f of the answers are the primary's, want %.3f ± %.2f", step, f, want, tol)
		}
	}
	if diff := cmp.Diff(before, others(t, p, "www")); diff != "" {
		t.Errorf("the rest of the zone changed (-before +after):\n%s", diff)
	}
	t.Logf("took %v", time.Since(start))
}

// TestPickwrandomSplitsRealAnswers measures one pickwrandom step over
// 2,000 queries from one client: the standard deviation of the fraction is
// sqrt(0.25*0.75/2000) ≈ 1 point, so 5 points is five of them (a false
// failure about once in three million runs).
func TestPickwrandomSplitsRealAnswers(t *testing.T) {
	p := startPDNS(t)
	tg := newTarget(t, provider(p, p.APIKey), map[string]any{"function": "pickwrandom"})
	if _, err := tg.Apply(ctx(t), 2500); err != nil {
		t.Fatal(err)
	}
	if got := luaRecords(t, p, "www"); !strings.Contains(strings.Join(got, "\n"), `A "pickwrandom({{250, '192.0.2.1'}, {750, '198.51.100.1'}})"`) {
		t.Fatalf("record after Apply(25 %%): %q", got)
	}
	srcs := sources(1)
	for len(srcs) < 2000 {
		srcs = append(srcs, srcs[0])
	}
	f := primaryFraction(t, p, "www."+zone, "192.0.2.1", "198.51.100.1", srcs)
	if math.Abs(f-0.25) > 0.05 {
		t.Errorf("%.3f of the answers are the primary's, want 0.25 ± 0.05", f)
	}
}

func TestHostile(t *testing.T) {
	p := startPDNS(t)
	pc := provider(p, p.APIKey)
	before := p.Export(t, zone)
	unchanged := func(t *testing.T) {
		t.Helper()
		if after := p.Export(t, zone); after != before {
			t.Errorf("the zone changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	}
	mustFail := func(t *testing.T, tg providers.Target, wants ...string) {
		t.Helper()
		_, oerr := tg.Observe(ctx(t))
		_, aerr := tg.Apply(ctx(t), 5000)
		for _, err := range []error{oerr, aerr} {
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), p.APIKey) {
				t.Errorf("error %q shows the API key", err)
			}
		}
		unchanged(t)
	}
	t.Run("WrongKey", func(t *testing.T) {
		wrong := "not-the-key-" + p.APIKey[:6]
		tg := newTarget(t, provider(p, wrong), nil)
		mustFail(t, tg, "401", "refused the key")
		_, err := tg.Observe(ctx(t))
		if strings.Contains(err.Error(), wrong) {
			t.Errorf("error %q shows the wrong key", err)
		}
		if providers.IsTransient(err) {
			t.Errorf("a refused key is transient: %v", err)
		}
	})
	t.Run("ZoneNotFound", func(t *testing.T) {
		mustFail(t, newTarget(t, pc, map[string]any{"zone": "nowhere.test"}), "nowhere.test.", "not found")
	})
	t.Run("PlainRRsetAtName", func(t *testing.T) {
		mustFail(t, newTarget(t, pc, map[string]any{"name": "plain"}), "plain.example.test.", "plain A rrset", "did not write")
	})
	t.Run("OtherLUAAtName", func(t *testing.T) {
		mustFail(t, newTarget(t, pc, map[string]any{"name": "expr"}), "expr.example.test.", "pickrandom", "did not write")
	})
	t.Run("NoRecord", func(t *testing.T) {
		mustFail(t, newTarget(t, pc, map[string]any{"name": "mail"}), "mail.example.test.", "plain A rrset")
		mustFail(t, newTarget(t, pc, map[string]any{"name": "none"}), "no LUA A record at", "never creates")
	})
	t.Run("ServerDown", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		down := provider(p, p.APIKey)
		down.Attrs = cty.ObjectVal(map[string]cty.Value{"api_url": cty.StringVal("http://" + addr),
			"api_key": cty.StringVal(p.APIKey).Mark("sensitive"), "server_id": cty.StringVal("localhost")})
		tg := newTarget(t, down, nil)
		_, err = tg.Observe(ctx(t))
		if err == nil || !providers.IsTransient(err) || strings.Contains(err.Error(), p.APIKey) {
			t.Fatalf("Observe with the server down: %v (transient %v)", err, providers.IsTransient(err))
		}
	})
}

// TestForeignAddress: an address in the table that neither side names
// takes its part of the answers, and is reported; Apply writes the table
// without it.
func TestForeignAddress(t *testing.T) {
	p := startPDNS(t)
	setLUA(t, p, "www", `A "pickwhashed({{500, '192.0.2.1'}, {250, '198.51.100.1'}, {250, '203.0.113.9'}})"`)
	tg := newTarget(t, provider(p, p.APIKey), nil)
	s, err := tg.Observe(ctx(t))
	if err != nil || s != 5000 {
		t.Fatalf("Observe = %v, %v; want 50 %%", s, err)
	}
	f, err := tg.(providers.ForeignReporter).Foreign(ctx(t))
	if err != nil || len(f) != 1 || !strings.Contains(f[0], "203.0.113.9") {
		t.Fatalf("Foreign = %q, %v", f, err)
	}
	if _, err := tg.Apply(ctx(t), 5000); err != nil {
		t.Fatal(err)
	}
	if got := luaRecords(t, p, "www"); len(got) != 1 || strings.Contains(got[0], "203.0.113.9") {
		t.Fatalf("record after Apply: %q", got)
	}
}

// TestSensitiveValuesHidden: a sensitive name and sensitive addresses
// never appear in errors or in Foreign.
func TestSensitiveValuesHidden(t *testing.T) {
	p := startPDNS(t)
	setLUA(t, p, "www", `A "pickwhashed({{500, '192.0.2.1'}, {250, '198.51.100.1'}, {250, '203.0.113.9'}})"`)
	secretName := cty.StringVal("plain").Mark("sensitive")
	tg := newTarget(t, provider(p, p.APIKey), map[string]any{"name": secretName})
	_, err := tg.Observe(ctx(t))
	if err == nil || strings.Contains(err.Error(), "plain") {
		t.Fatalf("Observe with a sensitive name: %v", err)
	}
	tg = newTarget(t, provider(p, p.APIKey), map[string]any{
		"primary":   cty.ListVal([]cty.Value{cty.StringVal("192.0.2.1")}).Mark("sensitive"),
		"secondary": cty.ListVal([]cty.Value{cty.StringVal("198.51.100.1")}).Mark("sensitive"),
	})
	if s, err := tg.Observe(ctx(t)); err != nil || s != 5000 {
		t.Fatalf("Observe = %v, %v", s, err)
	}
	f, err := tg.(providers.ForeignReporter).Foreign(ctx(t))
	if err != nil || len(f) != 1 || !strings.Contains(f[0], "203.0.113.9") {
		t.Fatalf("Foreign = %q, %v", f, err)
	}
	setLUA(t, p, "www", `A "pickwhashed({{0, '192.0.2.1'}, {0, '198.51.100.1'}})"`)
	_, err = tg.Observe(ctx(t))
	if err == nil || strings.Contains(err.Error(), "192.0.2.1") || strings.Contains(err.Error(), "198.51.100.1") {
		t.Fatalf("Observe of a table without weight: %v", err)
	}
	t.Log(err)
}
