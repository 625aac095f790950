package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// ParseTFOutputs reads exactly the JSON that `terraform output -json`
// prints: an object of outputs, each {"sensitive": bool, "type": <cty type>,
// "value": ...}. Sensitive outputs come back marked Sensitive. source names
// the file (or "stdin") for messages; messages never quote values.
func ParseTFOutputs(source string, data []byte) (map[string]cty.Value, hcl.Diagnostics) {
	bad := func(detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid Terraform outputs",
			Detail:   fmt.Sprintf("%s: %s Pass the output of `terraform output -json`.", source, detail),
		}}
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, bad(fmt.Sprintf("not a JSON object (%s).", jsonErr(err)))
	}
	if raw == nil {
		return nil, bad("not a JSON object.")
	}
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make(map[string]cty.Value, len(raw))
	for _, name := range names {
		var o struct {
			Sensitive bool            `json:"sensitive"`
			Type      json.RawMessage `json:"type"`
			Value     json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(raw[name], &o); err != nil || o.Type == nil || o.Value == nil {
			return nil, bad(fmt.Sprintf("output %s must be an object with \"type\" and \"value\".", shownName(name)))
		}
		ty, err := ctyjson.UnmarshalType(o.Type)
		if err != nil {
			return nil, bad(fmt.Sprintf("output %s has an invalid type.", shownName(name)))
		}
		v, err := ctyjson.Unmarshal(o.Value, ty)
		if err != nil {
			return nil, bad(fmt.Sprintf("the value of output %s does not match its type.", shownName(name)))
		}
		if o.Sensitive {
			v = v.Mark(Sensitive)
		}
		out[name] = v
	}
	return out, nil
}

// jsonErr keeps the position of a syntax error but not the offending text,
// which may be part of a secret.
func jsonErr(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	if _, ok := err.(*json.UnmarshalTypeError); ok {
		return "expected an object"
	}
	return "cannot parse"
}
