package app

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/providers"
)

// line is the one-line text form of a run.
func (s *session) line(fb string, rep *engine.Report, err error) string {
	if rep == nil || rep.Decision.Action == "" {
		if err != nil {
			return fmt.Sprintf("%s: error: %s", fb, s.redact(err.Error()))
		}
		return fmt.Sprintf("%s: %s at %s", fb, rep.After.Phase, rep.After.Share)
	}
	d := rep.Decision
	verb := string(d.Action)
	if rep.DryRun && d.Writes {
		verb = "would " + strings.ReplaceAll(verb, "_", " ")
	}
	var b strings.Builder
	if d.Writes {
		fmt.Fprintf(&b, "%s: %s %s -> %s", fb, verb, rep.Before.Share, d.To)
	} else {
		fmt.Fprintf(&b, "%s: %s at %s (%s)", fb, strings.ReplaceAll(verb, "_", " "), rep.After.Share, rep.After.Phase)
	}
	fmt.Fprintf(&b, ": %s", s.redact(d.Reason))
	if len(rep.Gates) > 0 {
		fmt.Fprintf(&b, "\n%s: gates: %s", fb, s.redact(gatesText(rep.Gates)))
	}
	if err != nil {
		fmt.Fprintf(&b, "\n%s: error: %s", fb, s.redact(err.Error()))
	}
	return b.String()
}

func fmtPercent(p percent) string {
	return strconv.FormatFloat(providers.Share(p).Percent(), 'f', -1, 64)
}

// gatesText lists what each gate said: "signoff (webhook) hold: HTTP 503:
// not yet; smoke (http) skipped".
func gatesText(gs []engine.GateVerdict) string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		p := fmt.Sprintf("%s (%s) %s", g.Name, g.Kind, strings.ReplaceAll(string(g.State), "_", " "))
		if g.Detail != "" {
			p += ": " + g.Detail
		}
		parts[i] = p
	}
	return strings.Join(parts, "; ")
}
