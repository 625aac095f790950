package policy

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// GateOnlyKinds are the gate kinds that are no check kind: they judge a
// proposed move, not a side. Every check kind is a gate kind too.
var GateOnlyKinds = []string{"webhook"}

var gateWebhookSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "url", Required: true}, {Name: "headers"}, {Name: "timeout"},
}}

// gateWebhookMisplaced names the arguments people carry over from a check
// or a notify block into a webhook gate.
var gateWebhookMisplaced = func() misplaced {
	m := misplaced{attrs: map[string]string{
		"events":   "A webhook gate is asked before each raise; events belong in notify blocks.",
		"format":   "A webhook gate always gets fbctl's JSON move ({failback, cycle, from, to, phase}); format belongs in notify blocks.",
		"provider": "webhook gates take no provider: they run from wherever fbctl runs.",
	}}
	for _, n := range checkAttributes {
		if n != "timeout" {
			m.attrs[n] = fmt.Sprintf("A gate is asked yes or no once before each raise and keeps no evidence, so it takes no %q: that argument belongs in a check block.", n)
		}
	}
	return m
}()

// decodeGate decodes a gate block of a failback: a check kind (decoded by
// the same function as a check block, so the same static verdict) or a
// gate-only kind (webhook).
func (d *fbDecoder) decodeGate(b *hcl.Block) (*Gate, hcl.Diagnostics) {
	kindName, name := b.Labels[0], b.Labels[1]
	if kindName != "webhook" {
		c, diags := d.decodeProbe(b, true)
		if c == nil {
			return nil, diags
		}
		return &Gate{Kind: kindName, Name: name, Check: c, DeclRange: b.DefRange}, diags
	}
	if dd := checkName("gate", name, b.LabelRanges[1]); dd != nil {
		return nil, hcl.Diagnostics{dd}
	}
	l := d.l
	g := &Gate{Kind: kindName, Name: name, Webhook: &GateWebhook{Timeout: DefaultGateTimeout}, DeclRange: b.DefRange}
	body, diags := withoutMisplaced(b.Body, gateWebhookMisplaced)
	content, dd := body.Content(gateWebhookSchema)
	diags = append(diags, dd...)
	if content == nil {
		return nil, diags
	}
	// The URL and the headers are checked as a notify webhook's are: one
	// set of rules for every webhook fbctl calls.
	n := &Notify{}
	if attr, ok := content.Attributes["url"]; ok {
		diags = append(diags, l.notifyURL(n, attr)...)
	}
	if attr, ok := content.Attributes["headers"]; ok {
		diags = append(diags, l.notifyHeaders(n, attr)...)
	}
	w := g.Webhook
	w.URL, w.URLSensitive, w.Headers, w.SensitiveHeaders, w.Unknown = n.URL, n.URLSensitive, n.Headers, n.SensitiveHeaders, n.Unknown
	if attr, ok := content.Attributes["timeout"]; ok {
		dur, dd := l.duration(attr, DefaultGateTimeout)
		diags = append(diags, dd...)
		if !dd.HasErrors() && dur > MaxGateTimeout {
			diags = append(diags, attrError(attr, "Invalid timeout",
				fmt.Sprintf("timeout bounds the wait for the gate's answer, while the failback is locked; it must be at most %s.", MaxGateTimeout)))
		} else {
			w.Timeout = dur
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return g, diags
}
