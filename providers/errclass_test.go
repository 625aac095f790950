package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/testenv"
)

// refusedDial is the error of a real dial to a closed loopback port.
func refusedDial(t *testing.T) error {
	t.Helper()
	var d net.Dialer
	conn, err := d.DialContext(t.Context(), "tcp", testenv.ClosedAddr(t))
	if err == nil {
		conn.Close()
		t.Fatal("a dial to a closed port succeeded")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial to a closed port: %v, want ECONNREFUSED", err)
	}
	return err
}

// dialWith is the error of a real dial under ctx, which is done.
func dialWith(t *testing.T, ctx context.Context) error {
	t.Helper()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", testenv.ClosedAddr(t))
	if err == nil {
		conn.Close()
		t.Fatal("a dial under a done context succeeded")
	}
	return err
}

// peer returns both ends of a real loopback TCP connection.
func peer(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// readDeadline is the error of a real read whose deadline has passed.
func readDeadline(t *testing.T) error {
	t.Helper()
	c, _ := peer(t)
	c.SetReadDeadline(time.Unix(1, 0))
	_, err := c.Read(make([]byte, 1))
	if err == nil {
		t.Fatal("a read past its deadline succeeded")
	}
	return err
}

// resetRead is the error of a real read from a connection the peer reset.
func resetRead(t *testing.T) error {
	t.Helper()
	c, s := peer(t)
	s.SetLinger(0) // close with RST
	s.Close()
	_, err := c.Read(make([]byte, 1))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read after the peer's reset: %v, want ECONNRESET", err)
	}
	return err
}

func TestClassify(t *testing.T) {
	refused := refusedDial(t)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Unix(1, 0))
	defer cancel2()
	bad := errors.New("InvalidInput: weight out of range")

	for _, c := range []struct {
		name string
		err  error
		want ErrorClass
	}{
		{"nil", nil, Fatal},
		{"plain error", bad, Fatal},
		{"not found", fmt.Errorf("URL map lb: %w", errors.New("HTTP 404 notFound")), Fatal},

		{"marked transient", TransientError(bad), Transient},
		{"marked transient, wrapped twice", fmt.Errorf("target %q: %w", "lb", fmt.Errorf("reading: %w", TransientError(bad))), Transient},
		{"marked fatal over a transport error", FatalError(refused), Fatal},
		{"marked transient over a context error", TransientError(context.DeadlineExceeded), Transient},
		{"the outermost mark wins", fmt.Errorf("x: %w", TransientError(FatalError(bad))), Transient},
		{"a ClassifiedError by hand", &ClassifiedError{Class: Transient}, Transient},

		{"context.Canceled", context.Canceled, Fatal},
		{"context.DeadlineExceeded wrapped", fmt.Errorf("waiting: %w", context.DeadlineExceeded), Fatal},
		{"real dial, cancelled context", dialWith(t, cancelled), Fatal},
		{"real dial, expired context", dialWith(t, expired), Fatal},
		{"context error around a transport error", fmt.Errorf("%w (after: %w)", context.Canceled, refused), Fatal},

		{"real refused dial", refused, Transient},
		{"real refused dial, wrapped", fmt.Errorf("haproxy runtime API: %w", refused), Transient},
		{"real read past its deadline", readDeadline(t), Transient},
		{"real reset connection", resetRead(t), Transient},
		{"ECONNRESET in a SyscallError", os.NewSyscallError("read", syscall.ECONNRESET), Transient},
		{"ECONNABORTED", fmt.Errorf("accept: %w", syscall.ECONNABORTED), Transient},
		{"EPIPE", fmt.Errorf("write: %w", os.NewSyscallError("write", syscall.EPIPE)), Transient},
		{"ETIMEDOUT", syscall.ETIMEDOUT, Transient},
		{"other errno", os.NewSyscallError("open", syscall.EACCES), Fatal},
		{"io.ErrUnexpectedEOF", fmt.Errorf("reading the answer: %w", io.ErrUnexpectedEOF), Transient},
		{"io.EOF", io.EOF, Fatal},
		{"net.OpError", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("no route to host")}, Transient},
		{"host not found", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}}, Fatal},
		{"DNS timeout", &net.DNSError{Err: "i/o timeout", Name: "ns1", IsTimeout: true}, Transient},

		{"joined transient errors", errors.Join(TransientError(bad), refused), Transient},
		{"joined transient and fatal", errors.Join(refused, bad), Fatal},
		{"joined transient and marked fatal", errors.Join(TransientError(bad), FatalError(refused)), Fatal},
		{"joined transient and context", errors.Join(refused, context.Canceled), Fatal},
		{"joined, wrapped", fmt.Errorf("applying: %w", errors.Join(refused, TransientError(bad))), Transient},
		{"two %w, both transient", fmt.Errorf("%w (%w)", refused, io.ErrUnexpectedEOF), Transient},
		{"marked transient above a fork", TransientError(errors.Join(bad, context.Canceled)), Transient},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Classify(c.err); got != c.want {
				t.Errorf("Classify(%v) = %v, want %v", c.err, got, c.want)
			}
			if got := IsTransient(c.err); got != (c.want == Transient) {
				t.Errorf("IsTransient(%v) = %v", c.err, got)
			}
		})
	}
}

func TestClassifiedErrorIsTransparent(t *testing.T) {
	base := fmt.Errorf("urlMaps.get: HTTP 503: %w", syscall.ECONNRESET)
	err := TransientError(base)
	if err.Error() != base.Error() {
		t.Errorf("message %q, want %q", err, base)
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Error("errors.Is does not see through a ClassifiedError")
	}
	var ce *ClassifiedError
	if !errors.As(fmt.Errorf("x: %w", err), &ce) || ce.Class != Transient || ce.Err != base {
		t.Errorf("errors.As = %+v", ce)
	}
	if TransientError(nil) != nil || FatalError(nil) != nil {
		t.Error("classifying nil is not nil")
	}
}

func TestErrorClassString(t *testing.T) {
	for c, want := range map[ErrorClass]string{Fatal: "fatal", Transient: "transient", ErrorClass(7): "ErrorClass(7)"} {
		if got := c.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(c), got, want)
		}
	}
}
