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
	if err != nil {
		fmt.Fprintf(&b, "\n%s: error: %s", fb, s.redact(err.Error()))
	}
	return b.String()
}

func fmtPercent(p percent) string {
	return strconv.FormatFloat(providers.Share(p).Percent(), 'f', -1, 64)
}
