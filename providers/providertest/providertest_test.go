package providertest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/providertest"
)

// system is an in-memory steered thing: the share a target owns, a counter
// of writes to it, and state next to it the target must not touch.
type system struct {
	mu      sync.Mutex
	share   providers.Share
	writes  int
	foreign map[string]int
}

// memTarget steers a system in steps of res. Its flaws are switched on by
// name, to prove that the suite catches each.
type memTarget struct {
	sys  *system
	res  providers.Share
	flaw string
}

func (m *memTarget) Resolution() providers.Share {
	if m.flaw == "lies-about-resolution" {
		return 1
	}
	return m.res
}

func (m *memTarget) Observe(ctx context.Context) (providers.Share, error) {
	if err := ctx.Err(); err != nil && m.flaw != "ignores-context" {
		return 0, err
	}
	m.sys.mu.Lock()
	defer m.sys.mu.Unlock()
	return m.sys.share, nil
}

func (m *memTarget) Apply(ctx context.Context, want providers.Share) (providers.Share, error) {
	if want < 0 || want > providers.ShareFull {
		return 0, context.DeadlineExceeded // any error will do
	}
	if err := ctx.Err(); err != nil && m.flaw != "ignores-context" {
		return 0, err
	}
	if m.flaw != "unsynchronized" {
		m.sys.mu.Lock()
		defer m.sys.mu.Unlock()
	}
	got := (want + m.res/2) / m.res * m.res
	if got > providers.ShareFull {
		got = providers.ShareFull
	}
	if got != m.sys.share || m.flaw == "rewrites" {
		m.sys.writes++
	}
	m.sys.share = got
	switch m.flaw {
	case "touches-foreign":
		m.sys.foreign["other"]++
	case "reports-want":
		return want, nil
	}
	return got, nil
}

func harness(sys *system, res providers.Share, flaw string) providertest.Harness {
	return providertest.Harness{
		New: func(t *testing.T) providers.Target { return &memTarget{sys: sys, res: res, flaw: flaw} },
		Snapshot: func(t *testing.T) any {
			sys.mu.Lock()
			defer sys.mu.Unlock()
			out := map[string]int{}
			for k, v := range sys.foreign {
				out[k] = v
			}
			return out
		},
		Owned: func(t *testing.T) any {
			sys.mu.Lock()
			defer sys.mu.Unlock()
			return [2]int{int(sys.share), sys.writes}
		},
		Reset: func(t *testing.T) {
			sys.mu.Lock()
			defer sys.mu.Unlock()
			sys.share = 0
		},
	}
}

func TestConformanceOfACorrectTarget(t *testing.T) {
	for _, res := range []providers.Share{1, 39, 909, 5000} {
		t.Run(res.String(), func(t *testing.T) {
			providertest.Conformance(t, harness(&system{foreign: map[string]int{"other": 7}}, res, ""))
		})
	}
}

// Each flawed target fails the suite with a message that names the flaw.
func TestConformanceCatchesFlaws(t *testing.T) {
	if os.Getenv("PROVIDERTEST_FLAW") != "" {
		return // this process is the child
	}
	flaws := map[string]string{
		"touches-foreign":       "the target changed state it does not own",
		"reports-want":          "Apply must return the share it read back",
		"ignores-context":       "want an error wrapping context canceled",
		"rewrites":              "second Apply(25%) changed the target's state",
		"lies-about-resolution": "more than the resolution 0.01% away",
	}
	if raceEnabled {
		// Only the race detector sees this one: run the suite with -race.
		flaws["unsynchronized"] = "DATA RACE"
	}
	for flaw, want := range flaws {
		t.Run(flaw, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestFlawedChild$", "-test.v")
			cmd.Env = append(os.Environ(), "PROVIDERTEST_FLAW="+flaw)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a target that %s:\n%s", flaw, out)
			}
			if !strings.Contains(string(out), want) {
				t.Fatalf("the suite failed a target that %s without saying %q:\n%s", flaw, want, out)
			}
		})
	}
}

// TestFlawedChild runs the suite against a flawed target when started by
// TestConformanceCatchesFlaws; otherwise it has nothing to do and passes.
func TestFlawedChild(t *testing.T) {
	flaw := os.Getenv("PROVIDERTEST_FLAW")
	if flaw == "" {
		return
	}
	providertest.Conformance(t, harness(&system{foreign: map[string]int{"other": 7}}, 39, flaw))
}
