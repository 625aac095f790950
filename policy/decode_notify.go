package policy

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

var notifyTypes = []string{"webhook"}

var webhookSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "url", Required: true}, {Name: "events"}, {Name: "headers"}, {Name: "format"}, {Name: "timeout"},
}}

// reservedHeaders are set by fbctl on every delivery: a notify block
// cannot set them.
var reservedHeaders = []string{"Content-Type", "Content-Length", "Host", "Transfer-Encoding"}

// maxNotifyHeaders bounds a notify block's headers.
const maxNotifyHeaders = 64

// decodeNotifies decodes the notify blocks: the same checks for validate
// (values not given are unknown, and skipped) and for the commands that
// send (every value known).
func (l *Loader) decodeNotifies(blocks []*hcl.Block) ([]*Notify, hcl.Diagnostics) {
	var out []*Notify
	var diags hcl.Diagnostics
	seen := map[string]*hcl.Block{}
	for _, b := range blocks {
		key := b.Labels[0] + "." + b.Labels[1]
		if prev, dup := seen[key]; dup {
			diags = append(diags, duplicate("notify block", b.Labels[0]+" "+b.Labels[1], b.LabelRanges[1], prev.DefRange))
			continue
		}
		seen[key] = b
		n, d := l.decodeNotify(b)
		diags = append(diags, d...)
		if n != nil {
			out = append(out, n)
		}
	}
	return out, diags
}

func (l *Loader) decodeNotify(b *hcl.Block) (*Notify, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	if b.Labels[0] != "webhook" {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unknown notify type",
			Detail: fmt.Sprintf("No notify type %q exists.%s Known notify types: %s.", b.Labels[0],
				didYouMean(b.Labels[0], notifyTypes), strings.Join(notifyTypes, ", ")),
			Subject: rangePtr(b.LabelRanges[0]),
		})
	}
	if d := checkName("notify", b.Labels[1], b.LabelRanges[1]); d != nil {
		diags = append(diags, d)
	}
	n := &Notify{Type: "webhook", Name: b.Labels[1], Format: NotifyFormats[0], Timeout: DefaultNotifyTimeout,
		Events: append([]string(nil), NotifyEvents...), DeclRange: b.DefRange}
	content, d := b.Body.Content(webhookSchema)
	diags = append(diags, d...)
	if content == nil {
		return n, diags
	}
	if attr, ok := content.Attributes["url"]; ok {
		diags = append(diags, l.notifyURL(n, attr)...)
	}
	if attr, ok := content.Attributes["events"]; ok {
		diags = append(diags, l.notifyEvents(n, attr)...)
	}
	if attr, ok := content.Attributes["headers"]; ok {
		diags = append(diags, l.notifyHeaders(n, attr)...)
	}
	if attr, ok := content.Attributes["format"]; ok {
		s, known, d := l.enum(attr, NotifyFormats)
		diags = append(diags, d...)
		if known && !d.HasErrors() {
			n.Format = s
		}
	}
	if attr, ok := content.Attributes["timeout"]; ok {
		dur, d := l.duration(attr, DefaultNotifyTimeout)
		diags = append(diags, d...)
		if !d.HasErrors() && dur > MaxNotifyTimeout {
			diags = append(diags, attrError(attr, "Invalid timeout",
				fmt.Sprintf("timeout bounds one delivery attempt; it must be at most %s.", MaxNotifyTimeout)))
		} else {
			n.Timeout = dur
		}
	}
	l.unknownSettings = nil // a notify block sets nothing the engine judges on
	return n, diags
}

// notifyURL checks the webhook's URL as the http check's url is checked.
// The URL is never quoted: a Slack webhook's path is its secret.
func (l *Loader) notifyURL(n *Notify, attr *hcl.Attribute) hcl.Diagnostics {
	v, diags := l.eval(attr.Expr, cty.String, "url")
	if diags.HasErrors() {
		return diags
	}
	if !v.IsKnown() {
		n.Unknown = true
		return diags
	}
	n.URLSensitive = IsSensitive(v)
	raw, _ := v.UnmarkDeep()
	if raw.IsNull() {
		return append(diags, attrError(attr, "Invalid url", "url must be an absolute http or https URL with a host."))
	}
	s := strings.TrimSpace(raw.AsString())
	if err := providers.CheckURL(s, "http", "https"); err != nil {
		return append(diags, attrError(attr, "Invalid url", "url "+err.Error()+"."))
	}
	n.URL = s
	return diags
}

// notifyEvents checks the events list: known names, each once, at least one.
func (l *Loader) notifyEvents(n *Notify, attr *hcl.Attribute) hcl.Diagnostics {
	v, diags := l.eval(attr.Expr, cty.List(cty.String), "events")
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return diags
	}
	v, _ = v.UnmarkDeep()
	if v.IsNull() || v.LengthInt() == 0 {
		return append(diags, attrError(attr, "Invalid events",
			fmt.Sprintf("events must list at least one of %s; leave it out for all of them.", quoted(NotifyEvents))))
	}
	elemRange := func(i int) *hcl.Range {
		if tup, ok := attr.Expr.(*hclsyntax.TupleConsExpr); ok && i < len(tup.Exprs) {
			return rangePtr(tup.Exprs[i].Range())
		}
		return rangePtr(attr.Expr.Range())
	}
	var events []string
	seen := map[string]bool{}
	ok := true
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, e := it.Element()
		if e.IsNull() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown event",
				Detail: "An event cannot be null.", Subject: elemRange(i)})
			ok = false
			continue
		}
		s := e.AsString()
		known := false
		for _, k := range NotifyEvents {
			known = known || k == s
		}
		switch {
		case !known:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown event",
				Detail: fmt.Sprintf("%s is not an event a notify block sends; the events are %s.%s",
					shownName(s), quoted(NotifyEvents), didYouMean(s, NotifyEvents)),
				Subject: elemRange(i)})
			ok = false
		case seen[s]:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate event",
				Detail: fmt.Sprintf("%q is listed twice.", s), Subject: elemRange(i)})
			ok = false
		default:
			seen[s] = true
			events = append(events, s)
		}
	}
	if ok {
		n.Events = events
	}
	return diags
}

// notifyHeaders checks the headers map: each name an HTTP token that fbctl
// does not set itself, each value without a line break or NUL. Values are
// never quoted: they are often tokens.
func (l *Loader) notifyHeaders(n *Notify, attr *hcl.Attribute) hcl.Diagnostics {
	v, diags := l.eval(attr.Expr, cty.Map(cty.String), "headers")
	if diags.HasErrors() {
		return diags
	}
	if !v.IsWhollyKnown() {
		n.Unknown = true
		return diags
	}
	v, pvms := v.UnmarkDeepWithPaths()
	if v.IsNull() {
		return append(diags, attrError(attr, "Invalid headers", "headers must be a map of header names to values."))
	}
	if v.LengthInt() > maxNotifyHeaders {
		return append(diags, attrError(attr, "Invalid headers", fmt.Sprintf("headers must hold at most %d headers.", maxNotifyHeaders)))
	}
	sensitive := map[string]bool{}
	all := false
	for _, pvm := range pvms {
		if len(pvm.Marks) == 0 {
			continue
		}
		if len(pvm.Path) == 0 {
			all = true
			continue
		}
		if step, ok := pvm.Path[0].(cty.IndexStep); ok && step.Key.Type() == cty.String {
			sensitive[step.Key.AsString()] = true
		}
	}
	headers := map[string]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		name := k.AsString()
		switch {
		case !validHeaderName(name):
			diags = append(diags, attrError(attr, "Invalid headers", fmt.Sprintf("%s is not a valid header name.", shownName(name))))
			continue
		case isReservedHeader(name):
			diags = append(diags, attrError(attr, "Invalid headers",
				fmt.Sprintf("fbctl sets %q itself on every delivery; leave it out.", name)))
			continue
		}
		if e.IsNull() {
			diags = append(diags, attrError(attr, "Invalid headers", fmt.Sprintf("The value of %q is null.", name)))
			continue
		}
		val := e.AsString()
		if strings.ContainsAny(val, "\r\n\x00") {
			diags = append(diags, attrError(attr, "Invalid headers", fmt.Sprintf("The value of %q contains a line break or NUL.", name)))
			continue
		}
		headers[name] = val
		if all || sensitive[name] {
			if n.SensitiveHeaders == nil {
				n.SensitiveHeaders = map[string]bool{}
			}
			n.SensitiveHeaders[name] = true
		}
	}
	n.Headers = headers
	return diags
}

// validHeaderName reports whether k is an HTTP header name (a token).
func validHeaderName(k string) bool {
	if k == "" || len(k) > 256 {
		return false
	}
	for _, r := range k {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

func isReservedHeader(name string) bool {
	for _, r := range reservedHeaders {
		if strings.EqualFold(r, name) {
			return true
		}
	}
	return false
}
