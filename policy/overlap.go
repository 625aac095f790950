package policy

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/fbctl/fbctl/providers"
)

// steered is one object a target writes, and where the policy names it.
type steered struct {
	fb  *Failback
	t   *Target
	obj providers.SteeredObject
}

// overlapPair is two targets that steer at least one object in common.
type overlapPair struct {
	first, second steered
	more          int // objects in common beyond the first
}

// overlaps refuses two targets, in one failback or in several, that steer
// the same object (an HAProxy server, a Route 53 weighted set, a target
// group in one ALB action, ...): their writes would undo each other's on
// every run, and a rollback of one would be a shift of the other. Each
// kind says what it steers (providers.Kind.Steers), from the block alone;
// what is not known yet (a Terraform output at validate time) cannot be
// compared and is left out, so a run, which knows every value, checks
// again. One error per pair of targets, at the later one.
func (l *Loader) overlaps(fbs []*Failback) hcl.Diagnostics {
	first := map[string]steered{}
	var pairs []*overlapPair
	byPair := map[[2]*Target]*overlapPair{}
	for _, fb := range fbs {
		for _, t := range fb.Targets {
			if !t.decoded {
				continue
			}
			k, err := l.opts.Registry.Kind(providers.ClassTarget, t.Kind)
			if err != nil || k.Steers == nil {
				continue
			}
			cfg := providers.Config{Name: t.Name, Attrs: t.Config}
			if t.Provider != nil {
				cfg.Provider = &providers.ProviderConfig{Type: t.Provider.Type, Name: t.Provider.Name, Attrs: t.Provider.Config}
			}
			for _, obj := range k.Steers(cfg) {
				s := steered{fb: fb, t: t, obj: obj}
				prev, seen := first[obj.Key]
				if !seen {
					first[obj.Key] = s
					continue
				}
				if prev.t == t {
					continue // a repeat within one target is sidesProblems' to report
				}
				key := [2]*Target{prev.t, t}
				if p := byPair[key]; p != nil {
					p.more++
					continue
				}
				p := &overlapPair{first: prev, second: s}
				byPair[key] = p
				pairs = append(pairs, p)
			}
		}
	}
	var diags hcl.Diagnostics
	for _, p := range pairs {
		what := p.second.obj.What
		if a, b := p.first.obj.What, p.second.obj.What; a != b && (strings.Contains(a, providers.Redacted) || strings.Contains(b, providers.Redacted)) {
			// Each may show what the other hides (a member named by a
			// sensitive variable in one target and plainly in the other).
			what = "one object, whose name holds a sensitive value and is not shown"
		}
		if p.more > 0 {
			what += fmt.Sprintf(" (and %d more in common)", p.more)
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Targets steer the same object",
			Detail: fmt.Sprintf("%s and %s both steer %s. Their writes would undo each other's on every run, so that neither share holds; steer each object from one target only.",
				p.first.place(), p.second.place(), what),
			Subject: rangePtr(p.second.at()),
		})
	}
	return diags
}

// at is the range of the attribute naming the object, or the block's.
func (s steered) at() hcl.Range {
	if r, ok := s.t.attrRanges[s.obj.Attr]; ok {
		return r
	}
	return s.t.DeclRange
}

// place names a target and its line: `target "haproxy_backend" "lb" of
// failback "web" (fbctl.hcl:12)`.
func (s steered) place() string {
	r := s.at()
	return fmt.Sprintf("target %q %q of failback %q (%s:%d)", s.t.Kind, s.t.Name, s.fb.Name, r.Filename, r.Start.Line)
}
