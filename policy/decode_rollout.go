package policy

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/rollout"
	"github.com/fbctl/fbctl/providers"
)

func (d *fbDecoder) decodeRollout(b *hcl.Block) hcl.Diagnostics {
	l := d.l
	r := &d.fb.Rollout
	*r = Rollout{
		Steps:             append([]providers.Share(nil), DefaultSteps...),
		Bake:              DefaultBake,
		PrimaryHealthyFor: DefaultPrimaryHealthyFor,
		OnUnhealthy:       rollout.OnUnhealthyModes[0],
		Cooldown:          DefaultCooldown,
		OnDrift:           rollout.OnDriftModes[0],
		Approval:          rollout.ApprovalModes[0],
	}
	if b == nil {
		return nil
	}
	d.bakeRange = b.DefRange
	body, diags := withoutMisplaced(b.Body, rolloutMisplaced)
	content, dd := body.Content(rolloutSchema)
	diags = append(diags, dd...)
	if content == nil {
		return diags
	}
	if attr, ok := content.Attributes["steps"]; ok {
		steps, dd := l.steps(attr)
		diags = append(diags, dd...)
		if steps != nil {
			r.Steps = steps
		} else if !dd.HasErrors() {
			r.StepsUnknown = true
			l.unknownSettings = append(l.unknownSettings, "steps")
		}
		if v, _ := l.eval(attr.Expr, cty.DynamicPseudoType, "steps"); IsSensitive(v) {
			d.stepsSensitive = true
		}
	}
	if attr, ok := content.Attributes["bake"]; ok {
		d.bakeRange = attr.Expr.Range()
	}
	r.Bake, d.bakeSensitive, dd = l.durationValue(content.Attributes["bake"], DefaultBake)
	diags = append(diags, dd...)
	r.PrimaryHealthyFor, dd = l.duration(content.Attributes["primary_healthy_for"], DefaultPrimaryHealthyFor)
	diags = append(diags, dd...)
	r.Cooldown, dd = l.duration(content.Attributes["cooldown"], DefaultCooldown)
	diags = append(diags, dd...)
	for _, e := range []struct {
		name    string
		allowed []string
		set     func(string)
	}{
		{"on_unhealthy", OnUnhealthyModes, func(s string) { r.OnUnhealthy = rollout.OnUnhealthy(s) }},
		{"on_drift", OnDriftModes, func(s string) { r.OnDrift = rollout.OnDrift(s) }},
		{"approval", ApprovalModes, func(s string) { r.Approval = rollout.Approval(s) }},
	} {
		attr, ok := content.Attributes[e.name]
		if !ok {
			continue
		}
		s, known, dd := l.enum(attr, e.allowed)
		diags = append(diags, dd...)
		if known && !dd.HasErrors() {
			e.set(s)
		}
	}
	return diags
}

// steps validates a rollout's steps: each in (0, 100] with at most two
// decimals, strictly increasing, ending at 100. Each element keeps its own
// marks, so a message names a sensitive step "(sensitive value)" and the
// plain steps around it by their values.
func (l *Loader) steps(attr *hcl.Attribute) ([]providers.Share, hcl.Diagnostics) {
	v, diags := l.eval(attr.Expr, cty.List(cty.Number), "steps")
	if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		if !diags.HasErrors() && v.IsKnown() && v.IsNull() {
			diags = append(diags, attrError(attr, "Invalid steps", "steps must be a list of shares in percent, like [5, 10, 25, 50, 100]."))
		}
		return nil, diags
	}
	// Marks on the list itself (steps = var.secret_steps) make every
	// element sensitive; marks on elements stay with them.
	v, listMarks := v.Unmark()
	elemRange := func(i int) *hcl.Range {
		if tup, ok := attr.Expr.(*hclsyntax.TupleConsExpr); ok && i < len(tup.Exprs) {
			return rangePtr(tup.Exprs[i].Range())
		}
		return rangePtr(attr.Expr.Range())
	}
	if v.LengthInt() == 0 {
		return nil, append(diags, attrError(attr, "No steps", "A rollout needs at least one step; the last must be 100."))
	}
	// shareText renders a step for a message.
	shareText := func(s providers.Share, sensitive bool) string {
		if sensitive {
			return Redacted
		}
		return s.String()
	}
	var out []providers.Share
	ok := true
	prev, prevSensitive := providers.Share(-1), false
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, e := it.Element()
		e = e.WithMarks(listMarks)
		sensitive := IsSensitive(e)
		raw, _ := e.UnmarkDeep()
		if raw.IsNull() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Step out of range",
				Detail: "A step cannot be null.", Subject: elemRange(i)})
			ok = false
			continue
		}
		f := raw.AsBigFloat()
		if f.Sign() <= 0 || f.Cmp(big.NewFloat(100)) > 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Step out of range",
				Detail: fmt.Sprintf("A step is the primary's share of traffic in percent: more than 0 and at most 100; got %s.", describe(e)), Subject: elemRange(i)})
			ok = false
			continue
		}
		pct, _ := f.Float64()
		bp := math.Round(pct * 100)
		if math.Abs(bp-pct*100) > 1e-6 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Step too precise",
				Detail: fmt.Sprintf("Steps have at most two decimals (fbctl works in basis points); got %s.", describe(e)), Subject: elemRange(i)})
			ok = false
			continue
		}
		s := providers.Share(bp)
		if s <= prev {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Steps not increasing",
				Detail: fmt.Sprintf("Each step must be larger than the one before: %s follows %s.",
					shareText(s, sensitive), shareText(prev, prevSensitive)), Subject: elemRange(i)})
			ok = false
		}
		prev, prevSensitive = s, sensitive
		out = append(out, s)
	}
	if ok && out[len(out)-1] != providers.ShareFull {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Last step is not 100",
			Detail:  fmt.Sprintf("A rollout ends with all the traffic on the primary: make the last step 100 (it is %s).", shareText(out[len(out)-1], prevSensitive)),
			Subject: elemRange(len(out) - 1)})
		ok = false
	}
	if !ok {
		return nil, diags
	}
	return out, diags
}

// bakeWarnings warns when a step would not bake long enough to mean
// anything: shorter than a DNS target's TTL (resolvers still answer with
// the previous step) or than a primary check's healthy window.
func (d *fbDecoder) bakeWarnings() hcl.Diagnostics {
	var diags hcl.Diagnostics
	bake := d.fb.Rollout.Bake
	bakeText := shownDuration(bake, d.bakeSensitive)
	for _, t := range d.fb.Targets {
		k, err := d.l.opts.Registry.Kind(providers.ClassTarget, t.Kind)
		if err != nil || k.TTLAttribute == "" || !t.Config.Type().HasAttribute(k.TTLAttribute) {
			continue
		}
		ttlMarked := t.Config.GetAttr(k.TTLAttribute)
		ttlV, _ := ttlMarked.UnmarkDeep()
		if ttlV.IsNull() || !ttlV.IsKnown() {
			continue
		}
		secs, _ := ttlV.AsBigFloat().Float64()
		ttl := time.Duration(secs * float64(time.Second))
		if bake < ttl {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Bake shorter than DNS TTL",
				Detail: fmt.Sprintf("bake is %s, but target %q has a TTL of %s: resolvers may still answer with the previous step when the next one starts.",
					bakeText, t.Name, shownDuration(ttl, IsSensitive(ttlMarked))),
				Subject: rangePtr(d.bakeRange),
			})
		}
	}
	for _, c := range d.fb.Checks {
		if c.Of != Primary {
			continue
		}
		window := c.Interval * time.Duration(c.HealthyThreshold)
		if bake < window {
			secret := d.checkSensitive[c]
			threshold := strconv.Itoa(c.HealthyThreshold)
			if secret.healthyThreshold {
				threshold = Redacted
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Bake shorter than health window",
				Detail: fmt.Sprintf("bake is %s, but check %q needs %s (interval %s × healthy_threshold %s) to call the primary healthy: a step could pass before the check has judged it.",
					bakeText, c.Name, shownDuration(window, secret.interval || secret.healthyThreshold), shownDuration(c.Interval, secret.interval), threshold),
				Subject: rangePtr(d.bakeRange),
			})
		}
	}
	return diags
}

// stepWarnings warns when a target with coarse shares (a DNS RRset of a
// few addresses) would deliver the same share at two consecutive steps: the
// later step then changes nothing there, and its bake proves nothing new.
// One warning per target, naming the first such pair.
func (d *fbDecoder) stepWarnings() hcl.Diagnostics {
	var diags hcl.Diagnostics
	steps := d.fb.Rollout.Steps
	for _, t := range d.fb.Targets {
		k, err := d.l.opts.Registry.Kind(providers.ClassTarget, t.Kind)
		if err != nil || k.Deliverable == nil || t.Config == cty.NilVal || !t.Config.IsWhollyKnown() {
			continue
		}
		if IsSensitive(t.Config) {
			continue // the deliverable shares would tell about the secret
		}
		prev := providers.Share(-1)
		for i, s := range steps {
			got, ok := k.Deliverable(t.Config, s)
			if !ok {
				break
			}
			if i > 0 && got == prev {
				detail := fmt.Sprintf("Target %q (%s) delivers %s at step %s and again at step %s: the later step changes nothing on it. Choose steps it can tell apart, or give it more addresses.",
					t.Name, t.Kind, got, steps[i-1], s)
				if d.stepsSensitive {
					detail = fmt.Sprintf("Target %q (%s) delivers the same share at two consecutive steps: the later one changes nothing on it.", t.Name, t.Kind)
				}
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagWarning,
					Summary:  "Steps deliver the same share",
					Detail:   detail,
					Subject:  rangePtr(t.DeclRange),
				})
				break
			}
			prev = got
		}
	}
	return diags
}

// withArticle prefixes a provider type with "a" or "an".
func withArticle(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}
