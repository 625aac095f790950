package providers_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

func TestRedactor(t *testing.T) {
	r := &providers.Redactor{}
	r.AddValue(cty.ObjectVal(map[string]cty.Value{
		"token": cty.StringVal("Tok3n-Value").Mark("sensitive"),
		"port":  cty.NumberIntVal(8443),
		"tls":   cty.True,
		"hdrs":  cty.MapVal(map[string]cty.Value{"X-Key": cty.StringVal("k3y-v4lue")}),
	}))
	r.AddHostPort("secret.example:5353")
	got := r.Redact(`token "Tok3n-Value", TOK3N-VALUE, port 8443, true, X-Key=k3y-v4lue, dial secret.example:5353 (SECRET.EXAMPLE)`)
	for _, leak := range []string{"Tok3n", "TOK3N", "8443", "k3y", "secret.example", "SECRET"} {
		if strings.Contains(got, leak) {
			t.Errorf("%q leaked: %s", leak, got)
		}
	}
	for _, kept := range []string{"true", "X-Key", "dial"} {
		if !strings.Contains(got, kept) {
			t.Errorf("%q was redacted too: %s", kept, got)
		}
	}
	if q := r.Quote("Tok3n-Value"); q != providers.Redacted {
		t.Errorf("Quote(secret) = %s", q)
	}
	if q := r.Quote("public"); q != `"public"` {
		t.Errorf("Quote(public) = %s", q)
	}
	base := errors.New("bad token Tok3n-Value")
	hidden := r.Hide(base)
	if strings.Contains(hidden.Error(), "Tok3n") || !errors.Is(hidden, base) {
		t.Errorf("Hide = %v (Is %v)", hidden, errors.Is(hidden, base))
	}
	var none *providers.Redactor
	if none.Redact("x") != "x" || none.IsSecret("x") || none.Hide(base) != base {
		t.Error("a nil Redactor must redact nothing")
	}
	m := none.Merged(r)
	if !m.IsSecret("Tok3n-Value") {
		t.Error("Merged lost a secret")
	}
}

// TestRedactorShortSecrets: a blank or very short secret does not mangle
// every message it could occur in, but still counts as a secret for Quote.
func TestRedactorShortSecrets(t *testing.T) {
	var r providers.Redactor
	r.Add(" ", "ab")
	if got := r.Redact("zone ab.example has no name"); got != "zone ab.example has no name" {
		t.Errorf("Redact = %q", got)
	}
	if !r.IsSecret("ab") {
		t.Error(`IsSecret("ab") = false`)
	}
}

// TestRedactorURLEscapedForms: a secret in a URL's path or query comes back
// escaped in errors that quote the URL; those forms are redacted too.
func TestRedactorURLEscapedForms(t *testing.T) {
	r := &providers.Redactor{}
	r.Add("s3cr et/ü?x")
	for _, msg := range []string{
		`Get "http://h/a/s3cr%20et%2F%C3%BC%3Fx": refused`,
		`Get "http://h/?k=s3cr+et%2F%C3%BC%3Fx": refused`,
	} {
		if got := r.Redact(msg); strings.Contains(got, "s3cr") {
			t.Errorf("Redact(%q) = %q", msg, got)
		}
	}
}
