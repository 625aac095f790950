package state

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// procRoot is where procfs is mounted.
const procRoot = "/proc"

// hostIdentity is this process's boot and PID namespace, read once.
var hostIdentity = sync.OnceValue(func() (id struct{ boot, pidNS string }) {
	if b, err := os.ReadFile(procRoot + "/sys/kernel/random/boot_id"); err == nil {
		id.boot = strings.TrimSpace(string(b))
	}
	if l, err := os.Readlink(procRoot + "/self/ns/pid"); err == nil {
		id.pidNS = l
	}
	return id
})

// procStart returns pid's start time (field 22 of /proc/PID/stat, clock
// ticks since boot) and whether it is a zombie (dead, not yet reaped). A
// pid that is not running is an error matching fs.ErrNotExist.
func procStart(pid int) (start uint64, zombie bool, err error) {
	b, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, err
	}
	// "pid (comm) state ppid ...": comm may hold spaces and parentheses,
	// so the fields are counted from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false, fmt.Errorf("%s/%d/stat: unexpected format", procRoot, pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state), so field 22 is f[19].
	if len(f) < 20 {
		return 0, false, fmt.Errorf("%s/%d/stat: unexpected format", procRoot, pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%s/%d/stat: start time: %w", procRoot, pid, err)
	}
	return start, f[0] == "Z" || f[0] == "X", nil
}
