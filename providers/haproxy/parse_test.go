package haproxy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Recorded from HAProxy 2.6.12 (Debian 12).
const stateReply = "1\n" +
	"# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n" +
	"3 app 1 p1 127.0.0.1 2 0 10 10 1 1 0 2 0 0 0 0 - 18081 - 0 0 - - 0\n" +
	"3 app 2 s1 127.0.0.1 2 0 5 5 1 1 0 2 0 0 0 0 - 18082 - 0 0 - - 0\n" +
	"3 app 3 other 127.0.0.1 2 0 7 7 1 1 0 2 0 0 0 0 - 18083 - 0 0 - - 0\n\n"

func TestParseServersState(t *testing.T) {
	got, err := parseServersState(stateReply)
	if err != nil {
		t.Fatal(err)
	}
	want := []ServerState{
		{"app", "p1", "127.0.0.1", 2, 0, 10, 10},
		{"app", "s1", "127.0.0.1", 2, 0, 5, 5},
		{"app", "other", "127.0.0.1", 2, 0, 7, 7},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}

	// Columns are found by name: a reordered or longer header still parses.
	moved := "1\n# srv_name be_name srv_uweight srv_iweight srv_op_state srv_admin_state srv_addr extra\np1 app 3 4 2 0 ::1 x\n"
	got, err = parseServersState(moved)
	if err != nil || fmt.Sprint(got) != fmt.Sprint([]ServerState{{"app", "p1", "::1", 2, 0, 3, 4}}) {
		t.Errorf("reordered header: %v, %v", got, err)
	}
	// A backend without servers.
	if got, err := parseServersState("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight\n"); err != nil || len(got) != 0 {
		t.Errorf("no servers: %v, %v", got, err)
	}
}

func TestParseServersStateErrors(t *testing.T) {
	for _, tc := range []struct {
		reply, want string
		reply_      bool // HAProxy's own text, verbatim
	}{
		{"Can't find backend.\n\n", "Can't find backend.", true},
		{"Unknown command, but maybe one of the following ones is a better match:\n  help\n", "Unknown command, but maybe one of the following ones is a better match:\n  help", true},
		{"", "(empty answer)", true},
		{"1\n", "no header line", false},
		{"1\nsomething\n", "no header line", false},
		{"1\n# be_name srv_name\n", "no column srv_addr", false},
		{"1\n# be_name srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight\napp p1 1.2.3.4 2 0\n", "line 3 has 5 fields, the header promises at least 7", false},
		{"1\n# be_name srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight\napp p1 1.2.3.4 2 0 257 1\n", `srv_uweight "257" is not a number between 0 and 256`, false},
		{"1\n# be_name srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight\napp p1 1.2.3.4 2 0 -1 1\n", `srv_uweight "-1"`, false},
		{"1\n# be_name srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight\napp p1 1.2.3.4 x 0 1 1\n", `srv_op_state "x"`, false},
	} {
		_, err := parseServersState(tc.reply)
		var re *ReplyError
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.As(err, &re) != tc.reply_ {
			t.Errorf("parseServersState(%q) = %v; want an error containing %q (HAProxy's text: %v)", tc.reply, err, tc.want, tc.reply_)
		}
		if tc.reply_ && err.Error() != tc.want {
			t.Errorf("HAProxy's text is not verbatim: %q, want %q", err, tc.want)
		}
	}
}

func TestParseWeightReply(t *testing.T) {
	for _, tc := range []struct {
		reply     string
		cur, init int
		err       string
	}{
		{"25 (initial 0)\n\n", 25, 0, ""},
		{"256 (initial 256)\n", 256, 256, ""},
		{"No such server.\n\n", 0, 0, "No such server."},
		{"Require 'backend/server'.\n", 0, 0, "Require 'backend/server'."},
		{"25\n", 0, 0, "unexpected answer"},
		{"25 (initial x)\n", 0, 0, "unexpected answer"},
		{"257 (initial 0)\n", 0, 0, "unexpected answer"},
		{"", 0, 0, "(empty answer)"},
	} {
		cur, init, err := parseWeightReply(tc.reply)
		if tc.err == "" {
			if err != nil || cur != tc.cur || init != tc.init {
				t.Errorf("parseWeightReply(%q) = %d, %d, %v", tc.reply, cur, init, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("parseWeightReply(%q) error = %v, want %q", tc.reply, err, tc.err)
		}
	}
}

func TestParseEmptyReply(t *testing.T) {
	if err := parseEmptyReply("\n"); err != nil {
		t.Errorf("empty: %v", err)
	}
	err := parseEmptyReply("Absolute weight can only be between 0 and 256 inclusive.\n\n")
	if err == nil || err.Error() != "Absolute weight can only be between 0 and 256 inclusive." {
		t.Errorf("error reply: %v", err)
	}
}

func FuzzParseServersState(f *testing.F) {
	f.Add(stateReply)
	f.Add(outReply)
	f.Add("Can't find backend.\n\n")
	f.Add("1\n# be_name srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight\napp p1 1.2.3.4 2 0 3 1\n")
	f.Add("1\n# be_name be_name srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight\n")
	f.Add("65535\n#\n\n")
	f.Fuzz(func(t *testing.T, reply string) {
		states, err := parseServersState(reply)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		for _, s := range states {
			if s.Weight < 0 || s.Weight > MaxWeight || s.InitialWeight < 0 || s.InitialWeight > MaxWeight || s.OpState < 0 || s.AdminState < 0 {
				t.Fatalf("out of range: %+v", s)
			}
			if s.Name == "" || s.Backend == "" || strings.ContainsAny(s.Name+s.Backend, " \t\n") {
				t.Fatalf("bad name: %+v", s)
			}
		}
		// What parsed once parses the same after rendering it again.
		var b strings.Builder
		b.WriteString("1\n# be_name srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight\n")
		for _, s := range states {
			fmt.Fprintf(&b, "%s %s %s %d %d %d %d\n", s.Backend, s.Name, s.Addr, s.OpState, s.AdminState, s.Weight, s.InitialWeight)
		}
		again, err := parseServersState(b.String())
		if err != nil || fmt.Sprint(again) != fmt.Sprint(states) {
			t.Fatalf("round trip: %v, %v; want %v", again, err, states)
		}
	})
}

func FuzzParseWeightReply(f *testing.F) {
	for _, s := range []string{"25 (initial 0)\n\n", "No such server.\n", "", "1 (initial 1", "0 (initial 256)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		cur, init, err := parseWeightReply(reply)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if cur < 0 || cur > MaxWeight || init < 0 || init > MaxWeight {
			t.Fatalf("%q -> %d, %d", reply, cur, init)
		}
		c2, i2, err := parseWeightReply(fmt.Sprintf("%d (initial %d)\n", cur, init))
		if err != nil || c2 != cur || i2 != init {
			t.Fatalf("round trip of %d, %d: %d, %d, %v", cur, init, c2, i2, err)
		}
	})
}
