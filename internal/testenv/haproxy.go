package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// HAProxyServer is one `server NAME ADDR weight W` line.
type HAProxyServer struct {
	Name string
	Addr string // host:port
	// Weight is written as is: 0 is a server that gets no traffic.
	Weight int
}

// HAProxyBackend is a `backend` section with `balance roundrobin`.
type HAProxyBackend struct {
	Name    string
	Servers []HAProxyServer
}

// HAProxyConfig describes the HAProxy StartHAProxy runs.
type HAProxyConfig struct {
	// Backend is the name of the backend the frontend sends traffic to;
	// "app" when empty.
	Backend string
	// Servers are the servers of Backend.
	Servers []HAProxyServer
	// ExtraBackends are more backends no frontend uses: state for tests to
	// prove that a target leaves alone what it does not own.
	ExtraBackends []HAProxyBackend
}

// HAProxy is a running haproxy, stopped when the test ends.
type HAProxy struct {
	// FrontendURL is the frontend's http://127.0.0.1:PORT.
	FrontendURL string
	// SocketPath is the runtime API's unix socket (level admin).
	SocketPath string
	// RuntimeTCPAddr is the runtime API's TCP address 127.0.0.1:PORT
	// (level admin).
	RuntimeTCPAddr string
	// ConfigPath is the configuration file haproxy runs with.
	ConfigPath string

	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// startTimeout bounds how long StartHAProxy waits for the runtime API.
const startTimeout = 15 * time.Second

// StartHAProxy writes a configuration for cfg into a temporary directory,
// runs `haproxy -f CONFIG -db` in the foreground on free loopback ports,
// waits until the runtime API answers `show info`, and stops haproxy when
// the test ends. A missing haproxy binary fails the test.
func StartHAProxy(t testing.TB, cfg HAProxyConfig) *HAProxy {
	t.Helper()
	bin := haproxyBinary(t)
	if cfg.Backend == "" {
		cfg.Backend = "app"
	}
	dir := t.TempDir()
	sockDir := dir
	// A unix socket path must fit in sun_path (108 bytes on Linux); long
	// test names make long temporary directories.
	if len(filepath.Join(dir, "admin.sock")) > 100 {
		d, err := os.MkdirTemp("", "fbctl-haproxy")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		sockDir = d
	}
	// A free port can be taken by someone else between our probe and
	// haproxy's bind; try again with new ports when that happens.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		h, err := startHAProxy(t, bin, cfg, dir, sockDir)
		if err == nil {
			return h
		}
		lastErr = err
		if !errors.Is(err, errBind) {
			break
		}
	}
	t.Fatalf("starting haproxy: %v", lastErr)
	return nil
}

var errBind = errors.New("haproxy could not bind a port")

// sbinDirs are searched after PATH: Debian installs haproxy in /usr/sbin,
// which is not always on a user's PATH.
var sbinDirs = []string{"/usr/sbin", "/usr/local/sbin"}

// lookBinary finds a server's binary on PATH, then in sbinDirs.
func lookBinary(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, d := range sbinDirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, true
		}
	}
	return "", false
}

func haproxyBinary(t testing.TB) string {
	t.Helper()
	if p, ok := lookBinary("haproxy"); ok {
		return p
	}
	t.Fatal("haproxy is not installed (not on PATH, /usr/sbin or /usr/local/sbin): run `make deps` " +
		"(it installs the system packages the tests need); a missing server is a failure, not a skip")
	return ""
}

func startHAProxy(t testing.TB, bin string, cfg HAProxyConfig, dir, sockDir string) (*HAProxy, error) {
	fePort, err := freePort()
	if err != nil {
		return nil, err
	}
	apiPort, err := freePort()
	if err != nil {
		return nil, err
	}
	h := &HAProxy{
		FrontendURL:    fmt.Sprintf("http://127.0.0.1:%d", fePort),
		SocketPath:     filepath.Join(sockDir, "admin.sock"),
		RuntimeTCPAddr: fmt.Sprintf("127.0.0.1:%d", apiPort),
		ConfigPath:     filepath.Join(dir, "haproxy.cfg"),
		out:            &syncBuffer{},
		done:           make(chan struct{}),
	}
	os.Remove(h.SocketPath) // left over from a failed attempt
	if err := os.WriteFile(h.ConfigPath, []byte(renderConfig(cfg, h, fePort)), 0o600); err != nil {
		return nil, err
	}
	h.cmd = exec.Command(bin, "-f", h.ConfigPath, "-db")
	h.cmd.Dir = dir
	h.cmd.Stdout = h.out
	h.cmd.Stderr = h.out
	if err := h.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		h.cmd.Wait()
		close(h.done)
	}()
	if err := h.waitReady(); err != nil {
		h.stop()
		out := h.out.String()
		if strings.Contains(out, "cannot bind") || strings.Contains(out, "Address already in use") {
			return nil, fmt.Errorf("%w: %v\n%s", errBind, err, out)
		}
		return nil, fmt.Errorf("%v\nhaproxy output:\n%s\nconfiguration:\n%s", err, out, renderConfig(cfg, h, fePort))
	}
	t.Cleanup(func() {
		h.stop()
		if t.Failed() {
			t.Logf("haproxy output:\n%s", h.out.String())
		}
	})
	return h, nil
}

func renderConfig(cfg HAProxyConfig, h *HAProxy, fePort int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global\n")
	// Without SO_REUSEPORT: haproxy sets it by default, so two test
	// haproxys (same user) could both bind one port and share its
	// connections (a runtime command answered by another's frontend). With
	// it off, a port taken meanwhile is a bind error, retried above.
	fmt.Fprintf(&b, "    noreuseport\n")
	fmt.Fprintf(&b, "    stats socket %s mode 600 level admin\n", h.SocketPath)
	fmt.Fprintf(&b, "    stats socket ipv4@%s level admin\n", h.RuntimeTCPAddr)
	fmt.Fprintf(&b, "    stats timeout 30s\n\n")
	fmt.Fprintf(&b, "defaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n\n")
	fmt.Fprintf(&b, "frontend fe\n    bind 127.0.0.1:%d\n    default_backend %s\n", fePort, cfg.Backend)
	backends := append([]HAProxyBackend{{Name: cfg.Backend, Servers: cfg.Servers}}, cfg.ExtraBackends...)
	for _, be := range backends {
		fmt.Fprintf(&b, "\nbackend %s\n    balance roundrobin\n", be.Name)
		for _, s := range be.Servers {
			fmt.Fprintf(&b, "    server %s %s weight %d\n", s.Name, s.Addr, s.Weight)
		}
	}
	return b.String()
}

// waitReady polls until the unix and TCP runtime APIs answer `show info` and
// the frontend accepts connections, haproxy exits, or startTimeout passes.
func (h *HAProxy) waitReady() error {
	return waitReady("haproxy", h.cmd, h.done, startTimeout, 10*time.Millisecond, nil, h.ready)
}

func (h *HAProxy) ready() error {
	for _, a := range [][2]string{{"unix", h.SocketPath}, {"tcp", h.RuntimeTCPAddr}} {
		out, err := runtimeCommand(a[0], a[1], "show info")
		if err != nil {
			return err
		}
		if !strings.Contains(out, "Name: HAProxy") {
			return fmt.Errorf("unexpected answer to show info on %s: %q", a[1], out)
		}
	}
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(h.FrontendURL, "http://"), time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

func (h *HAProxy) stop() {
	select {
	case <-h.done:
		return
	default:
	}
	// SIGTERM is haproxy's hard stop: listeners close, connections drop.
	h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		h.cmd.Process.Kill()
		<-h.done
	}
}

// Stop stops haproxy now (SIGTERM, then SIGKILL after 10s) and waits for it
// to exit; the cleanup at the end of the test then has nothing left to do.
// Tests use it for "the runtime API is gone" cases: afterwards both runtime
// APIs (haproxy leaves the socket file behind) and the frontend refuse
// connections.
func (h *HAProxy) Stop() { h.stop() }

// Output returns what haproxy has written to stdout and stderr so far.
func (h *HAProxy) Output() string { return h.out.String() }

// Command sends one command to the runtime API over the unix socket and
// returns the answer. An I/O error fails the test; the answer is not
// interpreted.
func (h *HAProxy) Command(t testing.TB, cmd string) string {
	t.Helper()
	out, err := runtimeCommand("unix", h.SocketPath, cmd)
	if err != nil {
		t.Fatalf("haproxy runtime API: %s: %v", cmd, err)
	}
	return out
}

// SetWeight sets a server's weight through the runtime API and fails the
// test unless haproxy accepts it.
func (h *HAProxy) SetWeight(t testing.TB, backend, server string, weight int) {
	t.Helper()
	out := h.Command(t, fmt.Sprintf("set server %s/%s weight %d", backend, server, weight))
	if strings.TrimSpace(out) != "" {
		t.Fatalf("set server %s/%s weight %d: %s", backend, server, weight, out)
	}
}

// ServerState is what the runtime API says about one server, minus what
// changes by itself over time.
type ServerState struct {
	Addr          string
	Port          string
	OpState       int // 2 = running
	AdminState    int
	Weight        int // the current (user) weight
	InitialWeight int
}

// Servers returns the state of every server of every backend, keyed by
// "backend/server", read with `show servers state`. It is a parser of its
// own, independent of the code under test.
func (h *HAProxy) Servers(t testing.TB) map[string]ServerState {
	t.Helper()
	out := h.Command(t, "show servers state")
	lines := strings.Split(out, "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "# ") {
		t.Fatalf("unexpected answer to show servers state: %q", out)
	}
	col := map[string]int{}
	for i, name := range strings.Fields(strings.TrimPrefix(lines[1], "# ")) {
		col[name] = i
	}
	field := func(f []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(f) {
			t.Fatalf("show servers state: no column %s in %q", name, out)
		}
		return f[i]
	}
	num := func(f []string, name string) int {
		n, err := strconv.Atoi(field(f, name))
		if err != nil {
			t.Fatalf("show servers state: column %s: %v", name, err)
		}
		return n
	}
	states := map[string]ServerState{}
	for _, line := range lines[2:] {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		states[field(f, "be_name")+"/"+field(f, "srv_name")] = ServerState{
			Addr:          field(f, "srv_addr"),
			Port:          field(f, "srv_port"),
			OpState:       num(f, "srv_op_state"),
			AdminState:    num(f, "srv_admin_state"),
			Weight:        num(f, "srv_uweight"),
			InitialWeight: num(f, "srv_iweight"),
		}
	}
	return states
}

// Weights returns the current weight of every server of every backend,
// keyed by "backend/server".
func (h *HAProxy) Weights(t testing.TB) map[string]int {
	t.Helper()
	w := map[string]int{}
	for k, s := range h.Servers(t) {
		w[k] = s.Weight
	}
	return w
}

// runtimeCommand sends one command on a fresh connection and reads the
// answer to EOF, as the runtime API expects in non-interactive mode.
func runtimeCommand(network, addr, cmd string) (string, error) {
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a child's
// stdout and stderr copiers and our reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
