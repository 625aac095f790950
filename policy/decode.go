package policy

import (
	"fmt"
	"math"
	"math/big"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/rollout"
	"github.com/fbctl/fbctl/providers"
)

// kindSchema builds the HCL schema of a kind's or provider's body: its
// registered attributes plus the extra ones the language adds.
func kindSchema(attrs []providers.Attribute, extra ...string) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range attrs {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	for _, n := range extra {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	return s
}

// decodeConfig evaluates the registered attributes of a body into an object
// holding every attribute, defaults applied, and runs the registered
// validation. what is e.g. `target "dns"` for messages.
func (l *Loader) decodeConfig(attrs []providers.Attribute, content *hcl.BodyContent, defRange hcl.Range,
	exactlyOneOf [][]string, validate func(cty.Value) []providers.Problem) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vals := make(map[string]cty.Value, len(attrs))
	for _, a := range attrs {
		attr, ok := content.Attributes[a.Name]
		var v cty.Value
		switch {
		case ok:
			var d hcl.Diagnostics
			v, d = l.eval(attr.Expr, a.Type, a.Name)
			diags = append(diags, d...)
		case a.Default != cty.NilVal:
			v = a.Default
		default:
			v = cty.NullVal(a.Type)
		}
		if a.Sensitive {
			v = v.Mark(Sensitive)
			l.secrets.add(v)
			if ok {
				l.mask(attr.Expr)
			}
		}
		vals[a.Name] = v
	}
	obj := cty.ObjectVal(vals)
	if diags.HasErrors() {
		return obj, diags
	}

	// The static verdict the kind's constructor also asks first
	// (providers.Kind.Problems), part by part so that each has its range:
	// ExactlyOneOf at the name of the second attribute set, the schema's
	// own rules and validate at the offending value; a target's sides are
	// judged by the caller.
	for _, p := range providers.ExactlyOne(exactlyOneOf, obj) {
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: p.Summary, Detail: p.Detail, Subject: rangePtr(defRange)}
		if attr, ok := content.Attributes[p.Attr]; ok {
			d.Subject = rangePtr(attr.NameRange)
		}
		diags = append(diags, d)
	}

	var problems []providers.Problem
	for _, p := range providers.AttributeProblems(attrs, obj) {
		// An absent one is reported by the schema already.
		if _, present := content.Attributes[p.Attr]; present {
			problems = append(problems, p)
		}
	}
	if validate != nil {
		problems = append(problems, validate(obj)...)
	}
	for _, p := range problems {
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: p.Summary, Detail: p.Detail, Subject: rangePtr(defRange)}
		if attr, ok := content.Attributes[p.Attr]; ok {
			d.Subject = rangePtr(attr.Expr.Range())
		}
		if v, ok := vals[p.Attr]; ok && IsSensitive(v) {
			d.Detail = sensitiveProblemDetail(attrs, p, v)
			if d.Detail == p.Detail {
				d.Detail = l.secrets.redact(p.Detail)
			}
		}
		d.Summary, d.Detail = hideLong(d.Summary, obj), hideLong(d.Detail, obj)
		diags = append(diags, d)
	}
	return obj, diags
}

// sensitiveProblemDetail is the Detail to show for a validator's Problem
// about an attribute whose value is sensitive. Validators of attributes the
// schema declares Sensitive (such as a libdns config) promise never to
// quote values, so their Detail stays (and is still scrubbed of known
// secrets). Any other validator may quote the value it rejects (`got "x"`),
// and a secret shorter than three characters escapes redaction: its Detail
// is replaced by one that shows nothing of the value.
func sensitiveProblemDetail(attrs []providers.Attribute, p providers.Problem, v cty.Value) string {
	for _, a := range attrs {
		if a.Name == p.Attr && a.Sensitive {
			return p.Detail
		}
	}
	if o := originOf(v); o != "" {
		return fmt.Sprintf("%s: the value is not valid (it is %s, so it is not shown).", p.Attr, o)
	}
	return fmt.Sprintf("%s: the value is not valid (it is sensitive, so it is not shown).", p.Attr)
}

// hideLong replaces, in a kind's message, every string of the block's
// attributes longer than maxShown by its length: a kind's validator may
// quote the value it rejects, and a value from a Terraform output or a
// variable can be a whole document. Sensitive values are not searched
// here; they never reach such a message unredacted.
func hideLong(msg string, obj cty.Value) string {
	if len(msg) <= maxShown {
		return msg
	}
	var long []string
	var walk func(v cty.Value)
	walk = func(v cty.Value) {
		if v.IsMarked() || !v.IsKnown() || v.IsNull() {
			return
		}
		switch {
		case v.Type() == cty.String:
			if len(v.AsString()) > maxShown {
				long = append(long, v.AsString())
			}
		case v.CanIterateElements():
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				walk(e)
			}
		}
	}
	walk(obj)
	sort.Slice(long, func(i, j int) bool { return len(long[i]) > len(long[j]) })
	for _, str := range long {
		shown := fmt.Sprintf("(a string of %d bytes, not shown)", len(str))
		msg = strings.ReplaceAll(msg, quoteGo(str), shown)
		msg = strings.ReplaceAll(msg, str, shown)
	}
	return msg
}

func (l *Loader) decodeProviders(blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.providers = map[string]*Provider{}
	l.badProviders = map[string]bool{}
	for _, b := range blocks {
		typ, name := b.Labels[0], b.Labels[1]
		pt, err := l.opts.Registry.Provider(typ)
		if err != nil {
			l.badProviders[typ+"."+name] = true
			known := l.opts.Registry.ProviderNames()
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown provider type",
				Detail:   fmt.Sprintf("No provider type %q exists.%s Known provider types: %s.", typ, didYouMean(typ, known), strings.Join(known, ", ")),
				Subject:  rangePtr(b.LabelRanges[0]),
			})
			continue
		}
		if d := checkIdentifier("provider", name, b.LabelRanges[1]); d != nil {
			diags = append(diags, d)
			continue
		}
		addr := typ + "." + name
		if prev, dup := l.providers[addr]; dup {
			diags = append(diags, duplicate("provider", addr, b.LabelRanges[1], prev.DeclRange))
			continue
		}
		content, d := b.Body.Content(kindSchema(pt.Attributes))
		diags = append(diags, d...)
		p := &Provider{Type: typ, Name: name, DeclRange: b.DefRange}
		l.providers[addr] = p
		if content == nil {
			continue
		}
		cfg, d := l.decodeConfig(pt.Attributes, content, b.DefRange, nil, pt.Validate)
		diags = append(diags, d...)
		p.Config = cfg
	}
	return diags
}

var stateTypes = []string{"file", "s3", "gcs"}

// noteUnknown records a setting of the engine (a duration, a count, an
// enumeration of a rollout, a check or the schedule) whose value is not
// known, so that a command that loads the policy leniently (ModeState) does
// not judge on the default that stands in for it.
func (l *Loader) noteUnknown(attr *hcl.Attribute, v cty.Value, diags hcl.Diagnostics) {
	if !diags.HasErrors() && !v.IsKnown() {
		l.unknownSettings = append(l.unknownSettings, attr.Name)
	}
}

// decodeSchedule reads the top-level schedule, which one file at most may
// set: two would leave the runs' cadence to the order of -f.
func (l *Loader) decodeSchedule(attrs []*hcl.Attribute) (time.Duration, hcl.Diagnostics) {
	if len(attrs) == 0 {
		return 0, nil
	}
	var diags hcl.Diagnostics
	for _, a := range attrs[1:] {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate schedule",
			Detail:   fmt.Sprintf("The schedule was already set at %s; set it once, in one file.", shortRange(attrs[0].NameRange)),
			Subject:  rangePtr(a.NameRange),
		})
	}
	attr := attrs[0]
	dur, d := l.duration(attr, 0)
	diags = append(diags, d...)
	if dur > MaxSchedule {
		diags = append(diags, attrError(attr, "Invalid schedule",
			fmt.Sprintf("schedule must be at most %s: evidence counts for two schedules, and a probe that old says nothing about the primary now.", MaxSchedule)))
		return 0, diags
	}
	return dur, diags
}

func (l *Loader) decodeState(blocks []*hcl.Block) (*State, hcl.Diagnostics) {
	st := &State{Type: "file", Path: filepath.Join(l.firstDir, DefaultStatePath)}
	if len(blocks) == 0 {
		return st, nil
	}
	var diags hcl.Diagnostics
	for _, b := range blocks[1:] {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate state block",
			Detail:   fmt.Sprintf("A policy has at most one state block; the first is at %s.", shortRange(blocks[0].DefRange)),
			Subject:  rangePtr(b.DefRange),
		})
	}
	b := blocks[0]
	st.DeclRange = b.DefRange
	if b.Labels[0] == "s3" {
		st.Type, st.Path = "s3", ""
		st.S3, diags = l.decodeS3State(b, diags)
		return st, diags
	}
	if b.Labels[0] == "gcs" {
		st.Type, st.Path = "gcs", ""
		st.GCS, diags = l.decodeGCSState(b, diags)
		return st, diags
	}
	if b.Labels[0] != "file" {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unknown state type",
			Detail:   fmt.Sprintf("No state store %q exists.%s Known state types: %s.", b.Labels[0], didYouMean(b.Labels[0], stateTypes), strings.Join(stateTypes, ", ")),
			Subject:  rangePtr(b.LabelRanges[0]),
		})
		return st, diags
	}
	content, d := b.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "path"}}})
	diags = append(diags, d...)
	if content == nil {
		return st, diags
	}
	if attr, ok := content.Attributes["path"]; ok {
		v, d := l.eval(attr.Expr, cty.String, "path")
		diags = append(diags, d...)
		if !v.IsKnown() && l.opts.Mode == ModeState && !d.HasErrors() {
			diags = append(diags, attrError(attr, "State path not known",
				"path depends on a value that was not given (a variable, a Terraform output or an environment variable): give it, since this command reads the state."))
		}
		v, _ = v.UnmarkDeep()
		if v.IsKnown() && !d.HasErrors() {
			if v.IsNull() || v.AsString() == "" {
				diags = append(diags, attrError(attr, "Invalid path", "path must be a non-empty directory path."))
			} else {
				path := v.AsString()
				if !filepath.IsAbs(path) {
					path = filepath.Join(filepath.Dir(b.DefRange.Filename), path)
				}
				st.Path = path
			}
		}
	}
	return st, diags
}

// s3BucketRE is S3's rule for bucket names (general purpose buckets).
var s3BucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

var s3StateSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "bucket", Required: true}, {Name: "prefix"}, {Name: "region"}, {Name: "endpoint_url"}, {Name: "profile"},
	{Name: "assume_role"},
}}

// decodeS3State decodes the body of `state "s3"`.
func (l *Loader) decodeS3State(b *hcl.Block, diags hcl.Diagnostics) (*S3State, hcl.Diagnostics) {
	s := &S3State{}
	content, d := b.Body.Content(s3StateSchema)
	diags = append(diags, d...)
	if content == nil {
		return s, diags
	}
	str := func(name string) (string, *hcl.Attribute) {
		attr, ok := content.Attributes[name]
		if !ok {
			return "", nil
		}
		v, d := l.eval(attr.Expr, cty.String, name)
		diags = append(diags, d...)
		if d.HasErrors() {
			return "", nil
		}
		if !v.IsKnown() {
			if l.opts.Mode == ModeState {
				diags = append(diags, attrError(attr, "State "+name+" not known",
					name+" depends on a value that was not given (a variable, a Terraform output or an environment variable): give it, since this command reads the state."))
			}
			return "", nil
		}
		v, _ = v.UnmarkDeep()
		if v.IsNull() {
			return "", attr
		}
		return v.AsString(), attr
	}
	var attr *hcl.Attribute
	if s.Bucket, attr = str("bucket"); attr != nil && (!s3BucketRE.MatchString(s.Bucket) || strings.Contains(s.Bucket, "..")) {
		diags = append(diags, attrError(attr, "Invalid bucket",
			"bucket must be an S3 bucket name: 3 to 63 lowercase letters, digits, '.' or '-', beginning and ending with a letter or digit."))
	}
	if s.Prefix, attr = str("prefix"); attr != nil {
		for _, part := range strings.Split(strings.Trim(s.Prefix, "/"), "/") {
			if part == "." || part == ".." || strings.ContainsAny(part, "\x00") {
				diags = append(diags, attrError(attr, "Invalid prefix", "prefix must be a key prefix such as \"fbctl/prod\", without \".\" or \"..\" parts."))
				break
			}
		}
	}
	s.Region, _ = str("region")
	s.Profile, _ = str("profile")
	if s.AssumeRole, attr = str("assume_role"); attr != nil && !providers.IsRoleARN(s.AssumeRole) {
		diags = append(diags, attrError(attr, "Invalid assume_role",
			"assume_role must be an IAM role ARN, such as \"arn:aws:iam::123456789012:role/fbctl-state\"."))
	}
	if s.EndpointURL, attr = str("endpoint_url"); attr != nil {
		u, err := url.Parse(s.EndpointURL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			diags = append(diags, attrError(attr, "Invalid endpoint_url", "endpoint_url must be an http or https URL, such as \"https://minio.example.com:9000\"."))
		case u.User != nil:
			// It would be printed in errors and plans: credentials come
			// from the AWS chain, never from the policy.
			diags = append(diags, attrError(attr, "Credentials in endpoint_url",
				"endpoint_url must not carry a user or password: fbctl takes credentials from the AWS SDK's chain (environment, profile, SSO, instance role)."))
			s.EndpointURL = ""
		}
	}
	return s, diags
}

var gcsStateSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "bucket", Required: true}, {Name: "prefix"}, {Name: "endpoint_url"}, {Name: "credentials_file"},
	{Name: "impersonate_service_account"},
}}

// gcsBucketLabelRE is one dot-separated part of a GCS bucket name.
var gcsBucketLabelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$`)

// gcsBucketProblem says why name is not a GCS bucket name, "" when it is
// one: 3 to 63 characters (222 with dots, 63 per dot-separated part) of
// lowercase letters, digits, '-', '_' and '.', beginning and ending with a
// letter or digit; not an IP address, not beginning with "goog", not
// containing "google" (or "g00gle").
func gcsBucketProblem(name string) string {
	maxLen := 63
	if strings.Contains(name, ".") {
		maxLen = 222
	}
	if len(name) < 3 || len(name) > maxLen {
		return fmt.Sprintf("bucket must be 3 to %d characters long.", maxLen)
	}
	for _, part := range strings.Split(name, ".") {
		if !gcsBucketLabelRE.MatchString(part) {
			return "bucket must be a GCS bucket name: lowercase letters, digits, '-', '_' and '.', beginning and ending with a letter or digit, each dot-separated part at most 63 characters."
		}
	}
	if ip := net.ParseIP(name); ip != nil {
		return "bucket must not be an IP address."
	}
	if strings.HasPrefix(name, "goog") || strings.Contains(name, "google") || strings.Contains(name, "g00gle") {
		return "bucket must not begin with \"goog\" nor contain \"google\": GCS reserves them."
	}
	return ""
}

// decodeGCSState decodes the body of `state "gcs"`.
func (l *Loader) decodeGCSState(b *hcl.Block, diags hcl.Diagnostics) (*GCSState, hcl.Diagnostics) {
	s := &GCSState{}
	content, d := b.Body.Content(gcsStateSchema)
	diags = append(diags, d...)
	if content == nil {
		return s, diags
	}
	str := func(name string) (string, *hcl.Attribute) {
		var v string
		var attr *hcl.Attribute
		v, attr, diags = l.stateString(content, name, diags)
		return v, attr
	}
	var attr *hcl.Attribute
	if s.Bucket, attr = str("bucket"); attr != nil {
		if why := gcsBucketProblem(s.Bucket); why != "" {
			diags = append(diags, attrError(attr, "Invalid bucket", why))
		}
	}
	if s.Prefix, attr = str("prefix"); attr != nil {
		bad := len(s.Prefix) > 512 || !utf8.ValidString(s.Prefix) || strings.ContainsAny(s.Prefix, "\x00\r\n")
		for _, part := range strings.Split(strings.Trim(s.Prefix, "/"), "/") {
			bad = bad || part == "." || part == ".."
		}
		if bad {
			diags = append(diags, attrError(attr, "Invalid prefix",
				"prefix must be an object name prefix such as \"fbctl/prod\": valid UTF-8 of at most 512 bytes, without \".\" or \"..\" parts or line breaks."))
		}
	}
	if s.EndpointURL, attr = str("endpoint_url"); attr != nil {
		u, err := url.Parse(strings.TrimSpace(s.EndpointURL))
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
			diags = append(diags, attrError(attr, "Invalid endpoint_url",
				"endpoint_url must be an http or https URL of a GCS JSON API emulator, such as \"http://127.0.0.1:4443\"."))
			s.EndpointURL = ""
		case u.User != nil:
			diags = append(diags, attrError(attr, "Credentials in endpoint_url",
				"endpoint_url must not carry a user or password: fbctl sends no credentials to an endpoint_url, and takes them from credentials_file or Application Default Credentials otherwise."))
			s.EndpointURL = ""
		}
	}
	var credAttr *hcl.Attribute
	if s.CredentialsFile, attr = str("credentials_file"); attr != nil {
		credAttr = attr
		if strings.TrimSpace(s.CredentialsFile) == "" {
			diags = append(diags, attrError(attr, "Invalid credentials_file", "credentials_file must be the path of a credentials JSON file; leave it out for Application Default Credentials."))
		}
	}
	if s.ImpersonateServiceAccount, attr = str("impersonate_service_account"); attr != nil {
		s.ImpersonateServiceAccount = strings.TrimSpace(s.ImpersonateServiceAccount)
		if credAttr == nil {
			credAttr = attr
		}
		if !strings.Contains(s.ImpersonateServiceAccount, "@") || strings.ContainsAny(s.ImpersonateServiceAccount, " \t\r\n/") {
			diags = append(diags, attrError(attr, "Invalid impersonate_service_account",
				"impersonate_service_account must be a service account email (NAME@PROJECT.iam.gserviceaccount.com)."))
		}
	}
	if s.EndpointURL != "" && credAttr != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Credentials unused with endpoint_url",
			Detail:   "With endpoint_url (an emulator), fbctl sends no credentials, as the gcp provider does: credentials_file and impersonate_service_account are not used.",
			Subject:  rangePtr(credAttr.NameRange),
		})
	}
	return s, diags
}

// stateString evaluates the string attribute name of a state block: ""
// and a nil attribute when it is absent, not known or invalid (with a
// diagnostic where one is due).
func (l *Loader) stateString(content *hcl.BodyContent, name string, diags hcl.Diagnostics) (string, *hcl.Attribute, hcl.Diagnostics) {
	attr, ok := content.Attributes[name]
	if !ok {
		return "", nil, diags
	}
	v, d := l.eval(attr.Expr, cty.String, name)
	diags = append(diags, d...)
	if d.HasErrors() {
		return "", nil, diags
	}
	if !v.IsKnown() {
		if l.opts.Mode == ModeState {
			diags = append(diags, attrError(attr, "State "+name+" not known",
				name+" depends on a value that was not given (a variable, a Terraform output or an environment variable): give it, since this command reads the state."))
		}
		return "", nil, diags
	}
	v, _ = v.UnmarkDeep()
	if v.IsNull() {
		return "", attr, diags
	}
	return v.AsString(), attr, diags
}

// fbDecoder holds what decoding one failback needs to remember.
type fbDecoder struct {
	l         *Loader
	fb        *Failback
	bakeRange hcl.Range
	broken    bool // a check or target failed to decode: skip whole-failback rules
	// Which decoded durations and counts came from sensitive values, so
	// that the messages that print them (bakeWarnings) do not.
	bakeSensitive  bool
	checkSensitive map[*Check]checkSecrets
	// stepsSensitive is set when any step came from a sensitive value, so
	// stepWarnings does not print steps.
	stepsSensitive bool
}

// checkSecrets says which of a check's timing settings are sensitive.
type checkSecrets struct {
	interval, timeout, healthyThreshold bool
}

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

func (d *fbDecoder) decodeCheck(b *hcl.Block) (*Check, hcl.Diagnostics) {
	l := d.l
	kindName, name := b.Labels[0], b.Labels[1]
	kind, diags := l.lookupKind(providers.ClassCheck, kindName, b.LabelRanges[0])
	if kind == nil {
		return nil, diags
	}
	if dd := checkName("check", name, b.LabelRanges[1]); dd != nil {
		return nil, hcl.Diagnostics{dd}
	}
	c := &Check{Kind: kindName, Name: name, DeclRange: b.DefRange}

	mp := misplaced{attrs: map[string]string{}}
	extra := append([]string{}, checkAttributes...)
	if kind.Provider == "" {
		mp.attrs["provider"] = fmt.Sprintf("%s checks take no provider: they run from wherever fbctl runs.", kindName)
	} else {
		extra = append(extra, "provider")
	}
	for _, n := range rolloutAttrNames() {
		mp.attrs[n] = fmt.Sprintf("The argument %q belongs inside the failback's rollout block, not in a check.", n)
	}
	body, d1 := withoutMisplaced(b.Body, mp)
	diags = append(diags, d1...)
	content, d2 := body.Content(kindSchema(kind.Attributes, extra...))
	diags = append(diags, d2...)
	if content == nil {
		return nil, diags
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

	if kind.Provider != "" {
		p, dd := l.resolveProvider(kind, content.Attributes["provider"], b)
		diags = append(diags, dd...)
		c.Provider = p
	}
	cfg, dd := l.decodeConfig(kind.Attributes, content, b.DefRange, kind.ExactlyOneOf, kind.Validate)
	diags = append(diags, dd...)
	c.Config = cfg
	return c, diags
}

func (d *fbDecoder) decodeTarget(b *hcl.Block) (*Target, hcl.Diagnostics) {
	l := d.l
	kindName, name := b.Labels[0], b.Labels[1]
	kind, diags := l.lookupKind(providers.ClassTarget, kindName, b.LabelRanges[0])
	if kind == nil {
		return nil, diags
	}
	if dd := checkName("target", name, b.LabelRanges[1]); dd != nil {
		return nil, hcl.Diagnostics{dd}
	}
	t := &Target{Kind: kindName, Name: name, DeclRange: b.DefRange}

	mp := misplaced{attrs: map[string]string{
		"of": "A target steers traffic between both sides; of belongs in check blocks.",
	}}
	for _, n := range checkAttributes {
		if n != "of" && n != "timeout" {
			mp.attrs[n] = fmt.Sprintf("The argument %q belongs in a check block, not a target.", n)
		}
	}
	var extra []string
	if kind.Provider == "" {
		mp.attrs["provider"] = fmt.Sprintf("%s targets take no provider: everything they need is in the block.", kindName)
	} else {
		extra = append(extra, "provider")
	}
	body, d1 := withoutMisplaced(b.Body, mp)
	diags = append(diags, d1...)
	content, d2 := body.Content(kindSchema(kind.Attributes, extra...))
	diags = append(diags, d2...)
	if content == nil {
		return nil, diags
	}
	if kind.Provider != "" {
		p, dd := l.resolveProvider(kind, content.Attributes["provider"], b)
		diags = append(diags, dd...)
		t.Provider = p
	}
	cfg, dd := l.decodeConfig(kind.Attributes, content, b.DefRange, kind.ExactlyOneOf, kind.Validate)
	diags = append(diags, dd...)
	t.Config = cfg
	if !dd.HasErrors() {
		for _, p := range providers.SidesProblems(cfg) {
			diags = append(diags, attrError(content.Attributes[p.Attr], hideLong(p.Summary, cfg), hideLong(p.Detail, cfg)))
		}
	}
	t.attrRanges = make(map[string]hcl.Range, len(content.Attributes))
	for n, a := range content.Attributes {
		t.attrRanges[n] = a.Expr.Range()
	}
	t.decoded = !diags.HasErrors()
	return t, diags
}

func (l *Loader) lookupKind(class providers.Class, name string, rng hcl.Range) (*providers.Kind, hcl.Diagnostics) {
	k, err := l.opts.Registry.Kind(class, name)
	if err == nil {
		return k, nil
	}
	known := l.opts.Registry.KindNames(class)
	return nil, hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Unknown %s kind", class),
		Detail:   fmt.Sprintf("No %s kind %q exists.%s Known %s kinds: %s.", class, name, didYouMean(name, known), class, strings.Join(known, ", ")),
		Subject:  rangePtr(rng),
	}}
}

// resolveProvider resolves a Terraform-style provider reference statically.
// Without a reference, the one provider of the needed type is used; none or
// several is an error.
func (l *Loader) resolveProvider(kind *providers.Kind, attr *hcl.Attribute, b *hcl.Block) (*Provider, hcl.Diagnostics) {
	what := fmt.Sprintf("%s %ss", kind.Name, kind.Class)
	if attr == nil {
		var found []*Provider
		for _, p := range l.sortedProviders() {
			if p.Type == kind.Provider {
				found = append(found, p)
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Missing provider",
				Detail:   fmt.Sprintf("%s need %s provider, and none is declared. Add a provider %q \"NAME\" block.", what, withArticle(kind.Provider), kind.Provider),
				Subject:  rangePtr(b.DefRange),
			}}
		default:
			var addrs []string
			for _, p := range found {
				addrs = append(addrs, p.Addr())
			}
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Ambiguous provider",
				Detail:   fmt.Sprintf("Several %s providers are declared (%s); say which with provider = %s.", kind.Provider, strings.Join(addrs, ", "), addrs[0]),
				Subject:  rangePtr(b.DefRange),
			}}
		}
	}
	rng := attr.Expr.Range()
	tr, d := hcl.AbsTraversalForExpr(attr.Expr)
	if d.HasErrors() || len(tr) != 2 {
		detail := fmt.Sprintf("A provider reference is a bare TYPE.NAME address, as in provider = %s.prod.", kind.Provider)
		if _, isTemplate := attr.Expr.(*hclsyntax.TemplateExpr); isTemplate {
			detail += " Remove the quotes: it is a reference, not a string."
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid provider reference", Detail: detail, Subject: &rng}}
	}
	typ := tr.RootName()
	step, ok := tr[1].(hcl.TraverseAttr)
	if !ok {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid provider reference",
			Detail: fmt.Sprintf("A provider reference is a bare TYPE.NAME address, as in provider = %s.prod.", kind.Provider), Subject: &rng}}
	}
	addr := typ + "." + step.Name
	p, ok := l.providers[addr]
	if !ok && l.badProviders[addr] {
		// Declared with an unknown type, which is reported at the block.
		return nil, nil
	}
	if !ok {
		var addrs []string
		for _, p := range l.sortedProviders() {
			addrs = append(addrs, p.Addr())
		}
		detail := fmt.Sprintf("No provider %q %q is declared.", typ, step.Name)
		if s := didYouMean(addr, addrs); s != "" {
			detail += s
		} else if len(addrs) > 0 {
			detail += " Declared providers: " + strings.Join(addrs, ", ") + "."
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Reference to undeclared provider", Detail: detail, Subject: &rng}}
	}
	if p.Type != kind.Provider {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Provider of the wrong type",
			Detail:   fmt.Sprintf("%s need %s provider; %s is %s provider.", what, withArticle(kind.Provider), addr, withArticle(p.Type)),
			Subject:  &rng,
		}}
	}
	return p, nil
}

func (l *Loader) sortedProviders() []*Provider {
	out := make([]*Provider, 0, len(l.providers))
	for _, p := range l.providers {
		out = append(out, p)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Addr() < out[j-1].Addr(); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

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

// duration evaluates a positive Go duration string ("90s", "10m",
// "1h30m"); absent, it is def. Unknown values give def too: validate skips
// what it cannot know.
func (l *Loader) duration(attr *hcl.Attribute, def time.Duration) (time.Duration, hcl.Diagnostics) {
	dur, _, diags := l.durationValue(attr, def)
	return dur, diags
}

// durationValue is duration that also says whether the value is sensitive,
// for messages that print the duration later.
func (l *Loader) durationValue(attr *hcl.Attribute, def time.Duration) (time.Duration, bool, hcl.Diagnostics) {
	if attr == nil {
		return def, false, nil
	}
	v, diags := l.eval(attr.Expr, cty.String, attr.Name)
	if diags.HasErrors() || !v.IsKnown() {
		l.noteUnknown(attr, v, diags)
		return def, false, diags
	}
	if v.IsNull() {
		return def, false, append(diags, attrError(attr, "Invalid duration", attr.Name+" must be a duration such as \"90s\", \"10m\" or \"1h30m\"."))
	}
	raw, _ := v.UnmarkDeep()
	dur, err := time.ParseDuration(raw.AsString())
	if err != nil {
		return def, false, append(diags, attrError(attr, "Invalid duration",
			fmt.Sprintf("%s is %s, which is not a duration; write a number with a unit, such as \"90s\", \"10m\" or \"1h30m\".", attr.Name, describe(v))))
	}
	if dur <= 0 {
		return def, false, append(diags, attrError(attr, "Invalid duration",
			fmt.Sprintf("%s must be positive; it is %s.", attr.Name, describe(v))))
	}
	return dur, IsSensitive(v), diags
}

// count evaluates a whole number in [lo, hi]; absent or unknown, it is def.
func (l *Loader) count(attr *hcl.Attribute, def, lo, hi int) (int, hcl.Diagnostics) {
	n, _, diags := l.countValue(attr, def, lo, hi)
	return n, diags
}

// countValue is count that also says whether the value is sensitive.
func (l *Loader) countValue(attr *hcl.Attribute, def, lo, hi int) (int, bool, hcl.Diagnostics) {
	if attr == nil {
		return def, false, nil
	}
	v, diags := l.eval(attr.Expr, cty.Number, attr.Name)
	if diags.HasErrors() || !v.IsKnown() {
		l.noteUnknown(attr, v, diags)
		return def, false, diags
	}
	if v.IsNull() {
		return def, false, append(diags, attrError(attr, "Invalid "+attr.Name, attr.Name+" must be a whole number."))
	}
	raw, _ := v.UnmarkDeep()
	f := raw.AsBigFloat()
	n, acc := f.Int64()
	if !f.IsInt() || acc != big.Exact {
		return def, false, append(diags, attrError(attr, "Invalid "+attr.Name, fmt.Sprintf("%s must be a whole number; it is %s.", attr.Name, describe(v))))
	}
	if n < int64(lo) || n > int64(hi) {
		return def, false, append(diags, attrError(attr, "Invalid "+attr.Name, fmt.Sprintf("%s must be between %d and %d; it is %s.", attr.Name, lo, hi, describe(v))))
	}
	return int(n), IsSensitive(v), diags
}

// enum evaluates a string that must be one of allowed. known is false when
// the value is unknown (validate with unknown inputs).
func (l *Loader) enum(attr *hcl.Attribute, allowed []string) (string, bool, hcl.Diagnostics) {
	v, diags := l.eval(attr.Expr, cty.String, attr.Name)
	if diags.HasErrors() || !v.IsKnown() {
		l.noteUnknown(attr, v, diags)
		return "", false, diags
	}
	raw, _ := v.UnmarkDeep()
	if !raw.IsNull() {
		for _, a := range allowed {
			if raw.AsString() == a {
				return a, true, diags
			}
		}
	}
	hint := ""
	if !raw.IsNull() && !IsSensitive(v) {
		hint = didYouMean(raw.AsString(), allowed)
	}
	return "", true, append(diags, attrError(attr, "Invalid "+attr.Name,
		fmt.Sprintf("%s must be one of %s; it is %s.%s", attr.Name, quoted(allowed), describe(v), hint)))
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
