package health

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/providers"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

var (
	up    = providers.Result{Healthy: true, Detail: "HTTP 200"}
	down  = providers.Result{Healthy: false, Detail: "HTTP 503 (expected 200)"}
	down2 = providers.Result{Healthy: false, Detail: "timeout after 2s"}
)

type probeAt struct {
	r  providers.Result
	at time.Duration
}

// record replays results into empty evidence.
func record(ttl time.Duration, ps ...probeAt) Evidence {
	var ev Evidence
	for _, p := range ps {
		ev = Record(ev, p.r, at(p.at), ttl)
	}
	return ev
}

func TestRecord(t *testing.T) {
	const ttl = time.Minute
	tests := []struct {
		name   string
		probes []probeAt
		want   Evidence
	}{
		{"first success", []probeAt{{up, 0}},
			Evidence{LastProbe: at(0), LastHealthy: true, LastDetail: "HTTP 200", Successes: 1, StreakSince: at(0)}},
		{"first failure", []probeAt{{down, 0}},
			Evidence{LastProbe: at(0), LastDetail: down.Detail, Failures: 1, StreakSince: at(0)}},
		{"successes extend the streak", []probeAt{{up, 0}, {up, 30 * time.Second}, {up, 60 * time.Second}},
			Evidence{LastProbe: at(60 * time.Second), LastHealthy: true, LastDetail: "HTTP 200", Successes: 3, StreakSince: at(0)}},
		{"a gap of exactly the ttl still extends", []probeAt{{up, 0}, {up, ttl}},
			Evidence{LastProbe: at(ttl), LastHealthy: true, LastDetail: "HTTP 200", Successes: 2, StreakSince: at(0)}},
		{"failures with different details extend", []probeAt{{down, 0}, {down2, 10 * time.Second}},
			Evidence{LastProbe: at(10 * time.Second), LastDetail: down2.Detail, Failures: 2, StreakSince: at(0)}},
		{"a failure breaks a healthy streak", []probeAt{{up, 0}, {up, 10 * time.Second}, {down, 20 * time.Second}},
			Evidence{LastProbe: at(20 * time.Second), LastDetail: down.Detail, Failures: 1, StreakSince: at(20 * time.Second)}},
		{"a success breaks an unhealthy streak", []probeAt{{down, 0}, {down, 10 * time.Second}, {up, 20 * time.Second}},
			Evidence{LastProbe: at(20 * time.Second), LastHealthy: true, LastDetail: "HTTP 200", Successes: 1, StreakSince: at(20 * time.Second)}},
		{"stale evidence breaks a healthy streak", []probeAt{{up, 0}, {up, 10 * time.Second}, {up, 10*time.Second + ttl + 1}},
			Evidence{LastProbe: at(10*time.Second + ttl + 1), LastHealthy: true, LastDetail: "HTTP 200", Successes: 1, StreakSince: at(10*time.Second + ttl + 1)}},
		{"stale evidence breaks an unhealthy streak", []probeAt{{down, 0}, {down, 2 * ttl}},
			Evidence{LastProbe: at(2 * ttl), LastDetail: down.Detail, Failures: 1, StreakSince: at(2 * ttl)}},
		{"a clock gone back starts anew", []probeAt{{up, time.Minute}, {up, 0}},
			Evidence{LastProbe: at(0), LastHealthy: true, LastDetail: "HTTP 200", Successes: 1, StreakSince: at(0)}},
		{"flapping never builds a streak", []probeAt{{up, 0}, {down, 10 * time.Second}, {up, 20 * time.Second}, {down, 30 * time.Second}, {up, 40 * time.Second}},
			Evidence{LastProbe: at(40 * time.Second), LastHealthy: true, LastDetail: "HTTP 200", Successes: 1, StreakSince: at(40 * time.Second)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := record(ttl, tc.probes...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("evidence (-want +got):\n%s", diff)
			}
			if got.Successes != 0 && got.Failures != 0 {
				t.Errorf("both counters set: %+v", got)
			}
		})
	}

	t.Run("non-positive ttl makes every probe start anew", func(t *testing.T) {
		got := record(0, probeAt{up, 0}, probeAt{up, 0}, probeAt{up, 0})
		if got.Successes != 1 {
			t.Errorf("successes %d, want 1", got.Successes)
		}
	})
	t.Run("does not modify its argument", func(t *testing.T) {
		ev := record(ttl, probeAt{up, 0})
		before := ev
		_ = Record(ev, down, at(time.Second), ttl)
		if ev != before {
			t.Errorf("argument changed")
		}
	})
}

func TestJudge(t *testing.T) {
	const ttl = time.Minute
	healthy3 := record(ttl, probeAt{up, 0}, probeAt{up, 10 * time.Second}, probeAt{up, 20 * time.Second})
	unhealthy2 := record(ttl, probeAt{up, 0}, probeAt{down, 10 * time.Second}, probeAt{down, 20 * time.Second})
	tests := []struct {
		name      string
		ev        Evidence
		ht, ut    int
		now       time.Duration
		want      CheckState
		wantSince time.Time
	}{
		{"never probed", Evidence{}, 1, 1, 0, Unknown, time.Time{}},
		{"healthy at threshold", healthy3, 3, 2, 20 * time.Second, Healthy, at(0)},
		{"healthy above threshold", healthy3, 2, 2, 20 * time.Second, Healthy, at(0)},
		{"pending below threshold", healthy3, 4, 2, 20 * time.Second, Unknown, time.Time{}},
		{"unhealthy at threshold", unhealthy2, 3, 2, 20 * time.Second, Unhealthy, at(10 * time.Second)},
		{"unhealthy pending", unhealthy2, 3, 3, 20 * time.Second, Unknown, time.Time{}},
		{"threshold 1, one failure", record(ttl, probeAt{down, 0}), 3, 1, 0, Unhealthy, at(0)},
		{"threshold 0 counts as 1", record(ttl, probeAt{up, 0}), 0, 0, 0, Healthy, at(0)},
		{"fresh at exactly ttl", healthy3, 3, 2, 20*time.Second + ttl, Healthy, at(0)},
		{"stale healthy is unknown", healthy3, 3, 2, 20*time.Second + ttl + 1, Unknown, time.Time{}},
		{"stale unhealthy is unknown", unhealthy2, 3, 2, 20*time.Second + ttl + 1, Unknown, time.Time{}},
		{"flapping stays unknown", record(ttl, probeAt{up, 0}, probeAt{down, 10 * time.Second}, probeAt{up, 20 * time.Second}),
			2, 2, 20 * time.Second, Unknown, time.Time{}},
		{"counters disagreeing with LastHealthy", Evidence{LastProbe: at(0), LastHealthy: false, Successes: 5, StreakSince: at(0)},
			1, 9, 0, Unknown, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, since := Judge(tc.ev, tc.ht, tc.ut, ttl, at(tc.now))
			if got != tc.want || !since.Equal(tc.wantSince) {
				t.Errorf("Judge = (%s, %s), want (%s, %s)", got, since, tc.want, tc.wantSince)
			}
		})
	}
}

func TestJudgeNonPositiveTTL(t *testing.T) {
	ev := record(time.Minute, probeAt{up, 0})
	for _, ttl := range []time.Duration{0, -time.Second} {
		if s, _ := Judge(ev, 1, 1, ttl, at(0)); s != Unknown {
			t.Errorf("ttl %s: %s, want unknown (all evidence stale)", ttl, s)
		}
	}
}

// TestStaleEvidenceBreaksStreak follows a cron-like schedule: evidence
// from a run long ago must not count towards "healthy for".
func TestStaleEvidenceBreaksStreak(t *testing.T) {
	ttl := DefaultTTL(30*time.Second, 5*time.Minute) // 10m
	var ev Evidence
	for i := 0; i < 3; i++ { // runs every 5 minutes
		ev = Record(ev, up, at(time.Duration(i)*5*time.Minute), ttl)
	}
	if s, since := Judge(ev, 3, 2, ttl, at(10*time.Minute)); s != Healthy || !since.Equal(at(0)) {
		t.Fatalf("after three runs: (%s, %s), want healthy since t0", s, since)
	}
	// The job stops for an hour: the evidence goes stale ...
	if s, _ := Judge(ev, 3, 2, ttl, at(70*time.Minute)); s != Unknown {
		t.Fatalf("an hour later: %s, want unknown", s)
	}
	// ... and the next success starts a new streak, not "healthy for 70m".
	ev = Record(ev, up, at(70*time.Minute), ttl)
	if s, _ := Judge(ev, 3, 2, ttl, at(70*time.Minute)); s != Unknown {
		t.Fatalf("first run after the gap: %s, want unknown (pending)", s)
	}
	if !ev.StreakSince.Equal(at(70*time.Minute)) || ev.Successes != 1 {
		t.Fatalf("streak %+v, want a new one at 70m", ev)
	}
}

func TestSide(t *testing.T) {
	h := func(name string, since time.Duration) CheckVerdict {
		return CheckVerdict{Name: name, State: Healthy, Since: at(since)}
	}
	u := func(name string, since time.Duration) CheckVerdict {
		return CheckVerdict{Name: name, State: Unhealthy, Since: at(since)}
	}
	unk := func(name string) CheckVerdict { return CheckVerdict{Name: name, State: Unknown} }
	tests := []struct {
		name      string
		verdicts  []CheckVerdict
		want      CheckState
		wantSince time.Time
	}{
		{"no checks", nil, Unknown, time.Time{}},
		{"one healthy", []CheckVerdict{h("a", time.Minute)}, Healthy, at(time.Minute)},
		{"all healthy: since the latest", []CheckVerdict{h("a", time.Minute), h("b", 5*time.Minute), h("c", 2*time.Minute)}, Healthy, at(5 * time.Minute)},
		{"healthy and unknown", []CheckVerdict{h("a", time.Minute), unk("b")}, Unknown, time.Time{}},
		{"all unknown", []CheckVerdict{unk("a"), unk("b")}, Unknown, time.Time{}},
		{"one unhealthy among healthy", []CheckVerdict{h("a", time.Minute), u("b", 3*time.Minute)}, Unhealthy, at(3 * time.Minute)},
		{"unhealthy wins over unknown", []CheckVerdict{unk("a"), u("b", 3*time.Minute)}, Unhealthy, at(3 * time.Minute)},
		{"several unhealthy: since the earliest", []CheckVerdict{u("a", 4*time.Minute), h("b", 0), u("c", 2*time.Minute), u("d", 3*time.Minute)},
			Unhealthy, at(2 * time.Minute)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Side(tc.verdicts)
			if got.State != tc.want || !got.Since.Equal(tc.wantSince) {
				t.Errorf("Side = (%s, %s), want (%s, %s)", got.State, got.Since, tc.want, tc.wantSince)
			}
			if diff := cmp.Diff(tc.verdicts, got.Checks); diff != "" {
				t.Errorf("Checks (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("does not alias its argument", func(t *testing.T) {
		in := []CheckVerdict{h("a", 0)}
		out := Side(in)
		in[0].State = Unhealthy
		if out.Checks[0].State != Healthy {
			t.Errorf("Side's Checks alias the argument")
		}
	})
}

func TestDefaultTTL(t *testing.T) {
	tests := []struct {
		interval, gap, want time.Duration
	}{
		{30 * time.Second, 0, 90 * time.Second},                // controller: 3 intervals
		{30 * time.Second, 5 * time.Minute, 10 * time.Minute},  // cron every 5m: 2 gaps
		{10 * time.Minute, 5 * time.Minute, 30 * time.Minute},  // interval longer than the gap
		{10 * time.Second, 15 * time.Second, 30 * time.Second}, // equal
		{0, 0, 0},
		{-time.Second, time.Minute, 2 * time.Minute},
		{time.Duration(1 << 62), 0, time.Duration(1<<63 - 1)}, // saturates
	}
	for _, tc := range tests {
		if got := DefaultTTL(tc.interval, tc.gap); got != tc.want {
			t.Errorf("DefaultTTL(%s, %s) = %s, want %s", tc.interval, tc.gap, got, tc.want)
		}
	}
}

func TestCheckStateText(t *testing.T) {
	for _, s := range []CheckState{Unknown, Healthy, Unhealthy} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back CheckState
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("%s: round trip gave %s, %v", b, back, err)
		}
	}
	if got := Healthy.String(); got != "healthy" {
		t.Errorf("Healthy.String() = %q", got)
	}
	if _, err := json.Marshal(CheckState(7)); err == nil {
		t.Errorf("marshalled an invalid state")
	}
	var s CheckState
	if err := json.Unmarshal([]byte(`"sick"`), &s); err == nil {
		t.Errorf("unmarshalled an unknown state name")
	}
}

func TestFailure(t *testing.T) {
	// The timeout path of every kind, without waiting for one.
	parent := context.Background()
	pctx, cancel := context.WithCancelCause(parent)
	cancel(errProbeTimeout)
	if got := failure(parent, pctx, 2*time.Second, errors.New("i/o")); got != "timeout after 2s" {
		t.Errorf("own timeout: %q", got)
	}
	parent2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	pctx2, cancel3 := probeContext(parent2, time.Hour)
	defer cancel3()
	if got := failure(parent2, pctx2, time.Hour, context.Canceled); got != "cancelled: context canceled" {
		t.Errorf("caller's cancellation: %q", got)
	}
	live, cancel4 := probeContext(parent, time.Hour)
	defer cancel4()
	if got := failure(parent, live, 3*time.Second, &timeoutErr{}); got != "timeout after 3s" {
		t.Errorf("I/O deadline before the context noticed: %q", got)
	}
	if got := failure(parent, live, time.Second, errors.New("boom")); got != "boom" {
		t.Errorf("plain error: %q", got)
	}
}

type timeoutErr struct{}

func (*timeoutErr) Error() string   { return "i/o timeout" }
func (*timeoutErr) Timeout() bool   { return true }
func (*timeoutErr) Temporary() bool { return true }

func TestKindsRegistered(t *testing.T) {
	r := providers.NewRegistry()
	Register(r)
	for _, name := range []string{"http", "tcp", "dns", "prometheus"} {
		k, err := r.Kind(providers.ClassCheck, name)
		if err != nil || k.NewCheck == nil {
			t.Errorf("%s: kind %v, err %v: want a constructor", name, k, err)
		}
	}
}

// TestUnknownResultEndsStreak: an unknown result (a prometheus query with
// no series under empty = "unknown") is neither a success nor a failure:
// the check is Unknown after it, and the next result starts a new streak.
func TestUnknownResultEndsStreak(t *testing.T) {
	const ttl = time.Minute
	unknown := providers.Result{Unknown: true, Detail: "no series"}
	ev := record(ttl, probeAt{up, 0}, probeAt{up, 10 * time.Second}, probeAt{unknown, 20 * time.Second})
	want := Evidence{LastProbe: at(20 * time.Second), LastUnknown: true, LastDetail: "no series", StreakSince: at(20 * time.Second)}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Fatalf("after an unknown result (-want +got):\n%s", diff)
	}
	if st, _ := Judge(ev, 1, 1, ttl, at(21*time.Second)); st != Unknown {
		t.Errorf("Judge after an unknown result = %v, want unknown", st)
	}
	ev = Record(ev, up, at(30*time.Second), ttl)
	if ev.Successes != 1 || !ev.StreakSince.Equal(at(30*time.Second)) || ev.LastUnknown {
		t.Errorf("a success after an unknown result = %+v, want a new streak of one", ev)
	}
	ev = Record(Record(Evidence{}, unknown, at(0), ttl), down, at(time.Second), ttl)
	if ev.Failures != 1 || !ev.StreakSince.Equal(at(time.Second)) {
		t.Errorf("a failure after an unknown result = %+v, want a new streak of one", ev)
	}
	if st, _ := Judge(ev, 1, 1, ttl, at(2*time.Second)); st != Unhealthy {
		t.Errorf("Judge after a failure that follows an unknown result = %v, want unhealthy", st)
	}
}
