package app

import (
	"context"
	"sync"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/notify"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/policy"
)

// NotifyWindow bounds how long a command that acts (reconcile, shift,
// pause, resume, abort, approve) retries its notifications after its run;
// NotifyGraceAfterSignal replaces it when the command was interrupted.
const (
	NotifyWindow           = 30 * time.Second
	NotifyGraceAfterSignal = 5 * time.Second
	// ControllerNotifyWindow is how long `fbctl run` retries each event.
	ControllerNotifyWindow = 5 * time.Minute
)

// notifications are a session's webhooks and the events its runs recorded
// (engine.Options.Recorded), to send after the run, or at once through a
// queue (reconcile --wait, fbctl run).
type notifications struct {
	s      *session
	sender *notify.Sender // nil: no webhook
	// unknown names the notify blocks this command cannot send to: their
	// url or headers depend on a value it was not given.
	unknown   []string
	wantLease bool

	mu     sync.Mutex
	events []state.Event
	queue  *notify.Queue
}

// newNotifications builds the session's webhooks from the policy.
func newNotifications(s *session, blocks []*policy.Notify) *notifications {
	n := &notifications{s: s}
	var hooks []notify.Webhook
	for _, b := range blocks {
		if b.Unknown {
			n.unknown = append(n.unknown, b.Name)
			continue
		}
		w := notify.Webhook{Name: b.Name, URL: b.URL, URLSensitive: b.URLSensitive, Headers: b.Headers,
			SensitiveHeaders: b.SensitiveHeaders, Events: b.Events, Format: b.Format, Timeout: b.Timeout}
		hooks = append(hooks, w)
		n.wantLease = n.wantLease || w.Wants(notify.KindLease)
	}
	if len(hooks) > 0 || len(n.unknown) > 0 {
		g := s.g
		n.sender = notify.New(notify.Options{Webhooks: hooks, Redact: s.redact, Logger: s.log(), Now: g.now, Sleep: g.Sleep})
	}
	return n
}

// record is engine.Options.Recorded.
func (n *notifications) record(ev state.Event) {
	// Only what some webhook is told of; with webhooks this command
	// cannot send to, what any could be, to say it was not sent.
	if n == nil || n.sender == nil || notify.Kind(ev) == "" || !n.sender.Enabled(ev) && len(n.unknown) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.queue != nil {
		n.queue.Recorded(ev)
		return
	}
	n.events = append(n.events, ev)
}

// send delivers what the runs of reps recorded, retrying for at most
// NotifyWindow (even when ctx was cancelled by a signal: the change was
// made, and is told, within NotifyGraceAfterSignal), and logs what could
// not be delivered.
func (n *notifications) send(ctx context.Context, reps []*engine.Report) {
	if n == nil || n.sender == nil {
		return
	}
	events := n.leaseEvents(ctx, reps)
	n.mu.Lock()
	events = append(events, n.events...)
	n.events = nil
	n.mu.Unlock()
	if len(events) == 0 {
		return
	}
	n.warnUnknown(events)
	window := NotifyWindow
	if ctx.Err() != nil {
		window = NotifyGraceAfterSignal
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), window)
	defer cancel()
	n.sender.Send(sctx, n.s.g.now().Add(window), events)
}

// startQueue makes every event recorded from now on go out at once, each
// retried for window; the returned stop waits for what is in flight, at
// most grace (real time) once called.
func (n *notifications) startQueue(ctx context.Context, window, grace time.Duration) (stop func()) {
	if n == nil || n.sender == nil {
		return func() {}
	}
	qctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	q := n.sender.Start(qctx, window)
	n.mu.Lock()
	n.queue = q
	n.mu.Unlock()
	return func() {
		n.mu.Lock()
		n.queue = nil
		n.mu.Unlock()
		t := time.AfterFunc(grace, cancel)
		q.Close()
		t.Stop()
		cancel()
	}
}

// queueLease hands the lease events of reps to the queue.
func (n *notifications) queueLease(ctx context.Context, reps []*engine.Report) {
	for _, ev := range n.leaseEvents(ctx, reps) {
		n.record(ev)
	}
}

// leaseEvents are the lock takeovers the runs of reps made: the store
// records them itself, so they are read back from the history, and only
// when a webhook wants lease changes (a history read per failback run).
func (n *notifications) leaseEvents(ctx context.Context, reps []*engine.Report) []state.Event {
	if n == nil || !n.wantLease {
		return nil
	}
	var out []state.Event
	for _, rep := range reps {
		if rep == nil || rep.DryRun || rep.RunID == "" {
			continue
		}
		evs, err := n.s.store.History(ctx, rep.Failback)
		if err != nil {
			n.s.log().Warn("notifications: reading the history for lock takeovers failed", "failback", rep.Failback, "err", err)
			continue
		}
		for _, ev := range evs {
			if ev.Type == "lock_takeover" && ev.RunID == rep.RunID && ev.ID != "" {
				out = append(out, ev)
			}
		}
	}
	return out
}

// warnUnknown says which webhooks are not told, when there was something
// to tell.
func (n *notifications) warnUnknown(events []state.Event) {
	for _, name := range n.unknown {
		n.s.log().Warn("notifications: not sent: the webhook's url or headers depend on a value this command was not given",
			"notify", name, "events", len(events))
	}
}
