package policy

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

var stateTypes = []string{"file", "s3", "gcs"}

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
