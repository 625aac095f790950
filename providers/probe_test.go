package providers_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fbctl/fbctl/providers"
)

func TestFinishProbe(t *testing.T) {
	red := &providers.Redactor{}
	red.Add("s3cret-host")
	probe := func(panics bool) (res providers.Result) {
		defer providers.FinishProbe(red, time.Now().Add(-time.Second), &res)
		if panics {
			panic("s3cret-host is down")
		}
		return providers.Result{Healthy: true, Detail: "200 from s3cret-host"}
	}
	if res := probe(false); !res.Healthy || res.Detail != "200 from (sensitive value)" || res.Latency < time.Second {
		t.Errorf("Probe = %+v", res)
	}
	if res := probe(true); res.Healthy || res.Detail != "internal error: (sensitive value) is down" || res.Latency < time.Second {
		t.Errorf("panicking Probe = %+v", res)
	}
}

func TestProbeFailure(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	for _, tc := range []struct {
		ctx  context.Context
		err  error
		want string
	}{
		{context.Background(), errors.New("HTTP 500"), "pool: HTTP 500"},
		{context.Background(), fmt.Errorf("get: %w", context.DeadlineExceeded), "pool: timeout after 5s"},
		{expired, errors.New("dial: i/o timeout"), "pool: timeout after 5s"},
		{context.Background(), fmt.Errorf("get: %w", context.Canceled), "pool: cancelled"},
	} {
		if got := providers.ProbeFailure(tc.ctx, 5*time.Second, "pool", tc.err); got != tc.want {
			t.Errorf("ProbeFailure(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
