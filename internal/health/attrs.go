package health

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// redacted replaces a sensitive value in a Detail or an error.
const redacted = providers.Redacted

// attrs is a check block's configuration with its marks removed, and a
// redactor holding the text of every value that carried a mark, so that no
// Detail and no constructor error ever quotes one.
type attrs struct {
	kind string
	obj  cty.Value
	// marked holds the names of the attributes that carried a mark
	// (anywhere inside them). Every mark is treated as "sensitive".
	marked map[string]bool
	red    *providers.Redactor
}

// readAttrs checks the shape of cfg.Attrs and removes its marks.
func readAttrs(kind string, cfg providers.Config) (*attrs, error) {
	if cfg.Attrs == cty.NilVal || cfg.Attrs.IsNull() || !cfg.Attrs.Type().IsObjectType() {
		return nil, fmt.Errorf("%s check %q: configuration is not an object", kind, cfg.Name)
	}
	if !cfg.Attrs.IsWhollyKnown() {
		return nil, fmt.Errorf("%s check %q: configuration holds unknown values", kind, cfg.Name)
	}
	obj, pvms := cfg.Attrs.UnmarkDeepWithPaths()
	a := &attrs{kind: kind, obj: obj, marked: map[string]bool{}, red: &providers.Redactor{}}
	for _, pvm := range pvms {
		if len(pvm.Marks) == 0 {
			continue
		}
		if len(pvm.Path) == 0 {
			// The whole object is marked: every attribute is sensitive.
			for name := range obj.Type().AttributeTypes() {
				a.marked[name] = true
			}
			continue
		}
		if step, ok := pvm.Path[0].(cty.GetAttrStep); ok {
			a.marked[step.Name] = true
		}
	}
	for name := range a.marked {
		if obj.Type().HasAttribute(name) {
			a.red.AddValue(obj.GetAttr(name))
		}
	}
	if cfg.Timeout <= 0 {
		return nil, fmt.Errorf("%s check %q: timeout must be positive, got %s", kind, cfg.Name, cfg.Timeout)
	}
	return a, nil
}

// get returns the named attribute, or a null value when absent.
func (a *attrs) get(name string) cty.Value {
	if !a.obj.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return a.obj.GetAttr(name)
}

// str returns a string attribute and whether it is set.
func (a *attrs) str(name string) (string, bool) {
	v := a.get(name)
	if v.IsNull() || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// requireStr returns a string attribute that must be set and non-empty.
func (a *attrs) requireStr(name string) (string, error) {
	s, ok := a.str(name)
	if !ok || strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("%s must be set", name)
	}
	return s, nil
}

// boolean returns a bool attribute, false when null.
func (a *attrs) boolean(name string) (bool, error) {
	v := a.get(name)
	if v.IsNull() {
		return false, nil
	}
	if v.Type() != cty.Bool {
		return false, fmt.Errorf("%s must be a bool", name)
	}
	return v.True(), nil
}

// strList returns a list (or set, or tuple) of strings; nil when null.
func (a *attrs) strList(name string) ([]string, error) {
	v := a.get(name)
	if v.IsNull() {
		return nil, nil
	}
	if !v.CanIterateElements() || v.Type().IsMapType() || v.Type().IsObjectType() {
		return nil, fmt.Errorf("%s must be a list of strings", name)
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			return nil, fmt.Errorf("each element of %s must be a string", name)
		}
		out = append(out, e.AsString())
	}
	return out, nil
}

// intList returns a list of whole numbers; nil when null.
func (a *attrs) intList(name string) ([]int, error) {
	v := a.get(name)
	if v.IsNull() {
		return nil, nil
	}
	if !v.CanIterateElements() || v.Type().IsMapType() || v.Type().IsObjectType() {
		return nil, fmt.Errorf("%s must be a list of numbers", name)
	}
	var out []int
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.Number {
			return nil, fmt.Errorf("each element of %s must be a number", name)
		}
		f := e.AsBigFloat()
		n, acc := f.Int64()
		if !f.IsInt() || acc != big.Exact || n < -1<<31 || n > 1<<31-1 {
			return nil, fmt.Errorf("each element of %s must be a whole number", name)
		}
		out = append(out, int(n))
	}
	return out, nil
}

// strMap returns a map of strings; nil when null.
func (a *attrs) strMap(name string) (map[string]string, error) {
	v := a.get(name)
	if v.IsNull() {
		return nil, nil
	}
	if !v.Type().IsMapType() && !v.Type().IsObjectType() {
		return nil, fmt.Errorf("%s must be a map of strings", name)
	}
	out := map[string]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			return nil, fmt.Errorf("each value of %s must be a string", name)
		}
		out[k.AsString()] = e.AsString()
	}
	return out, nil
}

// wrap prefixes a constructor error with the kind and check name and
// redacts every sensitive value from it.
func (a *attrs) wrap(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s check %q: %s", a.kind, name, a.red.Redact(err.Error()))
}

// errProbeTimeout is the cause of a probe context that ran out of time.
var errProbeTimeout = errors.New("probe timeout")

// probeContext bounds one probe by the check's timeout.
func probeContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, timeout, errProbeTimeout)
}

// failure describes why a probe failed: its own timeout, the caller's
// cancellation, or the error itself.
func failure(parent, pctx context.Context, timeout time.Duration, err error) string {
	if pctx.Err() != nil && context.Cause(pctx) != errProbeTimeout && parent.Err() != nil {
		return "cancelled: " + context.Cause(parent).Error()
	}
	// Every deadline inside a probe derives from the check's timeout; an
	// I/O deadline can fire a moment before the context notices.
	if context.Cause(pctx) == errProbeTimeout || isTimeout(err) {
		return "timeout after " + timeout.String()
	}
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

func isTimeout(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// finishProbe is deferred by every Probe: it turns a panic into an unhealthy
// Result (Probe never panics) and removes sensitive values from the Detail.
func finishProbe(red *providers.Redactor, start time.Time, res *providers.Result) {
	if p := recover(); p != nil {
		*res = providers.Result{Healthy: false, Detail: fmt.Sprintf("internal error: %v", p)}
	}
	if res.Latency == 0 {
		res.Latency = time.Since(start)
	}
	res.Detail = red.Redact(res.Detail)
}
