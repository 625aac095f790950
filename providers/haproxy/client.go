package haproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/fbctl/fbctl/providers"
)

// DefaultTimeout bounds one command when the caller's context has no
// deadline, so that a wedged HAProxy cannot hang a run.
const DefaultTimeout = 10 * time.Second

// maxReply bounds the answer read for one command. `show servers state` of a
// backend is about 150 bytes per server.
const maxReply = 16 << 20

// Client talks to one HAProxy runtime API, one command per connection: it
// writes "COMMAND\n" and reads the answer to EOF, which is how the API
// behaves when the connection is not in interactive (prompt) mode.
//
// A Client has no state beyond its address and is safe for concurrent use.
type Client struct {
	network, address string
	// name is how errors name the API: the address as configured, or
	// providers.Redacted.
	name string
	// Timeout bounds a command when the context has no deadline;
	// DefaultTimeout when zero.
	Timeout time.Duration
}

// NewClient returns a client for a runtime API address: a unix socket path
// ("/run/haproxy/admin.sock" or "unix:/run/haproxy/admin.sock") or a TCP
// "host:port".
func NewClient(addr string) (*Client, error) {
	network, address, err := splitAddress(addr)
	if err != nil {
		return nil, err
	}
	return &Client{network: network, address: address, name: addr}, nil
}

func splitAddress(addr string) (network, address string, err error) {
	switch {
	case strings.ContainsRune(addr, 0):
		// No socket path holds a NUL; the kernel would cut it there.
	case strings.HasPrefix(addr, "unix:"):
		if p := strings.TrimPrefix(addr, "unix:"); p != "" {
			return "unix", p, nil
		}
	case strings.HasPrefix(addr, "/"):
		return "unix", addr, nil
	default:
		// A port outside 1-65535 would be refused only when dialled.
		if providers.CheckHostPort(addr) == nil {
			return "tcp", addr, nil
		}
	}
	return "", "", fmt.Errorf("runtime API address %q is neither a unix socket path (absolute, or unix:PATH) nor host:port", addr)
}

// ConnError is a failure to talk to the runtime API at all: nothing was
// read from or changed in HAProxy by the command that got it. Its Err is
// classified (providers.Classify): a refused or reset connection and
// fbctl's own time-out are Transient; the caller's context ending, a
// missing socket and a denied one are Fatal.
type ConnError struct {
	Addr string
	// Msg says what happened, for people: "connection refused".
	Msg string
	Err error
}

func (e *ConnError) Error() string { return "haproxy runtime API at " + e.Addr + ": " + e.Msg }
func (e *ConnError) Unwrap() error { return e.Err }

// CommandError is HAProxy's error answer to a command, verbatim in Reply.
// It is Fatal (providers.Classify): HAProxy answered, and gives the same
// answer to the same command.
type CommandError struct {
	Addr    string
	Command string
	Reply   string
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("haproxy runtime API at %s: %s: %s", e.Addr, e.Command, e.Reply)
}

// Command sends one command and returns the raw answer. The context's
// deadline and cancellation bound the whole exchange; an error caused by
// the context wraps ctx.Err().
func (c *Client) Command(ctx context.Context, cmd string) (reply string, err error) {
	// The API splits a line into several commands at ';' and ends one at a
	// newline: a name carrying either would smuggle in another command.
	if strings.ContainsAny(cmd, ";\r\n\x00") {
		return "", fmt.Errorf("haproxy runtime API: refusing a command with ';' or a control character: %q", cmd)
	}
	parent := ctx
	if err := parent.Err(); err != nil {
		return "", &ConnError{Addr: c.name, Msg: err.Error(), Err: providers.FatalError(err)}
	}
	timeout := time.Duration(0)
	if _, ok := ctx.Deadline(); !ok {
		timeout = c.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	connError := func(err error) error {
		// The connection's deadline is the context's: it can fire a hair
		// before the context's own timer marks the context done.
		expired := func(ctx context.Context) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if dl, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(dl) {
				return context.DeadlineExceeded
			}
			return nil
		}
		if ctxErr := expired(parent); ctxErr != nil {
			return &ConnError{Addr: c.name, Msg: ctxErr.Error(), Err: providers.FatalError(ctxErr)}
		}
		if ctxErr := expired(ctx); timeout > 0 && ctxErr != nil {
			// Our own time-out, not the caller's: a wedged or busy
			// HAProxy may answer the next time.
			return &ConnError{Addr: c.name, Msg: fmt.Sprintf("%s: no answer within %v", cmd, timeout), Err: providers.TransientError(ctxErr)}
		}
		return c.connError(err)
	}
	defer func() {
		code := "ok"
		if err != nil {
			code = providers.RequestError
		}
		providers.ObserveRequest(parent, "haproxy", commandOp(cmd), code)
	}()
	var d net.Dialer
	conn, err := d.DialContext(ctx, c.network, c.address)
	if err != nil {
		return "", connError(err)
	}
	defer conn.Close()
	dl, _ := ctx.Deadline()
	conn.SetDeadline(dl)
	// Cancellation without a deadline change: unblock reads and writes now.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return "", connError(err)
	}
	b, err := io.ReadAll(io.LimitReader(conn, maxReply+1))
	if err != nil {
		return "", connError(err)
	}
	if len(b) > maxReply {
		return "", &ConnError{Addr: c.name, Msg: fmt.Sprintf("%s: answer longer than %d bytes", cmd, maxReply)}
	}
	return string(b), nil
}

// commandOp names a command for a providers.RequestObserver by its first
// two words ("set server", "show servers", "get weight"): the commands
// fbctl sends are fixed, their arguments are not.
func commandOp(cmd string) string {
	f := strings.Fields(cmd)
	if len(f) > 2 {
		f = f[:2]
	}
	return strings.Join(f, " ")
}

// connError says in a few words what went wrong on the wire, and how
// lasting it is: a refused or reset connection and a time-out are
// Transient (HAProxy restarting or reloading, or busy); a socket path
// that does not exist or may not be opened is Fatal (the policy or the
// permissions are wrong, and waiting changes neither); anything else is
// classified by providers.Classify.
func (c *Client) connError(err error) error {
	var msg string
	class := providers.Classify(err)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		msg, class = "connection refused", providers.Transient
	case errors.Is(err, fs.ErrNotExist):
		msg, class = "no such socket (is HAProxy running with this stats socket?)", providers.Fatal
	case errors.Is(err, fs.ErrPermission):
		msg, class = "permission denied", providers.Fatal
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		msg, class = "connection reset", providers.Transient
	case errors.Is(err, os.ErrDeadlineExceeded):
		msg, class = "no answer in time", providers.Transient
	default:
		// The net package's message repeats the address; keep only the
		// cause, which is what people act on.
		msg = err.Error()
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Err != nil {
			msg = opErr.Err.Error()
		}
	}
	return &ConnError{Addr: c.name, Msg: msg, Err: &providers.ClassifiedError{Class: class, Err: err}}
}

// ServersState returns the servers of one backend, from `show servers state
// BACKEND`. An unknown backend is a *CommandError carrying HAProxy's text.
func (c *Client) ServersState(ctx context.Context, backend string) ([]ServerState, error) {
	cmd := "show servers state " + backend
	reply, err := c.Command(ctx, cmd)
	if err != nil {
		return nil, err
	}
	states, err := parseServersState(reply)
	return states, c.wrap(cmd, err)
}

// SetWeight sets one server's weight (0-256) with `set server B/S weight N`.
func (c *Client) SetWeight(ctx context.Context, backend, server string, weight int) error {
	if weight < 0 || weight > MaxWeight {
		return fmt.Errorf("haproxy: weight %d for %s/%s is outside 0-%d", weight, backend, server, MaxWeight)
	}
	cmd := fmt.Sprintf("set server %s/%s weight %d", backend, server, weight)
	reply, err := c.Command(ctx, cmd)
	if err != nil {
		return err
	}
	return c.wrap(cmd, parseEmptyReply(reply))
}

// Weight returns one server's current and initial weight, from `get weight
// B/S`.
func (c *Client) Weight(ctx context.Context, backend, server string) (current, initial int, err error) {
	cmd := fmt.Sprintf("get weight %s/%s", backend, server)
	reply, err := c.Command(ctx, cmd)
	if err != nil {
		return 0, 0, err
	}
	current, initial, err = parseWeightReply(reply)
	return current, initial, c.wrap(cmd, err)
}

// wrap turns a parse result into an error naming the API and the command;
// HAProxy's own text becomes a *CommandError.
func (c *Client) wrap(cmd string, err error) error {
	var re *ReplyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
		return &CommandError{Addr: c.name, Command: cmd, Reply: re.Reply}
	default:
		return fmt.Errorf("haproxy runtime API at %s: %w", c.name, err)
	}
}
