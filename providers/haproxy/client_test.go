package haproxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// fakeAPI is a wire-level stand-in for the runtime API of one backend: it
// answers `show servers state B` and `set server B/S weight N` the way
// HAProxy 2.6 does, and records every command. The real HAProxy is used
// everywhere else; this one lets tests see the commands on the wire.
type fakeAPI struct {
	addr string
	mu   sync.Mutex
	be   string
	w    map[string]int
	cmds []string
	// zeroSeen is set if every server's weight was 0 at some point.
	zeroSeen bool
}

func startFakeAPI(t *testing.T, backend string, weights map[string]int) *fakeAPI {
	t.Helper()
	f := &fakeAPI{addr: filepath.Join(t.TempDir(), "api.sock"), be: backend, w: weights}
	ln, err := net.Listen("unix", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeAPI) serve(c net.Conn) {
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	fmt.Fprint(c, f.answer(strings.TrimSuffix(line, "\n")))
}

func (f *fakeAPI) answer(cmd string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cmds = append(f.cmds, cmd)
	var be, srv string
	var n int
	switch {
	case strings.HasPrefix(cmd, "show servers state "):
		if strings.TrimPrefix(cmd, "show servers state ") != f.be {
			return "Can't find backend.\n\n"
		}
		var names []string
		for s := range f.w {
			names = append(names, s)
		}
		sort.Strings(names)
		var b strings.Builder
		b.WriteString("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change\n")
		for i, s := range names {
			fmt.Fprintf(&b, "3 %s %d %s 127.0.0.1 2 0 %d 1 5\n", f.be, i+1, s, f.w[s])
		}
		return b.String() + "\n"
	case scan(cmd, "set server %s weight %d", &srv, &n):
		be, srv, _ = strings.Cut(srv, "/")
		if be != f.be {
			return "No such backend.\n\n"
		}
		if _, ok := f.w[srv]; !ok {
			return "No such server.\n\n"
		}
		if n < 0 || n > 256 {
			return "Absolute weight can only be between 0 and 256 inclusive.\n\n"
		}
		f.w[srv] = n
		total := 0
		for _, w := range f.w {
			total += w
		}
		f.zeroSeen = f.zeroSeen || total == 0
		return "\n"
	}
	return "Unknown command.\n\n"
}

func scan(s, format string, args ...any) bool {
	n, err := fmt.Sscanf(s, format, args...)
	return err == nil && n == len(args)
}

func (f *fakeAPI) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.cmds
	f.cmds = nil
	return out
}

func fakeTarget(t *testing.T, f *fakeAPI, primary, secondary []string) *Target {
	t.Helper()
	obj := cty.ObjectVal(map[string]cty.Value{
		"runtime_api": cty.StringVal(f.addr),
		"backend":     cty.StringVal(f.be),
		"primary":     providers.Strings(primary...),
		"secondary":   providers.Strings(secondary...),
		"max_weight":  cty.NumberIntVal(256),
	})
	tg, err := NewTarget(providers.Config{Name: "lb", Attrs: obj})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// On the wire: one read, the writes in the documented order, one read; and
// nothing but two reads when the share is already there.
func TestApplyCommandsOnTheWire(t *testing.T) {
	f := startFakeAPI(t, "app", map[string]int{"p1": 0, "p2": 0, "s1": 256, "x": 9})
	tg := fakeTarget(t, f, []string{"p1", "p2"}, []string{"s1"})
	ctx := context.Background()

	if got, err := tg.Apply(ctx, 10000); err != nil || got != 10000 {
		t.Fatalf("Apply(100%%) = %v, %v", got, err)
	}
	want := []string{
		"show servers state app",
		"set server app/p1 weight 256", // raises first: never all zero
		"set server app/p2 weight 256",
		"set server app/s1 weight 0",
		"show servers state app",
	}
	if got := f.commands(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("0 -> 100%%:\n got %q\nwant %q", got, want)
	}
	if got, err := tg.Apply(ctx, 0); err != nil || got != 0 {
		t.Fatalf("Apply(0) = %v, %v", got, err)
	}
	want = []string{
		"show servers state app",
		"set server app/s1 weight 256",
		"set server app/p1 weight 0",
		"set server app/p2 weight 0",
		"show servers state app",
	}
	if got := f.commands(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("100 -> 0%%:\n got %q\nwant %q", got, want)
	}
	if got, err := tg.Apply(ctx, 0); err != nil || got != 0 {
		t.Fatalf("second Apply(0) = %v, %v", got, err)
	}
	if got := f.commands(); len(got) != 2 {
		t.Errorf("a repeated Apply sent %q; want only the two reads", got)
	}
	if f.zeroSeen {
		t.Error("every weight was 0 at some point")
	}
}

func TestClientErrors(t *testing.T) {
	f := startFakeAPI(t, "app", map[string]int{"p1": 1})
	c, err := NewClient("unix:" + f.addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// HAProxy's text comes back verbatim, with the command that got it.
	err = c.SetWeight(ctx, "app", "zz", 3)
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Reply != "No such server." ||
		err.Error() != "haproxy runtime API at unix:"+f.addr+": set server app/zz weight 3: No such server." {
		t.Errorf("SetWeight of a missing server: %v", err)
	}
	if _, err := c.ServersState(ctx, "nope"); !errors.As(err, &ce) || ce.Reply != "Can't find backend." {
		t.Errorf("ServersState of a missing backend: %v", err)
	} else if providers.IsTransient(err) {
		t.Errorf("HAProxy's error answer %v is Transient, want Fatal", err)
	}
	if _, _, err := c.Weight(ctx, "app", "p1"); !errors.As(err, &ce) || ce.Reply != "Unknown command." {
		t.Errorf("Weight against an API without get weight: %v", err)
	}
	if err := c.SetWeight(ctx, "app", "p1", 257); err == nil {
		t.Error("SetWeight(257): no error")
	}
	// Nothing can smuggle a second command in.
	for _, cmd := range []string{"show info;shutdown sessions", "show info\nset server app/p1 weight 0", "a\rb"} {
		if _, err := c.Command(ctx, cmd); err == nil || !strings.Contains(err.Error(), "refusing") {
			t.Errorf("Command(%q): %v", cmd, err)
		}
	}
	if got := f.commands(); len(got) != 3 {
		t.Errorf("commands reached the API: %q", got)
	}

	for _, bad := range []string{"", "unix:", "relative.sock", "host", ":80", "host:"} {
		if _, err := NewClient(bad); err == nil {
			t.Errorf("NewClient(%q): no error", bad)
		}
	}
}

// Without a deadline of the caller's, a command that gets no answer is
// bounded by Client.Timeout, and the error is Transient.
func TestClientDefaultTimeout(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "hung.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	held := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			held <- c
		}
	}()
	c, _ := NewClient(sock)
	c.Timeout = 100 * time.Millisecond
	start := time.Now()
	_, err = c.Command(context.Background(), "show info")
	if err == nil || !strings.Contains(err.Error(), "show info: no answer within 100ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung API: %v", err)
	}
	if !providers.IsTransient(err) {
		t.Errorf("fbctl's own time-out %v is Fatal, want Transient (the caller did not give up)", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	select {
	case c := <-held:
		c.Close()
	default:
	}
}

// A runtime API that resets the connection (HAProxy stopping mid-command)
// is a Transient ConnError.
func TestClientResetIsTransient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*net.TCPConn).SetLinger(0) // close with RST
			c.Close()
		}
	}()
	c, err := NewClient(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Command(context.Background(), "show info")
	var ce *ConnError
	if !errors.As(err, &ce) || ce.Msg != "connection reset" {
		t.Fatalf("Command against a resetting API: %v, want a connection reset", err)
	}
	if !providers.IsTransient(err) {
		t.Errorf("%v is Fatal, want Transient", err)
	}
}
