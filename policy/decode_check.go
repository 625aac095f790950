package policy

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/fbctl/fbctl/providers"
)

// decodeCheck decodes a check block of a failback: its kind, its name,
// the settings every check has (side, interval, thresholds) and the kind's
// own attributes, checked by the kind's static verdict.
func (d *fbDecoder) decodeCheck(b *hcl.Block) (*Check, hcl.Diagnostics) {
	return d.decodeProbe(b, false)
}

// gateCheckAttributes are the arguments a gate of a check kind takes
// besides its kind's own: it is probed once per raise, so it has a probe
// timeout and none of a check's evidence settings.
var gateCheckAttributes = []string{"timeout"}

// decodeProbe decodes a block of a check kind: a check block, or, with
// gate, a gate block of a check kind (kind, name, timeout and the kind's
// own attributes through the same static verdict; the settings only
// evidence has are refused, each with why).
func (d *fbDecoder) decodeProbe(b *hcl.Block, gate bool) (*Check, hcl.Diagnostics) {
	l := d.l
	what := "check"
	if gate {
		what = "gate"
	}
	kindName, name := b.Labels[0], b.Labels[1]
	kind, diags := l.lookupKind(providers.ClassCheck, kindName, b.LabelRanges[0])
	if kind == nil {
		if gate {
			known := append(l.opts.Registry.KindNames(providers.ClassCheck), GateOnlyKinds...)
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Unknown gate kind",
				Detail: fmt.Sprintf("No gate kind %q exists.%s A gate is of any check kind, or of a gate-only kind; known gate kinds: %s.",
					kindName, didYouMean(kindName, known), strings.Join(known, ", ")),
				Subject: rangePtr(b.LabelRanges[0]),
			}}
		}
		return nil, diags
	}
	if dd := checkName(what, name, b.LabelRanges[1]); dd != nil {
		return nil, hcl.Diagnostics{dd}
	}
	c := &Check{Kind: kindName, Name: name, DeclRange: b.DefRange}

	mp := misplaced{attrs: map[string]string{}}
	extra := append([]string{}, checkAttributes...)
	if gate {
		extra = append([]string{}, gateCheckAttributes...)
		for _, n := range checkAttributes {
			if n != "timeout" {
				mp.attrs[n] = fmt.Sprintf("A gate is asked yes or no once before each raise and keeps no evidence, so it takes no %q: that argument belongs in a check block.", n)
			}
		}
	}
	if kind.Provider == "" {
		mp.attrs["provider"] = fmt.Sprintf("%s %ss take no provider: they run from wherever fbctl runs.", kindName, what)
	} else {
		extra = append(extra, "provider")
	}
	for _, n := range rolloutAttrNames() {
		mp.attrs[n] = fmt.Sprintf("The argument %q belongs inside the failback's rollout block, not in a %s.", n, what)
	}
	body, d1 := withoutMisplaced(b.Body, mp)
	diags = append(diags, d1...)
	content, d2 := body.Content(kindSchema(kind.Attributes, extra...))
	diags = append(diags, d2...)
	if content == nil {
		return nil, diags
	}
	if gate {
		var dd hcl.Diagnostics
		c.Timeout, dd = l.duration(content.Attributes["timeout"], DefaultTimeout)
		diags = append(diags, dd...)
		return c, append(diags, d.probeConfig(c, kind, content, b)...)
	}

	c.Of = Primary
	if attr, ok := content.Attributes["of"]; ok {
		c.Of = ""
		s, known, dd := l.enum(attr, []string{string(Primary), string(Secondary)})
		diags = append(diags, dd...)
		if known && !dd.HasErrors() {
			c.Of = Side(s)
		}
	}
	var dd hcl.Diagnostics
	var secret checkSecrets
	c.Interval, secret.interval, dd = l.durationValue(content.Attributes["interval"], DefaultInterval)
	diags = append(diags, dd...)
	c.Timeout, secret.timeout, dd = l.durationValue(content.Attributes["timeout"], DefaultTimeout)
	diags = append(diags, dd...)
	c.EvidenceTTL, dd = l.duration(content.Attributes["evidence_ttl"], 0)
	diags = append(diags, dd...)
	if attr, ok := content.Attributes["evidence_ttl"]; ok && c.EvidenceTTL > 0 && c.EvidenceTTL < l.schedule {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Evidence shorter-lived than the schedule",
			Detail: fmt.Sprintf("evidence_ttl is %s but the policy's schedule is %s: every scheduled run finds the last one's evidence stale, so no healthy streak lasts beyond one run. Leave evidence_ttl unset (it is then 2 × the schedule) or make it longer than the schedule.",
				c.EvidenceTTL, l.schedule),
			Subject: rangePtr(attr.Expr.Range()),
		})
	}
	c.HealthyThreshold, secret.healthyThreshold, dd = l.countValue(content.Attributes["healthy_threshold"], DefaultHealthyThreshold, 1, 1000)
	diags = append(diags, dd...)
	d.checkSensitive[c] = secret
	c.UnhealthyThreshold, dd = l.count(content.Attributes["unhealthy_threshold"], DefaultUnhealthyThreshold, 1, 1000)
	diags = append(diags, dd...)
	c.Samples, dd = l.count(content.Attributes["samples"], DefaultSamples, 1, 100)
	diags = append(diags, dd...)
	if c.Timeout > 0 && c.Interval > 0 && c.Timeout > c.Interval {
		rng := b.DefRange
		if attr, ok := content.Attributes["timeout"]; ok {
			rng = attr.Expr.Range()
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Timeout longer than interval",
			Detail: fmt.Sprintf("The check's timeout (%s) is longer than its interval (%s): a probe would still be running when the next is due.",
				shownDuration(c.Timeout, secret.timeout), shownDuration(c.Interval, secret.interval)),
			Subject: rangePtr(rng),
		})
	}

	return c, append(diags, d.probeConfig(c, kind, content, b)...)
}

// probeConfig resolves a check kind's provider and decodes its own
// attributes through the kind's static verdict, for checks and gates alike.
func (d *fbDecoder) probeConfig(c *Check, kind *providers.Kind, content *hcl.BodyContent, b *hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if kind.Provider != "" {
		p, dd := d.l.resolveProvider(kind, content.Attributes["provider"], b)
		diags = append(diags, dd...)
		c.Provider = p
	}
	cfg, dd := d.l.decodeConfig(kind.Attributes, content, b.DefRange, kind.ExactlyOneOf, kind.Validate)
	diags = append(diags, dd...)
	c.Config = cfg
	return diags
}
