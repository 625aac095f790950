package libdns

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/fbctl/fbctl/providers"
)

// dialTimeoutError is the net package's error for a dial that outlived
// its Dialer.Timeout: a timeout that says it is context.DeadlineExceeded.
type dialTimeoutError struct{}

func (dialTimeoutError) Error() string        { return "i/o timeout" }
func (dialTimeoutError) Timeout() bool        { return true }
func (dialTimeoutError) Temporary() bool      { return true }
func (dialTimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// A driver's own time-out (ctx still live) and a refused connection are
// Transient, whatever the transport error looks like; once ctx is done,
// nothing is diagnosed.
func TestDiagnoseClassifiesTransport(t *testing.T) {
	ctx := t.Context()
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	dialTimeout := &net.OpError{Op: "dial", Net: "tcp", Err: dialTimeoutError{}}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		err  error
		want string
	}{
		{timeout, "the server did not answer in time"},
		{dialTimeout, "the server did not answer in time"},
		{refused, "the server is not reachable (connection refused)"},
	} {
		err := diagnoseRFC2136(ctx, "127.0.0.1:1", "fbctl-key", "example.test", c.err)
		if !strings.Contains(err.Error(), c.want) || !errors.Is(err, c.err) {
			t.Errorf("diagnose(%v) = %v, want %q", c.err, err, c.want)
		}
		if cls := providers.Classify(err); cls != providers.Transient {
			t.Errorf("diagnose(%v) is %v, want Transient", c.err, cls)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := diagnoseRFC2136(cancelled, "127.0.0.1:1", "fbctl-key", "example.test", timeout); err != timeout {
		t.Errorf("diagnose under a done context = %v, want the error unchanged", err)
	}
}
