package providers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// redactedMember stands for a sensitive member in a Problem; it is the
// policy language's wording for a sensitive value.
const redactedMember = "(sensitive value)"

// SidesProblems checks the primary and secondary member lists every target
// kind has: each non-empty, no member null or empty, none twice on a side,
// none on both sides. A member that is sensitive, or equal to one that is,
// is never quoted. Unknown lists are skipped. Kind.Problems runs it for
// every target kind, so that the policy language and the constructors
// refuse the same lists.
func SidesProblems(obj cty.Value) []Problem {
	var ps []Problem
	type member struct {
		side      string
		sensitive bool // some occurrence of it is
	}
	members := map[string]*member{}
	for _, side := range []string{"primary", "secondary"} {
		if obj == cty.NilVal || obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(side) {
			continue
		}
		v, listMarks := obj.GetAttr(side).Unmark()
		if v.IsNull() || !v.IsWhollyKnown() || !v.CanIterateElements() {
			continue
		}
		if v.LengthInt() == 0 {
			ps = append(ps, Problem{Attr: side, Summary: "Empty " + side, Detail: fmt.Sprintf("The %s side needs at least one member.", side)})
			continue
		}
		seen := map[string]bool{} // on this side: each repeat is reported once, as a repeat
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			// A marked list makes every member sensitive.
			sensitive := len(listMarks) > 0 || e.ContainsMarked()
			raw, _ := e.UnmarkDeep()
			if raw.IsNull() || raw.Type() != cty.String {
				ps = append(ps, Problem{Attr: side, Summary: "Invalid " + side, Detail: "A member cannot be null."})
				continue
			}
			m := raw.AsString()
			if m == "" {
				ps = append(ps, Problem{Attr: side, Summary: "Invalid " + side, Detail: "A member cannot be empty."})
				continue
			}
			prev := members[m]
			if prev == nil {
				prev = &member{side: side}
				members[m] = prev
			}
			prev.sensitive = prev.sensitive || sensitive
			shown := strconv.Quote(m)
			if prev.sensitive {
				shown = redactedMember
			}
			if seen[m] {
				ps = append(ps, Problem{Attr: side, Summary: "Duplicate member", Detail: fmt.Sprintf("%s is listed twice in %s.", shown, side)})
				continue
			}
			seen[m] = true
			if prev.side != side {
				ps = append(ps, Problem{Attr: side, Summary: "Member on both sides",
					Detail: fmt.Sprintf("%s is listed in both primary and secondary; each member belongs to one side.", shown)})
			}
		}
	}
	return ps
}

// Problems checks what m adds to SidesProblems for a kind whose
// constructor reads its sides with Decoder.Sides: no member of only white
// space (NoBlank), and at most Limit members on both sides together.
func (m Members) Problems(obj cty.Value) []Problem {
	var ps []Problem
	n, known := 0, true
	for _, side := range []string{"primary", "secondary"} {
		v := getAttr(obj, side)
		if v.IsNull() || !v.IsWhollyKnown() || !v.CanIterateElements() {
			known = false
			continue
		}
		n += v.LengthInt()
		if !m.NoBlank {
			continue
		}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if !e.IsNull() && e.Type() == cty.String && e.AsString() != "" && strings.TrimSpace(e.AsString()) == "" {
				ps = append(ps, Problem{Attr: side, Summary: "Invalid " + side,
					Detail: fmt.Sprintf("%s names a %s of only white space.", side, m.What)})
				break
			}
		}
	}
	if known && m.Limit > 0 && n > m.Limit {
		ps = append(ps, Problem{Attr: "primary", Summary: "Too many members",
			Detail: fmt.Sprintf("primary and secondary name %d %ss; at most %d are supported.", n, m.What, m.Limit)})
	}
	return ps
}
