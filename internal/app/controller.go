package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fbctl/fbctl/internal/controller"
	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/metrics"
	"github.com/fbctl/fbctl/internal/notify"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// DefaultListen is where `fbctl run` serves /metrics, /healthz and
// /readyz.
const DefaultListen = "127.0.0.1:9787"

// RunOptions configure RunController (`fbctl run`).
type RunOptions struct {
	Global *Global
	// Listen is the address of the HTTP endpoints; "" for DefaultListen.
	Listen string
	// Reload receives a value for each SIGHUP: the policy is loaded and
	// validated again, and replaces the running one only if valid.
	Reload <-chan struct{}
	// Watch, when positive, looks at the policy's inputs (policy files and
	// directories, var files, Terraform outputs) that often and reloads
	// when one changed, as a SIGHUP would.
	Watch time.Duration
	// Clock is the controller's; nil means the wall clock.
	Clock controller.Clock
	// Listening, when set, is told the address served (tests listen on
	// port 0).
	Listening func(addr string)
}

// RunController runs every failback of the policy continuously until ctx
// ends (SIGINT, SIGTERM): see internal/controller for the loop. It returns
// nil after a clean stop: no new decision after the signal, a change in
// flight settled, every lock released. A policy that does not load at the
// start is exit 3; a reload that does not load keeps the running policy.
func RunController(ctx context.Context, streams IO, opts RunOptions) error {
	g := opts.Global
	listen := opts.Listen
	if listen == "" {
		listen = DefaultListen
	}
	clock := opts.Clock
	if clock == nil {
		clock = controller.RealClock{}
	}
	s, err := g.openSession(streams, nil)
	if err != nil {
		return err
	}
	evidence, err := storedEvidence(ctx, s)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("reading the state store: %w", err)}
	}
	// Every controller is a replica: it drives the failbacks whose lease
	// it holds, all of them when it runs alone.
	leases, err := g.openLeaseStore(s.policy.State)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("opening the lease store: %w", err)}
	}
	m := metrics.New(metrics.BuildInfo{Version: BuildVersion().Version, Revision: BuildVersion().Commit, GoVersion: BuildVersion().GoVersion})
	ctx = providers.WithRequestObserver(ctx, m.ProviderRequest)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("listening on %s: %w", listen, err)}
	}
	var ready atomic.Bool
	srv := metrics.NewServer(m, s.log())
	srv.SetReadiness(func() error {
		if !ready.Load() {
			return errors.New("the controller is not running")
		}
		return nil
	})
	if err := srv.StartListener(ln); err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx) //nolint:errcheck // shutting down: nothing more to tell
	}()
	if opts.Listening != nil {
		opts.Listening(ln.Addr().String())
	}
	reload := opts.Reload
	if opts.Watch > 0 {
		reload = g.watchInputs(ctx, opts.Watch, opts.Reload)
	}
	log := s.log()
	log.Info("fbctl run: controlling failbacks", "failbacks", len(s.failbacks), "schedule", s.schedule.String(), "listen", ln.Addr().String())

	for {
		for _, fb := range s.failbacks {
			m.AddFailback(fb.Name, targetNames(fb)...)
		}
		ctrl := s.controller(clock, evidence, streams, m, leases)
		// Events go to the webhooks as they are recorded (see notify.go).
		stopNotify := s.notes.startQueue(ctx, ControllerNotifyWindow, NotifyGraceAfterSignal)
		cctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctrl.Run(cctx)
		}()
		ready.Store(true)
		var next *session
		for next == nil {
			select {
			case <-ctx.Done():
				ready.Store(false)
				stop()
				wg.Wait()
				stopNotify()
				log.Info("fbctl run: stopped; no run is in flight and every lock is released")
				return nil
			case <-reload:
				n, err := g.openSession(streams, nil)
				m.PolicyReloaded(err == nil)
				if err != nil {
					log.Error("fbctl run: the policy was not reloaded: it does not load; the running policy goes on", "err", Message(err))
					continue
				}
				next = n
			}
		}
		// The new policy replaces the old once the old controller's round
		// in flight is done; the evidence goes on.
		stop()
		wg.Wait()
		stopNotify()
		evidence = ctrl.AllEvidence()
		kept := map[string]bool{}
		for _, fb := range next.failbacks {
			kept[fb.Name] = true
		}
		for _, fb := range s.failbacks {
			if !kept[fb.Name] {
				m.Forget(fb.Name)
			}
		}
		s = next
		log.Info("fbctl run: policy reloaded", "failbacks", len(s.failbacks))
	}
}

func targetNames(fb *engine.Failback) []string {
	out := make([]string, len(fb.Targets))
	for i, t := range fb.Targets {
		out[i] = t.Name
	}
	return out
}

// controller builds the session's controller, its probes starting from
// evidence.
func (s *session) controller(clock controller.Clock, evidence map[string]map[string]health.Evidence, streams IO, m *metrics.Metrics, leases state.Store) *controller.Controller {
	eo := s.engineOptions
	eo.Now = clock.Now
	replica := eo.Holder
	replica.RunID = ""
	return controller.New(controller.Options{Engine: eo, Failbacks: s.failbacks, Clock: clock, Schedule: s.schedule,
		Evidence: evidence, Logger: s.log(), Observer: &runObserver{s: s, out: streams.Out, m: m},
		Leases: leases, Lease: eo.LockTTL, Replica: replica})
}

// storedEvidence reads each failback's recorded evidence, so that a
// restarted controller keeps the streaks its checks had (within their
// TTLs); it is also the first sign that the store answers. The documents
// are read engine.DefaultParallel at a time: with a remote store, one
// after another would make a large policy slow to start.
func storedEvidence(ctx context.Context, s *session) (map[string]map[string]health.Evidence, error) {
	docs := make([]map[string]health.Evidence, len(s.failbacks))
	errs := make([]error, len(s.failbacks))
	sem := make(chan struct{}, engine.DefaultParallel)
	var wg sync.WaitGroup
	for i, fb := range s.failbacks {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			doc, err := s.store.Load(ctx, fb.Name)
			if err != nil {
				errs[i] = err
				return
			}
			docs[i] = doc.Evidence
		}()
	}
	wg.Wait()
	out := map[string]map[string]health.Evidence{}
	for i, fb := range s.failbacks {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out[fb.Name] = docs[i]
	}
	return out, nil
}

// runObserver reports what the controller sees and does: metrics for
// every probe and decision; one log record per decision (JSON with
// --log-format json); a line on stdout when a failback moves, fails or
// says something new.
type runObserver struct {
	s    *session
	out  io.Writer
	m    *metrics.Metrics
	mu   sync.Mutex
	last map[string]string
}

func (o *runObserver) Probe(failback string, side engine.Side, check string, healthy bool, d time.Duration) {
	o.m.ObserveProbe(failback, side, check, healthy, d)
}

func (o *runObserver) Lease(failback string, held bool) {
	o.m.SetLeaseHeld(failback, held)
	h := o.s.engineOptions.Holder
	what := "lost"
	if held {
		what = "took"
	}
	// A lease change is told to the webhooks that want it, with an id of
	// its own; it is no history event (the lease store's history records
	// takeovers).
	o.s.notes.record(state.Event{ID: state.NewEventID(), Time: o.s.g.now(), Failback: failback, Type: notify.LeaseEvent,
		Actor: h.Owner, Reason: fmt.Sprintf("the fbctl run replica %s@%s (pid %d) %s the failback's lease", h.Owner, h.Host, h.PID, what)})
}

func (o *runObserver) Round(rep *engine.Report, err error) {
	if rep == nil && err == nil {
		return
	}
	o.m.ObserveReport(rep, err)

	name := ""
	if rep != nil {
		name = rep.Failback
	}
	var locked *ExitError
	code := codeOf(rep, err, false)
	j := o.s.runJSON(name, rep, err, code)
	line := o.s.line(name, rep, err)
	ctx := context.Background()
	o.s.logResult(ctx, "run", line, j)
	if o.s.g.logJSON() || o.s.g.JSON() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.last == nil {
		o.last = map[string]string{}
	}
	if key := name; o.last[key] != line || (rep != nil && rep.Decision.Writes) || errors.As(err, &locked) {
		o.last[key] = line
		fmt.Fprintln(o.out, o.s.redact(line))
	}
}

// watchInputs merges the reload requests of signals with a reload each
// time the fingerprint of the policy's inputs changes, checked every
// interval until ctx ends.
func (g *Global) watchInputs(ctx context.Context, every time.Duration, signals <-chan struct{}) <-chan struct{} {
	out := make(chan struct{})
	go func() {
		last := g.inputsFingerprint()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-signals:
			case <-tick.C:
				now := g.inputsFingerprint()
				if now == last {
					continue
				}
				last = now
			}
			select {
			case out <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// inputsFingerprint names every input file of the policy with its size
// and modification time: the policy paths (a directory's entries, one
// level, as the loader reads them), the var files and the Terraform
// outputs. It reads no content.
func (g *Global) inputsFingerprint() string {
	var b strings.Builder
	note := func(path string) {
		fi, err := os.Stat(path)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", path, err)
			return
		}
		fmt.Fprintf(&b, "%s %d %d\n", path, fi.Size(), fi.ModTime().UnixNano())
	}
	for _, p := range g.PolicyPaths() {
		note(p)
		if entries, err := os.ReadDir(p); err == nil {
			for _, e := range entries {
				// The files a directory's policy is read from; not its
				// subdirectories (the file store's may be one).
				if e.Type().IsRegular() && (strings.HasSuffix(e.Name(), ".hcl") || strings.HasSuffix(e.Name(), ".json")) {
					note(filepath.Join(p, e.Name()))
				}
			}
		}
	}
	for _, p := range g.VarFiles {
		note(p)
	}
	if g.TFOutputs != "" && g.TFOutputs != "-" {
		note(g.TFOutputs)
	}
	return b.String()
}
