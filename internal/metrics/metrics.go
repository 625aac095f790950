// Package metrics is what `fbctl run` tells Prometheus: the metrics of every
// failback it drives, on a registry of its own (never the process-global
// one), and the HTTP server of /metrics, /healthz and /readyz.
//
// Contract:
//   - Every label value is bounded by the policy or by fbctl itself:
//     failback, check and target names come from the policy; side, phase,
//     action, kind and result are fixed sets (an action or phase this build
//     does not know is counted as "other" or "unknown", never as itself);
//     provider is a provider type and operation an API operation name.
//     Forget removes a failback's series when a reloaded policy drops it.
//   - Observing never fails and never blocks on I/O: the methods only
//     update the registry, and are safe for concurrent use.
//   - The metrics describe what the engine reported; they decide nothing.
package metrics

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// Namespace prefixes every metric fbctl exports.
const Namespace = "fbctl"

// Label values for what is not one of the known ones.
const (
	// OtherAction is the action label of a decision whose action this
	// build does not know.
	OtherAction = "other"
	// UnknownPhase is the phase label of a phase this build does not know
	// (a state document the engine halts on).
	UnknownPhase = "unknown"
	// NoTarget is the target label of an apply error that no single
	// target caused (the intent could not be recorded, the lock was lost
	// before the first write, the state could not be saved).
	NoTarget = "none"
)

// Kinds of apply error, the kind label of fbctl_apply_errors_total.
const (
	// ApplyErrorTransient: may succeed when repeated (providers.Transient).
	ApplyErrorTransient = "transient"
	// ApplyErrorFatal: repeating it fails the same way (providers.Fatal).
	ApplyErrorFatal = "fatal"
	// ApplyErrorLockLost: the run lost its lease before it could write.
	ApplyErrorLockLost = "lock_lost"
)

// Results of a policy reload, the result label of
// fbctl_policy_reloads_total.
const (
	ReloadSuccess = "success"
	ReloadFailure = "failure"
)

// Phases are the phases fbctl_failback_phase has a series for, one per
// state.Phase.
var Phases = []state.Phase{
	state.PhaseSecondary, state.PhaseShifting, state.PhasePrimary,
	state.PhaseManual, state.PhasePaused, state.PhaseHalted,
}

// Actions are the decision actions fbctl_decisions_total counts by name.
var Actions = []engine.Action{
	engine.ActionHold, engine.ActionShift, engine.ActionStepBack, engine.ActionRollback,
	engine.ActionHalt, engine.ActionAdopt, engine.ActionCorrect, engine.ActionNewCycle,
	engine.ActionRecover, engine.ActionAbort, engine.ActionResume,
}

// BuildInfo is what fbctl_build_info says about the binary; the caller
// fills it from app.BuildVersion (this package cannot import app, which
// wires it).
type BuildInfo struct {
	Version   string
	Revision  string
	GoVersion string
}

// Metrics holds fbctl's registry and its metrics.
type Metrics struct {
	reg *prometheus.Registry

	share            *prometheus.GaugeVec
	phase            *prometheus.GaugeVec
	checkUp          *prometheus.GaugeVec
	checkDuration    *prometheus.HistogramVec
	decisions        *prometheus.CounterVec
	rollbacks        *prometheus.CounterVec
	applyErrors      *prometheus.CounterVec
	providerRequests *prometheus.CounterVec
	leaseHeld        *prometheus.GaugeVec
	policyReloads    *prometheus.CounterVec

	knownAction map[engine.Action]bool
	knownPhase  map[state.Phase]bool
}

// New returns fbctl's metrics on a new registry that also carries the Go
// runtime's and the process's collectors.
func New(bi BuildInfo) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		share: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "failback_share_percent",
			Help: "The part of the failback's traffic sent to the primary, 0-100, as of its last decision round.",
		}, []string{"failback"}),
		phase: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "failback_phase",
			Help: "1 for the phase the failback is in, 0 for the others.",
		}, []string{"failback", "phase"}),
		checkUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "check_up",
			Help: "1 if the check's last probe passed, 0 if it failed.",
		}, []string{"failback", "side", "check"}),
		checkDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "check_duration_seconds",
			Help:    "How long a check's probes took, passed or failed.",
			Buckets: prometheus.DefBuckets,
		}, []string{"failback", "check"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "decisions_total",
			Help: "Decisions made, by action.",
		}, []string{"failback", "action"}),
		rollbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "rollbacks_total",
			Help: "Rollbacks applied: all traffic moved back to the secondary because the primary failed.",
		}, []string{"failback"}),
		applyErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "apply_errors_total",
			Help: "Decided changes that failed, by the target that failed (none: no single target) and the kind of error (transient, fatal, lock_lost).",
		}, []string{"failback", "target", "kind"}),
		providerRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "provider_requests_total",
			Help: "Requests sent to provider APIs, every attempt counted, by HTTP status code (error: no answer).",
		}, []string{"provider", "operation", "code"}),
		leaseHeld: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "lease_held",
			Help: "1 while this replica holds the failback's lease and drives it, else 0.",
		}, []string{"failback"}),
		policyReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "policy_reloads_total",
			Help: "Policy reloads (SIGHUP, --watch), by result; after a failure the old policy keeps running.",
		}, []string{"result"}),
		knownAction: map[engine.Action]bool{},
		knownPhase:  map[state.Phase]bool{},
	}
	for _, a := range Actions {
		m.knownAction[a] = true
	}
	for _, p := range Phases {
		m.knownPhase[p] = true
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "build_info",
		Help: "Always 1; the labels say which fbctl this is.",
	}, []string{"version", "revision", "goversion"})
	build.WithLabelValues(bi.Version, bi.Revision, bi.GoVersion).Set(1)
	for _, r := range []string{ReloadSuccess, ReloadFailure} {
		m.policyReloads.WithLabelValues(r)
	}
	m.reg.MustRegister(m.share, m.phase, m.checkUp, m.checkDuration, m.decisions, m.rollbacks,
		m.applyErrors, m.providerRequests, m.leaseHeld, m.policyReloads, build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry the metrics are on, for /metrics and for
// tests that gather it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// AddFailback creates the failback's counters at 0: decisions by action,
// rollbacks, and apply errors of each kind for each of its targets (and
// for none), so that the first rollback or error is an increase that
// rate(), increase() and the shipped alerts see (a series born at 1 has no
// increase). The run loop calls it when it loads a policy, before the
// failback's first round; ObserveReport calls it too, for the targets the
// report names.
func (m *Metrics) AddFailback(failback string, targets ...string) {
	m.rollbacks.WithLabelValues(failback)
	for _, a := range Actions {
		m.decisions.WithLabelValues(failback, string(a))
	}
	for _, tg := range append(targets, NoTarget) {
		for _, k := range []string{ApplyErrorTransient, ApplyErrorFatal, ApplyErrorLockLost} {
			m.applyErrors.WithLabelValues(failback, tg, k)
		}
	}
}

// Forget deletes every series of a failback: the run loop calls it when a
// reloaded policy no longer has the failback, so that a dropped name does
// not stay exported.
func (m *Metrics) Forget(failback string) {
	l := prometheus.Labels{"failback": failback}
	for _, v := range []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{m.share, m.phase, m.checkUp, m.checkDuration, m.decisions, m.rollbacks, m.applyErrors, m.leaseHeld} {
		v.DeletePartialMatch(l)
	}
}

// ObserveReport records one decision round of one failback, as the engine
// reported it (engine.Reconcile, the i-th report and error of
// ReconcileAll):
//
//   - share and phase: where the failback stands after the round
//     (Report.After), including after a failed round (then what was
//     recorded before it);
//   - a decision, when the round got as far as deciding (not after a
//     failed observe or assess);
//   - a rollback, when a rollback was decided and its share was written
//     and read back (Report.Applied);
//   - an apply error, when a decision that writes targets ended with an
//     error: its target is the policy target the error names, else none;
//     its kind lock_lost, transient or fatal (providers.Classify).
//
// A nil report (the failback could not be loaded) and a dry run (plan)
// record nothing.
func (m *Metrics) ObserveReport(rep *engine.Report, err error) {
	if rep == nil || rep.DryRun {
		return
	}
	fb := rep.Failback
	names := make([]string, 0, len(rep.Observed))
	for _, t := range rep.Observed {
		names = append(names, t.Name)
	}
	m.AddFailback(fb, names...)
	m.share.WithLabelValues(fb).Set(rep.After.Share.Percent())
	m.setPhase(fb, rep.After.Phase)
	d := rep.Decision
	if d.Action == "" {
		return
	}
	m.decisions.WithLabelValues(fb, m.actionLabel(d.Action)).Inc()
	if d.Action == engine.ActionRollback && rep.Applied {
		m.rollbacks.WithLabelValues(fb).Inc()
	}
	if err != nil && d.Writes && !errors.Is(err, engine.ErrRefused) {
		m.applyErrors.WithLabelValues(fb, failedTarget(rep, err), applyErrorKind(err)).Inc()
	}
}

func (m *Metrics) setPhase(failback string, p state.Phase) {
	known := m.knownPhase[p]
	for _, q := range Phases {
		v := 0.0
		if q == p {
			v = 1
		}
		m.phase.WithLabelValues(failback, string(q)).Set(v)
	}
	if known {
		// An unknown phase seen earlier is over.
		m.phase.DeleteLabelValues(failback, UnknownPhase)
	} else {
		m.phase.WithLabelValues(failback, UnknownPhase).Set(1)
	}
}

func (m *Metrics) actionLabel(a engine.Action) string {
	if m.knownAction[a] {
		return string(a)
	}
	return OtherAction
}

// failedTarget returns the name of the report's target that err names,
// the way the engine names one ("target %q: ..."); NoTarget when none
// does. Only names of the failback's own targets come back: a label value
// is never taken from an error's text.
func failedTarget(rep *engine.Report, err error) string {
	msg := err.Error()
	best, at := NoTarget, len(msg)+1
	for _, set := range [][]engine.TargetShare{rep.Observed, rep.Delivered} {
		for _, t := range set {
			if i := strings.Index(msg, "target "+strconv.Quote(t.Name)+":"); i >= 0 && i < at {
				// The first target the message names is the one that
				// failed; later ones are in what was put back.
				best, at = t.Name, i
			}
		}
	}
	return best
}

func applyErrorKind(err error) string {
	if errors.Is(err, state.ErrLockLost) {
		return ApplyErrorLockLost
	}
	if providers.IsTransient(err) {
		return ApplyErrorTransient
	}
	return ApplyErrorFatal
}

// ObserveProbe records one probe of a check: whether it passed and how
// long it took.
func (m *Metrics) ObserveProbe(failback string, side engine.Side, check string, up bool, d time.Duration) {
	v := 0.0
	if up {
		v = 1
	}
	m.checkUp.WithLabelValues(failback, string(side), check).Set(v)
	m.checkDuration.WithLabelValues(failback, check).Observe(d.Seconds())
}

// SetLeaseHeld records whether this replica holds the failback's lease.
func (m *Metrics) SetLeaseHeld(failback string, held bool) {
	v := 0.0
	if held {
		v = 1
	}
	m.leaseHeld.WithLabelValues(failback).Set(v)
}

// ProviderRequest counts one request (one attempt) sent to a provider's
// API: provider is its type ("aws"), op the API operation
// ("ChangeResourceRecordSets"), code the HTTP status ("200") or "error"
// when there was no answer. Its signature is a providers.RequestObserver:
// the run loop passes it to providers.WithRequestObserver.
func (m *Metrics) ProviderRequest(provider, op, code string) {
	m.providerRequests.WithLabelValues(provider, op, code).Inc()
}

// PolicyReloaded counts a policy reload, ok when the new policy was
// valid and now runs.
func (m *Metrics) PolicyReloaded(ok bool) {
	r := ReloadFailure
	if ok {
		r = ReloadSuccess
	}
	m.policyReloads.WithLabelValues(r).Inc()
}
