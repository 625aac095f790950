package route53sim

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"
)

// clock is a manual clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// start serves srv on loopback for the test and returns its URL.
func start(t *testing.T, srv *Server) string {
	t.Helper()
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return url
}

// client is the real SDK client pointed at url. Without retry it uses
// aws.NopRetryer, so each SDK call is exactly one request.
func client(url string, retry bool) *route53.Client {
	return route53.New(route53.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	}, func(o *route53.Options) {
		if !retry {
			o.Retryer = aws.NopRetryer{}
		}
	})
}

// setup returns a started server with zone example.com and the baseline
// sets of the validation tests, and a client without retries.
func setup(t *testing.T, opts Options) (*Server, *route53.Client, string) {
	t.Helper()
	srv, url, zoneID := setupURL(t, opts)
	return srv, client(url, false), zoneID
}

// setupURL is setup returning the server's URL instead of a client.
func setupURL(t *testing.T, opts Options) (*Server, string, string) {
	t.Helper()
	srv := New(opts)
	zoneID := srv.AddZone("example.com", false)
	srv.AddHealthCheck("hc-blue", Checkers(16, 0))
	must(t, srv.PutRecordSet(zoneID, RecordSet{Name: "app.example.com", Type: "A", SetIdentifier: "blue",
		Weight: aws.Int64(200), TTL: aws.Int64(60), ResourceRecords: []string{"192.0.2.1"}, HealthCheckId: "hc-blue"}))
	must(t, srv.PutRecordSet(zoneID, RecordSet{Name: "app.example.com", Type: "A", SetIdentifier: "green",
		Weight: aws.Int64(55), TTL: aws.Int64(60), ResourceRecords: []string{"192.0.2.2"}}))
	must(t, srv.PutRecordSet(zoneID, RecordSet{Name: "www.example.com", Type: "A", TTL: aws.Int64(300),
		ResourceRecords: []string{"192.0.2.10", "192.0.2.11"}}))
	return srv, start(t, srv), zoneID
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// weighted is an SDK weighted A set.
func weighted(name, id string, weight, ttl int64, values ...string) *types.ResourceRecordSet {
	rs := &types.ResourceRecordSet{Name: aws.String(name), Type: types.RRTypeA, SetIdentifier: aws.String(id),
		Weight: aws.Int64(weight), TTL: aws.Int64(ttl)}
	for _, v := range values {
		rs.ResourceRecords = append(rs.ResourceRecords, types.ResourceRecord{Value: aws.String(v)})
	}
	return rs
}

func simple(name string, typ types.RRType, ttl int64, values ...string) *types.ResourceRecordSet {
	rs := &types.ResourceRecordSet{Name: aws.String(name), Type: typ, TTL: aws.Int64(ttl)}
	for _, v := range values {
		rs.ResourceRecords = append(rs.ResourceRecords, types.ResourceRecord{Value: aws.String(v)})
	}
	return rs
}

func chg(action types.ChangeAction, rs *types.ResourceRecordSet) types.Change {
	return types.Change{Action: action, ResourceRecordSet: rs}
}

func changeRRS(ctx context.Context, c *route53.Client, zoneID string, changes ...types.Change) (*route53.ChangeResourceRecordSetsOutput, error) {
	return c.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(zoneID),
		ChangeBatch:  &types.ChangeBatch{Changes: changes},
	})
}

// listAll lists a zone through the SDK's paginator.
func listAll(t *testing.T, c *route53.Client, zoneID string, limit int32) ([]types.ResourceRecordSet, int) {
	t.Helper()
	p := route53.NewListResourceRecordSetsPaginator(c, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)},
		func(o *route53.ListResourceRecordSetsPaginatorOptions) { o.Limit = limit })
	var out []types.ResourceRecordSet
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		out = append(out, page.ResourceRecordSets...)
	}
	return out, pages
}

// errorAs reports whether err holds a T.
func errorAs[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// httpStatus is the HTTP status of an SDK error, 0 when there is none.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func requestID(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.ServiceRequestID()
	}
	return ""
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
