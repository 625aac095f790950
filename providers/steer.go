package providers

import (
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// SteeredObject is one thing a target writes: an HAProxy server's weight,
// a Route 53 weighted set, a target group's weight in one ALB action. Two
// targets that steer objects with the same Key undo each other's writes,
// so the policy language refuses them (see Kind.Steers).
type SteeredObject struct {
	// Key is the object's canonical identity: two objects are the same
	// exactly when their keys are. It starts with the kind's namespace
	// ("haproxy\x00…") and may hold sensitive values: it is never shown.
	Key string
	// What names the object for people, e.g.
	// `HAProxy server app/web1 at /run/haproxy.sock`, with Redacted in place
	// of every sensitive value.
	What string
	// Attr is the attribute of the block that names the object
	// ("primary", "url_map"), for the policy language to point at.
	Attr string
}

// SteerPart is one known value of an identity: Raw compares, Shown is what
// a message may print of it (Redacted when the value is sensitive).
type SteerPart struct {
	Raw, Shown string
}

// SteerString reads a string attribute of a block for a Steers function.
// ok is false when the attribute is absent, null, unknown or not a string:
// an identity with a part not known yet (a Terraform output not given at
// validate time, env()) cannot be compared, and the caller names nothing.
func SteerString(obj cty.Value, attr string) (SteerPart, bool) {
	if obj == cty.NilVal || obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(attr) {
		return SteerPart{}, false
	}
	v := obj.GetAttr(attr)
	return steerPart(v, obj.IsMarked())
}

// SteerNumber is SteerString for a whole-number attribute (a route rule's
// priority), rendered in decimal.
func SteerNumber(obj cty.Value, attr string) (SteerPart, bool) {
	if obj == cty.NilVal || obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(attr) {
		return SteerPart{}, false
	}
	v, marks := obj.GetAttr(attr).UnmarkDeep()
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.Number {
		return SteerPart{}, false
	}
	s := v.AsBigFloat().Text('f', -1)
	p := SteerPart{Raw: s, Shown: s}
	if len(marks) > 0 || obj.IsMarked() {
		p.Shown = Redacted
	}
	return p, true
}

// SteerList reads the known string elements of a list attribute (a
// target's primary or secondary members); unknown and null elements are
// left out. A marked list makes every element sensitive.
func SteerList(obj cty.Value, attr string) []SteerPart {
	if obj == cty.NilVal || obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(attr) {
		return nil
	}
	l, marks := obj.GetAttr(attr).Unmark()
	if l.IsNull() || !l.IsKnown() || !l.CanIterateElements() {
		return nil
	}
	var out []SteerPart
	for it := l.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if p, ok := steerPart(e, len(marks) > 0 || obj.IsMarked()); ok {
			out = append(out, p)
		}
	}
	return out
}

// SteerSides is SteerList of "primary" and then "secondary", each part
// with the attribute it came from.
func SteerSides(obj cty.Value) (parts []SteerPart, attrs []string) {
	for _, side := range []string{"primary", "secondary"} {
		for _, p := range SteerList(obj, side) {
			parts = append(parts, p)
			attrs = append(attrs, side)
		}
	}
	return parts, attrs
}

func steerPart(v cty.Value, marked bool) (SteerPart, bool) {
	v, marks := v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return SteerPart{}, false
	}
	p := SteerPart{Raw: v.AsString(), Shown: v.AsString()}
	if marked || len(marks) > 0 {
		p.Shown = Redacted
	}
	return p, true
}

// SteerKey joins the parts of an identity into a Key.
func SteerKey(parts ...string) string { return strings.Join(parts, "\x00") }
