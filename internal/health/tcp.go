package health

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/fbctl/fbctl/providers"
)

// tcpCheck is the tcp check kind: healthy when a connection opens.
type tcpCheck struct {
	address string
	timeout time.Duration
	red     *providers.Redactor
}

// newTCPCheck is the tcp kind's CheckFactory.
func newTCPCheck(cfg providers.Config) (providers.Check, error) {
	a, err := readAttrs("tcp", cfg)
	if err != nil {
		return nil, err
	}
	addr, err := a.requireStr("address")
	if err == nil {
		err = checkHostPort("address", addr)
	}
	if err != nil {
		return nil, a.wrap(cfg.Name, err)
	}
	if a.marked["address"] {
		a.red.AddHostPort(addr)
	}
	return &tcpCheck{address: addr, timeout: cfg.Timeout, red: a.red}, nil
}

// checkHostPort validates a host:port attribute with a numeric port.
func checkHostPort(attr, hp string) error {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return fmt.Errorf("%s must be host:port: %v", attr, err)
	}
	if host == "" {
		return fmt.Errorf("%s must be host:port with a host", attr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%s: port must be a number between 1 and 65535", attr)
	}
	return nil
}

// Probe opens one TCP connection and closes it.
func (c *tcpCheck) Probe(ctx context.Context) (res providers.Result) {
	start := time.Now()
	defer finishProbe(c.red, start, &res)

	pctx, cancel := probeContext(ctx, c.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(pctx, "tcp", c.address)
	lat := time.Since(start)
	if err != nil {
		return providers.Result{Healthy: false, Detail: failure(ctx, pctx, c.timeout, err), Latency: lat}
	}
	_ = conn.Close()
	return providers.Result{Healthy: true, Detail: "connected", Latency: lat}
}
