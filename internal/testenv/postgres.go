package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pgStartTimeout bounds how long a PostgreSQL cluster gets to accept
// connections, and pg_basebackup to copy one.
const pgStartTimeout = 60 * time.Second

// Postgres is a running PostgreSQL cluster on loopback (a primary, or a
// streaming standby of one), stopped when the test ends. Its OS user is
// postgres when the tests run as root (PostgreSQL refuses to run as
// root), the current user otherwise. The superuser postgres connects
// without a password over TCP from 127.0.0.1; every other role needs its
// password (scram-sha-256).
type Postgres struct {
	// Addr is "127.0.0.1:PORT".
	Addr string
	Port int
	// DataDir is the cluster's data directory.
	DataDir string
	// Name is the application_name a standby streams under ("" for a
	// primary).
	Name string

	bin  string
	dir  string // the temporary directory holding DataDir and the socket
	cred *syscall.Credential
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// pgBinDir finds PostgreSQL's server programs: Debian keeps them in
// /usr/lib/postgresql/VERSION/bin, off PATH. 15 is preferred (Debian 12's),
// else the newest installed. A missing server fails the test.
func pgBinDir(t testing.TB) string {
	t.Helper()
	if fi, err := os.Stat("/usr/lib/postgresql/15/bin/postgres"); err == nil && !fi.IsDir() {
		return "/usr/lib/postgresql/15/bin"
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	if len(dirs) > 0 {
		return filepath.Dir(dirs[0])
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p)
	}
	t.Fatal("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): run `make deps` " +
		"(it installs the system packages the tests need); a missing server is a failure, not a skip")
	return ""
}

func pgVersion(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// pgCredential is who runs PostgreSQL's programs: the postgres OS user
// when we are root, ourselves otherwise (nil).
func pgCredential(t testing.TB) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("running as root, PostgreSQL needs the postgres OS user (the postgresql package creates it): %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// pgTempDir makes a directory the cluster's OS user owns, outside the
// test's TempDir (whose parents are private to root), removed at the end.
func pgTempDir(t testing.TB, cred *syscall.Credential) string {
	t.Helper()
	d, err := os.MkdirTemp("", "fbctl-pg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if cred != nil {
		if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC")
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

// StartPostgres creates a cluster with initdb in a new temporary
// directory, starts it on a free loopback port (ready for streaming
// replication: wal_level replica, WAL senders, replication allowed from
// 127.0.0.1) and waits until it answers a query. Durability is off
// (fsync), as nothing outlives the test.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	p := &Postgres{bin: pgBinDir(t), cred: pgCredential(t)}
	p.dir = pgTempDir(t, p.cred)
	p.DataDir = filepath.Join(p.dir, "data")
	cmd := p.command("initdb", "-D", p.DataDir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
		"--no-sync", "-E", "UTF8", "--locale=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	hba := "local all all trust\n" +
		"host all postgres 127.0.0.1/32 trust\n" +
		"host replication postgres 127.0.0.1/32 trust\n" +
		"host all all 127.0.0.1/32 scram-sha-256\n"
	if err := p.writeFile("pg_hba.conf", hba); err != nil {
		t.Fatal(err)
	}
	p.start(t)
	return p
}

// StartStandby copies p with pg_basebackup -R into a new directory and
// starts it on a free loopback port as a streaming standby of p whose
// application_name is name; it returns once the standby answers and p
// sees it streaming.
func (p *Postgres) StartStandby(t testing.TB, name string) *Postgres {
	t.Helper()
	s := &Postgres{bin: p.bin, cred: p.cred, Name: name}
	s.dir = pgTempDir(t, s.cred)
	s.DataDir = filepath.Join(s.dir, "data")
	cmd := s.command("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "postgres",
		"-D", s.DataDir, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync")
	if out, err := runBounded(cmd, pgStartTimeout); err != nil {
		t.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	// -R wrote standby.signal and a primary_conninfo; this one, later in
	// the file, wins and names the standby for pg_stat_replication.
	conninfo := fmt.Sprintf("\nprimary_conninfo = 'host=127.0.0.1 port=%d user=postgres application_name=%s'\n", p.Port, name)
	f, err := os.OpenFile(filepath.Join(s.DataDir, "postgresql.auto.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(conninfo)
		f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	s.start(t)
	p.WaitQuery(t, fmt.Sprintf("SELECT state FROM pg_stat_replication WHERE application_name = '%s'", name),
		func(out string) bool { return out == "streaming" })
	return s
}

func (p *Postgres) writeFile(name, content string) error {
	path := filepath.Join(p.DataDir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return err
	}
	if p.cred != nil {
		return os.Chown(path, int(p.cred.Uid), int(p.cred.Gid))
	}
	return nil
}

// start runs postgres in the foreground on a free port, trying other
// ports when the one found free is taken meanwhile.
func (p *Postgres) start(t testing.TB) {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		lastErr = p.startOn(port)
		if lastErr == nil {
			t.Cleanup(func() {
				p.stop()
				if t.Failed() {
					t.Logf("postgres %s output:\n%s", p.Addr, p.out.String())
				}
			})
			return
		}
		if !strings.Contains(p.out.String(), "could not bind") && !strings.Contains(p.out.String(), "in use") {
			break
		}
	}
	t.Fatalf("starting postgres: %v", lastErr)
}

func (p *Postgres) startOn(port int) error {
	p.Port, p.Addr = port, fmt.Sprintf("127.0.0.1:%d", port)
	p.out, p.done = &syncBuffer{}, make(chan struct{})
	p.cmd = p.command("postgres", "-D", p.DataDir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+p.dir,
		"-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
		"-c", "wal_level=replica", "-c", "max_wal_senders=10", "-c", "hot_standby=on",
		"-c", "wal_receiver_status_interval=1s", "-c", "logging_collector=off")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		return err
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	deadline := time.Now().Add(pgStartTimeout)
	for {
		_, err := p.query("SELECT 1")
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("postgres exited during start-up (%v)\n%s", p.cmd.ProcessState, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			return fmt.Errorf("postgres not ready after %v: %v", pgStartTimeout, err)
		}
		time.Sleep(50 * time.Millisecond) // poll interval of a bounded wait
	}
}

// stop asks for a fast shutdown (SIGINT), then kills after 20s.
func (p *Postgres) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// Stop stops the cluster now and waits for it to exit.
func (p *Postgres) Stop() { p.stop() }

// query runs one SQL text with psql as the superuser, unaligned and
// without headers, and returns its output trimmed.
func (p *Postgres) query(sql string) (string, error) {
	cmd := exec.Command(filepath.Join(p.bin, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "postgres", "-d", "postgres", "-c", sql)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5", "LC_ALL=C")
	out, err := runBounded(cmd, 30*time.Second)
	if err != nil {
		return "", fmt.Errorf("psql: %v: %s", err, strings.TrimSpace(out))
	}
	return strings.TrimSpace(out), nil
}

// Query runs sql with psql as the superuser and returns its output
// (unaligned, no headers, trimmed); an error fails the test. It is a
// client of its own, independent of the code under test.
func (p *Postgres) Query(t testing.TB, sql string) string {
	t.Helper()
	out, err := p.query(sql)
	if err != nil {
		t.Fatalf("postgres %s: %s: %v", p.Addr, sql, err)
	}
	return out
}

// WaitQuery runs sql until cond holds for its output, for at most
// pgStartTimeout, and returns that output; it fails the test otherwise.
func (p *Postgres) WaitQuery(t testing.TB, sql string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(pgStartTimeout)
	var out string
	var err error
	for {
		out, err = p.query(sql)
		if err == nil && cond(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres %s: %s: condition not met after %v; last output %q, error %v", p.Addr, sql, pgStartTimeout, out, err)
		}
		time.Sleep(50 * time.Millisecond) // poll interval of a bounded wait
	}
}

// DSN is a postgres:// URL for user (and password, when not empty) to the
// postgres database over TCP, without TLS.
func (p *Postgres) DSN(user, password string) string {
	cred := user
	if password != "" {
		cred += ":" + password
	}
	return fmt.Sprintf("postgres://%s@%s/postgres?sslmode=disable", cred, p.Addr)
}

// runBounded runs cmd with its output collected, killing it after d.
func runBounded(cmd *exec.Cmd, d time.Duration) (string, error) {
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return out.String(), errors.New("timed out after " + d.String())
	}
}
