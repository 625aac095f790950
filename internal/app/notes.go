package app

import (
	"fmt"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/providers"
)

// deliverableJSON is one target that cannot deliver a requested share
// exactly: a DNS RRset composed of a few addresses delivers the closest
// proportion its address counts allow.
type deliverableJSON struct {
	Target      string  `json:"target"`
	Requested   percent `json:"requested"`
	Deliverable percent `json:"deliverable"`
}

// deliverables lists, for a run that moves traffic to want, the targets
// whose deliverable share differs from it (providers.Quantizer).
func deliverables(fb *engine.Failback, want providers.Share) []deliverableJSON {
	var out []deliverableJSON
	for _, t := range fb.Targets {
		q, ok := t.Target.(providers.Quantizer)
		if !ok {
			continue
		}
		if got := q.Deliverable(want); got != want {
			out = append(out, deliverableJSON{Target: t.Name, Requested: percent(want), Deliverable: percent(got)})
		}
	}
	return out
}

// approximations says, per target whose share is not an exact split of
// requests (providers.Approximate), how it delivers a share.
func approximations(fb *engine.Failback) []string {
	var out []string
	for _, t := range fb.Targets {
		if a, ok := t.Target.(providers.Approximate); ok {
			out = append(out, fmt.Sprintf("target %q: %s", t.Name, a.Approximation()))
		}
	}
	return out
}

// deliverableLine renders one deliverableJSON for text output.
func deliverableLine(d deliverableJSON) string {
	return fmt.Sprintf("target %q delivers %s%% for the requested %s%%", d.Target,
		fmtPercent(d.Deliverable), fmtPercent(d.Requested))
}
