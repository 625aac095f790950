package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mariaStartTimeout bounds how long a MariaDB server gets to answer, and
// a replica to start replicating.
const mariaStartTimeout = 60 * time.Second

// MariaDB is a running MariaDB server on loopback with its own data
// directory, socket and pid file, stopped when the test ends. Each has a
// binary log and its own server_id, so it can be a replication source; root
// connects without a password over the unix socket (Query uses it). Its
// OS user is mysql when the tests run as root, the current user otherwise.
type MariaDB struct {
	// Addr is "127.0.0.1:PORT".
	Addr     string
	Port     int
	DataDir  string
	Socket   string
	ServerID int

	bin  string
	dir  string
	cred *syscall.Credential
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// mariaServerIDs hands each server of a test binary its own server_id.
var mariaServerIDs = make(chan int, 1)

func init() { mariaServerIDs <- 1 }

func nextServerID() int {
	id := <-mariaServerIDs
	mariaServerIDs <- id + 1
	return id
}

func mariaBinary(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, ok := lookBinary(n); ok {
			return p
		}
	}
	t.Fatalf("MariaDB is not installed (no %s on PATH, /usr/sbin or /usr/local/sbin): run `make deps` "+
		"(it installs the system packages the tests need); a missing server is a failure, not a skip", strings.Join(names, " or "))
	return ""
}

// StartMariaDB creates a data directory with mariadb-install-db in a new
// temporary directory, starts mariadbd on a free loopback port and waits
// until it answers a query.
func StartMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	m := &MariaDB{bin: mariaBinary(t, "mariadbd", "mysqld"), ServerID: nextServerID()}
	install := mariaBinary(t, "mariadb-install-db", "mysql_install_db")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("mysql")
		if err != nil {
			t.Fatalf("running as root, MariaDB needs the mysql OS user (the mariadb-server package creates it): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		m.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	m.dir = pgTempDir(t, m.cred) // owned by the server's OS user, as PostgreSQL's
	m.DataDir = filepath.Join(m.dir, "data")
	m.Socket = filepath.Join(m.dir, "mysqld.sock")
	cmd := exec.Command(install, "--no-defaults", "--datadir="+m.DataDir, "--auth-root-authentication-method=normal",
		"--skip-test-db", "--skip-name-resolve")
	cmd.Dir = m.dir
	if m.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	}
	if out, err := runBounded(cmd, mariaStartTimeout); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if lastErr = m.startOn(port); lastErr == nil {
			t.Cleanup(func() {
				m.stop()
				if t.Failed() {
					t.Logf("mariadbd %s output:\n%s", m.Addr, m.out.String())
				}
			})
			return m
		}
		if !strings.Contains(m.out.String(), "Address already in use") {
			break
		}
	}
	t.Fatalf("starting mariadbd: %v", lastErr)
	return nil
}

func (m *MariaDB) startOn(port int) error {
	m.Port, m.Addr = port, fmt.Sprintf("127.0.0.1:%d", port)
	m.out, m.done = &syncBuffer{}, make(chan struct{})
	m.cmd = exec.Command(m.bin, "--no-defaults", "--datadir="+m.DataDir, "--socket="+m.Socket,
		"--pid-file="+filepath.Join(m.dir, "mysqld.pid"), "--port="+strconv.Itoa(port), "--bind-address=127.0.0.1",
		"--skip-name-resolve", "--server-id="+strconv.Itoa(m.ServerID), "--log-bin=binlog",
		"--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=0",
		"--sync-binlog=0", "--skip-log-error", "--log-warnings=1")
	m.cmd.Dir = m.dir
	if m.cred != nil {
		m.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: m.cred}
	}
	m.cmd.Stdout, m.cmd.Stderr = m.out, m.out
	if err := m.cmd.Start(); err != nil {
		return err
	}
	go func() {
		m.cmd.Wait()
		close(m.done)
	}()
	deadline := time.Now().Add(mariaStartTimeout)
	for {
		_, err := m.query("SELECT 1")
		if err == nil {
			return nil
		}
		select {
		case <-m.done:
			return fmt.Errorf("mariadbd exited during start-up (%v)\n%s", m.cmd.ProcessState, m.out.String())
		default:
		}
		if time.Now().After(deadline) {
			m.stop()
			return fmt.Errorf("mariadbd not ready after %v: %v", mariaStartTimeout, err)
		}
		time.Sleep(50 * time.Millisecond) // poll interval of a bounded wait
	}
}

func (m *MariaDB) stop() {
	select {
	case <-m.done:
		return
	default:
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(20 * time.Second):
		m.cmd.Process.Kill()
		<-m.done
	}
}

// Stop stops the server now and waits for it to exit.
func (m *MariaDB) Stop() { m.stop() }

func (m *MariaDB) query(sql string) (string, error) {
	client, ok := lookBinary("mariadb")
	if !ok {
		if client, ok = lookBinary("mysql"); !ok {
			return "", fmt.Errorf("no mariadb client on PATH")
		}
	}
	args := []string{"--no-defaults", "--protocol=socket", "-S", m.Socket, "-uroot", "--batch", "--connect-timeout=5"}
	if !strings.HasSuffix(sql, `\G`) {
		// Vertical output (\G) keeps its names: "Slave_IO_Running: Yes".
		args = append(args, "--skip-column-names")
	}
	cmd := exec.Command(client, append(args, "-e", sql)...)
	out, err := runBounded(cmd, 30*time.Second)
	if err != nil {
		return "", fmt.Errorf("mariadb: %v: %s", err, strings.TrimSpace(out))
	}
	return strings.TrimSpace(out), nil
}

// Query runs sql as root over the unix socket with the mariadb client
// (batch mode, no column names unless sql ends with \G) and returns its output trimmed; an error
// fails the test. It is a client of its own, independent of the code
// under test.
func (m *MariaDB) Query(t testing.TB, sql string) string {
	t.Helper()
	out, err := m.query(sql)
	if err != nil {
		t.Fatalf("mariadb %s: %s: %v", m.Addr, sql, err)
	}
	return out
}

// WaitQuery runs sql until cond holds for its output, for at most
// mariaStartTimeout, and returns that output; it fails the test otherwise.
func (m *MariaDB) WaitQuery(t testing.TB, sql string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(mariaStartTimeout)
	for {
		out, err := m.query(sql)
		if err == nil && cond(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("mariadb %s: %s: condition not met after %v; last output %q, error %v", m.Addr, sql, mariaStartTimeout, out, err)
		}
		time.Sleep(50 * time.Millisecond) // poll interval of a bounded wait
	}
}

// ReplicateFrom makes m a replica of source from source's current binary
// log position (CHANGE MASTER TO over loopback, as a user it creates on
// source) and waits until both replication threads run.
func (m *MariaDB) ReplicateFrom(t testing.TB, source *MariaDB) {
	t.Helper()
	source.Query(t, "CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pw'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'")
	f := strings.Fields(source.Query(t, "SHOW MASTER STATUS"))
	if len(f) < 2 {
		t.Fatalf("SHOW MASTER STATUS on %s: %q (no binary log?)", source.Addr, f)
	}
	m.Query(t, fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='repl', "+
		"MASTER_PASSWORD='repl-pw', MASTER_LOG_FILE='%s', MASTER_LOG_POS=%s, MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=1; START SLAVE",
		source.Port, f[0], f[1]))
	m.WaitReplicating(t)
}

// WaitReplicating waits until m's IO and SQL replication threads both run.
func (m *MariaDB) WaitReplicating(t testing.TB) {
	t.Helper()
	m.WaitQuery(t, `SHOW SLAVE STATUS\G`, func(s string) bool {
		return strings.Contains(s, "Slave_IO_Running: Yes") && strings.Contains(s, "Slave_SQL_Running: Yes")
	})
}

// DSN is a go-sql-driver/mysql DSN for user and password over TCP.
func (m *MariaDB) DSN(user, password string) string {
	return fmt.Sprintf("%s:%s@tcp(%s)/", user, password, m.Addr)
}
