package route53sim

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fbctl/fbctl/internal/testenv"
)

// awsCLI finds the AWS CLI (testenv.AWSCLI): a missing one fails the test.
func awsCLI(t *testing.T) string { return testenv.AWSCLI(t) }

// TestAWSCLI: an independent client, botocore rather than the Go SDK,
// lists and changes records against the emulator.
func TestAWSCLI(t *testing.T) {
	cli := awsCLI(t)
	srv, url, zoneID := setupURL(t, Options{})
	dir := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		out, combined, err := runCLI(cli, dir, url, args...)
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, combined)
		}
		return out
	}

	var zones struct {
		HostedZones []struct{ Id, Name string }
	}
	must(t, json.Unmarshal(run("route53", "list-hosted-zones-by-name", "--dns-name", "example.com"), &zones))
	if len(zones.HostedZones) != 1 || zones.HostedZones[0].Id != "/hostedzone/"+zoneID {
		t.Fatalf("zones = %+v", zones)
	}

	batch := `{"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {"Name": "app.example.com", "Type": "A",
	  "SetIdentifier": "green", "Weight": 0, "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}]}}]}`
	var changed struct{ ChangeInfo struct{ Id, Status string } }
	must(t, json.Unmarshal(run("route53", "change-resource-record-sets", "--hosted-zone-id", zoneID, "--change-batch", batch), &changed))
	if changed.ChangeInfo.Status != "PENDING" || greenWeight(srv, zoneID) != 0 {
		t.Fatalf("change = %+v, green weight %d", changed, greenWeight(srv, zoneID))
	}
	// GetChange: PENDING once, then INSYNC (the CLI's waiter would sleep 30 s).
	for _, want := range []string{"PENDING", "INSYNC"} {
		var got struct{ ChangeInfo struct{ Status string } }
		must(t, json.Unmarshal(run("route53", "get-change", "--id", changed.ChangeInfo.Id), &got))
		if got.ChangeInfo.Status != want {
			t.Fatalf("get-change = %s, want %s", got.ChangeInfo.Status, want)
		}
	}

	var sets struct {
		ResourceRecordSets []struct {
			Name, Type, SetIdentifier string
			Weight                    *int64
		}
	}
	must(t, json.Unmarshal(run("route53", "list-resource-record-sets", "--hosted-zone-id", zoneID, "--page-size", "2"), &sets))
	if len(sets.ResourceRecordSets) != 5 { // NS, SOA, blue, green, www: the CLI follows the pages
		t.Fatalf("sets = %+v", sets)
	}
	g := sets.ResourceRecordSets[3]
	if g.SetIdentifier != "green" || g.Weight == nil || *g.Weight != 0 {
		t.Fatalf("green = %+v", g)
	}

	// botocore reads both error forms.
	for _, tc := range []struct{ from, to, code string }{
		{`"Weight": 0`, `"Weight": 256`, "InvalidInput"},
		{`"UPSERT"`, `"CREATE"`, "InvalidChangeBatch"},
	} {
		_, out, err := runCLI(cli, dir, url, "route53", "change-resource-record-sets", "--hosted-zone-id", zoneID,
			"--change-batch", strings.Replace(batch, tc.from, tc.to, 1))
		if err == nil || !strings.Contains(string(out), "("+tc.code+")") {
			t.Fatalf("%s through the CLI: %v\n%s", tc.to, err, out)
		}
	}
}

// runCLI runs the AWS CLI against url with static credentials and no
// configuration from the environment; it returns stdout and stdout+stderr.
func runCLI(cli, dir, url string, args ...string) (stdout, combined []byte, err error) {
	cmd := exec.Command(cli, append(args, "--endpoint-url", url, "--output", "json")...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=SECRET", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")

	var out, all strings.Builder
	cmd.Stdout = io.MultiWriter(&out, &all)
	cmd.Stderr = &all
	err = cmd.Run()
	return []byte(out.String()), []byte(all.String()), err
}
