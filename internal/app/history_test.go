package app

import (
	"strings"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/state"
)

func TestHistoryFilter(t *testing.T) {
	now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return now.Add(time.Duration(-h) * time.Hour) }
	evs := []state.Event{
		{Time: at(50), Type: "shift"},
		{Time: at(30), Type: "rollback"},
		{Time: at(20), Type: "shift"},
		{Time: at(10), Type: "pause"},
		{Time: at(1), Type: "shift"},
	}
	for _, tc := range []struct {
		name string
		opts HistoryOptions
		want []int // indexes into evs
	}{
		{"no filter", HistoryOptions{}, []int{0, 1, 2, 3, 4}},
		{"type", HistoryOptions{Types: []string{"shift"}}, []int{0, 2, 4}},
		{"types", HistoryOptions{Types: []string{"pause", "rollback"}}, []int{1, 3}},
		{"since a duration", HistoryOptions{Since: "24h"}, []int{2, 3, 4}},
		{"since exactly an event's time keeps it", HistoryOptions{Since: "20h"}, []int{2, 3, 4}},
		{"since a time", HistoryOptions{Since: "2026-11-30T22:00:00+01:00"}, []int{1, 2, 3, 4}},
		{"limit", HistoryOptions{Limit: 2, LimitSet: true}, []int{3, 4}},
		{"limit above the count", HistoryOptions{Limit: 9, LimitSet: true}, []int{0, 1, 2, 3, 4}},
		{"limit after the other filters", HistoryOptions{Types: []string{"shift"}, Since: "40h", Limit: 1, LimitSet: true}, []int{4}},
		{"nothing passes", HistoryOptions{Types: []string{"abort"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := newHistoryFilter(tc.opts, now)
			if err != nil {
				t.Fatal(err)
			}
			got := f.apply(evs)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d events %v, want indexes %v", len(got), got, tc.want)
			}
			for i, w := range tc.want {
				if got[i] != evs[w] {
					t.Errorf("event %d = %v, want %v", i, got[i], evs[w])
				}
			}
		})
	}
}

func TestHistoryFilterRefuses(t *testing.T) {
	now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		opts HistoryOptions
		want string
	}{
		{HistoryOptions{Since: "yesterday"}, `invalid --since "yesterday": give a duration back from now`},
		{HistoryOptions{Since: "7d"}, `invalid --since "7d"`},
		{HistoryOptions{Since: "-1h"}, `invalid --since "-1h": a duration must be positive`},
		{HistoryOptions{Since: "0s"}, `a duration must be positive`},
		{HistoryOptions{Since: "2026-12-01"}, `invalid --since "2026-12-01"`},
		{HistoryOptions{Limit: 0, LimitSet: true}, "invalid --limit 0: give a number of events from 1 to 1000000"},
		{HistoryOptions{Limit: -1, LimitSet: true}, "invalid --limit -1"},
		{HistoryOptions{Limit: MaxHistoryLimit + 1, LimitSet: true}, "invalid --limit 1000001"},
		{HistoryOptions{Types: []string{"shift", "Shift"}}, `invalid --type "Shift": use one of adopt, shift,`},
		{HistoryOptions{Types: []string{"\x1b[2J"}}, `invalid --type "\x1b[2J"`},
	} {
		_, err := newHistoryFilter(tc.opts, now)
		if err == nil || CodeOf(err) != ExitInvalid || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v (exit %d), want exit 3 containing %q", tc.opts, err, CodeOf(err), tc.want)
		}
	}
}
