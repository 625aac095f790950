package haproxy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fbctl/fbctl/providers"
)

// A real HAProxy: servers out of service deliver nothing, ObserveSides
// says which side is out, and Apply delivers the wanted share over the
// servers that serve.
func TestObserveCountsServerStates(t *testing.T) {
	l := startLab(t, []string{"p1", "p2"}, []string{"s1"})
	tg := newTarget(t, map[string]any{
		"runtime_api": l.h.SocketPath, "backend": "app",
		"primary": []string{"p1", "p2"}, "secondary": []string{"s1"},
	})
	sr := tg.(providers.SideReporter)
	ctx := context.Background()
	if got, err := tg.Apply(ctx, 5000); err != nil || got != 5000 {
		t.Fatalf("Apply(50%%) = %v, %v", got, err)
	}
	cmd := func(c string) {
		t.Helper()
		if out := l.h.Command(t, c); strings.TrimSpace(out) != "" {
			t.Fatalf("%s: %s", c, out)
		}
	}
	observe := func(want providers.Share, pOut, sOut string) {
		t.Helper()
		got, sides, err := sr.ObserveSides(ctx)
		if err != nil || got != want || !strings.Contains(sides.PrimaryOut, pOut) || !strings.Contains(sides.SecondaryOut, sOut) ||
			(pOut == "") != (sides.PrimaryOut == "") || (sOut == "") != (sides.SecondaryOut == "") {
			t.Fatalf("ObserveSides = %v, %+v, %v; want %v, primary out %q, secondary out %q", got, sides, err, want, pOut, sOut)
		}
		if s, err := tg.Observe(ctx); err != nil || s != got {
			t.Fatalf("Observe = %v, %v; ObserveSides said %v", s, err, got)
		}
	}
	observe(5000, "", "")

	// One of two primary servers in MAINT: weights 64, 64, 128 deliver
	// 64/(64+128) to the primary.
	cmd("set server app/p1 state maint")
	observe(3333, "", "")
	// Apply counts the serving servers: 50 % is 128 on p2 against 128.
	if got, err := tg.Apply(ctx, 5000); err != nil || got != 5000 {
		t.Fatalf("Apply(50%%) with p1 in MAINT = %v, %v", got, err)
	}
	if w := l.h.Weights(t); w["app/p2"] != w["app/s1"] || w["app/p1"] != w["app/p2"] {
		t.Fatalf("weights at 50%% with p1 in MAINT: %v", w)
	}
	// Both primary servers out: the primary side delivers nothing.
	cmd("set server app/p2 health down")
	observe(0, `every primary server is in MAINT, DRAIN or DOWN ("p1" MAINT, "p2" DOWN)`, "")
	cmd("set server app/p1 state ready")
	cmd("set server app/p2 health up")
	if got, err := tg.Apply(ctx, 5000); err != nil || got != 5000 {
		t.Fatalf("Apply(50%%) = %v, %v", got, err)
	}
	// The secondary draining: all traffic to the primary.
	cmd("set server app/s1 state drain")
	observe(10000, "", `every secondary server is in MAINT, DRAIN or DOWN ("s1" DRAIN)`)
	// And the primary in MAINT too: nothing delivers, an error.
	cmd("set server app/p1 state maint")
	cmd("set server app/p2 state maint")
	if _, err := tg.Observe(ctx); err == nil || !strings.Contains(err.Error(), "delivers nothing") {
		t.Fatalf("Observe with nothing delivering: %v", err)
	}
}
