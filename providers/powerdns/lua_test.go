package powerdns

import (
	"slices"
	"testing"
)

func TestParseLUA(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want luaRecord
	}{
		{`A "pickwrandom({{100, '192.0.2.1'}, {0, '192.0.2.2'}})"`,
			luaRecord{"A", "pickwrandom", []entry{{100, "192.0.2.1"}, {0, "192.0.2.2"}}}},
		{` aaaa  " pickwhashed( { {1,"2001:db8::1"} ,{ 2 , '2001:db8::2' }, } ) " `,
			luaRecord{"AAAA", "pickwhashed", []entry{{1, "2001:db8::1"}, {2, "2001:db8::2"}}}},
	} {
		got, err := parseLUA(tc.in)
		if err != nil || got.rtype != tc.want.rtype || got.function != tc.want.function || !slices.Equal(got.entries, tc.want.entries) {
			t.Errorf("parseLUA(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{
		``,
		`A "pickrandom({'192.0.2.1'})"`,
		`A "ifportup(443, {'192.0.2.1'})"`,
		`A "pickwrandom({{1.5, '192.0.2.1'}})"`,
		`A "pickwrandom({{-1, '192.0.2.1'}})"`,
		`A "pickwrandom({})"`,
		`A "pickwrandom({{1, '192.0.2.1'}} ) or os.exit()"`,
		`A "pickwrandom({{1, '192.0.2.1'}}, x)"`,
		`A "pickwrandom({{1, '192.0.2.1'}{2, '192.0.2.2'}})"`,
		`A "pickwrandom({{99999999, '192.0.2.1'}})"`,
	} {
		if r, err := parseLUA(bad); err == nil {
			t.Errorf("parseLUA(%q) = %+v, want an error", bad, r)
		}
	}
}

func TestLUARoundTrip(t *testing.T) {
	r := luaRecord{"A", "pickwhashed", []entry{{950, "192.0.2.1"}, {50, "198.51.100.1"}}}
	want := `A "pickwhashed({{950, '192.0.2.1'}, {50, '198.51.100.1'}})"`
	if r.String() != want {
		t.Fatalf("String = %s, want %s", r.String(), want)
	}
	got, err := parseLUA(r.String())
	if err != nil || !slices.Equal(got.entries, r.entries) || got.function != r.function {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
}
