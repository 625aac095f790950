package providers_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// quoting is a Validate that quotes the value it refuses, as OneOf does.
func quoting(v cty.Value) []providers.Problem {
	if s, ok := providers.StringAttr(v, "address"); ok && strings.HasPrefix(s, "bad") {
		return []providers.Problem{{Attr: "address", Summary: "Invalid address", Detail: "got " + s}}
	}
	return nil
}

func staticRegistry(built *int) *providers.Registry {
	r := providers.NewRegistry()
	r.RegisterProvider(providers.ProviderType{Name: "cloud",
		Attributes: []providers.Attribute{providers.Required("project", cty.String, "p")},
		Validate:   func(v cty.Value) []providers.Problem { return providers.NotBlank(v, "project") },
	})
	r.Register(providers.Kind{Class: providers.ClassTarget, Name: "pipe", Provider: "cloud",
		Attributes: []providers.Attribute{
			providers.Required("address", cty.String, "a"),
			providers.Required("primary", providers.StringList, "p"),
			providers.Required("secondary", providers.StringList, "s"),
		},
		Validate: quoting,
		NewTarget: func(providers.Config) (providers.Target, error) {
			*built++
			return nil, nil
		},
	})
	return r
}

func pipeConfig(address cty.Value, project string) providers.Config {
	return providers.Config{Name: "p1",
		Attrs: cty.ObjectVal(map[string]cty.Value{"address": address,
			"primary": providers.Strings("a"), "secondary": providers.Strings("b")}),
		Provider: &providers.ProviderConfig{Type: "cloud", Name: "prod",
			Attrs: cty.ObjectVal(map[string]cty.Value{"project": cty.StringVal(project)})},
	}
}

// TestRegistryConstructorsAskValidateFirst: a kind taken from the registry
// refuses what Validate refuses before its constructor runs, the provider
// block first, with a *StaticError naming the block.
func TestRegistryConstructorsAskValidateFirst(t *testing.T) {
	built := 0
	k, err := staticRegistry(&built).Kind(providers.ClassTarget, "pipe")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  providers.Config
		want string
	}{
		{"kind", pipeConfig(cty.StringVal("bad-1"), "acme"), `pipe "p1": Invalid address: got bad-1`},
		{"provider", pipeConfig(cty.StringVal("bad-1"), " "), `pipe "p1": provider cloud.prod: Invalid project: project must not be empty.`},
		{"sides", func() providers.Config {
			c := pipeConfig(cty.StringVal("ok"), "acme")
			m := c.Attrs.AsValueMap()
			m["secondary"] = providers.Strings("a")
			c.Attrs = cty.ObjectVal(m)
			return c
		}(), `pipe "p1": Member on both sides`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := k.NewTarget(tc.cfg)
			var se *providers.StaticError
			if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("NewTarget = %v, want a *StaticError starting %q", err, tc.want)
			}
		})
	}
	if built != 0 {
		t.Errorf("the constructor ran %d times on refused blocks", built)
	}
	if _, err := k.NewTarget(pipeConfig(cty.StringVal("ok"), "acme")); err != nil || built != 1 {
		t.Errorf("a valid block: err %v, built %d times", err, built)
	}
}

// TestStaticErrorHidesMarkedValues: a Validate may quote what it refuses;
// the error never shows a marked value.
func TestStaticErrorHidesMarkedValues(t *testing.T) {
	built := 0
	k, _ := staticRegistry(&built).Kind(providers.ClassTarget, "pipe")
	_, err := k.NewTarget(pipeConfig(cty.StringVal("bad-s3cr3t").Mark("sensitive"), "acme"))
	if err == nil || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "address") {
		t.Errorf("NewTarget = %v; want an error naming address without its value", err)
	}
}

// TestRequiredNullAndNullElements: HCL lets `x = null` and `[a, null]`
// through; the static verdict does not.
func TestRequiredNullAndNullElements(t *testing.T) {
	schema := []providers.Attribute{
		providers.Required("url", cty.String, "u"),
		providers.Optional("codes", cty.List(cty.Number), cty.NilVal, "c"),
	}
	obj := cty.ObjectVal(map[string]cty.Value{
		"url":   cty.NullVal(cty.String),
		"codes": cty.ListVal([]cty.Value{cty.NumberIntVal(200), cty.NullVal(cty.Number)}),
	})
	var attrs []string
	for _, p := range providers.AttributeProblems(schema, obj) {
		attrs = append(attrs, p.Attr)
	}
	if strings.Join(attrs, ",") != "url,codes" {
		t.Errorf("problems at %v, want url and codes", attrs)
	}
	unknown := cty.ObjectVal(map[string]cty.Value{"url": cty.UnknownVal(cty.String), "codes": cty.UnknownVal(cty.List(cty.Number))})
	if ps := providers.AttributeProblems(schema, unknown); len(ps) != 0 {
		t.Errorf("unknown values refused: %v", ps)
	}
}
