package haproxy

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxWeight is the largest server weight HAProxy accepts.
const MaxWeight = 256

// ServerState is one server of a `show servers state` answer.
type ServerState struct {
	Backend string
	Name    string
	Addr    string
	// OpState is the operational state: 0 stopped, 1 starting, 2 running,
	// 3 stopping.
	OpState int
	// AdminState is a bit field; 0 means no administrative state (not in
	// maintenance, not draining).
	AdminState int
	// Weight is the current user weight (srv_uweight), the one `set server
	// B/S weight N` changes; InitialWeight is the configured one.
	Weight        int
	InitialWeight int
}

// ReplyError is an answer of the runtime API that is not the output the
// command promises: HAProxy's own error text, such as "No such server." or
// "Can't find backend.", kept verbatim.
type ReplyError struct {
	Reply string
}

func (e *ReplyError) Error() string { return e.Reply }

// replyError returns the answer as a *ReplyError, or a placeholder for an
// empty one so that an error never reads as blank.
func replyError(reply string) error {
	r := strings.TrimSpace(reply)
	if r == "" {
		r = "(empty answer)"
	}
	return &ReplyError{Reply: r}
}

// The columns of `show servers state` fbctl reads, found by the names in the
// header line so that added columns in later versions do not matter.
var stateColumns = []string{"be_name", "srv_name", "srv_addr", "srv_op_state", "srv_admin_state", "srv_uweight", "srv_iweight"}

// parseServersState parses the answer to `show servers state [BACKEND]`:
//
//	1
//	# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight ...
//	3 app 1 p1 127.0.0.1 2 0 10 10 1 1 0 2 0 0 0 0 - 18081 - 0 0 - - 0
//
// An answer whose first line is not a format version is HAProxy telling us
// something ("Can't find backend."): it comes back as a *ReplyError.
func parseServersState(reply string) ([]ServerState, error) {
	lines := strings.Split(strings.TrimRight(reply, "\r\n\t "), "\n")
	version := strings.TrimSpace(lines[0])
	if _, err := strconv.ParseUint(version, 10, 16); err != nil {
		return nil, replyError(reply)
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "#") {
		return nil, fmt.Errorf("unexpected answer to show servers state: no header line after version %s", version)
	}
	col := map[string]int{}
	for i, name := range strings.Fields(strings.TrimPrefix(lines[1], "#")) {
		if _, dup := col[name]; !dup {
			col[name] = i
		}
	}
	need := 0
	for _, c := range stateColumns {
		i, ok := col[c]
		if !ok {
			return nil, fmt.Errorf("unexpected answer to show servers state: no column %s in the header", c)
		}
		need = max(need, i+1)
	}
	var out []ServerState
	for n, line := range lines[2:] {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < need {
			return nil, fmt.Errorf("unexpected answer to show servers state: line %d has %d fields, the header promises at least %d", n+3, len(f), need)
		}
		s := ServerState{Backend: f[col["be_name"]], Name: f[col["srv_name"]], Addr: f[col["srv_addr"]]}
		for _, num := range []struct {
			col string
			max int
			dst *int
		}{
			{"srv_op_state", 1 << 16, &s.OpState},
			{"srv_admin_state", 1 << 16, &s.AdminState},
			{"srv_uweight", MaxWeight, &s.Weight},
			{"srv_iweight", MaxWeight, &s.InitialWeight},
		} {
			v, err := strconv.Atoi(f[col[num.col]])
			if err != nil || v < 0 || v > num.max {
				return nil, fmt.Errorf("unexpected answer to show servers state: line %d: %s %q is not a number between 0 and %d", n+3, num.col, f[col[num.col]], num.max)
			}
			*num.dst = v
		}
		out = append(out, s)
	}
	return out, nil
}

// parseWeightReply parses the answer to `get weight BACKEND/SERVER`, e.g.
// "25 (initial 10)". Anything that does not start with a number is
// HAProxy's error text, returned as a *ReplyError.
func parseWeightReply(reply string) (current, initial int, err error) {
	r := strings.TrimSpace(reply)
	if r == "" || r[0] < '0' || r[0] > '9' {
		return 0, 0, replyError(reply)
	}
	cur, rest, ok := strings.Cut(r, " (initial ")
	if !ok || !strings.HasSuffix(rest, ")") {
		return 0, 0, fmt.Errorf("unexpected answer to get weight: %q", r)
	}
	current, err1 := strconv.Atoi(cur)
	initial, err2 := strconv.Atoi(strings.TrimSuffix(rest, ")"))
	if err1 != nil || err2 != nil || current < 0 || current > MaxWeight || initial < 0 || initial > MaxWeight {
		return 0, 0, fmt.Errorf("unexpected answer to get weight: %q", r)
	}
	return current, initial, nil
}

// parseEmptyReply checks the answer to a command that answers nothing on
// success, such as `set server B/S weight N`; any text is HAProxy's error.
func parseEmptyReply(reply string) error {
	if strings.TrimSpace(reply) == "" {
		return nil
	}
	return replyError(reply)
}
