// Package deploy holds the recipes for running `fbctl run` as a service:
// Prometheus alerting rules, a Grafana dashboard, a systemd unit and a
// Kubernetes Deployment. These tests keep them working: the rules pass
// promtool, the dashboard's queries run on a real Prometheus against the
// metrics fbctl exports, and every fbctl command line in a unit or a
// manifest is accepted by the binary's flags.
package deploy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/kinds"
	"github.com/fbctl/fbctl/internal/metrics"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/policy"
)

const (
	alertsFile    = "prometheus/alerts.yml"
	alertTestFile = "prometheus/alerts_test.yml"
	dashboardFile = "grafana/fbctl.json"
	unitFile      = "systemd/fbctl.service"
	manifestFile  = "kubernetes/deployment.yaml"
)

// The alerts issue 15 asks for, by the names alerts.yml gives them.
var wantAlerts = []string{"FbctlRollback", "FbctlFailbackHalted", "FbctlCheckFlapping", "FbctlLeaseLost", "FbctlApplyErrors"}

func promtool(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testenv.Promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestAlertRules(t *testing.T) {
	out := promtool(t, "prometheus", "check", "rules", filepath.Base(alertsFile))
	if !strings.Contains(out, fmt.Sprintf("SUCCESS: %d rules found", len(wantAlerts))) {
		t.Errorf("promtool check rules: %s; want %d rules", out, len(wantAlerts))
	}
	promtool(t, "prometheus", "test", "rules", filepath.Base(alertTestFile))

	// Every alert is tested both firing and not firing: an alert no test
	// fires could be dead, and one no test keeps quiet could be noise.
	rules := read(t, alertsFile)
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^\s*- alert: (\S+)$`).FindAllStringSubmatch(rules, -1) {
		names = append(names, m[1])
	}
	if !slices.Equal(names, wantAlerts) {
		t.Errorf("alerts.yml has alerts %q, want %q", names, wantAlerts)
	}
	tests := read(t, alertTestFile)
	for _, name := range names {
		quiet := regexp.MustCompile(`alertname: ` + name + `\n\s+exp_alerts: \[\]`)
		fires := regexp.MustCompile(`alertname: ` + name + `\n\s+exp_alerts:\n\s+- exp_labels:`)
		if !quiet.MatchString(tests) {
			t.Errorf("alerts_test.yml never checks that %s stays quiet", name)
		}
		if !fires.MatchString(tests) {
			t.Errorf("alerts_test.yml never checks that %s fires", name)
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^\s*- alert: \S+\n((?:\s+.*\n)*?)\s*(?:- alert:|\z)`).FindAllStringSubmatch(rules+"\n", -1) {
		if !strings.Contains(m[1], "summary:") || !strings.Contains(m[1], "description:") {
			t.Errorf("an alert without a summary and a description:\n%s", m[0])
		}
	}
}

// dashboard is the part of Grafana's dashboard JSON model the test reads.
type dashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID         int        `json:"id"`
	Type       string     `json:"type"`
	Title      string     `json:"title"`
	Datasource datasource `json:"datasource"`
	GridPos    struct{ X, Y, W, H int }
	Targets    []struct {
		RefID      string     `json:"refId"`
		Expr       string     `json:"expr"`
		Datasource datasource `json:"datasource"`
	} `json:"targets"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(read(t, dashboardFile)))
	var d dashboard
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// exporter returns fbctl's metrics with one of every series, served on
// loopback, and the names of the fbctl metrics it exports.
func exporter(t *testing.T) (addr string, names []string) {
	t.Helper()
	m := metrics.New(metrics.BuildInfo{Version: "test", Revision: "test", GoVersion: "test"})
	m.AddFailback("checkout", "dns")
	pos := engine.Position{Phase: state.PhaseShifting, Step: 1, Share: 1000}
	m.ObserveReport(&engine.Report{Failback: "checkout", After: pos, Applied: true,
		Observed: []engine.TargetShare{{Name: "dns"}},
		Decision: engine.Decision{Action: engine.ActionShift, To: 1000, Writes: true}}, nil)
	m.ObserveProbe("checkout", engine.Primary, "healthz", true, 30*time.Millisecond)
	m.SetLeaseHeld("checkout", true)
	m.ProviderRequest("aws", "ListResourceRecordSets", "200")
	m.PolicyReloaded(true)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), metrics.Namespace+"_") {
			names = append(names, mf.GetName())
		}
	}
	s := metrics.NewServer(m, nil)
	s.SetReadiness(func() error { return nil })
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(t.Context()) })
	return s.Addr().String(), names
}

var metricName = regexp.MustCompile(`\bfbctl_[a-z_]+\b`)

// The dashboard is a Grafana JSON model with a Prometheus data source
// variable that every panel uses, shows every fbctl metric and only
// those, and its queries run on a real Prometheus.
func TestGrafanaDashboard(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 30 {
		t.Errorf("uid %q, title %q, schemaVersion %d: not a dashboard model", d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		if v.Type == "datasource" && string(v.Query) != `"prometheus"` {
			t.Errorf("variable %s selects data sources of type %s, want prometheus", v.Name, v.Query)
		}
	}
	if vars["datasource"] != "datasource" {
		t.Errorf("no data source variable: %v", vars)
	}

	addr, exported := exporter(t)
	used := map[string]bool{}
	var exprs []string
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: data source %+v, %d queries; want ${datasource} and a query", p.Title, p.Datasource, len(p.Targets))
		}
		for _, tg := range p.Targets {
			if tg.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q query %s: data source %+v", p.Title, tg.RefID, tg.Datasource)
			}
			exprs = append(exprs, tg.Expr)
			for _, n := range metricName.FindAllString(tg.Expr, -1) {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if base, ok := strings.CutSuffix(n, suffix); ok && slices.Contains(exported, base) {
						n = base
					}
				}
				used[n] = true
				if !slices.Contains(exported, n) {
					t.Errorf("panel %q queries %s, which fbctl does not export", p.Title, n)
				}
			}
		}
	}
	for _, n := range exported {
		if !used[n] {
			t.Errorf("no panel shows %s", n)
		}
	}

	// Grafana's variables as Grafana would expand them; then each query
	// must parse and run on a real Prometheus (with the shipped rules
	// loaded: a bad rule file would fail its start) that scrapes fbctl.
	rules, err := filepath.Abs(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{Targets: []string{addr}, RuleFiles: []string{rules}})
	prom.WaitQuery(t, `fbctl_failback_share_percent{failback="checkout"}`, 30*time.Second,
		func(s []testenv.PromSample) bool { return len(s) == 1 && s[0].Value == 10 })
	expand := strings.NewReplacer("$failback", ".*", "$__rate_interval", "1m", "$__range", "1h")
	for _, e := range exprs {
		prom.Query(t, expand.Replace(e))
	}
}

// commandLine is an fbctl command line found in a recipe.
type commandLine struct {
	source string   // file:line
	args   []string // after the program
}

// unitCommands returns the fbctl command lines of a systemd unit's
// Exec*= settings.
func unitCommands(t *testing.T) []commandLine {
	t.Helper()
	var out []commandLine
	sc := bufio.NewScanner(strings.NewReader(read(t, unitFile)))
	for n := 1; sc.Scan(); n++ {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || !strings.HasPrefix(k, "Exec") {
			continue
		}
		f := strings.Fields(v)
		if len(f) > 0 && filepath.Base(f[0]) == "fbctl" {
			out = append(out, commandLine{source: fmt.Sprintf("%s:%d", unitFile, n), args: f[1:]})
		}
	}
	return out
}

// manifestCommands returns the args of the manifest's fbctl containers
// (written as a flow sequence of quoted strings, which is JSON).
func manifestCommands(t *testing.T) []commandLine {
	t.Helper()
	var out []commandLine
	lines := strings.Split(read(t, manifestFile), "\n")
	for i, l := range lines {
		v, ok := strings.CutPrefix(strings.TrimSpace(l), "args:")
		if !ok {
			continue
		}
		var args []string
		if err := json.Unmarshal([]byte(strings.TrimSpace(v)), &args); err != nil {
			t.Errorf("%s:%d: args must be a flow sequence of quoted strings: %v", manifestFile, i+1, err)
			continue
		}
		out = append(out, commandLine{source: fmt.Sprintf("%s:%d", manifestFile, i+1), args: args})
	}
	return out
}

// TestCommandLines checks every fbctl command line of the unit and the
// manifest against the binary: its subcommand exists and `fbctl SUB
// --help` lists each flag it uses.
func TestCommandLines(t *testing.T) {
	lines := append(unitCommands(t), manifestCommands(t)...)
	if len(lines) < 2 {
		t.Fatalf("found %d fbctl command lines, want the unit's and the manifest's: %+v", len(lines), lines)
	}
	bin := buildFbctl(t)
	// The checker on commands that exist: it must accept their flags and
	// catch one they do not have.
	t.Run("checker", func(t *testing.T) {
		args := []string{"reconcile", "checkout", "--wait", "--lock-wait=1m", "-f", "/etc/fbctl", "-o", "json", "--log-format", "json"}
		sub, help, ok := subcommand(bin, args)
		if !ok || sub != "reconcile checkout" && sub != "reconcile" {
			t.Fatalf("subcommand(%q) = %q, %v", args, sub, ok)
		}
		if missing := missingFlags(help, args); len(missing) != 0 {
			t.Errorf("flags of reconcile not found in its help: %q", missing)
		}
		if missing := missingFlags(help, []string{"reconcile", "--no-such-flag", "-Z"}); !slices.Equal(missing, []string{"--no-such-flag", "-Z"}) {
			t.Errorf("missingFlags found %q, want both made-up flags", missing)
		}
		if _, _, ok := subcommand(bin, []string{"no-such-command", "--listen", "x"}); ok {
			t.Error("a made-up command was found")
		}
	})
	for _, cl := range lines {
		t.Run(cl.source, func(t *testing.T) {
			if err := checkShape(cl.args); err != nil {
				t.Fatalf("%q: %v", cl.args, err)
			}
			sub, help, ok := subcommand(bin, cl.args)
			switch {
			case !ok:
				t.Fatalf("`fbctl %s`: no such command in the binary", strings.Join(cl.args, " "))
			}
			if missing := missingFlags(help, cl.args); len(missing) != 0 {
				t.Errorf("`fbctl %s` has no flags %q:\n%s", sub, missing, help)
			}
		})
	}
}

// missingFlags returns the flags of args that help (cobra's, local and
// global flags) does not list.
func missingFlags(help string, args []string) []string {
	var missing []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(a, "=")
		// cobra lists "  -f, --policy stringArray" and "      --wait".
		re := regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(name) + `(?:[ ,]|$)`)
		if strings.HasPrefix(name, "--") {
			re = regexp.MustCompile(`(?m)^\s+(?:-[a-zA-Z], )?` + regexp.QuoteMeta(name) + `(?: |$)`)
		}
		if !re.MatchString(help) {
			missing = append(missing, name)
		}
	}
	return missing
}

// checkShape checks what can be checked without the command: a
// subcommand first, flags well formed, every value-taking flag we know
// given a value.
func checkShape(args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("no subcommand")
	}
	flag := regexp.MustCompile(`^(-[a-zA-Z]|--[a-z][a-z0-9-]*)(=.*)?$`)
	valued := map[string]bool{"-f": true, "--policy": true, "--listen": true, "-o": true, "--output": true,
		"--var": true, "--var-file": true, "--tf-outputs": true, "--log-level": true, "--log-format": true}
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		m := flag.FindStringSubmatch(a)
		if m == nil {
			return fmt.Errorf("malformed flag %q", a)
		}
		if valued[m[1]] && m[2] == "" && (i+1 == len(args) || strings.HasPrefix(args[i+1], "-")) {
			return fmt.Errorf("flag %s without a value", a)
		}
	}
	return nil
}

// subcommand finds the longest run of leading words of args that the
// binary knows as a command, and returns it with its --help.
func subcommand(bin string, args []string) (sub, help string, ok bool) {
	n := 0
	for n < len(args) && !strings.HasPrefix(args[n], "-") {
		n++
	}
	for k := n; k >= 1; k-- {
		words := strings.Join(args[:k], " ")
		out, err := exec.Command(bin, append(slices.Clone(args[:k]), "--help")...).CombinedOutput()
		if err == nil && strings.Contains(string(out), "Usage:\n  fbctl "+words) {
			return words, string(out), true
		}
	}
	return "", "", false
}

func buildFbctl(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build fbctl: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "fbctl")
	if out, err := exec.Command(gobin, "build", "-o", bin, "github.com/fbctl/fbctl/cmd/fbctl").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// The shape of the checker itself: a line whose command exists is
// checked for its flags; every line is checked for its shape.
func TestCheckShape(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"run", "--listen", "127.0.0.1:9787", "-f", "/etc/fbctl"}, true},
		{[]string{"run", "--listen=127.0.0.1:9787"}, true},
		{[]string{"--listen", "x", "run"}, false},
		{[]string{"run", "--listen"}, false},
		{[]string{"run", "-f", "--listen", "x"}, false},
		{[]string{"run", "---x"}, false},
	} {
		if err := checkShape(tc.args); (err == nil) != tc.ok {
			t.Errorf("checkShape(%q) = %v, want ok %v", tc.args, err, tc.ok)
		}
	}
}

// The systemd unit runs fbctl hardened, restarts it on failure and stops
// it with SIGTERM within a bound.
func TestSystemdUnit(t *testing.T) {
	unit := read(t, unitFile)
	section := ""
	set := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(unit))
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			section = l
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok || section == "" {
				t.Errorf("%s:%d: not a setting of a section: %q", unitFile, n, l)
				continue
			}
			set[section+k] = append(set[section+k], v)
		}
	}
	want := map[string]string{
		"[Service]ExecStart":       "/usr/local/bin/fbctl run --listen 127.0.0.1:9787 -f /etc/fbctl",
		"[Service]NoNewPrivileges": "yes",
		"[Service]ProtectSystem":   "strict",
		"[Service]StateDirectory":  "fbctl",
		"[Service]Restart":         "on-failure",
		"[Service]KillSignal":      "SIGTERM",
		"[Service]DynamicUser":     "yes",
		"[Install]WantedBy":        "multi-user.target",
	}
	for k, v := range want {
		if got := set[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if got := set["[Service]TimeoutStopSec"]; len(got) != 1 {
		t.Errorf("TimeoutStopSec = %q: the stop must be bounded", got)
	} else if d, err := time.ParseDuration(got[0]); err != nil || d <= 0 || d > 5*time.Minute {
		t.Errorf("TimeoutStopSec = %q, want a positive bound of a few minutes at most", got[0])
	}
}

// The Kubernetes manifest: minimal structure checks (no YAML library in
// the module), the settings issue 15 asks for, and the policy of its
// ConfigMap validates as `fbctl validate` would.
func TestKubernetesManifest(t *testing.T) {
	text := read(t, manifestFile)
	if strings.Contains(text, "\t") {
		t.Errorf("%s has a tab: YAML indents with spaces", manifestFile)
	}
	byKind := map[string]string{}
	for i, doc := range strings.Split(text, "\n---\n") {
		kind := topLevel(doc, "kind")
		if topLevel(doc, "apiVersion") == "" || kind == "" || !regexp.MustCompile(`(?m)^metadata:$`).MatchString(doc) {
			t.Errorf("document %d has no apiVersion, kind or metadata", i+1)
			continue
		}
		byKind[kind] = doc
	}
	for _, k := range []string{"ServiceAccount", "ConfigMap", "Deployment"} {
		if byKind[k] == "" {
			t.Errorf("no %s in %s", k, manifestFile)
		}
	}
	dep := byKind["Deployment"]
	for _, re := range []string{
		`(?m)^  replicas: 2$`,
		`(?m)^      serviceAccountName: fbctl$`,
		`(?m)^      terminationGracePeriodSeconds: \d+$`,
		`(?m)^            - name: metrics\n\s+containerPort: 9787$`,
		`(?m)^          livenessProbe:\n\s+httpGet:\n\s+path: /healthz\n\s+port: metrics$`,
		`(?m)^          readinessProbe:\n(?:\s+#.*\n)*\s+httpGet:\n\s+path: /readyz\n\s+port: metrics$`,
		`(?m)^\s+mountPath: /etc/fbctl$`,
	} {
		if !regexp.MustCompile(re).MatchString(dep) {
			t.Errorf("the Deployment does not match %s", re)
		}
	}
	if !strings.Contains(byKind["ServiceAccount"], "eks.amazonaws.com/role-arn: arn:aws:iam::") {
		t.Error("the ServiceAccount has no IRSA role annotation")
	}

	// The ConfigMap's fbctl.hcl, a block scalar, validates.
	cm := strings.Split(byKind["ConfigMap"], "\n")
	var hcl []string
	indent := ""
	for i, l := range cm {
		if strings.TrimSpace(l) == "fbctl.hcl: |" {
			for _, m := range cm[i+1:] {
				if indent == "" && strings.TrimSpace(m) != "" {
					indent = m[:len(m)-len(strings.TrimLeft(m, " "))]
				}
				if strings.TrimSpace(m) != "" && !strings.HasPrefix(m, indent) {
					break
				}
				hcl = append(hcl, strings.TrimPrefix(m, indent))
			}
			break
		}
	}
	if len(hcl) == 0 {
		t.Fatal("the ConfigMap has no fbctl.hcl block scalar")
	}
	policyText := strings.Join(hcl, "\n")
	if !strings.Contains(policyText, `state "s3"`) {
		t.Error(`the replicas must share their state: the policy has no state "s3"`)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fbctl.hcl"), []byte(policyText), 0o600); err != nil {
		t.Fatal(err)
	}
	p, diags := policy.NewLoader(policy.Options{Registry: kinds.Registry()}).Load(dir)
	for _, d := range diags {
		t.Errorf("the ConfigMap's policy: %s", d.Error())
	}
	if p == nil || len(p.Failbacks) == 0 {
		t.Error("the ConfigMap's policy has no failback")
	}
}

// topLevel returns the value of a top-level key of a YAML document.
func topLevel(doc, key string) string {
	m := regexp.MustCompile(`(?m)^` + key + `: (\S+)$`).FindStringSubmatch(doc)
	if m == nil {
		return ""
	}
	return m[1]
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
