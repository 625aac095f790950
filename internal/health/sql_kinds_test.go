package health

import (
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/providertest"
)

// TestSQLKindsParityOtherForms holds the forms internal/kinds' parity test
// does not start from (it has one valid block per kind) to one static
// verdict: the sql kind with the mysql driver and a key/value postgres
// DSN, and postgres_replication's upstream form.
func TestSQLKindsParityOtherForms(t *testing.T) {
	for _, tc := range []struct {
		kind string
		set  map[string]cty.Value
	}{
		{"sql", map[string]cty.Value{"driver": str("mysql"), "dsn": str("fbctl:pw@tcp(db.example.test:3306)/app?tls=true"), "query": str("SELECT 1")}},
		{"sql", map[string]cty.Value{"driver": str("postgres"), "dsn": str("host=db.example.test port=5432 password='a b'"), "query": str("SELECT 1")}},
		{"postgres_replication", map[string]cty.Value{"dsn": str("postgres://u@db.example.test/postgres"), "standbys": strs("a", "b"), "max_lag_bytes": cty.NumberIntVal(0)}},
	} {
		k := sqlKindOf(t, tc.kind)
		vals := map[string]cty.Value{}
		for _, a := range k.Attributes {
			if v, ok := tc.set[a.Name]; ok {
				vals[a.Name] = v
			} else {
				vals[a.Name] = cty.NullVal(a.Type)
			}
		}
		base := providers.Config{Name: "parity", Attrs: cty.ObjectVal(vals), Timeout: time.Second}
		providertest.Parity(t, k, nil, base, nil)
	}
}

func TestParsePostgresDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn   string
		ok    bool
		parts []string // each must be among the parts found
	}{
		{"postgres://u:p%40ss@h1:5432,h2:5433/db?sslmode=require", true, []string{"u", "p@ss", "h1:5432", "h1", "h2", "db"}},
		{"postgresql://h/db?password=qp&user=qu", true, []string{"qp", "qu", "h", "db"}},
		{"host=h port=5432 user=u password='p w\\'x' dbname=d", true, []string{"h", "u", "p w'x", "d"}},
		{"host = h  dbname=d", true, []string{"h", "d"}},
		{"postgres://h:0/db", false, nil},
		{"postgres://h:99999/db", false, nil},
		{"host=h port=x", false, nil},
		{"host=h password='open", false, nil},
		{"h:5432", false, nil},
		{"host", false, nil},
		{"=v9", false, nil},
		{"", false, nil},
		{"host=h\x00", false, nil},
		{"POSTGRES://h/db", false, nil},
		{strings.Repeat("a=b ", 3000), false, nil},
	} {
		d, err := parsePostgresDSN(tc.dsn)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v, want ok=%v", tc.dsn, err, tc.ok)
			continue
		}
		if err != nil && tc.dsn != "" && strings.Contains(err.Error(), tc.dsn) {
			t.Errorf("%q: the error quotes the DSN: %v", tc.dsn, err)
		}
		all := strings.Join(append(append(append(d.users, d.passwords...), d.hosts...), d.databases...), "\x00")
		for _, p := range tc.parts {
			if !strings.Contains("\x00"+all+"\x00", "\x00"+p+"\x00") {
				t.Errorf("%q: part %q not found in %q", tc.dsn, p, d)
			}
		}
	}
}

func TestParseLSN(t *testing.T) {
	for s, want := range map[string]uint64{"0/0": 0, "16/B374D848": 0x16B374D848, "FFFFFFFF/FFFFFFFF": 1<<64 - 1} {
		if got, err := parseLSN(s); err != nil || got != want {
			t.Errorf("parseLSN(%q) = %x, %v; want %x", s, got, err, want)
		}
	}
	for _, s := range []string{"", "/", "1/", "/1", "1", "G/1", "100000000/0", "-1/0", "1/2/3", "+1/0"} {
		if _, err := parseLSN(s); err == nil {
			t.Errorf("parseLSN(%q) accepted", s)
		}
	}
	if lsnDiff(5, 7) != 0 || lsnDiff(7, 5) != 2 {
		t.Error("lsnDiff")
	}
}

func TestToNumber(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want float64
		err  string
	}{
		{int64(-3), -3, ""},
		{float64(2.5), 2.5, ""},
		{[]byte(" 12.50 "), 12.5, ""},
		{"1e3", 1000, ""},
		{"NaN", 0, "query returned NaN, want a number"},
		{"1e400", 0, ""},
		{nil, 0, "query returned NULL, want a number"},
		{true, 0, "query returned a boolean"},
		{time.Time{}, 0, "query returned a time.Time, want a number"},
		{strings.Repeat("x", 1000), 0, "want a number"},
	} {
		got, err := toNumber(tc.v)
		if tc.err == "" && (err != nil || (got != tc.want && tc.want != 0)) {
			t.Errorf("toNumber(%v) = %v, %v; want %v", tc.v, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || len(err.Error()) > maxDetail+100) {
			t.Errorf("toNumber(%.40v) error = %v, want %q", tc.v, err, tc.err)
		}
	}
}
