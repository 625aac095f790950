package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/fbctl/fbctl/internal/sim/awsworld"
	elbv2sim "github.com/fbctl/fbctl/internal/sim/elbv2"
	route53sim "github.com/fbctl/fbctl/internal/sim/route53"
	"github.com/fbctl/fbctl/internal/testenv"
)

// TestMain lets the test binary double as the fbctl binary: testscript puts
// an "fbctl" on the scripts' PATH that re-executes this binary into Main, so
// the scripts run the real command line in a real process, with real exit
// codes and streams.
//
// Under -race, a process sleeps 1 s at exit (GORACE atexit_sleep_ms) so that
// late reports can be printed; every fbctl a script or a process test runs
// would pay it, some 400 seconds in all. The children inherit this
// environment (testscript passes GORACE through), and a race is still
// reported: the sleep only waits for goroutines still running at exit.
func TestMain(m *testing.M) {
	if !strings.Contains(os.Getenv("GORACE"), "atexit_sleep_ms") {
		os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	}
	testscript.Main(m, map[string]func(){
		"fbctl": func() { os.Exit(int(Main())) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script. Besides the
// standard testscript commands, they have:
//
//	exitcode N PROGRAM [ARGS...]  run PROGRAM like exec and require exit status N
//	validjson                     require the last stdout to be one JSON document
//
// and the environment variable EXAMPLES, the absolute path of the
// repository's examples directory.
//
// Scripts whose name starts with "engine_" also get a real HAProxy (backend
// "app", servers "primary" at weight 0 and "secondary" at 256, and a backend
// "api" no frontend uses, with the same servers and weights) in front of
// two real HTTP backends, all stopped when the script ends, described by
// HAPROXY_SOCK (the runtime API's unix socket), HAPROXY_URL (the frontend),
// PRIMARY_URL and SECONDARY_URL (the backends; /healthz is their health),
// and these commands:
//
//	subst FILE...             replace each ${NAME} (NAME in capitals) in the
//	                          files by the environment variable, which must be
//	                          set: testscript does not expand archive files
//	weights                   print the weights of backend app as
//	                          "primary=W secondary=W", read back from HAProxy
//	spread N [PERCENT]        send N requests through HAPROXY_URL and print
//	                          "primary=X secondary=Y" (and "HTTP <code>=Z" for
//	                          other answers); with PERCENT, also require the
//	                          primary's part to be within 5 points of it
//	sethealthy SIDE BOOL      make primary's or secondary's /healthz answer
//	                          200 (true) or 503 (false)
//	setweight SERVER W        set a server's weight in backend app behind
//	                          fbctl's back (drift)
func TestScripts(t *testing.T) {
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(examples, "aws-gcp", "fbctl.hcl")); err != nil {
		t.Fatalf("examples not found: %v", err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			// Nothing from the developer's environment may steer fbctl:
			// testscript builds a fresh environment, but be explicit.
			vars := env.Vars[:0]
			for _, kv := range env.Vars {
				if !strings.HasPrefix(kv, "FBCTL_") {
					vars = append(vars, kv)
				}
			}
			env.Vars = vars
			env.Setenv("FBCTL_POLICY", "")
			env.Setenv("EXAMPLES", examples)
			env.Setenv("TERM", "dumb")
			if err := setupAWS(env); err != nil {
				return err
			}
			if err := setupDNS(env); err != nil {
				return err
			}
			if err := setupGCP(env); err != nil {
				return err
			}
			return setupEngine(env)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":   cmdExitCode,
			"validjson":  cmdValidJSON,
			"subst":      cmdSubst,
			"weights":    cmdWeights,
			"spread":     cmdSpread,
			"sethealthy": cmdSetHealthy,
			"setweight":  cmdSetWeight,
			"awsweights": cmdAWSWeights,
			"awsforeign": cmdAWSForeign,
			"awstargets": cmdAWSTargets,
			"dnsanswer":  cmdDNSAnswer,
			"gcpweights": cmdGCPWeights,
			"gcphealth":  cmdGCPHealth,
		},
	})
}

// cmdExitCode runs a program like exec and asserts its exact exit status:
// `! exec` only says "not zero", and fbctl's exit codes are a documented
// interface.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exitcode")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: invalid status %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// cmdValidJSON asserts that the last command's stdout is exactly one JSON
// document (an object), with nothing before or after it.
func cmdValidJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 0 {
		ts.Fatalf("usage: validjson")
	}
	out := ts.ReadFile("stdout")
	dec := json.NewDecoder(strings.NewReader(out))
	var doc map[string]any
	err := dec.Decode(&doc)
	if err == nil {
		if _, more := dec.Token(); more != io.EOF {
			err = errors.New("more than one JSON value")
		}
	}
	switch {
	case err != nil && !neg:
		ts.Fatalf("stdout is not one JSON object: %v", err)
	case err == nil && neg:
		ts.Fatalf("stdout is a JSON object")
	}
}

// engineEnv is what setupEngine started for one engine_ script; custom
// commands find it with ts.Value(engineKey{}).
type engineEnv struct {
	t       testing.TB // the script's own test: failures and cleanup are per script
	hap     *testenv.HAProxy
	backend map[string]*testenv.HTTPBackend
}

type engineKey struct{}

// setupEngine starts, for a script named engine_*, two HTTP backends and an
// HAProxy in front of them (all traffic on the secondary), stopped when the
// script's subtest ends.
func setupEngine(env *testscript.Env) error {
	// testscript runs each script in a subtest and hands Setup that
	// subtest's *testing.T (wrapped, but still a testing.TB): using it
	// makes a failed start fail the right test from the right goroutine
	// and stops the servers when this script ends.
	t, ok := env.T().(testing.TB)
	if !ok {
		return fmt.Errorf("testscript's T is a %T, not a testing.TB", env.T())
	}
	if !strings.HasPrefix(path.Base(t.Name()), "engine_") {
		return nil
	}
	be := testenv.StartHTTPBackends(t, "primary", "secondary")
	hap := testenv.StartHAProxy(t, testenv.HAProxyConfig{
		Servers: []testenv.HAProxyServer{be[0].Server(0), be[1].Server(256)},
		// A second backend with the same servers and weights, for a second
		// failback: two failbacks may not steer the same servers.
		ExtraBackends: []testenv.HAProxyBackend{{Name: "api", Servers: []testenv.HAProxyServer{be[0].Server(0), be[1].Server(256)}}},
	})
	env.Setenv("HAPROXY_SOCK", hap.SocketPath)
	env.Setenv("HAPROXY_URL", hap.FrontendURL)
	env.Setenv("PRIMARY_URL", be[0].URL)
	env.Setenv("SECONDARY_URL", be[1].URL)
	env.Values[engineKey{}] = &engineEnv{t: t, hap: hap,
		backend: map[string]*testenv.HTTPBackend{"primary": be[0], "secondary": be[1]}}
	return nil
}

func engineOf(ts *testscript.TestScript, cmd string) *engineEnv {
	e, _ := ts.Value(engineKey{}).(*engineEnv)
	if e == nil {
		ts.Fatalf("%s: only engine_* scripts have an HAProxy", cmd)
	}
	return e
}

// scriptTB hands testenv helpers a testing.TB whose failures fail the
// script with its log, as ts.Fatalf does.
type scriptTB struct {
	testing.TB
	ts *testscript.TestScript
}

func (t scriptTB) Helper()                           {}
func (t scriptTB) Fatal(args ...any)                 { t.ts.Fatalf("%s", fmt.Sprint(args...)) }
func (t scriptTB) Fatalf(format string, args ...any) { t.ts.Fatalf(format, args...) }

var placeholder = regexp.MustCompile(`\$\{([A-Z][A-Z0-9_]*)\}`)

// cmdSubst replaces ${NAME} in files, in place. Only capitalised names are
// placeholders, so HCL's own ${var.x} interpolation is left alone; an unset
// one is an error rather than an empty string.
func cmdSubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: subst FILE...")
	}
	for _, f := range args {
		src := ts.ReadFile(f)
		out := placeholder.ReplaceAllStringFunc(src, func(m string) string {
			name := placeholder.FindStringSubmatch(m)[1]
			v := ts.Getenv(name)
			if v == "" {
				ts.Fatalf("subst %s: %s is not set", f, name)
			}
			return v
		})
		ts.Check(os.WriteFile(ts.MkAbs(f), []byte(out), 0o644))
	}
}

// cmdWeights prints the weights of backend app's servers, by name.
func cmdWeights(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: weights")
	}
	e := engineOf(ts, "weights")
	var parts []string
	for k, w := range e.hap.Weights(scriptTB{e.t, ts}) {
		if server, ok := strings.CutPrefix(k, "app/"); ok {
			parts = append(parts, fmt.Sprintf("%s=%d", server, w))
		}
	}
	sort.Strings(parts)
	fmt.Fprintln(ts.Stdout(), strings.Join(parts, " "))
}

// cmdSpread sends real traffic through HAProxy and counts who answered.
func cmdSpread(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: spread N [PERCENT]")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n <= 0 {
		ts.Fatalf("spread: invalid count %q", args[0])
	}
	counts, err := testenv.Spread(engineOf(ts, "spread").hap.FrontendURL, n)
	ts.Check(err)
	parts := []string{fmt.Sprintf("primary=%d", counts["primary"]), fmt.Sprintf("secondary=%d", counts["secondary"])}
	var other []string
	for k, c := range counts {
		if k != "primary" && k != "secondary" {
			other = append(other, fmt.Sprintf("%s=%d", k, c))
		}
	}
	sort.Strings(other)
	fmt.Fprintln(ts.Stdout(), strings.Join(append(parts, other...), " "))
	if len(args) == 2 {
		want, err := strconv.ParseFloat(args[1], 64)
		if err != nil {
			ts.Fatalf("spread: invalid percent %q", args[1])
		}
		got := float64(counts["primary"]) * 100 / float64(n)
		if got < want-5 || got > want+5 {
			ts.Fatalf("spread: the primary got %.1f%% of %d requests, want %g%% ± 5", got, n, want)
		}
	}
}

// cmdSetHealthy makes a backend's health endpoint pass or fail.
func cmdSetHealthy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sethealthy primary|secondary true|false")
	}
	b := engineOf(ts, "sethealthy").backend[args[0]]
	ok, err := strconv.ParseBool(args[1])
	if b == nil || err != nil {
		ts.Fatalf("usage: sethealthy primary|secondary true|false")
	}
	b.SetHealthy(ok)
}

// cmdSetWeight changes a weight the way a person (or another tool) would.
func cmdSetWeight(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: setweight SERVER WEIGHT")
	}
	w, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("setweight: invalid weight %q", args[1])
	}
	e := engineOf(ts, "setweight")
	e.hap.SetWeight(scriptTB{e.t, ts}, "app", args[0], w)
}

type awsKey struct{}

// setupAWS starts, for a script named aws_*, fbctl's Route 53 and ELBv2
// emulators (seeded by awsworld: the record group and the listener with all
// traffic on the secondary) and two HTTP backends, and exports AWS_URL,
// ZONE_ID, LISTENER_ARN, PRIMARY_TG, SECONDARY_TG, PRIMARY_URL and
// SECONDARY_URL, plus fixed credentials that keep the SDK away from the
// machine's ~/.aws and instance metadata.
func setupAWS(env *testscript.Env) error {
	t, ok := env.T().(testing.TB)
	if !ok {
		return fmt.Errorf("testscript's T is a %T, not a testing.TB", env.T())
	}
	if !strings.HasPrefix(path.Base(t.Name()), "aws_") {
		return nil
	}
	w, err := awsworld.Start()
	if err != nil {
		return err
	}
	t.Cleanup(w.Close)
	be := testenv.StartHTTPBackends(t, "primary", "secondary")
	for k, v := range map[string]string{
		"AWS_URL": w.URL, "ZONE_ID": w.ZoneID, "LISTENER_ARN": w.ListenerARN,
		"PRIMARY_TG": w.PrimaryTG, "SECONDARY_TG": w.SecondaryTG,
		"PRIMARY_URL": be[0].URL, "SECONDARY_URL": be[1].URL,
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		env.Setenv(k, v)
	}
	env.Values[awsKey{}] = w
	env.Values[engineKey{}] = &engineEnv{t: t, backend: map[string]*testenv.HTTPBackend{"primary": be[0], "secondary": be[1]}}
	return nil
}

// cmdAWSWeights prints the weights the AWS emulators hold, from their own
// state: awsweights.
func cmdAWSWeights(ts *testscript.TestScript, neg bool, args []string) {
	w, _ := ts.Value(awsKey{}).(*awsworld.World)
	if w == nil {
		ts.Fatalf("awsweights: only aws_* scripts have the AWS emulators")
	}
	fmt.Fprintln(ts.Stdout(), w.Weights())
}

// cmdAWSTargets sets the targets of the primary or secondary target group
// and their health: awstargets primary|secondary STATE... (healthy,
// unhealthy, draining, initial, unused; no state: no target at all).
func cmdAWSTargets(ts *testscript.TestScript, neg bool, args []string) {
	w, _ := ts.Value(awsKey{}).(*awsworld.World)
	if w == nil {
		ts.Fatalf("awstargets: only aws_* scripts have the AWS emulators")
	}
	if len(args) < 1 || args[0] != "primary" && args[0] != "secondary" {
		ts.Fatalf("usage: awstargets primary|secondary STATE...")
	}
	tg := w.PrimaryTG
	if args[0] == "secondary" {
		tg = w.SecondaryTG
	}
	var targets []elbv2sim.TargetHealth
	for i, st := range args[1:] {
		targets = append(targets, elbv2sim.TargetHealth{Id: fmt.Sprintf("i-%s%d", args[0], i+1), Port: 443, State: st})
	}
	w.ELBv2.SetTargetHealth(tg, targets)
}

// cmdAWSForeign adds a weighted set the policy does not name ("legacy",
// weight 5) to the steered record group, as someone might by hand.
func cmdAWSForeign(ts *testscript.TestScript, neg bool, args []string) {
	w, _ := ts.Value(awsKey{}).(*awsworld.World)
	if w == nil {
		ts.Fatalf("awsforeign: only aws_* scripts have the AWS emulators")
	}
	weight, ttl := int64(5), int64(60)
	ts.Check(w.Route53.PutRecordSet(w.ZoneID, route53sim.RecordSet{Name: awsworld.RecordName, Type: "A",
		SetIdentifier: "legacy", Weight: &weight, TTL: &ttl, ResourceRecords: []string{"203.0.113.9"}}))
}
