package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	s3sim "github.com/fbctl/fbctl/internal/sim/s3"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/internal/state/s3store"
)

// sharedBucket is a bucket two fbctl "hosts" share, for
// stateSharedByTwoHosts.
type sharedBucket struct {
	// stateBlock is the policies' state block.
	stateBlock string
	// third is a third host's store on the same bucket.
	third state.Store
	// keys lists the bucket's objects; calls counts its requests.
	keys  func() []string
	calls func() map[string]int
	// secrets must never be printed.
	secrets []string
}

// stateSharedByTwoHosts: two fbctl "hosts" (two working directories, two
// policy files) share one bucket on a real HAProxy. The operator's shift
// on host B is seen by host A's next reconciles, which hold at 25 until B
// resumes; a third host's lock shows in A's status and refuses A's
// reconcile (exit 4); of 20 concurrent reconciles across A and B exactly
// one applies the due step; neither host keeps any state on its disk, and
// no credential is printed.
func stateSharedByTwoHosts(t *testing.T, e *e2e, b sharedBucket) {
	e.stateBlock = b.stateBlock
	e.writePolicy(`bake = "1m"
    primary_healthy_for = "1m"`, e.hap.SocketPath, "primary")
	hostA := e.policy
	src, err := os.ReadFile(hostA)
	if err != nil {
		t.Fatal(err)
	}
	hostB := filepath.Join(t.TempDir(), "fbctl.hcl")
	if err := os.WriteFile(hostB, src, 0o644); err != nil {
		t.Fatal(err)
	}
	on := func(policy string, f func(g *Global, s IO) error) (ExitCode, string) {
		t.Helper()
		e.policy = policy
		defer func() { e.policy = hostA }()
		return e.run(f)
	}
	noSecrets := func(out string) {
		t.Helper()
		for _, s := range b.secrets {
			if strings.Contains(out, s) {
				t.Fatalf("a credential was printed: %s", out)
			}
		}
	}

	e.reconcile() // host A: first evidence
	e.advance(10 * time.Second)
	code, out := on(hostB, func(g *Global, s IO) error {
		return Shift(context.Background(), s, ShiftOptions{Global: g, Name: "web", Percent: "25", Reason: "cutover"})
	})
	if code != ExitOK {
		t.Fatalf("shift on host B exited %d: %s", code, out)
	}
	noSecrets(out)
	for range 5 {
		e.advance(time.Minute)
		e.reconcile()
		if fb := e.lastJSON.Failbacks[0]; fb.Writes || fb.After.Phase != "manual" {
			t.Fatalf("host A moved host B's manual share: %+v", fb)
		}
	}
	if f := e.primaryFraction(); f < 20 || f > 30 {
		t.Fatalf("after host A's reconciles: primary at %.1f%%", f)
	}
	code, out = on(hostB, func(g *Global, s IO) error {
		return Resume(context.Background(), s, ControlOptions{Global: g, Name: "web"})
	})
	if code != ExitOK {
		t.Fatalf("resume on host B exited %d: %s", code, out)
	}
	noSecrets(out)
	// A third host's run holds the lock: host A's status names it, and
	// host A's reconcile is refused with exit 4.
	l, err := b.third.Lock(context.Background(), "web", state.LockInfo{Owner: "carol", Host: "ops3", PID: 4242, RunID: "run-c", Expires: e.clock().Add(5 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if j := e.statusWeb(); j.Lock == nil || j.Lock.RunID != "run-c" || j.Lock.Host != "ops3" || j.Lock.Stale != "" {
		t.Fatalf("host A's status: lock %+v, want host C's live lock", j.Lock)
	}
	if code, out := e.run(func(g *Global, s IO) error {
		return Reconcile(context.Background(), s, ReconcileOptions{Global: g})
	}); code != ExitLocked || !strings.Contains(out, "carol@ops3") {
		t.Fatalf("host A's reconcile while host C holds the lock exited %d: %s", code, out)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}

	// 20 reconciles at once, half on each host, when a step is due:
	// exactly one applies it; the others find the lock held (exit 4) or,
	// coming after, the step done.
	e.advance(2 * time.Minute)
	type result struct {
		code ExitCode
		doc  runsDoc
		out  string
	}
	results := make(chan result, 20)
	for i := range 20 {
		policy := []string{hostA, hostB}[i%2]
		go func() {
			var stdout, stderr bytes.Buffer
			g := &Global{Policies: []string{policy}, Output: OutputJSON, Now: e.clock,
				LookupEnv: func(string) (string, bool) { return "", false }}
			err := Reconcile(context.Background(), IO{Out: &stdout, ErrOut: &stderr}, ReconcileOptions{Global: g})
			var doc runsDoc
			_ = json.Unmarshal(stdout.Bytes(), &doc)
			results <- result{CodeOf(err), doc, stdout.String() + stderr.String() + Message(err)}
		}()
	}
	applied := 0
	for range 20 {
		r := <-results
		switch {
		case r.code == ExitLocked:
		case r.code == ExitOK && len(r.doc.Failbacks) == 1:
			if fb := r.doc.Failbacks[0]; fb.Writes {
				applied++
				if fb.Action != "shift" || fb.To == nil || *fb.To != 50 {
					t.Errorf("the applying run after host B's resume: %+v", fb)
				}
			}
		default:
			t.Errorf("a concurrent reconcile exited %d: %s", r.code, r.out)
		}
		noSecrets(r.out)
	}
	if applied != 1 {
		t.Fatalf("%d of 20 concurrent reconciles applied the step, want exactly 1", applied)
	}
	if f := e.primaryFraction(); f < 45 || f > 55 {
		t.Fatalf("after the concurrent reconciles: primary at %.1f%%", f)
	}
	for _, dir := range []string{filepath.Dir(hostA), filepath.Dir(hostB)} {
		for _, name := range []string{"state", ".fbctl"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				t.Fatalf("%s/%s exists: with state in a bucket nothing is kept on disk", dir, name)
			}
		}
	}
	keys := b.keys()
	if len(keys) == 0 || !strings.HasPrefix(keys[0], "prod/web/") {
		t.Fatalf("bucket keys = %v, want the failback's objects under prod/web/", keys)
	}
	t.Logf("bucket: %v; requests: %v", keys, b.calls())
}

// State in S3, shared by two hosts (see stateSharedByTwoHosts).
func TestS3StateSharedByTwoHosts(t *testing.T) {
	srv, url := s3Bucket(t)
	e := newE2E(t, `bake = "1m"
    primary_healthy_for = "1m"`)
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	third, err := s3store.New(s3store.Options{Client: c, Bucket: "fbctl-state", Prefix: "prod", Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	stateSharedByTwoHosts(t, e, sharedBucket{
		stateBlock: fmt.Sprintf(`state "s3" {
  bucket       = "fbctl-state"
  prefix       = "prod"
  endpoint_url = %q
}`, url),
		third:   third,
		keys:    func() []string { return srv.Keys("fbctl-state") },
		calls:   srv.Calls,
		secrets: []string{testAWSSecret, "AKIDFBCTLTEST"},
	})
}

// s3Bucket starts the S3 emulator with the bucket fbctl-state and gives
// the SDK's default chain, from the environment only, dummy keys (the
// secret is testAWSSecret), no shared files and no instance metadata. It
// returns the emulator and its URL.
func s3Bucket(t *testing.T) (*s3sim.Server, string) {
	t.Helper()
	srv := s3sim.New(s3sim.Options{Buckets: []string{"fbctl-state"}})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	empty := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDFBCTLTEST", "AWS_SECRET_ACCESS_KEY": testAWSSecret,
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	return srv, url
}

// testAWSSecret is the secret key s3Bucket sets: it must never be printed.
const testAWSSecret = "secret-never-printed"
