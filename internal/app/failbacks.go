package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/gatehook"
	"github.com/fbctl/fbctl/internal/kinds"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/policy"
	"github.com/fbctl/fbctl/providers"
)

// session is a loaded policy with its failbacks built and its store open:
// what every command that acts needs.
type session struct {
	g      *Global
	policy *policy.Policy
	engine *engine.Engine
	// engineOptions built engine: `fbctl run` builds its own engine from
	// them, with the evidence its probes gather.
	engineOptions engine.Options
	store         state.Store
	schedule      time.Duration
	failbacks     []*engine.Failback
	actor         string
	redact        func(string) string
	// notes are the policy's webhooks and what the runs recorded for them.
	notes *notifications
}

// openSession loads the policy in run mode, builds the named failbacks
// (all when names is empty) and opens the state store. Policy problems are
// printed and exit 3.
func (g *Global) openSession(streams IO, names []string) (*session, error) {
	return g.open(streams, names, policy.ModeRun)
}

// openStateSession is openSession for the commands that touch only the
// state (status, history, pause, approve): the policy is loaded in
// policy.ModeState, so that a value they do not use, such as a DNS key
// only the targets need, need not be given; at 3 a.m. the person who has
// to pause may not hold it. Targets are built only where their blocks are
// wholly known, for status's notes, and never talked to.
func (g *Global) openStateSession(streams IO, names []string) (*session, error) {
	return g.open(streams, names, policy.ModeState)
}

func (g *Global) open(streams IO, names []string, mode policy.Mode) (*session, error) {
	res := g.loadPolicy(streams, mode)
	policy.SortDiagnostics(res.diags)
	if g.JSON() && res.diags.HasErrors() {
		if err := g.writeData(streams.Out, newDiagnosticsDoc(res.diags, res.loader.Files())); err != nil {
			return nil, err
		}
	} else {
		printDiagnostics(g, streams, res.diags, res.loader.Files())
	}
	if res.diags.HasErrors() {
		return nil, silent(ExitInvalid)
	}
	p := res.policy
	schedule, err := g.scheduleOf(streams, p)
	if err != nil {
		return nil, err
	}
	selected, err := selectFailbacks(p, names)
	if err != nil {
		return nil, err
	}
	reg := g.Registry
	if reg == nil {
		reg = kinds.Registry()
	}
	s := &session{g: g, policy: p, actor: g.actorName(), redact: res.loader.Redact}
	for _, fb := range selected {
		build := buildFailback
		if mode == policy.ModeState {
			build = buildStateFailback
		}
		efb, err := build(reg, fb, s.redact)
		if err != nil {
			return nil, err
		}
		s.failbacks = append(s.failbacks, efb)
	}
	store, err := g.openStore(p.State)
	if err != nil {
		return nil, fmt.Errorf("opening the state store: %w", err)
	}
	host, _ := os.Hostname()
	s.store, s.schedule = store, schedule
	s.engineOptions = engine.Options{
		Store:             store,
		Now:               g.now,
		Sleep:             g.Sleep,
		Logger:            redactingLogger(g.logger(), s.redact),
		Holder:            state.LockInfo{Owner: s.actor, Host: host, PID: os.Getpid()},
		ScheduleGap:       schedule,
		BeforeApply:       g.BeforeApply,
		BeforeSave:        g.BeforeSave,
		CompensateTimeout: g.CompensateTimeout,
		LockTTL:           g.LockTTL,
		LockWait:          g.LockWait,
		Propagate:         g.Propagate,
	}
	s.notes = newNotifications(s, p.Notify)
	s.engineOptions.Recorded = s.notes.record
	s.engine = engine.New(s.engineOptions)
	return s, nil
}

func (g *Global) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// actorName is who this run acts as: ResolveActor's answer, or the OS
// user for a Global that did not come from the command line (tests).
func (g *Global) actorName() string {
	if g.Actor != "" {
		return g.Actor
	}
	return osUser()
}

// selectFailbacks returns the named failbacks, or all; an unknown name is a
// command-line error that lists the known ones.
func selectFailbacks(p *policy.Policy, names []string) ([]*policy.Failback, error) {
	if len(names) == 0 {
		return p.Failbacks, nil
	}
	var out []*policy.Failback
	for _, n := range names {
		fb := p.Failback(n)
		if fb == nil {
			var known []string
			for _, f := range p.Failbacks {
				known = append(known, f.Name)
			}
			sort.Strings(known)
			return nil, Invalid("no failback named %q in the policy; it has: %s", n, strings.Join(known, ", "))
		}
		out = append(out, fb)
	}
	return out, nil
}

// buildStateFailback is buildFailback for a command that touches only the
// state: no check is built, and a target only when its block and provider
// are wholly known (so that status can note how it approximates shares);
// none is ever observed or written.
func buildStateFailback(reg *providers.Registry, fb *policy.Failback, redact func(string) string) (*engine.Failback, error) {
	known := *fb
	known.Checks = nil
	known.Gates = nil
	known.Targets = nil
	for _, t := range fb.Targets {
		if t.Config.IsWhollyKnown() && (t.Provider == nil || t.Provider.Config.IsWhollyKnown()) {
			known.Targets = append(known.Targets, t)
		}
	}
	return buildFailback(reg, &known, redact)
}

// buildFailback attaches behaviour from the registry to a policy failback.
// redact scrubs the policy's secrets from what a webhook gate answers.
func buildFailback(reg *providers.Registry, fb *policy.Failback, redact func(string) string) (*engine.Failback, error) {
	out := &engine.Failback{
		Name:          fb.Name,
		PrimaryName:   fb.PrimaryName,
		SecondaryName: fb.SecondaryName,
		Rollout: engine.Rollout{
			Steps:             fb.Rollout.Steps,
			Bake:              fb.Rollout.Bake,
			PrimaryHealthyFor: fb.Rollout.PrimaryHealthyFor,
			OnUnhealthy:       fb.Rollout.OnUnhealthy,
			Cooldown:          fb.Rollout.Cooldown,
			OnDrift:           fb.Rollout.OnDrift,
			Approval:          fb.Rollout.Approval,
		},
	}
	for _, t := range fb.Targets {
		k, err := reg.Kind(providers.ClassTarget, t.Kind)
		if err != nil {
			return nil, err
		}
		if k.NewTarget == nil {
			return nil, fmt.Errorf("failback %q, target %q: the %s kind validates but is not implemented in this build yet", fb.Name, t.Name, t.Kind)
		}
		tgt, err := k.NewTarget(providers.Config{Name: t.Name, Attrs: t.Config, Provider: providerConfig(t.Provider)})
		if err != nil {
			return nil, fmt.Errorf("failback %q, target %q: %w", fb.Name, t.Name, err)
		}
		out.Targets = append(out.Targets, engine.NamedTarget{Name: t.Name, Kind: t.Kind, Target: tgt})
	}
	for _, c := range fb.Checks {
		k, err := reg.Kind(providers.ClassCheck, c.Kind)
		if err != nil {
			return nil, err
		}
		if k.NewCheck == nil {
			return nil, fmt.Errorf("failback %q, check %q: the %s kind validates but is not implemented in this build yet", fb.Name, c.Name, c.Kind)
		}
		chk, err := k.NewCheck(providers.Config{Name: c.Name, Attrs: c.Config, Provider: providerConfig(c.Provider), Timeout: c.Timeout, Interval: c.Interval})
		if err != nil {
			return nil, fmt.Errorf("failback %q, check %q: %w", fb.Name, c.Name, err)
		}
		out.Checks = append(out.Checks, namedCheck(c, chk))
	}
	for _, g := range fb.Gates {
		ng, err := buildGate(reg, fb, g, redact)
		if err != nil {
			return nil, err
		}
		out.Gates = append(out.Gates, ng)
	}
	return out, nil
}

// buildGate attaches behaviour to a gate block: a check kind's check
// (probed once per raise), or a webhook.
func buildGate(reg *providers.Registry, fb *policy.Failback, g *policy.Gate, redact func(string) string) (engine.NamedGate, error) {
	ng := engine.NamedGate{Name: g.Name, Kind: g.Kind}
	if w := g.Webhook; w != nil {
		ng.Calls = true
		ng.Gate = gatehook.New(gatehook.Hook{Name: g.Name, URL: w.URL, URLSensitive: w.URLSensitive,
			Headers: w.Headers, SensitiveHeaders: w.SensitiveHeaders, Timeout: w.Timeout, Redact: redact})
		return ng, nil
	}
	c := g.Check
	k, err := reg.Kind(providers.ClassCheck, c.Kind)
	if err != nil {
		return ng, err
	}
	if k.NewCheck == nil {
		return ng, fmt.Errorf("failback %q, gate %q: the %s kind validates but is not implemented in this build yet", fb.Name, g.Name, c.Kind)
	}
	chk, err := k.NewCheck(providers.Config{Name: g.Name, Attrs: c.Config, Provider: providerConfig(c.Provider), Timeout: c.Timeout})
	if err != nil {
		return ng, fmt.Errorf("failback %q, gate %q: %w", fb.Name, g.Name, err)
	}
	ng.Gate = engine.CheckGate{Check: chk}
	return ng, nil
}

func providerConfig(p *policy.Provider) *providers.ProviderConfig {
	if p == nil {
		return nil
	}
	return &providers.ProviderConfig{Type: p.Type, Name: p.Name, Attrs: p.Config}
}

// exitFor maps an engine error to its exit code.
func exitFor(err error) error {
	if err == nil {
		return nil
	}
	var locked *state.LockedError
	switch {
	case errors.As(err, &locked), errors.Is(err, state.ErrLockLost):
		// A run that lost its lock, or whose lease ran short, stopped
		// because another run holds (or may soon hold) the failback.
		return &ExitError{Code: ExitLocked, Err: err}
	case errors.Is(err, engine.ErrUnhealthy):
		return &ExitError{Code: ExitUnhealthy, Err: err}
	case errors.Is(err, engine.ErrHalted):
		return &ExitError{Code: ExitHalted, Err: err}
	case errors.Is(err, engine.ErrRefused):
		return &ExitError{Code: ExitRefused, Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &ExitError{Code: ExitFailure, Err: err}
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	return &ExitError{Code: ExitFailure, Err: err}
}

// worst combines exit codes of several failbacks: the one that most needs
// attention wins.
func worst(a, b ExitCode) ExitCode {
	rank := map[ExitCode]int{ExitOK: 0, ExitChanges: 1, ExitWaiting: 2, ExitUnhealthy: 3, ExitLocked: 4, ExitHalted: 5, ExitRefused: 6, ExitFailure: 7, ExitInvalid: 8}
	if rank[b] > rank[a] {
		return b
	}
	return a
}
