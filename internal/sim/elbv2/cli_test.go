package elbv2sim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	elbv2sim "github.com/fbctl/fbctl/internal/sim/elbv2"
	"github.com/fbctl/fbctl/internal/testenv"
)

// awsCLI runs the AWS CLI, an independent client, against the emulator.
func awsCLI(t *testing.T, endpoint string, args ...string) (string, error) {
	t.Helper()
	bin := testenv.AWSCLI(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, append(append([]string{"elbv2"}, args...), "--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json")...)
	// Only these AWS settings: no profile, credentials or config of the
	// machine.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=SECRET",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("cannot run the AWS CLI: %v", err)
		}
		return stderr.String(), err
	}
	return stdout.String(), nil
}

func TestAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the AWS CLI")
	}
	w := newWorld(t, elbv2sim.Options{})
	var rules struct {
		Rules []struct {
			RuleArn, Priority string
			IsDefault         bool
			Actions           []map[string]any
		}
	}
	out, err := awsCLI(t, w.url, "describe-rules", "--listener-arn", w.http)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if err := json.Unmarshal([]byte(out), &rules); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rules.Rules) != 4 || rules.Rules[1].RuleArn != w.r20 || rules.Rules[3].Priority != "default" || !rules.Rules[3].IsDefault {
		t.Fatalf("rules: %+v", rules)
	}

	before := w.sim.Rules(w.http)
	actions := `[{"Type":"forward","Order":1,"ForwardConfig":{"TargetGroups":[{"TargetGroupArn":"` + w.blue + `","Weight":30},{"TargetGroupArn":"` + w.green + `","Weight":70}],"TargetGroupStickinessConfig":{"Enabled":false}}}]`
	if out, err := awsCLI(t, w.url, "modify-rule", "--rule-arn", w.r20, "--actions", actions); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	after := w.sim.Rules(w.http)
	fc := after[1].Actions[0].ForwardConfig
	if *fc.TargetGroups[0].Weight != 30 || *fc.TargetGroups[1].Weight != 70 {
		t.Fatalf("weights: %+v", fc.TargetGroups)
	}
	if d := cmp.Diff(before[1].Conditions, after[1].Conditions); d != "" {
		t.Fatalf("conditions changed:\n%s", d)
	}
	for _, i := range []int{0, 2, 3} {
		if d := cmp.Diff(before[i], after[i]); d != "" {
			t.Fatalf("rule %d changed:\n%s", i, d)
		}
	}

	def := `[{"Type":"forward","ForwardConfig":{"TargetGroups":[{"TargetGroupArn":"` + w.blue + `","Weight":0},{"TargetGroupArn":"` + w.green + `","Weight":999}],"TargetGroupStickinessConfig":{"Enabled":true,"DurationSeconds":60}}}]`
	if out, err := awsCLI(t, w.url, "modify-listener", "--listener-arn", w.http, "--default-actions", def); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	l, _ := w.sim.Listener(w.http)
	if *l.DefaultActions[0].ForwardConfig.TargetGroups[1].Weight != 999 || *l.DefaultActions[0].ForwardConfig.TargetGroupStickinessConfig.DurationSeconds != 60 {
		t.Fatalf("listener: %+v", l.DefaultActions[0].ForwardConfig)
	}

	out, err = awsCLI(t, w.url, "describe-target-health", "--target-group-arn", w.blue)
	if err != nil || !strings.Contains(out, `"State": "healthy"`) {
		t.Fatalf("%v: %s", err, out)
	}

	// Errors reach the CLI by their code; nothing changes.
	st := w.state()
	out, err = awsCLI(t, w.url, "modify-rule", "--rule-arn", w.r20+"0", "--actions", actions)
	if err == nil || !strings.Contains(out, "RuleNotFound") {
		t.Fatalf("unknown rule: %v: %s", err, out)
	}
	bad := strings.Replace(actions, `"Weight":70`, `"Weight":1000`, 1)
	out, err = awsCLI(t, w.url, "modify-rule", "--rule-arn", w.r20, "--actions", bad)
	if err == nil || !strings.Contains(out, "ValidationError") {
		t.Fatalf("weight 1000: %v: %s", err, out)
	}
	if d := cmp.Diff(st, w.state()); d != "" {
		t.Fatalf("state changed:\n%s", d)
	}
}
