package haproxy

import (
	"strings"
	"testing"

	"github.com/fbctl/fbctl/providers"
)

// Recorded from HAProxy 2.6.12 after `set server app/p1 state maint`,
// `set server app/s1 state drain` and `set server app/s2 health down`.
const outReply = "1\n" +
	"# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n" +
	"3 app 1 p1 127.0.0.1 0 1 10 10 0 1 0 0 0 0 0 0 - 36563 - 0 0 - - 0\n" +
	"3 app 2 s1 127.0.0.1 2 8 5 5 0 1 0 2 0 0 0 0 - 42029 - 0 0 - - 0\n" +
	"3 app 3 s2 127.0.0.1 0 0 5 5 0 1 0 0 0 0 0 0 - 42030 - 0 0 - - 0\n"

func TestOutOf(t *testing.T) {
	for _, tc := range []struct {
		op, admin int
		want      string
	}{
		{2, 0, ""},         // running, ready
		{1, 0, ""},         // starting (slow start) takes traffic
		{0, 0, "DOWN"},     // stopped: health check failed or forced down
		{3, 0, "DOWN"},     // stopping (soft stop)
		{0, 0x01, "MAINT"}, // forced maintenance (set server ... state maint)
		{0, 0x02, "MAINT"}, // inherited from a tracked server
		{0, 0x04, "MAINT"}, // configured "disabled"
		{0, 0x20, "MAINT"}, // resolution failed
		{2, 0x08, "DRAIN"}, // forced drain
		{2, 0x10, "DRAIN"}, // inherited drain
		{2, 0x09, "MAINT"}, // maintenance wins over drain
		{2, 0x40, ""},      // FQDN set by the runtime API: not an outage
		{0, 0x08, "DRAIN"}, // draining and down: drain is what a person set
		{2, 0x80, ""},      // an unknown bit does not hide traffic
		{1, 0x18 | 0x20, "MAINT"},
	} {
		if got := outOf(ServerState{OpState: tc.op, AdminState: tc.admin}); got != tc.want {
			t.Errorf("outOf(op %d, admin %#x) = %q, want %q", tc.op, tc.admin, got, tc.want)
		}
	}
	states, err := parseServersState(outReply)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range states {
		got = append(got, s.Name+"="+outOf(s))
	}
	if strings.Join(got, " ") != "p1=MAINT s1=DRAIN s2=DOWN" {
		t.Errorf("recorded states: %v", got)
	}
}

func TestShareCountsOnlyDeliveringServers(t *testing.T) {
	tg := &Target{client: &Client{name: "test"}, backend: "app", primary: []string{"p1", "p2"}, secondary: []string{"s1"}}
	for _, tc := range []struct {
		name string
		w    weights
		want providers.Share
		err  string
	}{
		{"all serve", weights{primary: []int{10, 10}, secondary: []int{20}}, 5000, ""},
		{"one primary in MAINT", weights{primary: []int{10, 10}, secondary: []int{20}, primaryOut: []string{"MAINT", ""}, secondaryOut: []string{""}}, 3333, ""},
		{"every primary out", weights{primary: []int{10, 10}, secondary: []int{20}, primaryOut: []string{"MAINT", "DOWN"}, secondaryOut: []string{""}}, 0, ""},
		{"secondary draining", weights{primary: []int{1, 1}, secondary: []int{256}, primaryOut: []string{"", ""}, secondaryOut: []string{"DRAIN"}}, 10000, ""},
		{"nothing delivers", weights{primary: []int{0, 10}, secondary: []int{20}, primaryOut: []string{"", "MAINT"}, secondaryOut: []string{"DOWN"}}, 0, `delivers nothing: no server with weight takes traffic ("p1" weight 0, "p2" MAINT, "s1" DOWN)`},
	} {
		got, err := tg.share(tc.w)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: share = %v, %v; want an error containing %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: share = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}
