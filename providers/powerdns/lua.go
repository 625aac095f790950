package powerdns

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// entry is one {weight, 'address'} pair of a LUA weight table.
type entry struct {
	weight int
	addr   string // as written in the record
}

// luaRecord is a LUA record of the form fbctl writes:
// TYPE "FUNCTION({{W, 'ADDR'}, ...})".
type luaRecord struct {
	rtype    string
	function string
	entries  []entry
}

// maxEntryWeight bounds a weight fbctl reads: PowerDNS sums the weights in
// a C int, and a table whose sum overflows is not one fbctl wrote.
const maxEntryWeight = 1 << 20

var (
	luaHead  = regexp.MustCompile(`^\s*([A-Za-z]+)\s+"\s*(pickwrandom|pickwhashed)\s*\(\s*\{(.*)\}\s*\)\s*"\s*$`)
	luaEntry = regexp.MustCompile(`\{\s*([0-9]+)\s*,\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*\}`)
)

// recordType is the type a LUA record's content answers with: its first
// word, upper-cased ("" when there is none).
func recordType(content string) string {
	f := strings.Fields(content)
	if len(f) == 0 {
		return ""
	}
	return strings.ToUpper(f[0])
}

// parseLUA reads a LUA record's content as a weight table of pickwrandom or
// pickwhashed. Anything else (another function, a Lua expression, a
// weight that is not a whole number) is an error: fbctl only reads what it
// writes.
func parseLUA(content string) (luaRecord, error) {
	m := luaHead.FindStringSubmatch(content)
	if m == nil {
		return luaRecord{}, fmt.Errorf("is not a pickwrandom or pickwhashed weight table")
	}
	r := luaRecord{rtype: strings.ToUpper(m[1]), function: m[2]}
	body := m[3]
	last := 0
	for _, loc := range luaEntry.FindAllStringSubmatchIndex(body, -1) {
		if !separator(body[last:loc[0]], last == 0) {
			return luaRecord{}, fmt.Errorf("is not a plain table of {weight, 'address'} pairs")
		}
		w, err := strconv.Atoi(body[loc[2]:loc[3]])
		if err != nil || w > maxEntryWeight {
			return luaRecord{}, fmt.Errorf("has a weight outside 0-%d", maxEntryWeight)
		}
		addr := ""
		if loc[4] >= 0 {
			addr = body[loc[4]:loc[5]]
		} else {
			addr = body[loc[6]:loc[7]]
		}
		r.entries = append(r.entries, entry{weight: w, addr: addr})
		last = loc[1]
	}
	if len(r.entries) == 0 || strings.Trim(body[last:], " \t,") != "" {
		return luaRecord{}, fmt.Errorf("is not a plain table of {weight, 'address'} pairs")
	}
	return r, nil
}

func separator(s string, first bool) bool {
	s = strings.TrimSpace(s)
	if first {
		return s == ""
	}
	return s == ","
}

// String is the record's content as fbctl writes it.
func (r luaRecord) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s \"%s({", r.rtype, r.function)
	for i, e := range r.entries {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "{%d, '%s'}", e.weight, e.addr)
	}
	b.WriteString("})\"")
	return b.String()
}

// normAddr is the canonical spelling of an address of type rtype.
func normAddr(rtype, s string) (string, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return "", fmt.Errorf("not an IP address")
	}
	switch rtype {
	case "A":
		if !a.Is4() {
			return "", fmt.Errorf("not an IPv4 address")
		}
	case "AAAA":
		if !a.Is6() || a.Is4In6() {
			return "", fmt.Errorf("not an IPv6 address")
		}
	}
	return a.String(), nil
}
