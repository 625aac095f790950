package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/providers"
)

// coarseTarget delivers only 0, 50 and 100 % and is not an exact split: a
// stand-in for a DNS RRset of one address per side and for capacity
// scaling, to see what plan and status tell about such targets.
type coarseTarget struct {
	mu    sync.Mutex
	share providers.Share
}

func (t *coarseTarget) Deliverable(want providers.Share) providers.Share {
	return (want + 2500) / 5000 * 5000
}

func (t *coarseTarget) Approximation() string { return "scales capacity, not requests" }

func (t *coarseTarget) Observe(context.Context) (providers.Share, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.share, nil
}

func (t *coarseTarget) Apply(_ context.Context, want providers.Share) (providers.Share, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.share = t.Deliverable(want)
	return t.share, nil
}

func (t *coarseTarget) Resolution() providers.Share { return 5000 }

type alwaysHealthy struct{}

func (alwaysHealthy) Probe(context.Context) providers.Result {
	return providers.Result{Healthy: true, Detail: "fine"}
}

func coarseRegistry(tg *coarseTarget) *providers.Registry {
	r := providers.NewRegistry()
	r.Register(providers.Kind{Class: providers.ClassTarget, Name: "coarse",
		NewTarget: func(providers.Config) (providers.Target, error) { return tg, nil }})
	r.Register(providers.Kind{Class: providers.ClassCheck, Name: "always",
		NewCheck: func(providers.Config) (providers.Check, error) { return alwaysHealthy{}, nil }})
	return r
}

// TestPlanShowsDeliverableShareAndApproximation: a run that moves traffic
// says which targets cannot deliver the requested share and what they
// deliver instead, and plan and status carry a target's approximation.
func TestPlanShowsDeliverableShareAndApproximation(t *testing.T) {
	dir := t.TempDir()
	policyPath := filepath.Join(dir, "fbctl.hcl")
	src := `
state "file" { path = "state" }
failback "web" {
  primary   = "dc1"
  secondary = "dr"
  check "always" "up" {
    interval          = "10s"
    timeout           = "1s"
    healthy_threshold = 1
    evidence_ttl      = "1h"
  }
  target "coarse" "lb" {}
  rollout {
    steps               = [5, 50, 100]
    bake                = "1m"
    primary_healthy_for = "1m"
  }
}
`
	if err := os.WriteFile(policyPath, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	tg := &coarseTarget{}
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	g := func(output string) *Global {
		return &Global{Policies: []string{policyPath}, Output: output, Registry: coarseRegistry(tg),
			Now: func() time.Time { return now }, LookupEnv: func(string) (string, bool) { return "", false }}
	}
	run := func(output string, dry bool) (string, error) {
		var out, errOut bytes.Buffer
		err := Reconcile(context.Background(), IO{Out: &out, ErrOut: &errOut},
			ReconcileOptions{Global: g(output), DryRun: dry})
		return out.String(), err
	}
	if _, err := run(OutputText, false); err != nil { // first evidence
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)

	text, err := run(OutputText, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`target "lb" delivers 0% for the requested 5%`,
		`note: target "lb": scales capacity, not requests`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plan output lacks %q:\n%s", want, text)
		}
	}

	js, err := run(OutputJSON, true)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Failbacks []struct {
			Deliverable []map[string]any `json:"deliverable"`
			Notes       []string         `json:"notes"`
		} `json:"failbacks"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	wantDeliverable := []map[string]any{{"target": "lb", "requested": 5.0, "deliverable": 0.0}}
	if diff := cmp.Diff(wantDeliverable, doc.Failbacks[0].Deliverable); diff != "" {
		t.Errorf("plan -o json deliverable (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{`target "lb": scales capacity, not requests`}, doc.Failbacks[0].Notes); diff != "" {
		t.Errorf("plan -o json notes (-want +got):\n%s", diff)
	}

	var out bytes.Buffer
	if err := Status(context.Background(), IO{Out: &out, ErrOut: &out}, StatusOptions{Global: g(OutputText)}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `web: note: target "lb": scales capacity, not requests`) {
		t.Errorf("status lacks the approximation note:\n%s", out.String())
	}
}

// TestTableEscapesControlCharacters: a cell from a state file or a flag
// (an actor, a reason) cannot break a table or send an escape sequence to
// the terminal.
func TestTableEscapesControlCharacters(t *testing.T) {
	var b strings.Builder
	tw := newTable(&b)
	tw.row("A", "B")
	tw.row("x\ty", "evil\x1b[2J\nline")
	if err := tw.flush(); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\t") || strings.Count(out, "\n") != 2 || !strings.Contains(out, `evil\x1b[2J\nline`) {
		t.Fatalf("control characters not escaped:\n%q", out)
	}
}
