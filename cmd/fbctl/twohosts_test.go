package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	s3sim "github.com/fbctl/fbctl/internal/sim/s3"
	"github.com/fbctl/fbctl/internal/testenv"
)

// TestTwoHostsOneBucket runs fbctl as separate processes on two "hosts"
// that share one S3 bucket (the S3 emulator, in this test, on loopback) and
// one real HAProxy. Each host is its own UTS namespace (its own host name,
// hostA or hostB) and its own PID namespace, with its own working
// directory and policy file; the policies name the same bucket and prefix.
// The PID namespace matters: a lock holder in the same boot and PID
// namespace can be proven dead by its pid (internal/state holderGone) and
// is taken over at once, whatever its host name says; a holder on another
// machine cannot, and only the lock's expiry lets another host take over.
//
// Every process reads one clock, a file the test advances
// (FBCTL_TEST_CLOCK_FILE, testhook_test.go), so bakes and lock expiries
// are reached by moving the clock, never by waiting for them.
//
// The story:
//  1. host B's `shift web --percent 25` holds the lock (stopped before its
//     first write): host A's status names hostB as the holder, and host
//     A's reconcile is refused with exit 4;
//  2. host A's scheduled reconciles hold at 25 (HAProxy's weights, read
//     back from its runtime API, say 25 %) until host B runs `resume`; then
//     host A's next reconcile moves on to 50;
//  3. host A's reconcile (--lock-lease 1m) is killed with SIGKILL between
//     its intent and its second write: host B's status names hostA as the
//     holder, host B's reconcile is refused (exit 4) until the lease has
//     run out, and then takes the lock over (a lock_takeover event naming
//     hostA) and finishes the dead run's change (recorded as the dead
//     command's own event, a shift whose reason names the dead run): the
//     state, the history and HAProxy's weights agree on 75 %;
//  4. 20 reconciles at once, 10 on each host, when the step to 100 is
//     due: exactly one applies it (one shift event to 100), every other
//     exits 4 (locked by the winner's host) or 0 with nothing to do;
//  5. no output of any command holds the credentials.
func TestTwoHostsOneBucket(t *testing.T) {
	started := time.Now()
	defer func() { t.Logf("TestTwoHostsOneBucket took %v", time.Since(started).Round(time.Millisecond)) }()
	w := newTwoHosts(t)
	a, b := w.hosts[0], w.hosts[1]

	// Host A's first reconcile: evidence only (primary_healthy_for 1m).
	w.mustRun(a, 0, "reconcile")
	w.advance(2 * time.Minute)

	// 1. Host B's manual shift holds the lock, stopped before its first
	// write, while host A looks.
	shift := w.start(b, []string{gateEnv + "=lb1"}, "shift", "web", "--percent", "25", "--reason", "cutover")
	shift.waitFor("gated before applying lb1")
	if st := w.status(a); st.Lock == nil || st.Lock.Host != "hostB" {
		t.Fatalf("host A's status while host B shifts: lock %+v, want held by hostB", st.Lock)
	}
	if code, out := w.run(a, nil, "reconcile"); code != 4 || !strings.Contains(out, "@hostB") {
		t.Fatalf("host A's reconcile while host B holds the lock exited %d, want 4 naming hostB:\n%s", code, out)
	}
	shift.release()
	if code := shift.wait(); code != 0 {
		t.Fatalf("host B's shift exited %d:\n%s", code, shift.output())
	}
	w.wantWeights(25)

	// 2. Host A's cron: every run is past a bake, and each holds at 25.
	for i := range 3 {
		w.advance(11 * time.Minute)
		run := w.reconcileJSON(a, 0)
		if run.Writes || run.After == nil || run.After.Phase != "manual" {
			t.Fatalf("host A's reconcile %d moved host B's manual share: %+v", i+1, run)
		}
		w.wantWeights(25)
	}
	w.mustRun(b, 0, "resume", "web")
	w.advance(11 * time.Minute)
	if run := w.reconcileJSON(a, 0); !run.Writes || run.To == nil || *run.To != 50 {
		t.Fatalf("host A's reconcile after host B's resume: %+v, want a shift to 50", run)
	}
	w.wantWeights(50)

	// 3. Host A dies between its intent and its second write (a raise
	// writes lb1, then lb2).
	w.advance(11 * time.Minute)
	dying := w.start(a, []string{pauseEnv + "=lb2"}, "reconcile", "--lock-lease", "1m")
	dying.waitFor("paused before applying lb2")
	st := w.status(b)
	if st.Lock == nil || st.Lock.Host != "hostA" {
		t.Fatalf("host B's status while host A reconciles: lock %+v, want held by hostA", st.Lock)
	}
	deadRun := st.Lock.RunID
	if st.Intent == nil || !strings.Contains(string(st.Intent), deadRun) {
		t.Fatalf("host B's status shows no intent of host A's run %s: %s", deadRun, st.Intent)
	}
	dying.kill()
	if got := w.primaryWeights(); got != [2]int{192, 128} {
		t.Fatalf("after the kill the primary weights are %v, want lb1 raised to 192 and lb2 still 128", got)
	}
	// Host A's pid is in another PID namespace: not provably gone, so the
	// lock holds until its lease (1m) runs out.
	if code, out := w.run(b, nil, "reconcile"); code != 4 || !strings.Contains(out, "@hostA") {
		t.Fatalf("host B's reconcile before the dead lock's expiry exited %d, want 4 naming hostA:\n%s", code, out)
	}
	w.advance(2 * time.Minute)
	run := w.reconcileJSON(b, 0)
	if st := w.status(b); st.Lock != nil || st.Intent != nil || st.Share != 75 {
		t.Fatalf("after host B's recovery: share %v, lock %+v, intent %+v; want 75, no lock, no intent (run %+v)",
			st.Share, st.Lock, st.Intent, run)
	}
	w.wantWeights(75)
	// The takeover names the dead holder; the dead run's change is
	// finished in its name (its command's event, a shift, saying so).
	evs := w.history(b)
	takeover := eventsOf(evs, "lock_takeover")
	if len(takeover) != 1 || !strings.Contains(takeover[0].Reason, "@hostA") || !strings.Contains(takeover[0].Reason, deadRun) {
		t.Fatalf("lock_takeover events %v, want one naming hostA's lock of run %s\nhistory: %v", takeover, deadRun, evs)
	}
	if last := evs[len(evs)-1]; last.Type != "shift" || last.To == nil || *last.To != 75 ||
		!strings.Contains(last.Reason, "run "+deadRun+") died while moving 50% -> 75%") {
		t.Fatalf("the last event is %v, want the dead run's shift to 75 finished\nhistory: %v", last, evs)
	}
	if n := len(eventsOf(evs, "recover")); n != 0 {
		t.Fatalf("%d recover events: the dead run's change was finished, not reverted\nhistory: %v", n, evs)
	}

	// 4. The step to 100 is due: 20 reconciles at once, 10 on each host.
	w.advance(11 * time.Minute)
	type result struct {
		host string
		code int
		out  string
		run  runDoc
	}
	results := make(chan result, 20)
	var wg sync.WaitGroup
	for i := range 20 {
		h := w.hosts[i%2]
		p := w.start(h, nil, "reconcile", "-o", "json")
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _ := p.waitCode()
			res := result{host: h.name, code: code, out: p.output()}
			var doc runsDocument
			if json.Unmarshal([]byte(p.stdout.String()), &doc) == nil && len(doc.Failbacks) == 1 {
				res.run = doc.Failbacks[0]
			}
			results <- res
		}()
	}
	wg.Wait()
	close(results)
	var winner string
	var locked []result
	codes := map[int]int{}
	for r := range results {
		codes[r.code]++
		switch {
		case r.code == 4:
			locked = append(locked, r)
		case r.code == 0 && r.run.Writes:
			if winner != "" {
				t.Errorf("a second run applied: %+v", r.run)
			}
			winner = r.host
			if r.run.To == nil || *r.run.To != 100 {
				t.Errorf("the applying run: %+v, want a shift to 100", r.run)
			}
		case r.code == 0 && r.run.After != nil:
			// Came after the winner: nothing to do.
		default:
			// The allowed exit codes are 0 (applied, or nothing to do)
			// and 4 (locked); anything else is a failure.
			t.Errorf("a concurrent reconcile on %s exited %d:\n%s", r.host, r.code, r.out)
		}
	}
	t.Logf("20 concurrent reconciles: exit codes %v, applied on %s", codes, winner)
	if winner == "" {
		t.Fatal("none of the 20 concurrent reconciles applied the step")
	}
	// A locked run names the holder: the winner, or a run after it that
	// found nothing to do, on either host.
	for _, r := range locked {
		if !lockedByHost.MatchString(r.out) {
			t.Errorf("a locked run on %s does not name the holder's host:\n%s", r.host, r.out)
		}
	}
	w.wantWeights(100)
	var to100 []histEvent
	for _, ev := range eventsOf(w.history(a), "shift") {
		if ev.To != nil && *ev.To == 100 {
			to100 = append(to100, ev)
		}
	}
	if len(to100) != 1 {
		t.Fatalf("%d shift events to 100, want exactly 1: %v", len(to100), to100)
	}

	// 5. No command printed a credential.
	w.noCredentials()
	for _, h := range w.hosts {
		if _, err := os.Stat(filepath.Join(h.dir, ".fbctl")); err == nil {
			t.Errorf("%s keeps a state directory: with state \"s3\" nothing is kept on disk", h.name)
		}
	}
	t.Logf("bucket requests: %v", w.s3.Calls())
}

var lockedByHost = regexp.MustCompile(`locked by [^ @]+@host[AB] \(pid 1, run [0-9a-f]+\)`)

const (
	twoHostsAccessKey = "AKIDFBCTLTWOHOSTS"
	twoHostsSecretKey = "two-hosts-secret-never-printed"
)

// twoHosts is the rig: one S3 emulator, one HAProxy with two backends (two
// targets) in front of two HTTP backends, a clock file, and two hosts.
type twoHosts struct {
	t       *testing.T
	s3      *s3sim.Server
	hap     *testenv.HAProxy
	clock   string
	now     time.Time
	unshare []string
	env     []string
	hosts   [2]*twoHost

	mu      sync.Mutex
	outputs []string // every command's stdout and stderr
}

type twoHost struct {
	name string
	dir  string
}

func newTwoHosts(t *testing.T) *twoHosts {
	t.Helper()
	w := &twoHosts{t: t, now: time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)}
	w.unshare = unshareCommand(t)
	w.s3 = s3sim.New(s3sim.Options{Buckets: []string{"fbctl-state"}})
	url, err := w.s3.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.s3.Close)
	be := testenv.StartHTTPBackends(t, "primary", "secondary")
	w.hap = testenv.StartHAProxy(t, testenv.HAProxyConfig{
		Servers: []testenv.HAProxyServer{be[0].Server(0), be[1].Server(256)},
		ExtraBackends: []testenv.HAProxyBackend{{Name: "edge", Servers: []testenv.HAProxyServer{
			{Name: "p2", Addr: be[0].Addr, Weight: 0}, {Name: "s2", Addr: be[1].Addr, Weight: 256}}}},
	})
	w.clock = filepath.Join(t.TempDir(), "clock")
	w.advance(0)

	// The environment of every process: nothing of the developer's FBCTL_
	// or AWS_ settings; the SDK's default chain from the environment only
	// (dummy keys, no shared files, no instance metadata).
	empty := filepath.Join(t.TempDir(), "none")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FBCTL_") && !strings.HasPrefix(kv, "AWS_") {
			w.env = append(w.env, kv)
		}
	}
	w.env = append(w.env, "TERM=dumb", clockFileEnv+"="+w.clock,
		"AWS_ACCESS_KEY_ID="+twoHostsAccessKey, "AWS_SECRET_ACCESS_KEY="+twoHostsSecretKey,
		"AWS_REGION=us-east-1", "AWS_CONFIG_FILE="+empty, "AWS_SHARED_CREDENTIALS_FILE="+empty,
		"AWS_EC2_METADATA_DISABLED=true")

	policy := fmt.Sprintf(`
state "s3" {
  bucket       = "fbctl-state"
  prefix       = "prod"
  endpoint_url = %q
}

failback "web" {
  primary   = "dc1"
  secondary = "dr"

  check "http" "dc1" {
    url                 = %q
    interval            = "10s"
    timeout             = "5s"
    healthy_threshold   = 1
    unhealthy_threshold = 1
    evidence_ttl        = "1h"
  }
  check "http" "dr" {
    of                  = "secondary"
    url                 = %q
    interval            = "10s"
    timeout             = "5s"
    healthy_threshold   = 1
    unhealthy_threshold = 1
    evidence_ttl        = "1h"
  }
  target "haproxy_backend" "lb1" {
    runtime_api = %q
    backend     = "app"
    primary     = ["primary"]
    secondary   = ["secondary"]
  }
  target "haproxy_backend" "lb2" {
    runtime_api = %q
    backend     = "edge"
    primary     = ["p2"]
    secondary   = ["s2"]
  }
  rollout {
    steps               = [25, 50, 75, 100]
    bake                = "10m"
    primary_healthy_for = "1m"
  }
}
`, url, be[0].URL+testenv.HealthPath, be[1].URL+testenv.HealthPath, w.hap.SocketPath, w.hap.RuntimeTCPAddr)
	for i, name := range []string{"hostA", "hostB"} {
		h := &twoHost{name: name, dir: t.TempDir()}
		if err := os.WriteFile(filepath.Join(h.dir, "fbctl.hcl"), []byte(policy), 0o644); err != nil {
			t.Fatal(err)
		}
		w.hosts[i] = h
	}
	return w
}

// unshareCommand returns the command line that runs a program in new UTS
// and PID namespaces, as root or, failing that, as root of a new user
// namespace. Not being able to is a failure, as a missing server is.
func unshareCommand(t *testing.T) []string {
	t.Helper()
	var errs []string
	for _, cmd := range [][]string{
		{"unshare", "--uts", "--pid", "--fork", "--kill-child"},
		{"unshare", "-r", "--uts", "--pid", "--fork", "--kill-child"},
	} {
		out, err := exec.Command(cmd[0], append(cmd[1:], "sh", "-c", `hostname "$0" && hostname`, "probe-host")...).CombinedOutput()
		if err == nil && strings.TrimSpace(string(out)) == "probe-host" {
			return cmd
		}
		errs = append(errs, fmt.Sprintf("%s: %v: %s", strings.Join(cmd, " "), err, bytes.TrimSpace(out)))
	}
	t.Fatalf("cannot run a process in its own UTS and PID namespaces (the two hosts need them; "+
		"run the tests as root or where user namespaces are allowed): %s; a missing capability is a failure, not a skip",
		strings.Join(errs, "; "))
	return nil
}

func (w *twoHosts) advance(d time.Duration) {
	w.t.Helper()
	w.now = w.now.Add(d)
	tmp := w.clock + ".tmp"
	if err := os.WriteFile(tmp, []byte(w.now.Format(time.RFC3339Nano)+"\n"), 0o644); err != nil {
		w.t.Fatal(err)
	}
	if err := os.Rename(tmp, w.clock); err != nil {
		w.t.Fatal(err)
	}
}

// hostProc is one fbctl process on a host.
type hostProc struct {
	w      *twoHosts
	cmd    *exec.Cmd
	stdout syncBuf
	stderr *lineWatch
	stdin  *os.File // the write end of the process's stdin, for a gate
	done   chan struct{}
	code   int
}

// start runs `fbctl ARGS` on host h, in its own UTS and PID namespaces
// with the host's name, in the host's directory.
func (w *twoHosts) start(h *twoHost, env []string, args ...string) *hostProc {
	w.t.Helper()
	argv := append(append([]string{}, w.unshare[1:]...), "sh", "-c", `hostname "$0" && exec fbctl "$@"`, h.name)
	c := exec.Command(w.unshare[0], append(argv, args...)...)
	c.Dir = h.dir
	c.Env = append(append([]string{}, w.env...), env...)
	p := &hostProc{w: w, cmd: c, stderr: newLineWatch(), done: make(chan struct{})}
	c.Stdout, c.Stderr = &p.stdout, p.stderr
	r, wr, err := os.Pipe()
	if err != nil {
		w.t.Fatal(err)
	}
	c.Stdin, p.stdin = r, wr
	if err := c.Start(); err != nil {
		w.t.Fatal(err)
	}
	r.Close()
	go func() {
		p.code = exitCode(c.Wait())
		p.stdin.Close()
		w.mu.Lock()
		w.outputs = append(w.outputs, p.stdout.String(), p.stderr.String())
		w.mu.Unlock()
		close(p.done)
	}()
	w.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = c.Process.Kill() // unshare --kill-child kills fbctl
			<-p.done
		}
	})
	return p
}

func (p *hostProc) wait() int {
	p.w.t.Helper()
	code, ok := p.waitCode()
	if !ok {
		p.w.t.Fatalf("fbctl %v did not finish:\n%s", p.cmd.Args, p.output())
	}
	return code
}

// waitCode waits for the process's exit code; ok is false if it has not
// finished in two minutes. Unlike wait it may be called from any goroutine.
func (p *hostProc) waitCode() (code int, ok bool) {
	select {
	case <-p.done:
		return p.code, true
	case <-time.After(2 * time.Minute):
		return -1, false
	}
}

func (p *hostProc) output() string { return p.stdout.String() + p.stderr.String() }

// waitFor waits until the process has written line on stderr.
func (p *hostProc) waitFor(line string) {
	p.w.t.Helper()
	select {
	case <-p.stderr.seen(line):
	case <-p.done:
		p.w.t.Fatalf("fbctl exited %d before saying %q:\n%s", p.code, line, p.output())
	case <-time.After(time.Minute):
		p.w.t.Fatalf("fbctl never said %q:\n%s", line, p.output())
	}
}

// release lets a gated process go on.
func (p *hostProc) release() {
	if _, err := p.stdin.Write([]byte("go\n")); err != nil {
		p.w.t.Fatal(err)
	}
}

// kill sends SIGKILL to fbctl itself (the child of unshare, init of its
// PID namespace) and waits until it is gone.
func (p *hostProc) kill() {
	p.w.t.Helper()
	pid := childOf(p.w.t, p.cmd.Process.Pid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		p.w.t.Fatal(err)
	}
	<-p.done // unshare exits once its child is dead
	if !strings.Contains(p.stderr.String(), "paused before") {
		p.w.t.Fatalf("killed a process that was not paused:\n%s", p.output())
	}
}

// childOf returns the only child process of pid.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var kids []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		if f := strings.Fields(rest); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kids = append(kids, child)
		}
	}
	if len(kids) != 1 {
		t.Fatalf("process %d has children %v, want exactly one", pid, kids)
	}
	return kids[0]
}

func (w *twoHosts) run(h *twoHost, env []string, args ...string) (int, string) {
	w.t.Helper()
	p := w.start(h, env, args...)
	return p.wait(), p.output()
}

func (w *twoHosts) mustRun(h *twoHost, want int, args ...string) string {
	w.t.Helper()
	p := w.start(h, nil, args...)
	if code := p.wait(); code != want {
		w.t.Fatalf("fbctl %s on %s exited %d, want %d:\n%s", strings.Join(args, " "), h.name, code, want, p.output())
	}
	return p.stdout.String()
}

// runDoc is the part of reconcile -o json's failback this test reads.
type runDoc struct {
	Writes bool     `json:"writes"`
	Action string   `json:"action"`
	To     *float64 `json:"to"`
	After  *struct {
		Phase string  `json:"phase"`
		Share float64 `json:"share"`
	} `json:"after"`
}

type runsDocument struct {
	Failbacks []runDoc `json:"failbacks"`
}

func (w *twoHosts) reconcileJSON(h *twoHost, want int) runDoc {
	w.t.Helper()
	out := w.mustRun(h, want, "reconcile", "-o", "json")
	var doc runsDocument
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Failbacks) != 1 {
		w.t.Fatalf("reconcile -o json on %s: %v\n%s", h.name, err, out)
	}
	return doc.Failbacks[0]
}

type statusDocFB struct {
	Phase  string          `json:"phase"`
	Share  float64         `json:"share"`
	Intent json.RawMessage `json:"intent"`
	Lock   *struct {
		Owner string `json:"owner"`
		Host  string `json:"host"`
		PID   int    `json:"pid"`
		RunID string `json:"run_id"`
		Stale string `json:"stale"`
	} `json:"lock"`
}

func (w *twoHosts) status(h *twoHost) statusDocFB {
	w.t.Helper()
	out := w.mustRun(h, 0, "status", "-o", "json")
	var doc struct {
		Failbacks []statusDocFB `json:"failbacks"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Failbacks) != 1 {
		w.t.Fatalf("status -o json on %s: %v\n%s", h.name, err, out)
	}
	return doc.Failbacks[0]
}

type histEvent struct {
	RunID  string   `json:"run_id"`
	Type   string   `json:"type"`
	From   *float64 `json:"from"`
	To     *float64 `json:"to"`
	Reason string   `json:"reason"`
	Actor  string   `json:"actor"`
}

func (w *twoHosts) history(h *twoHost) []histEvent {
	w.t.Helper()
	out := w.mustRun(h, 0, "history", "web", "-o", "json")
	var doc struct {
		Events []histEvent `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		w.t.Fatalf("history -o json on %s: %v\n%s", h.name, err, out)
	}
	return doc.Events
}

func (ev histEvent) String() string {
	pct := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	return fmt.Sprintf("{%s %s->%s run %s by %s: %s}", ev.Type, pct(ev.From), pct(ev.To), ev.RunID, ev.Actor, ev.Reason)
}

func eventsOf(evs []histEvent, typ string) []histEvent {
	var out []histEvent
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// primaryWeights reads the primary servers' weights of both backends back
// from HAProxy's runtime API.
func (w *twoHosts) primaryWeights() [2]int {
	ws := w.hap.Weights(w.t)
	return [2]int{ws["app/primary"], ws["edge/p2"]}
}

// wantWeights requires both targets to deliver percent to the primary, as
// HAProxy's runtime API reports it: the primary at percent of 256, the
// secondary at the rest.
func (w *twoHosts) wantWeights(percent int) {
	w.t.Helper()
	p := percent * 256 / 100
	ws := w.hap.Weights(w.t)
	got := [4]int{ws["app/primary"], ws["app/secondary"], ws["edge/p2"], ws["edge/s2"]}
	if want := [4]int{p, 256 - p, p, 256 - p}; got != want {
		w.t.Fatalf("HAProxy weights (app primary, secondary; edge p2, s2) = %v, want %v (%d %%)", got, want, percent)
	}
}

// noCredentials requires that no command printed the access key or the
// secret key.
func (w *twoHosts) noCredentials() {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.outputs) == 0 {
		w.t.Fatal("no output recorded")
	}
	for _, out := range w.outputs {
		if strings.Contains(out, twoHostsSecretKey) || strings.Contains(out, twoHostsAccessKey) {
			w.t.Fatalf("a credential was printed:\n%s", out)
		}
	}
}

// lineWatch is a writer that keeps what is written and tells waiters when
// a string has appeared in it.
type lineWatch struct {
	mu      sync.Mutex
	b       bytes.Buffer
	waiters map[string]chan struct{}
}

func newLineWatch() *lineWatch { return &lineWatch{waiters: map[string]chan struct{}{}} }

func (l *lineWatch) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.b.Write(p)
	for s, ch := range l.waiters {
		if strings.Contains(l.b.String(), s) {
			close(ch)
			delete(l.waiters, s)
		}
	}
	return n, err
}

// seen returns a channel closed once s has been written.
func (l *lineWatch) seen(s string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan struct{})
	if strings.Contains(l.b.String(), s) {
		close(ch)
		return ch
	}
	l.waiters[s] = ch
	return ch
}

func (l *lineWatch) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
