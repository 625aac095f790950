package health

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
)

func TestTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		c, err := l.Accept()
		if err == nil {
			c.Close()
		}
	}()

	r := probe(t, newCheck(t, "tcp", map[string]cty.Value{"address": str(l.Addr().String())}, long))
	if !r.Healthy || r.Detail != "connected" || r.Latency <= 0 {
		t.Errorf("got %+v, want healthy, connected", r)
	}
	<-accepted

	closed := testenv.ClosedAddr(t)
	r = probe(t, newCheck(t, "tcp", map[string]cty.Value{"address": str(closed)}, long))
	if r.Healthy || r.Detail != "dial tcp "+closed+": connect: connection refused" {
		t.Errorf("got %+v, want a refused connection", r)
	}

	r = probe(t, newCheck(t, "tcp", map[string]cty.Value{"address": sensitive(str(closed))}, long))
	if r.Healthy || strings.Contains(r.Detail, closed) || !strings.Contains(r.Detail, "connection refused") {
		t.Errorf("got %+v, want a refused connection without the sensitive address", r)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r = newCheck(t, "tcp", map[string]cty.Value{"address": str(l.Addr().String())}, long).Probe(ctx)
	if r.Healthy || !strings.HasPrefix(r.Detail, "cancelled: ") {
		t.Errorf("got %+v, want cancelled", r)
	}
}

func TestTCPConstructorErrors(t *testing.T) {
	for _, addr := range []string{"", "localhost", "localhost:http", ":80", "localhost:0", "localhost:70000", "[::1"} {
		t.Run(addr, func(t *testing.T) {
			err := newCheckErr(t, "tcp", map[string]cty.Value{"address": str(addr)}, long)
			if !strings.Contains(err.Error(), "address") {
				t.Errorf("error %q does not name the address", err)
			}
		})
	}
	err := newCheckErr(t, "tcp", map[string]cty.Value{"address": sensitive(str("s3cr3t.example"))}, long)
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q holds the sensitive address", err)
	}
}
