package gcpsim

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/fbctl/fbctl/internal/sim/fault"
)

// TestFaults: each fault kind, as the client sees it, changes nothing.
func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		kind   fault.Kind
		status int // Options.ServerErrorStatus
		code   int
		reason string
		domain string
	}{
		{fault.RateLimitExceeded, 0, 403, "rateLimitExceeded", "usageLimits"},
		{fault.TooManyRequests, 0, 429, "rateLimitExceeded", "usageLimits"},
		{fault.ServerError, 0, 500, "backendError", "global"},
		{fault.ServerError, 503, 503, "backendError", "global"},
		{fault.PriorRequestNotComplete, 0, 400, "resourceNotReady", "global"},
	} {
		t.Run(string(tc.kind)+"/"+http.StatusText(tc.code), func(t *testing.T) {
			s, d, c := start(t, Options{ServerErrorStatus: tc.status})
			ctx := context.Background()
			s.Faults().Add(fault.Rule{Op: "urlMaps.patch", Kind: tc.kind, Nth: 1})
			m := getURLMap(t, c, s.Project(), d.URLMap)
			_, err := patchURLMap(ctx, c, s.Project(), d.URLMap, setWeights(m, 9, 9))
			g := wantAPIError(t, err, tc.code, tc.reason)
			if !strings.Contains(g.Body, `"domain": "`+tc.domain+`"`) {
				t.Fatalf("body: %s", g.Body)
			}
			if got := getURLMap(t, c, s.Project(), d.URLMap); !proto.Equal(got, m) {
				t.Fatal("a faulted PATCH changed the URL map")
			}
			// Other operations, and the next PATCH, are not affected.
			if _, err := patchURLMap(ctx, c, s.Project(), d.URLMap, setWeights(m, 9, 9)); err != nil {
				t.Fatal(err)
			}
			if n := s.Calls()["urlMaps.patch"]; n != 2 {
				t.Fatalf("calls: %v", s.Calls())
			}
		})
	}
}

// TestFaultOnGet: a 403 on a GET is not retried; a 503 is retried by the
// client (its GET retry policy covers 503 and 504).
func TestFaultOnGet(t *testing.T) {
	s, d, c := start(t, Options{ServerErrorStatus: 503})
	ctx := context.Background()
	s.Faults().Add(fault.Rule{Op: "backendServices.get", Kind: fault.RateLimitExceeded, Nth: 1})
	_, err := c.bs.Get(ctx, &computepb.GetBackendServiceRequest{Project: s.Project(), BackendService: d.CapacityService})
	wantAPIError(t, err, 403, "rateLimitExceeded")

	s.Faults().Reset()
	s.ResetCalls()
	s.Faults().Add(fault.Rule{Op: "globalOperations.get", Kind: fault.ServerError, Nth: 1})
	m := getURLMap(t, c, s.Project(), d.URLMap)
	op, err := patchURLMap(ctx, c, s.Project(), d.URLMap, setWeights(m, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Poll(ctx); err != nil {
		t.Fatalf("the client retries 503 on operations.get: %v", err)
	}
	if n := s.Calls()["globalOperations.get"]; n != 2 {
		t.Fatalf("calls: %v", s.Calls())
	}

	// getHealth is not retried.
	s.Faults().Add(fault.Rule{Op: "backendServices.getHealth", Kind: fault.TooManyRequests, Nth: 1})
	_, err = c.bs.GetHealth(ctx, &computepb.GetHealthBackendServiceRequest{Project: s.Project(), BackendService: d.CapacityService,
		ResourceGroupReferenceResource: &computepb.ResourceGroupReference{Group: proto.String(d.PrimaryGroup)}})
	wantAPIError(t, err, 429, "rateLimitExceeded")
}

func TestLatencyFault(t *testing.T) {
	s, d, c := start(t, Options{})
	const delay = 150 * time.Millisecond
	s.Faults().Add(fault.Rule{Op: "urlMaps.get", Kind: fault.Latency, Nth: 1, Delay: delay})
	s.Faults().Add(fault.Rule{Op: "urlMaps.get", Kind: fault.Latency, Nth: 2, Delay: time.Hour})
	t0 := time.Now()
	getURLMap(t, c, s.Project(), d.URLMap)
	if el := time.Since(t0); el < delay {
		t.Fatalf("answered after %v", el)
	}
	// The client gives up; the held request ends with it.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.urlMaps.Get(ctx, &computepb.GetUrlMapRequest{Project: s.Project(), UrlMap: d.URLMap})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a deadline error, got %v", err)
	}
	getURLMap(t, c, s.Project(), d.URLMap)
}
