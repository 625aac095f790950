package policy

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// shownDuration renders a decoded duration for a message, or Redacted when
// it came from a sensitive value.
func shownDuration(d time.Duration, sensitive bool) string {
	if sensitive {
		return Redacted
	}
	return d.String()
}

func (l *Loader) decodeFailback(b *hcl.Block) (*Failback, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	name := b.Labels[0]
	if d := checkName("failback", name, b.LabelRanges[0]); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	fb := &Failback{Name: name, DeclRange: b.DefRange}
	dec := &fbDecoder{l: l, fb: fb, bakeRange: b.DefRange, checkSensitive: map[*Check]checkSecrets{}}

	body, diags := withoutMisplaced(b.Body, failbackMisplaced)
	content, d := body.Content(failbackSchema)
	diags = append(diags, d...)
	if content == nil {
		return fb, diags
	}

	fb.PrimaryName, d = l.sideName(content.Attributes["primary"])
	diags = append(diags, d...)
	fb.SecondaryName, d = l.sideName(content.Attributes["secondary"])
	diags = append(diags, d...)
	if fb.PrimaryName != "" && fb.PrimaryName == fb.SecondaryName {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Primary and secondary are the same",
			Detail:   fmt.Sprintf("Both sides are named %q; a failback moves traffic between two different sides.", fb.PrimaryName),
			Subject:  rangePtr(content.Attributes["secondary"].Expr.Range()),
		})
	}
	if attr, ok := content.Attributes["description"]; ok {
		v, d := l.eval(attr.Expr, cty.String, "description")
		diags = append(diags, d...)
		if v.IsKnown() && !v.IsNull() && !IsSensitive(v) {
			fb.Description = v.AsString()
		}
	}

	var rollout *hcl.Block
	checks := map[string]*Check{}
	gates := map[string]*Gate{}
	targets := map[string]*Target{}
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "rollout":
			if rollout != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate rollout block",
					Detail:   fmt.Sprintf("A failback has at most one rollout block; the first is at %s.", shortRange(rollout.DefRange)),
					Subject:  rangePtr(blk.DefRange),
				})
				continue
			}
			rollout = blk
		case "check":
			c, d := dec.decodeCheck(blk)
			diags = append(diags, d...)
			if c == nil {
				dec.broken = true
				continue
			}
			if prev, dup := checks[c.Name]; dup {
				diags = append(diags, duplicate("check", c.Name, blk.LabelRanges[1], prev.DeclRange))
				continue
			}
			checks[c.Name] = c
			fb.Checks = append(fb.Checks, c)
		case "gate":
			g, d := dec.decodeGate(blk)
			diags = append(diags, d...)
			if g == nil {
				dec.broken = true
				continue
			}
			if prev, dup := gates[g.Name]; dup {
				diags = append(diags, duplicate("gate", g.Name, blk.LabelRanges[1], prev.DeclRange))
				continue
			}
			gates[g.Name] = g
			fb.Gates = append(fb.Gates, g)
		case "target":
			t, d := dec.decodeTarget(blk)
			diags = append(diags, d...)
			if t == nil {
				dec.broken = true
				continue
			}
			if prev, dup := targets[t.Name]; dup {
				diags = append(diags, duplicate("target", t.Name, blk.LabelRanges[1], prev.DeclRange))
				continue
			}
			targets[t.Name] = t
			fb.Targets = append(fb.Targets, t)
		}
	}
	diags = append(diags, dec.decodeRollout(rollout)...)

	if dec.broken {
		return fb, diags
	}
	if len(fb.Targets) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No targets",
			Detail:   fmt.Sprintf("The failback %q has no target block, so it could not move any traffic. Add at least one target.", name),
			Subject:  rangePtr(b.DefRange),
		})
	}
	primaryChecks, unknownOf := 0, false
	for _, c := range fb.Checks {
		switch c.Of {
		case Primary:
			primaryChecks++
		case "":
			unknownOf = true
		}
	}
	if primaryChecks == 0 && !unknownOf {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No check of the primary",
			Detail:   fmt.Sprintf("The failback %q has no check of its primary, so nothing would gate a shift of traffic onto it. Add a check block (of = \"primary\" is the default).", name),
			Subject:  rangePtr(b.DefRange),
		})
	}
	diags = append(diags, dec.bakeWarnings()...)
	diags = append(diags, dec.stepWarnings()...)
	return fb, diags
}

func (l *Loader) sideName(attr *hcl.Attribute) (string, hcl.Diagnostics) {
	if attr == nil {
		return "", nil
	}
	v, diags := l.eval(attr.Expr, cty.String, attr.Name)
	if diags.HasErrors() || !v.IsKnown() {
		return "", diags
	}
	if IsSensitive(v) {
		return "", append(diags, attrError(attr, "Sensitive side name", fmt.Sprintf("%s is shown in every plan and log line, so it cannot be %s: fbctl never prints a sensitive value or one read by file() or env(). Write the name in the policy or pass it as a variable.", attr.Name, sensitiveWhat(v))))
	}
	if v.IsNull() || strings.TrimSpace(v.AsString()) == "" {
		return "", append(diags, attrError(attr, "Invalid "+attr.Name, attr.Name+" must name the side, e.g. \"aws-use1\"."))
	}
	return v.AsString(), diags
}
