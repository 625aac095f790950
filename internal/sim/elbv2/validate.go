package elbv2sim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// normalize fills in what AWS fills in when it stores a forward action,
// unless Options.Verbatim: a TargetGroupArn alone becomes also a one-group
// ForwardConfig of weight 1; a ForwardConfig without stickiness gets
// {Enabled: false}; a target group without a weight gets weight 1.
func (s *Server) normalize(actions []Action) []Action {
	if s.opts.Verbatim {
		return actions
	}
	for i := range actions {
		a := &actions[i]
		if a.Type != ActionForward {
			continue
		}
		if a.ForwardConfig == nil && a.TargetGroupArn != nil {
			a.ForwardConfig = &ForwardActionConfig{TargetGroups: []TargetGroupTuple{{TargetGroupArn: Ptr(*a.TargetGroupArn), Weight: Ptr[int32](1)}}}
		}
		if fc := a.ForwardConfig; fc != nil {
			if fc.TargetGroupStickinessConfig == nil {
				fc.TargetGroupStickinessConfig = &TargetGroupStickinessConfig{Enabled: Ptr(false)}
			}
			for j := range fc.TargetGroups {
				if fc.TargetGroups[j].Weight == nil {
					fc.TargetGroups[j].Weight = Ptr[int32](1)
				}
			}
		}
	}
	return actions
}

// redact removes what AWS never describes (the OIDC client secret) from a
// copy about to be sent.
func redact(actions []Action) {
	for i := range actions {
		if c := actions[i].AuthenticateOidcConfig; c != nil {
			c.ClientSecret = nil
		}
	}
}

// Constraint messages in the form AWS uses for parameter validation.
func nullErr(path string) *apiError {
	return errf(codeValidation, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", path)
}

func rangeErr(path string, v int64, lo, hi int64) *apiError {
	if v < lo {
		return errf(codeValidation, "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", v, path, lo)
	}
	if v > hi {
		return errf(codeValidation, "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", v, path, hi)
	}
	return nil
}

func enumErr(path, v string, set []string) *apiError {
	for _, e := range set {
		if v == e {
			return nil
		}
	}
	return errf(codeValidation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", v, path, strings.Join(set, ", "))
}

func lengthErr(path, v string, lo, hi int) *apiError {
	if n := len([]rune(v)); n < lo || n > hi {
		return errf(codeValidation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length between %d and %d", v, path, lo, hi)
	}
	return nil
}

func patternErr(path, v string, re *regexp.Regexp) *apiError {
	if !re.MatchString(v) {
		return errf(codeValidation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", v, path, re.String())
	}
	return nil
}

func required(path string, p *string) *apiError {
	if p == nil {
		return nullErr(path)
	}
	return nil
}

var (
	actionTypes          = []string{ActionForward, ActionAuthenticateOidc, ActionAuthenticateCognito, ActionRedirect, ActionFixedResponse, ActionJwtValidation}
	redirectStatusCodes  = []string{"HTTP_301", "HTTP_302"}
	fixedContentTypes    = []string{"text/plain", "text/css", "text/html", "application/javascript", "application/json"}
	onUnauthenticated    = []string{"deny", "allow", "authenticate"}
	redirectProtocolRe   = regexp.MustCompile(`^(HTTPS?|#\{protocol\})$`)
	fixedStatusRe        = regexp.MustCompile(`^(2|4|5)\d\d$`)
	conditionFields      = []string{"http-header", "http-request-method", "host-header", "path-pattern", "query-string", "source-ip"}
	singletonConditions  = map[string]bool{"host-header": true, "http-request-method": true, "path-pattern": true, "source-ip": true}
	transformTypes       = []string{"host-header-rewrite", "url-rewrite"}
	maxTargetGroupsPerFw = 5
)

// lowerFirst turns a member name into the form AWS uses in validation
// messages (defaultActions.1.member.forwardConfig…).
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// validateActions checks the action list of a ModifyListener (field
// "DefaultActions") or ModifyRule (field "Actions") as the API documents
// it, and fills a client secret the client asked to keep
// (UseExistingClientSecret) from the existing actions. It works on the
// caller's copy.
func (s *Server) validateActions(field string, actions []Action, protocol string, existing []Action) *apiError {
	base := lowerFirst(field)
	if len(actions) == 0 {
		return errf(codeValidation, "1 validation error detected: Value '[]' at '%s' failed to satisfy constraint: Member must have at least 1 element", base)
	}
	for i := range actions {
		a := &actions[i]
		p := fmt.Sprintf("%s.%d.member", base, i+1)
		if a.Type == "" {
			return nullErr(p + ".type")
		}
		if e := enumErr(p+".type", a.Type, actionTypes); e != nil {
			return e
		}
		if a.Order != nil {
			if e := rangeErr(p+".order", int64(*a.Order), 1, 50000); e != nil {
				return e
			}
		}
		// A configuration is specified only for its own type.
		for _, c := range []struct {
			set  bool
			name string
			typ  string
		}{
			{a.TargetGroupArn != nil, "TargetGroupArn", ActionForward},
			{a.ForwardConfig != nil, "ForwardConfig", ActionForward},
			{a.RedirectConfig != nil, "RedirectConfig", ActionRedirect},
			{a.FixedResponseConfig != nil, "FixedResponseConfig", ActionFixedResponse},
			{a.AuthenticateOidcConfig != nil, "AuthenticateOidcConfig", ActionAuthenticateOidc},
			{a.AuthenticateCognitoConfig != nil, "AuthenticateCognitoConfig", ActionAuthenticateCognito},
			{a.JwtValidationConfig != nil, "JwtValidationConfig", ActionJwtValidation},
		} {
			if c.set && a.Type != c.typ {
				return errf(codeValidation, "%s can be specified only when the action type is '%s', not '%s' (%s)", c.name, c.typ, a.Type, p)
			}
		}
		var e *apiError
		switch a.Type {
		case ActionForward:
			e = validateForward(p, a)
		case ActionRedirect:
			e = validateRedirect(p, a.RedirectConfig)
		case ActionFixedResponse:
			e = validateFixedResponse(p, a.FixedResponseConfig)
		case ActionAuthenticateOidc:
			e = validateOidc(p, a.AuthenticateOidcConfig, existing)
		case ActionAuthenticateCognito:
			e = validateCognito(p, a.AuthenticateCognitoConfig)
		case ActionJwtValidation:
			c := a.JwtValidationConfig
			if c == nil {
				return errf(codeValidation, "A JwtValidationConfig must be specified for a jwt-validation action (%s)", p)
			}
			if e = required(p+".jwtValidationConfig.issuer", c.Issuer); e == nil {
				e = required(p+".jwtValidationConfig.jwksEndpoint", c.JwksEndpoint)
			}
		}
		if e != nil {
			return e
		}
		if a.Type == ActionAuthenticateOidc || a.Type == ActionAuthenticateCognito || a.Type == ActionJwtValidation {
			if protocol != "HTTPS" {
				return errf(codeIncompatibleProtocols, "Action type '%s' is supported only on HTTPS listeners", a.Type)
			}
		}
	}

	// The combination: exactly one terminal action, performed last.
	terminal, last := 0, -1
	for i, a := range actions {
		if a.Type == ActionForward || a.Type == ActionRedirect || a.Type == ActionFixedResponse {
			terminal++
			last = i
		}
	}
	if terminal != 1 {
		return errf(codeInvalidLoadBalancerAction, "Each rule must include exactly one of the following types of actions: forward, fixed-response, or redirect (found %d)", terminal)
	}
	if len(actions) > 1 {
		seen := map[int32]bool{}
		for i, a := range actions {
			if a.Order == nil {
				return errf(codeValidation, "The action order is required for rules with multiple actions (%s.%d.member.order)", base, i+1)
			}
			if seen[*a.Order] {
				return errf(codeInvalidLoadBalancerAction, "The action order %d is used more than once", *a.Order)
			}
			seen[*a.Order] = true
		}
		for i, a := range actions {
			if i != last && *a.Order > *actions[last].Order {
				return errf(codeInvalidLoadBalancerAction, "The %s action must be the last action to be performed", actions[last].Type)
			}
		}
	}

	// The target groups must exist.
	for _, a := range actions {
		for _, tg := range actionTargetGroups(a) {
			if s.tgs[tg] == nil {
				return errf(codeTargetGroupNotFound, "Target groups '%s' not found", tg)
			}
		}
	}
	return nil
}

func validateForward(p string, a *Action) *apiError {
	if a.TargetGroupArn == nil && a.ForwardConfig == nil {
		return errf(codeValidation, "A target group ARN or a ForwardConfig must be specified for a forward action (%s)", p)
	}
	if a.TargetGroupArn != nil && *a.TargetGroupArn == "" {
		return errf(codeValidation, "The target group ARN cannot be empty (%s.targetGroupArn)", p)
	}
	fc := a.ForwardConfig
	if fc == nil {
		return nil
	}
	fp := p + ".forwardConfig"
	if len(fc.TargetGroups) == 0 {
		return errf(codeValidation, "A ForwardConfig must specify at least one target group (%s.targetGroups)", fp)
	}
	if len(fc.TargetGroups) > maxTargetGroupsPerFw {
		return errf(codeValidation, "A forward action can have at most %d target groups, not %d (%s.targetGroups)", maxTargetGroupsPerFw, len(fc.TargetGroups), fp)
	}
	seen := map[string]bool{}
	for j, t := range fc.TargetGroups {
		tp := fmt.Sprintf("%s.targetGroups.%d.member", fp, j+1)
		if t.TargetGroupArn == nil || *t.TargetGroupArn == "" {
			return nullErr(tp + ".targetGroupArn")
		}
		if t.Weight != nil {
			if e := rangeErr(tp+".weight", int64(*t.Weight), 0, 999); e != nil {
				return e
			}
		}
		if seen[*t.TargetGroupArn] {
			return errf(codeValidation, "Target group '%s' is specified more than once in the ForwardConfig", *t.TargetGroupArn)
		}
		seen[*t.TargetGroupArn] = true
	}
	if a.TargetGroupArn != nil && (len(fc.TargetGroups) != 1 || *fc.TargetGroups[0].TargetGroupArn != *a.TargetGroupArn) {
		return errf(codeValidation, "If you specify both TargetGroupArn and ForwardConfig, ForwardConfig can specify only one target group and it must be the target group of TargetGroupArn (%s)", p)
	}
	if sc := fc.TargetGroupStickinessConfig; sc != nil {
		sp := fp + ".targetGroupStickinessConfig"
		if sc.DurationSeconds != nil {
			if e := rangeErr(sp+".durationSeconds", int64(*sc.DurationSeconds), 1, 604800); e != nil {
				return e
			}
		}
		if sc.Enabled != nil && *sc.Enabled && sc.DurationSeconds == nil {
			return errf(codeValidation, "You must specify DurationSeconds when enabling target group stickiness (%s)", sp)
		}
	}
	return nil
}

func validateRedirect(p string, c *RedirectActionConfig) *apiError {
	if c == nil {
		return errf(codeValidation, "A RedirectConfig must be specified for a redirect action (%s)", p)
	}
	p += ".redirectConfig"
	if c.StatusCode == "" {
		return nullErr(p + ".statusCode")
	}
	if e := enumErr(p+".statusCode", c.StatusCode, redirectStatusCodes); e != nil {
		return e
	}
	if c.Protocol != nil {
		if e := patternErr(p+".protocol", *c.Protocol, redirectProtocolRe); e != nil {
			return e
		}
	}
	if c.Port != nil && *c.Port != "#{port}" {
		n, err := strconv.Atoi(*c.Port)
		if err != nil || n < 1 || n > 65535 {
			return errf(codeValidation, "The redirect port must be 1-65535 or #{port}, not '%s' (%s.port)", *c.Port, p)
		}
	}
	if c.Host != nil {
		if e := lengthErr(p+".host", *c.Host, 1, 128); e != nil {
			return e
		}
	}
	if c.Path != nil {
		if e := lengthErr(p+".path", *c.Path, 1, 128); e != nil {
			return e
		}
		if !strings.HasPrefix(*c.Path, "/") {
			return errf(codeValidation, "The redirect path must start with '/' (%s.path)", p)
		}
	}
	if c.Query != nil {
		if e := lengthErr(p+".query", *c.Query, 0, 128); e != nil {
			return e
		}
	}
	return nil
}

func validateFixedResponse(p string, c *FixedResponseActionConfig) *apiError {
	if c == nil {
		return errf(codeValidation, "A FixedResponseConfig must be specified for a fixed-response action (%s)", p)
	}
	p += ".fixedResponseConfig"
	if c.StatusCode == nil {
		return nullErr(p + ".statusCode")
	}
	if e := patternErr(p+".statusCode", *c.StatusCode, fixedStatusRe); e != nil {
		return e
	}
	if c.MessageBody != nil {
		if e := lengthErr(p+".messageBody", *c.MessageBody, 0, 1024); e != nil {
			return e
		}
	}
	if c.ContentType != nil {
		if e := lengthErr(p+".contentType", *c.ContentType, 0, 32); e != nil {
			return e
		}
		if e := enumErr(p+".contentType", *c.ContentType, fixedContentTypes); e != nil {
			return e
		}
	}
	return nil
}

func validateOidc(p string, c *AuthenticateOidcActionConfig, existing []Action) *apiError {
	if c == nil {
		return errf(codeValidation, "An AuthenticateOidcConfig must be specified for an authenticate-oidc action (%s)", p)
	}
	p += ".authenticateOidcConfig"
	for _, f := range []struct {
		n string
		v *string
	}{{"issuer", c.Issuer}, {"authorizationEndpoint", c.AuthorizationEndpoint}, {"tokenEndpoint", c.TokenEndpoint}, {"userInfoEndpoint", c.UserInfoEndpoint}, {"clientId", c.ClientId}} {
		if e := required(p+"."+f.n, f.v); e != nil {
			return e
		}
	}
	if c.OnUnauthenticatedRequest != "" {
		if e := enumErr(p+".onUnauthenticatedRequest", c.OnUnauthenticatedRequest, onUnauthenticated); e != nil {
			return e
		}
	}
	if c.ClientSecret == nil {
		if c.UseExistingClientSecret == nil || !*c.UseExistingClientSecret {
			return errf(codeValidation, "A client secret must be specified for an authenticate-oidc action unless UseExistingClientSecret is true (%s.clientSecret)", p)
		}
		for _, ea := range existing {
			if ec := ea.AuthenticateOidcConfig; ea.Type == ActionAuthenticateOidc && ec != nil && ec.ClientSecret != nil {
				c.ClientSecret = Ptr(*ec.ClientSecret)
				return nil
			}
		}
		return errf(codeValidation, "UseExistingClientSecret is true but there is no existing client secret (%s)", p)
	}
	return nil
}

func validateCognito(p string, c *AuthenticateCognitoActionConfig) *apiError {
	if c == nil {
		return errf(codeValidation, "An AuthenticateCognitoConfig must be specified for an authenticate-cognito action (%s)", p)
	}
	p += ".authenticateCognitoConfig"
	for _, f := range []struct {
		n string
		v *string
	}{{"userPoolArn", c.UserPoolArn}, {"userPoolClientId", c.UserPoolClientId}, {"userPoolDomain", c.UserPoolDomain}} {
		if e := required(p+"."+f.n, f.v); e != nil {
			return e
		}
	}
	if c.OnUnauthenticatedRequest != "" {
		return enumErr(p+".onUnauthenticatedRequest", c.OnUnauthenticatedRequest, onUnauthenticated)
	}
	return nil
}

// validateConditions checks the conditions of a ModifyRule.
func validateConditions(conds []Condition) *apiError {
	if len(conds) == 0 {
		return errf(codeValidation, "1 validation error detected: Value '[]' at 'conditions' failed to satisfy constraint: a rule must have at least one condition")
	}
	seen := map[string]bool{}
	for i, c := range conds {
		p := fmt.Sprintf("conditions.%d.member", i+1)
		if c.Field == nil {
			return nullErr(p + ".field")
		}
		f := *c.Field
		if e := lengthErr(p+".field", f, 0, 64); e != nil {
			return e
		}
		if e := enumErr(p+".field", f, conditionFields); e != nil {
			return e
		}
		if singletonConditions[f] {
			if seen[f] {
				return errf(codeValidation, "A rule can have at most one '%s' condition", f)
			}
			seen[f] = true
		}
		if c.Values != nil && f != "host-header" && f != "path-pattern" {
			return errf(codeValidation, "Values can be specified only for host-header and path-pattern conditions, not '%s' (%s.values)", f, p)
		}
		if c.RegexValues != nil && f != "host-header" && f != "path-pattern" && f != "http-header" {
			return errf(codeValidation, "RegexValues can be specified only for http-header, host-header and path-pattern conditions, not '%s' (%s.regexValues)", f, p)
		}
		for _, k := range []struct {
			set   bool
			name  string
			field string
		}{
			{c.HostHeaderConfig != nil, "HostHeaderConfig", "host-header"},
			{c.PathPatternConfig != nil, "PathPatternConfig", "path-pattern"},
			{c.HttpHeaderConfig != nil, "HttpHeaderConfig", "http-header"},
			{c.HttpRequestMethodConfig != nil, "HttpRequestMethodConfig", "http-request-method"},
			{c.QueryStringConfig != nil, "QueryStringConfig", "query-string"},
			{c.SourceIpConfig != nil, "SourceIpConfig", "source-ip"},
		} {
			if k.set && f != k.field {
				return errf(codeValidation, "%s can be specified only for a '%s' condition, not '%s' (%s)", k.name, k.field, f, p)
			}
		}
		var ok bool
		switch f {
		case "host-header":
			ok = len(c.Values) > 0 || len(c.RegexValues) > 0 || (c.HostHeaderConfig != nil && (len(c.HostHeaderConfig.Values) > 0 || len(c.HostHeaderConfig.RegexValues) > 0))
		case "path-pattern":
			ok = len(c.Values) > 0 || len(c.RegexValues) > 0 || (c.PathPatternConfig != nil && (len(c.PathPatternConfig.Values) > 0 || len(c.PathPatternConfig.RegexValues) > 0))
		case "http-header":
			ok = c.HttpHeaderConfig != nil && c.HttpHeaderConfig.HttpHeaderName != nil && (len(c.HttpHeaderConfig.Values) > 0 || len(c.HttpHeaderConfig.RegexValues) > 0 || len(c.RegexValues) > 0)
		case "http-request-method":
			ok = c.HttpRequestMethodConfig != nil && len(c.HttpRequestMethodConfig.Values) > 0
		case "query-string":
			ok = c.QueryStringConfig != nil && len(c.QueryStringConfig.Values) > 0
		case "source-ip":
			ok = c.SourceIpConfig != nil && len(c.SourceIpConfig.Values) > 0
		}
		if !ok {
			return errf(codeValidation, "A '%s' condition needs at least one value (%s)", f, p)
		}
	}
	return nil
}

// validateTransforms checks the transforms of a ModifyRule.
func validateTransforms(ts []RuleTransform) *apiError {
	seen := map[string]bool{}
	for i, t := range ts {
		p := fmt.Sprintf("transforms.%d.member", i+1)
		if t.Type == "" {
			return nullErr(p + ".type")
		}
		if e := enumErr(p+".type", t.Type, transformTypes); e != nil {
			return e
		}
		if seen[t.Type] {
			return errf(codeValidation, "A rule can have at most one '%s' transform", t.Type)
		}
		seen[t.Type] = true
		if (t.HostHeaderRewriteConfig != nil) != (t.Type == "host-header-rewrite") || (t.UrlRewriteConfig != nil) != (t.Type == "url-rewrite") {
			return errf(codeValidation, "A '%s' transform needs exactly its own rewrite config (%s)", t.Type, p)
		}
	}
	return nil
}
