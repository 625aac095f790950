package libdns

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/libdns/libdns"
)

// diffZone holds one RRset and records every state it passes through, as
// a driver whose SetRecords does not replace RRsets (Cloudflare) would be
// driven by replaceByDiff.
type diffZone struct {
	data   []string
	states [][]string
}

func (z *diffZone) AppendRecords(_ context.Context, _ string, recs []libdns.Record) ([]libdns.Record, error) {
	for _, r := range recs {
		z.data = append(z.data, r.RR().Data)
	}
	z.states = append(z.states, slices.Clone(z.data))
	return recs, nil
}

func (z *diffZone) DeleteRecords(_ context.Context, _ string, recs []libdns.Record) ([]libdns.Record, error) {
	for _, r := range recs {
		z.data = slices.DeleteFunc(z.data, func(d string) bool { return d == r.RR().Data })
	}
	z.states = append(z.states, slices.Clone(z.data))
	return recs, nil
}

// TestReplaceByDiff: the RRset ends as asked, foreign values go, kept
// values are not rewritten, and it is never empty on the way.
func TestReplaceByDiff(t *testing.T) {
	addr := func(ips ...string) []libdns.Record {
		var out []libdns.Record
		for _, ip := range ips {
			out = append(out, libdns.Address{Name: "www", TTL: time.Minute, IP: netip.MustParseAddr(ip)})
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		old, new []string
		states   int
	}{
		{"raise", []string{"198.51.100.1", "198.51.100.2"}, []string{"192.0.2.1", "198.51.100.1"}, 2},
		{"all primary", []string{"198.51.100.1", "203.0.113.9"}, []string{"192.0.2.1", "192.0.2.2"}, 2},
		{"only a removal", []string{"192.0.2.1", "198.51.100.1"}, []string{"192.0.2.1"}, 1},
		{"nothing to do", []string{"192.0.2.1"}, []string{"192.0.2.1"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z := &diffZone{data: slices.Clone(tc.old)}
			if err := replaceByDiff(z)(context.Background(), "example.com.", addr(tc.old...), addr(tc.new...)); err != nil {
				t.Fatal(err)
			}
			got, want := slices.Sorted(slices.Values(z.data)), slices.Sorted(slices.Values(tc.new))
			if !slices.Equal(got, want) {
				t.Errorf("RRset = %v, want %v", got, want)
			}
			if len(z.states) != tc.states {
				t.Errorf("%d writes (%v), want %d", len(z.states), z.states, tc.states)
			}
			for _, s := range z.states {
				if len(s) == 0 {
					t.Errorf("the RRset was empty on the way: %v", z.states)
				}
			}
		})
	}
}
