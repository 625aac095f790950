package metrics

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

func newTest(t *testing.T) *Metrics {
	t.Helper()
	return New(BuildInfo{Version: "v1.2.3", Revision: "abc123", GoVersion: "go1.26.0"})
}

// compare checks the named metrics' exposition against want.
func compare(t *testing.T, m *Metrics, want string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

func report(fb string, before, after engine.Position, d engine.Decision) *engine.Report {
	return &engine.Report{Failback: fb, RunID: "r1", Before: before, After: after, Decision: d,
		Observed: []engine.TargetShare{{Name: "dns"}, {Name: "dns2"}, {Name: "edge"}}}
}

func TestObserveReportShift(t *testing.T) {
	m := newTest(t)
	rep := report("checkout",
		engine.Position{Phase: state.PhaseSecondary, Step: -1, Share: 0},
		engine.Position{Phase: state.PhaseShifting, Step: 0, Share: 550},
		engine.Decision{Action: engine.ActionShift, To: 550, Writes: true})
	rep.Applied = true
	m.ObserveReport(rep, nil)
	compare(t, m, `
# HELP fbctl_failback_share_percent The part of the failback's traffic sent to the primary, 0-100, as of its last decision round.
# TYPE fbctl_failback_share_percent gauge
fbctl_failback_share_percent{failback="checkout"} 5.5
# HELP fbctl_failback_phase 1 for the phase the failback is in, 0 for the others.
# TYPE fbctl_failback_phase gauge
fbctl_failback_phase{failback="checkout",phase="halted"} 0
fbctl_failback_phase{failback="checkout",phase="manual"} 0
fbctl_failback_phase{failback="checkout",phase="paused"} 0
fbctl_failback_phase{failback="checkout",phase="primary"} 0
fbctl_failback_phase{failback="checkout",phase="secondary"} 0
fbctl_failback_phase{failback="checkout",phase="shifting"} 1
# HELP fbctl_rollbacks_total Rollbacks applied: all traffic moved back to the secondary because the primary failed.
# TYPE fbctl_rollbacks_total counter
fbctl_rollbacks_total{failback="checkout"} 0
`, "fbctl_failback_share_percent", "fbctl_failback_phase", "fbctl_rollbacks_total")
	if got := testutil.ToFloat64(m.decisions.WithLabelValues("checkout", "shift")); got != 1 {
		t.Errorf("decisions{shift} = %v, want 1", got)
	}
	// Every known action has its series from the start, at 0.
	if got := testutil.CollectAndCount(m.decisions, "fbctl_decisions_total"); got != len(Actions) {
		t.Errorf("%d decision series, want one per action (%d)", got, len(Actions))
	}
}

func TestObserveReportRollback(t *testing.T) {
	for _, tc := range []struct {
		name    string
		applied bool
		err     error
		want    float64
	}{
		{"applied", true, nil, 1},
		{"applied, history failed after", true, errors.New("recording the rollback event failed"), 1},
		{"write failed", false, fmt.Errorf("target %q: applying 0%%: %w", "dns", errors.New("boom")), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTest(t)
			rep := report("checkout",
				engine.Position{Phase: state.PhaseShifting, Step: 2, Share: 2500},
				engine.Position{Phase: state.PhaseSecondary, Step: -1, Share: 0},
				engine.Decision{Action: engine.ActionRollback, To: 0, Writes: true})
			rep.Applied = tc.applied
			m.ObserveReport(rep, tc.err)
			if got := testutil.ToFloat64(m.rollbacks.WithLabelValues("checkout")); got != tc.want {
				t.Errorf("rollbacks = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestObserveReportApplyErrors(t *testing.T) {
	shift := engine.Decision{Action: engine.ActionShift, To: 1000, Writes: true}
	hold := engine.Decision{Action: engine.ActionHold}
	for _, tc := range []struct {
		name         string
		d            engine.Decision
		err          error
		target, kind string // "" for no apply error
	}{
		{"fatal on a target", shift, fmt.Errorf("target %q: applying 10%%: %w", "edge", providers.FatalError(errors.New("denied"))), "edge", ApplyErrorFatal},
		{"transient on a target", shift, fmt.Errorf("target %q: applying 10%%: %w", "dns", providers.TransientError(errors.New("throttled"))), "dns", ApplyErrorTransient},
		// dns is a prefix of dns2: the quoted name must match whole.
		{"name that another extends", shift, fmt.Errorf("target %q: applying 10%%: %w", "dns2", errors.New("x")), "dns2", ApplyErrorFatal},
		// The first target named failed; the one after it was put back.
		{"failed then compensated", shift, fmt.Errorf("target %q: applying 10%%: boom; putting back: target %q: ok", "edge", "dns"), "edge", ApplyErrorFatal},
		{"lock lost", shift, fmt.Errorf("the lock was taken over before writing target %q: %w", "dns", state.ErrLockLost), "dns", ApplyErrorLockLost},
		{"no target", shift, fmt.Errorf("recording the intent: %w", errors.New("disk full")), NoTarget, ApplyErrorFatal},
		// A name that is not the failback's never becomes a label.
		{"stranger", shift, fmt.Errorf("target %q: applying: x", "not-ours"), NoTarget, ApplyErrorFatal},
		{"refused", shift, fmt.Errorf("%w: paused", engine.ErrRefused), "", ""},
		{"hold that failed to save", hold, errors.New("saving state: conflict"), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTest(t)
			pos := engine.Position{Phase: state.PhaseShifting, Step: 0, Share: 500}
			m.ObserveReport(report("checkout", pos, pos, tc.d), tc.err)
			want := map[string]float64{}
			if tc.target != "" {
				want["checkout/"+tc.kind+"/"+tc.target] = 1 // failback, kind, target
			}
			if diff := cmp.Diff(want, nonZero(t, m, "fbctl_apply_errors_total")); diff != "" {
				t.Errorf("apply errors (-want +got):\n%s", diff)
			}
			// Every target of the report, and none, has every kind, from 0.
			if n := testutil.CollectAndCount(m.applyErrors); n != 4*3 {
				t.Errorf("%d apply error series, want 12", n)
			}
		})
	}
}

func TestObserveReportBounded(t *testing.T) {
	m := newTest(t)
	rep := report("checkout",
		engine.Position{Phase: state.PhaseShifting},
		engine.Position{Phase: state.Phase("sideways"), Share: 500},
		engine.Decision{Action: engine.Action("teleport")})
	m.ObserveReport(rep, nil)
	if got := testutil.ToFloat64(m.decisions.WithLabelValues("checkout", OtherAction)); got != 1 {
		t.Errorf("decisions{other} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.phase.WithLabelValues("checkout", UnknownPhase)); got != 1 {
		t.Errorf("phase{unknown} = %v, want 1", got)
	}
	// A known phase again ends the unknown one.
	rep.After.Phase = state.PhaseHalted
	rep.Decision = engine.Decision{Action: engine.ActionHalt}
	m.ObserveReport(rep, nil)
	if got := testutil.CollectAndCount(m.phase, "fbctl_failback_phase"); got != len(Phases) {
		t.Errorf("%d phase series, want %d", got, len(Phases))
	}
	if got := testutil.ToFloat64(m.phase.WithLabelValues("checkout", "halted")); got != 1 {
		t.Errorf("phase{halted} = %v, want 1", got)
	}
}

func TestObserveReportNothing(t *testing.T) {
	m := newTest(t)
	m.ObserveReport(nil, errors.New("loading"))
	m.ObserveReport(&engine.Report{Failback: "plan", DryRun: true,
		Decision: engine.Decision{Action: engine.ActionShift}}, nil)
	for _, name := range []string{"fbctl_failback_share_percent", "fbctl_decisions_total", "fbctl_rollbacks_total"} {
		if n, err := testutil.GatherAndCount(m.Registry(), name); err != nil || n != 0 {
			t.Errorf("%s: %d series (%v), want none", name, n, err)
		}
	}
	// A run that failed before deciding records where the failback stands,
	// and no decision.
	m.ObserveReport(report("checkout", engine.Position{Phase: state.PhasePrimary, Share: 10000},
		engine.Position{Phase: state.PhasePrimary, Share: 10000}, engine.Decision{}), errors.New("observing"))
	if got := testutil.ToFloat64(m.share.WithLabelValues("checkout")); got != 100 {
		t.Errorf("share = %v, want 100", got)
	}
	if got := nonZero(t, m, "fbctl_apply_errors_total"); len(got) != 0 {
		t.Errorf("apply errors %v, want none", got)
	}
}

func TestProbeLeaseProviderReloadBuild(t *testing.T) {
	m := newTest(t)
	m.ObserveProbe("checkout", engine.Primary, "aws-healthz", true, 250*time.Millisecond)
	m.ObserveProbe("checkout", engine.Secondary, "gcp-healthz", false, 2*time.Second)
	m.SetLeaseHeld("checkout", true)
	m.SetLeaseHeld("search", false)
	m.ProviderRequest("aws", "ChangeResourceRecordSets", "200")
	m.ProviderRequest("aws", "ChangeResourceRecordSets", "200")
	m.ProviderRequest("aws", "ListResourceRecordSets", "error")
	m.PolicyReloaded(true)
	m.PolicyReloaded(false)
	m.PolicyReloaded(false)
	compare(t, m, `
# HELP fbctl_check_up 1 if the check's last probe passed, 0 if it failed.
# TYPE fbctl_check_up gauge
fbctl_check_up{check="aws-healthz",failback="checkout",side="primary"} 1
fbctl_check_up{check="gcp-healthz",failback="checkout",side="secondary"} 0
# HELP fbctl_lease_held 1 while this replica holds the failback's lease and drives it, else 0.
# TYPE fbctl_lease_held gauge
fbctl_lease_held{failback="checkout"} 1
fbctl_lease_held{failback="search"} 0
# HELP fbctl_provider_requests_total Requests sent to provider APIs, every attempt counted, by HTTP status code (error: no answer).
# TYPE fbctl_provider_requests_total counter
fbctl_provider_requests_total{code="200",operation="ChangeResourceRecordSets",provider="aws"} 2
fbctl_provider_requests_total{code="error",operation="ListResourceRecordSets",provider="aws"} 1
# HELP fbctl_policy_reloads_total Policy reloads (SIGHUP, --watch), by result; after a failure the old policy keeps running.
# TYPE fbctl_policy_reloads_total counter
fbctl_policy_reloads_total{result="failure"} 2
fbctl_policy_reloads_total{result="success"} 1
# HELP fbctl_build_info Always 1; the labels say which fbctl this is.
# TYPE fbctl_build_info gauge
fbctl_build_info{goversion="go1.26.0",revision="abc123",version="v1.2.3"} 1
`, "fbctl_check_up", "fbctl_lease_held", "fbctl_provider_requests_total", "fbctl_policy_reloads_total", "fbctl_build_info")
	if n, _ := testutil.GatherAndCount(m.Registry(), "fbctl_check_duration_seconds"); n != 2 {
		t.Errorf("%d check duration series, want 2", n)
	}
	// A ProviderRequest is a providers.RequestObserver.
	var _ providers.RequestObserver = m.ProviderRequest
}

func TestForget(t *testing.T) {
	m := newTest(t)
	for _, fb := range []string{"checkout", "search"} {
		pos := engine.Position{Phase: state.PhaseShifting, Share: 500}
		m.ObserveReport(report(fb, pos, pos, engine.Decision{Action: engine.ActionShift, Writes: true}),
			fmt.Errorf("target %q: x", "dns"))
		m.ObserveProbe(fb, engine.Primary, "hz", true, time.Millisecond)
		m.SetLeaseHeld(fb, true)
	}
	m.Forget("search")
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "failback" {
					seen++
					if l.GetValue() == "search" {
						t.Errorf("%s still has failback search", mf.GetName())
					}
				}
			}
		}
	}
	if seen == 0 {
		t.Error("Forget removed the other failback too")
	}
}

// TestLint runs client_golang's linter (Prometheus's naming conventions)
// over every fbctl metric.
func TestLint(t *testing.T) {
	m := newTest(t)
	pos := engine.Position{Phase: state.PhaseShifting, Share: 500}
	m.ObserveReport(report("checkout", pos, pos, engine.Decision{Action: engine.ActionShift, Writes: true}),
		fmt.Errorf("target %q: x", "dns"))
	m.ObserveProbe("checkout", engine.Primary, "hz", true, time.Millisecond)
	m.SetLeaseHeld("checkout", true)
	m.ProviderRequest("aws", "GetChange", "200")
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, Namespace+"_") {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
}

// TestEveryPhaseAndAction reads the constants of state.Phase and
// engine.Action from their packages' source, so that a phase or action
// added there without a series here fails this test (it would otherwise be
// exported as unknown or other).
// nonZero returns the metric's series that are not 0, keyed by their
// label values joined by "/" in label name order.
func nonZero(t *testing.T, m *Metrics, name string) map[string]float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mt := range mf.GetMetric() {
			v := mt.GetCounter().GetValue() + mt.GetGauge().GetValue()
			if v == 0 {
				continue
			}
			var vals []string
			for _, l := range mt.GetLabel() {
				vals = append(vals, l.GetValue())
			}
			out[strings.Join(vals, "/")] = v
		}
	}
	return out
}

func TestEveryPhaseAndAction(t *testing.T) {
	for _, tc := range []struct {
		dir, typ string
		have     []string
	}{
		{"../state", "Phase", strs(Phases)},
		{"../engine", "Action", strs(Actions)},
	} {
		got := typedConsts(t, tc.dir, tc.typ)
		slices.Sort(got)
		want := slices.Clone(tc.have)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s constants in %s are %q; this package knows %q", tc.typ, tc.dir, got, want)
		}
	}
}

func strs[S ~string](xs []S) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// typedConsts returns the values of the string constants declared with
// type typ in the non-test files of dir.
func typedConsts(t *testing.T, dir, typ string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range af.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok || id.Name != typ {
					continue
				}
				for _, v := range vs.Values {
					if bl, ok := v.(*ast.BasicLit); ok && bl.Kind == token.STRING {
						out = append(out, strings.Trim(bl.Value, "\"`"))
					}
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no constants of type %s in %s", typ, dir)
	}
	return out
}
