package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// Moto's fixed test identity. moto accepts any static credentials and
// region; these are the ones its documentation uses.
const (
	MotoAccessKeyID     = "testing"
	MotoSecretAccessKey = "testing"
	MotoRegion          = "us-east-1"
)

// Moto is a running moto_server (https://github.com/getmoto/moto, an
// independent AWS emulator in Python; the machine image ships moto 5.2.1),
// stopped when the test ends. Every server is empty when it starts: each
// test seeds what it needs through the helpers below, which talk to it with
// the real AWS SDK for Go (Route 53, ELBv2) and the AWS CLI (EC2).
type Moto struct {
	// URL is http://127.0.0.1:PORT, the endpoint_url of every service.
	URL string

	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}

	netMu sync.Mutex
	net   *MotoNetwork
}

// motoStartTimeout bounds the wait for moto_server to answer: Python and
// Flask take a second or two to start, more on a loaded machine.
const motoStartTimeout = 60 * time.Second

// StartMoto runs `moto_server -H 127.0.0.1 -p PORT` on a free port, waits
// (polling, with a deadline) until it answers HTTP, and stops it when the
// test ends. A missing moto_server fails the test with the command that
// installs it; it never skips.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatal("moto_server is not installed (not on PATH): run `make deps`, or " +
			"pip install 'moto[server]==5.2.1'; a missing emulator is a failure, not a skip")
		return nil
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		m, err := startMoto(t, bin)
		if err == nil {
			return m
		}
		lastErr = err
		if !errors.Is(err, errBind) {
			break
		}
	}
	t.Fatalf("starting moto_server: %v", lastErr)
	return nil
}

func startMoto(t testing.TB, bin string) (*Moto, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	m := &Moto{
		URL:  fmt.Sprintf("http://127.0.0.1:%d", port),
		out:  &syncBuffer{},
		done: make(chan struct{}),
	}
	m.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	m.cmd.Dir = t.TempDir()
	m.cmd.Env = append(os.Environ(), m.Env()...)
	m.cmd.Stdout = m.out
	m.cmd.Stderr = m.out
	// Its own process group: the pyenv shim and Python are stopped
	// together, by this process's id.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := m.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		m.cmd.Wait()
		close(m.done)
	}()
	if err := m.waitReady(); err != nil {
		m.stop()
		out := m.out.String()
		if strings.Contains(out, "Address already in use") {
			return nil, fmt.Errorf("%w: %v\n%s", errBind, err, out)
		}
		return nil, fmt.Errorf("%v\nmoto_server output:\n%s", err, out)
	}
	t.Cleanup(func() {
		m.stop()
		if t.Failed() {
			t.Logf("moto_server output (last 4 KiB):\n%s", tail(m.out.String(), 4096))
		}
	})
	return m, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// waitReady polls until moto answers any HTTP request, moto exits, or
// motoStartTimeout passes.
func (m *Moto) waitReady() error {
	client := &http.Client{Timeout: 2 * time.Second}
	return waitReady("moto_server", m.cmd, m.done, motoStartTimeout, 20*time.Millisecond, nil, func() error {
		resp, err := client.Get(m.URL + "/moto-api/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
}

func (m *Moto) stop() {
	select {
	case <-m.done:
		return
	default:
	}
	pgid := m.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-m.done
	}
}

// Stop stops moto_server now and waits for it to exit; the cleanup at the
// end of the test then has nothing left to do.
func (m *Moto) Stop() { m.stop() }

// Output returns what moto_server has written so far (its request log).
func (m *Moto) Output() string { return m.out.String() }

// Env is the environment for an AWS client talking to this server: moto's
// static credentials and region, no shared config files, no instance
// metadata lookups, no pager. The endpoint is not in it: pass URL.
func (m *Moto) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + MotoAccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + MotoSecretAccessKey,
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=" + MotoRegion,
		"AWS_DEFAULT_REGION=" + MotoRegion,
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	}
}

// Config is an SDK configuration for this server with static credentials,
// independent of the environment.
func (m *Moto) Config() aws.Config {
	return aws.Config{
		Region:       MotoRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(MotoAccessKeyID, MotoSecretAccessKey, ""),
		BaseEndpoint: aws.String(m.URL),
		// Seeding must not hide a fault: no retries.
		RetryMaxAttempts: 1,
	}
}

// Route53 returns a Route 53 client for this server.
func (m *Moto) Route53() *route53.Client { return route53.NewFromConfig(m.Config()) }

// ELBv2 returns an ELBv2 client for this server.
func (m *Moto) ELBv2() *elbv2.Client { return elbv2.NewFromConfig(m.Config()) }

func motoCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// CLI runs the AWS CLI against this server (`aws --endpoint-url URL
// --region us-east-1 --output json ARGS...`) and returns its standard
// output; a failure fails the test. A missing aws command fails the test
// with a hint.
func (m *Moto) CLI(t testing.TB, args ...string) []byte {
	t.Helper()
	bin := AWSCLI(t)
	full := append([]string{"--endpoint-url", m.URL, "--region", MotoRegion, "--output", "json"}, args...)
	cmd := exec.Command(bin, full...)
	cmd.Env = append(os.Environ(), m.Env()...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// cliJSON runs the AWS CLI and decodes its JSON output into v.
func (m *Moto) cliJSON(t testing.TB, v any, args ...string) {
	t.Helper()
	out := m.CLI(t, args...)
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("aws %s: decoding %q: %v", strings.Join(args, " "), out, err)
	}
}

// ---- Route 53 ----

// CreateHostedZone creates a public hosted zone and returns its ID without
// the "/hostedzone/" prefix.
func (m *Moto) CreateHostedZone(t testing.TB, name string) string {
	t.Helper()
	out, err := m.Route53().CreateHostedZone(motoCtx(t), &route53.CreateHostedZoneInput{
		Name:            aws.String(name),
		CallerReference: aws.String(fmt.Sprintf("fbctl-%s-%d", name, time.Now().UnixNano())),
	})
	if err != nil {
		t.Fatalf("CreateHostedZone %s: %v", name, err)
	}
	return strings.TrimPrefix(aws.ToString(out.HostedZone.Id), "/hostedzone/")
}

// ChangeRecordSets applies one change batch of the given action to the
// zone, and fails the test unless moto accepts it.
func (m *Moto) ChangeRecordSets(t testing.TB, zoneID string, action r53types.ChangeAction, sets ...r53types.ResourceRecordSet) {
	t.Helper()
	var changes []r53types.Change
	for i := range sets {
		changes = append(changes, r53types.Change{Action: action, ResourceRecordSet: &sets[i]})
	}
	_, err := m.Route53().ChangeResourceRecordSets(motoCtx(t), &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(zoneID),
		ChangeBatch:  &r53types.ChangeBatch{Changes: changes},
	})
	if err != nil {
		t.Fatalf("ChangeResourceRecordSets %s in zone %s: %v", action, zoneID, err)
	}
}

// UpsertRecordSets creates or replaces record sets in one batch.
func (m *Moto) UpsertRecordSets(t testing.TB, zoneID string, sets ...r53types.ResourceRecordSet) {
	t.Helper()
	m.ChangeRecordSets(t, zoneID, r53types.ChangeActionUpsert, sets...)
}

// WeightedA returns a weighted A record set with one value and TTL 60.
func WeightedA(name, setID string, weight int64, ip string) r53types.ResourceRecordSet {
	return r53types.ResourceRecordSet{
		Name:            aws.String(name),
		Type:            r53types.RRTypeA,
		SetIdentifier:   aws.String(setID),
		Weight:          aws.Int64(weight),
		TTL:             aws.Int64(60),
		ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(ip)}},
	}
}

// RecordSets returns every record set of the zone, walking every page.
func (m *Moto) RecordSets(t testing.TB, zoneID string) []r53types.ResourceRecordSet {
	t.Helper()
	client := m.Route53()
	in := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)}
	var all []r53types.ResourceRecordSet
	for {
		out, err := client.ListResourceRecordSets(motoCtx(t), in)
		if err != nil {
			t.Fatalf("ListResourceRecordSets %s: %v", zoneID, err)
		}
		all = append(all, out.ResourceRecordSets...)
		if !out.IsTruncated {
			return all
		}
		in = &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID),
			StartRecordName: out.NextRecordName, StartRecordType: out.NextRecordType, StartRecordIdentifier: out.NextRecordIdentifier}
	}
}

// CreateHealthCheck creates an HTTP health check of ip:port/path and
// returns its ID. (moto reports every health check as healthy: one
// checker, "Success: HTTP Status Code: 200...".)
func (m *Moto) CreateHealthCheck(t testing.TB, ip string, port int32, path string) string {
	t.Helper()
	out, err := m.Route53().CreateHealthCheck(motoCtx(t), &route53.CreateHealthCheckInput{
		CallerReference: aws.String(fmt.Sprintf("fbctl-hc-%d", time.Now().UnixNano())),
		HealthCheckConfig: &r53types.HealthCheckConfig{
			Type:         r53types.HealthCheckTypeHttp,
			IPAddress:    aws.String(ip),
			Port:         aws.Int32(port),
			ResourcePath: aws.String(path),
		},
	})
	if err != nil {
		t.Fatalf("CreateHealthCheck: %v", err)
	}
	return aws.ToString(out.HealthCheck.Id)
}

// ---- EC2 (through the AWS CLI) and ELBv2 ----

// MotoNetwork is a VPC with two subnets in two availability zones, which
// moto's ELBv2 requires for an application load balancer.
type MotoNetwork struct {
	VPCID     string
	SubnetIDs []string
}

// Network returns the server's VPC and subnets, creating them with the AWS
// CLI the first time (three `aws ec2` calls: create-vpc and two
// create-subnet, 10.0.0.0/16 with 10.0.1.0/24 in us-east-1a and
// 10.0.2.0/24 in us-east-1b).
func (m *Moto) Network(t testing.TB) MotoNetwork {
	t.Helper()
	m.netMu.Lock()
	defer m.netMu.Unlock()
	if m.net != nil {
		return *m.net
	}
	var vpc struct{ Vpc struct{ VpcId string } }
	m.cliJSON(t, &vpc, "ec2", "create-vpc", "--cidr-block", "10.0.0.0/16")
	n := &MotoNetwork{VPCID: vpc.Vpc.VpcId}
	for i, az := range []string{"us-east-1a", "us-east-1b"} {
		var sub struct{ Subnet struct{ SubnetId string } }
		m.cliJSON(t, &sub, "ec2", "create-subnet", "--vpc-id", n.VPCID,
			"--cidr-block", fmt.Sprintf("10.0.%d.0/24", i+1), "--availability-zone", az)
		n.SubnetIDs = append(n.SubnetIDs, sub.Subnet.SubnetId)
	}
	m.net = n
	return *n
}

// RunInstances starts n EC2 instances in the network's first subnet with
// the AWS CLI and returns their IDs. moto reports a registered running
// instance as a "healthy" target.
func (m *Moto) RunInstances(t testing.TB, n int) []string {
	t.Helper()
	net := m.Network(t)
	var out struct{ Instances []struct{ InstanceId string } }
	// ami-12c6146b is one of the images moto ships.
	m.cliJSON(t, &out, "ec2", "run-instances", "--image-id", "ami-12c6146b", "--count", fmt.Sprint(n),
		"--instance-type", "t2.micro", "--subnet-id", net.SubnetIDs[0])
	var ids []string
	for _, i := range out.Instances {
		ids = append(ids, i.InstanceId)
	}
	return ids
}

// StopInstances stops EC2 instances with the AWS CLI. moto then reports
// them as "unused" targets (reason Target.InvalidState).
func (m *Moto) StopInstances(t testing.TB, ids ...string) {
	t.Helper()
	m.CLI(t, append([]string{"ec2", "stop-instances", "--instance-ids"}, ids...)...)
}

// RegisterTargets registers instance or IP targets in a target group.
func (m *Moto) RegisterTargets(t testing.TB, targetGroupARN string, ids ...string) {
	t.Helper()
	var targets []elbtypes.TargetDescription
	for _, id := range ids {
		targets = append(targets, elbtypes.TargetDescription{Id: aws.String(id), Port: aws.Int32(80)})
	}
	if _, err := m.ELBv2().RegisterTargets(motoCtx(t), &elbv2.RegisterTargetsInput{
		TargetGroupArn: aws.String(targetGroupARN), Targets: targets,
	}); err != nil {
		t.Fatalf("RegisterTargets: %v", err)
	}
}

// ALBSpec describes the application load balancer CreateALB makes.
type ALBSpec struct {
	// Name of the load balancer (unique per server); the target groups
	// are named NAME-GROUP.
	Name string
	// TargetGroups are the short names of the HTTP target groups to
	// create; ["primary", "secondary"] when empty.
	TargetGroups []string
	// DefaultActions builds the listener's default actions from the target
	// group ARNs by short name; nil forwards to the first two groups with
	// weights 1 and 1.
	DefaultActions func(tg map[string]string) []elbtypes.Action
	// Rules are created on the listener in order.
	Rules []ALBRuleSpec
}

// ALBRuleSpec is one listener rule.
type ALBRuleSpec struct {
	Priority   int32
	Conditions []elbtypes.RuleCondition
	Actions    func(tg map[string]string) []elbtypes.Action
}

// MotoALB is what CreateALB made.
type MotoALB struct {
	LoadBalancerARN string
	ListenerARN     string
	// TargetGroups maps a short name of ALBSpec.TargetGroups to its ARN.
	TargetGroups map[string]string
	// RuleARNs are the ARNs of ALBSpec.Rules, in order.
	RuleARNs []string
}

// Forward is a forward action to weighted target groups, ARNs and weights
// alternating: Forward(a, 1, b, 0). Stickiness is left out.
func Forward(arnWeights ...any) elbtypes.Action {
	var groups []elbtypes.TargetGroupTuple
	for i := 0; i+1 < len(arnWeights); i += 2 {
		groups = append(groups, elbtypes.TargetGroupTuple{
			TargetGroupArn: aws.String(arnWeights[i].(string)),
			Weight:         aws.Int32(int32(arnWeights[i+1].(int))),
		})
	}
	return elbtypes.Action{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: groups}}
}

// CreateALB creates, through the SDK's ELBv2 client, an internet-facing
// application load balancer in the server's network, its target groups,
// one HTTP listener on port 80 and the rules of spec.
func (m *Moto) CreateALB(t testing.TB, spec ALBSpec) *MotoALB {
	t.Helper()
	if spec.Name == "" {
		spec.Name = "fbctl"
	}
	if len(spec.TargetGroups) == 0 {
		spec.TargetGroups = []string{"primary", "secondary"}
	}
	net := m.Network(t)
	ctx := motoCtx(t)
	c := m.ELBv2()
	lb, err := c.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{
		Name:    aws.String(spec.Name),
		Subnets: net.SubnetIDs,
		Type:    elbtypes.LoadBalancerTypeEnumApplication,
	})
	if err != nil {
		t.Fatalf("CreateLoadBalancer %s: %v", spec.Name, err)
	}
	alb := &MotoALB{LoadBalancerARN: aws.ToString(lb.LoadBalancers[0].LoadBalancerArn), TargetGroups: map[string]string{}}
	for _, g := range spec.TargetGroups {
		out, err := c.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{
			Name:     aws.String(spec.Name + "-" + g),
			Protocol: elbtypes.ProtocolEnumHttp,
			Port:     aws.Int32(80),
			VpcId:    aws.String(net.VPCID),
		})
		if err != nil {
			t.Fatalf("CreateTargetGroup %s-%s: %v", spec.Name, g, err)
		}
		alb.TargetGroups[g] = aws.ToString(out.TargetGroups[0].TargetGroupArn)
	}
	var defaults []elbtypes.Action
	if spec.DefaultActions != nil {
		defaults = spec.DefaultActions(alb.TargetGroups)
	} else {
		if len(spec.TargetGroups) < 2 {
			t.Fatal("CreateALB: the default actions need two target groups, or set DefaultActions")
		}
		defaults = []elbtypes.Action{Forward(alb.TargetGroups[spec.TargetGroups[0]], 1, alb.TargetGroups[spec.TargetGroups[1]], 1)}
	}
	l, err := c.CreateListener(ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: aws.String(alb.LoadBalancerARN),
		Protocol:        elbtypes.ProtocolEnumHttp,
		Port:            aws.Int32(80),
		DefaultActions:  defaults,
	})
	if err != nil {
		t.Fatalf("CreateListener: %v", err)
	}
	alb.ListenerARN = aws.ToString(l.Listeners[0].ListenerArn)
	for _, r := range spec.Rules {
		out, err := c.CreateRule(ctx, &elbv2.CreateRuleInput{
			ListenerArn: aws.String(alb.ListenerARN),
			Priority:    aws.Int32(r.Priority),
			Conditions:  r.Conditions,
			Actions:     r.Actions(alb.TargetGroups),
		})
		if err != nil {
			t.Fatalf("CreateRule priority %d: %v", r.Priority, err)
		}
		alb.RuleARNs = append(alb.RuleARNs, aws.ToString(out.Rules[0].RuleArn))
	}
	return alb
}

// Listener returns the listener as DescribeListeners reports it.
func (m *Moto) Listener(t testing.TB, arn string) elbtypes.Listener {
	t.Helper()
	out, err := m.ELBv2().DescribeListeners(motoCtx(t), &elbv2.DescribeListenersInput{ListenerArns: []string{arn}})
	if err != nil || len(out.Listeners) != 1 {
		t.Fatalf("DescribeListeners %s: %v", arn, err)
	}
	return out.Listeners[0]
}

// Rules returns every rule of a listener (the default rule included) as
// DescribeRules reports them.
func (m *Moto) Rules(t testing.TB, listenerARN string) []elbtypes.Rule {
	t.Helper()
	out, err := m.ELBv2().DescribeRules(motoCtx(t), &elbv2.DescribeRulesInput{ListenerArn: aws.String(listenerARN)})
	if err != nil {
		t.Fatalf("DescribeRules %s: %v", listenerARN, err)
	}
	return out.Rules
}

// AWSCLI returns the path of the AWS CLI, an independent client the
// emulators are checked with: on PATH, or beside moto in the machine
// image's pyenv. A missing client fails the test: it must not turn the
// suite green.
func AWSCLI(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("aws"); err == nil {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".pyenv", "shims", "aws")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("the AWS CLI is missing: install it (pip install awscli, or Debian's awscli) and run make test; a missing tool is a failure, not a skip")
	return ""
}

// Gcloud finds the Google Cloud CLI (shipped on the machine image): the
// independent client of the GCS and Compute emulators' checks. A missing
// one fails the test, as every missing tool does.
func Gcloud(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("gcloud")
	if err != nil {
		t.Fatal("gcloud is missing: install the Google Cloud SDK (Debian's google-cloud-cli) and run make test; a missing tool is a failure, not a skip")
	}
	return p
}
