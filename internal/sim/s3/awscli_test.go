package s3sim

import (
	"encoding/json"
	"fmt"
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

// runCLI runs the CLI against url with dummy credentials and nothing from
// the environment's AWS configuration: no real endpoint is ever reached.
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
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
	// Path-style addressing, as fbctl uses with an endpoint_url.
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[default]\ns3 =\n  addressing_style = path\n"), 0o600); err != nil {
		return nil, nil, err
	}
	var out, all strings.Builder
	cmd.Stdout = io.MultiWriter(&out, &all)
	cmd.Stderr = &all
	err = cmd.Run()
	return []byte(out.String()), []byte(all.String()), err
}

// TestAWSCLI: an independent client (botocore, not the Go SDK) sees the
// documented precondition semantics: create-only puts, puts and deletes
// conditional on the ETag, ETags on reads, and paginated listings.
func TestAWSCLI(t *testing.T) {
	cli := awsCLI(t)
	srv := New(Options{})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	body := filepath.Join(dir, "body")
	run := func(args ...string) []byte {
		t.Helper()
		out, combined, err := runCLI(cli, dir, url, args...)
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, combined)
		}
		return out
	}
	fails := func(want string, args ...string) {
		t.Helper()
		_, combined, err := runCLI(cli, dir, url, args...)
		if err == nil || !strings.Contains(string(combined), want) {
			t.Fatalf("aws %s: err %v, output %s; want a failure with %s", strings.Join(args, " "), err, combined, want)
		}
	}
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(body, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var put struct{ ETag string }

	run("s3api", "create-bucket", "--bucket", "state")
	run("s3api", "head-bucket", "--bucket", "state")

	write("v1")
	must(t, json.Unmarshal(run("s3api", "put-object", "--bucket", "state", "--key", "fb/lock.json", "--body", body, "--if-none-match", "*"), &put))
	v1 := put.ETag
	if v1 != `"6654c734ccab8f440ff0825eb443dc7f"` { // md5("v1")
		t.Fatalf("ETag = %s, want the quoted MD5 of the body", v1)
	}
	write("v2")
	fails("PreconditionFailed", "s3api", "put-object", "--bucket", "state", "--key", "fb/lock.json", "--body", body, "--if-none-match", "*")
	fails("PreconditionFailed", "s3api", "put-object", "--bucket", "state", "--key", "fb/lock.json", "--body", body, "--if-match", `"0123"`)
	fails("NoSuchKey", "s3api", "put-object", "--bucket", "state", "--key", "fb/none.json", "--body", body, "--if-match", v1)
	must(t, json.Unmarshal(run("s3api", "put-object", "--bucket", "state", "--key", "fb/lock.json", "--body", body, "--if-match", v1), &put))
	v2 := put.ETag

	var head struct {
		ETag          string
		ContentLength int
	}
	must(t, json.Unmarshal(run("s3api", "head-object", "--bucket", "state", "--key", "fb/lock.json"), &head))
	if head.ETag != v2 || head.ContentLength != 2 {
		t.Fatalf("head-object = %+v, want ETag %s, 2 bytes", head, v2)
	}
	out := filepath.Join(dir, "out")
	var get struct{ ETag string }
	must(t, json.Unmarshal(run("s3api", "get-object", "--bucket", "state", "--key", "fb/lock.json", out), &get))
	if data, _ := os.ReadFile(out); string(data) != "v2" || get.ETag != v2 {
		t.Fatalf("get-object = %q, ETag %s; want v2, %s", data, get.ETag, v2)
	}

	fails("PreconditionFailed", "s3api", "delete-object", "--bucket", "state", "--key", "fb/lock.json", "--if-match", v1)
	run("s3api", "delete-object", "--bucket", "state", "--key", "fb/lock.json", "--if-match", v2)
	fails("NoSuchKey", "s3api", "delete-object", "--bucket", "state", "--key", "fb/lock.json", "--if-match", v2)
	if keys := srv.Keys("state"); len(keys) != 0 {
		t.Fatalf("keys after delete = %v", keys)
	}

	// Listing: 5 keys under fb/, one under fb2/, in pages of 2; the CLI
	// follows the continuation tokens.
	for i := range 5 {
		srv.PutRaw("state", fmt.Sprintf("fb/history/%020d.json", i+1), []byte("{}"))
	}
	srv.PutRaw("state", "fb2/state.json", []byte("{}"))
	var listed struct {
		Contents []struct {
			Key  string
			Size int
		}
	}
	must(t, json.Unmarshal(run("s3api", "list-objects-v2", "--bucket", "state", "--prefix", "fb/", "--page-size", "2"), &listed))
	if len(listed.Contents) != 5 || listed.Contents[0].Key != "fb/history/00000000000000000001.json" || listed.Contents[4].Size != 2 {
		t.Fatalf("list-objects-v2 = %+v", listed)
	}
	if n := srv.Calls()[OpListObjectsV2]; n != 3 {
		t.Fatalf("ListObjectsV2 calls = %d, want 3 pages of at most 2", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
