// Package aws provides fbctl's Amazon Web Services kinds: the
// route53_weighted and alb_forward targets and the route53_health and
// alb_target_health checks, all bound to an `aws` provider block.
//
// This file declares their schemas and attaches the behaviour to the same
// registrations: [Route53Weighted] (route53.go), [ALBForward] (alb.go),
// [Route53Health] and [ALBTargetHealth] (checks.go). Every target and check
// bound to one provider block shares that block's API clients and its
// client-side token bucket (account.go): requests_per_second and burst
// limit every HTTP attempt of every call, retries included, and the SDK's
// standard retryer makes up to MaxAttempts attempts on throttling
// (Throttling, PriorRequestNotComplete), 5xx and connection errors.
// Credentials come from the SDK's default chain (the environment, the
// shared files, profile, then instance roles), or from STS AssumeRole when
// assume_role is set; they never appear in errors. When neither region nor
// the SDK's chain names a region, DefaultRegion (us-east-1) is used.
package aws

import (
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// ProviderType is the name of the provider block type: provider "aws" "NAME".
const ProviderType = "aws"

// Register adds the aws provider type and its kinds to r.
func Register(r *providers.Registry) {
	r.RegisterProvider(providers.ProviderType{
		Name: ProviderType,
		Doc:  "An AWS account and region. Credentials come from the SDK's default chain unless profile or assume_role say otherwise.",
		Attributes: []providers.Attribute{
			providers.Optional("region", cty.String, cty.NilVal, "AWS region; the SDK's default (AWS_REGION, profile) when unset. Route 53 is global but still signs with a region."),
			providers.Optional("profile", cty.String, cty.NilVal, "Shared-config profile to use instead of the default credential chain."),
			providers.Optional("assume_role", cty.String, cty.NilVal, "ARN of an IAM role to assume through STS."),
			providers.Optional("endpoint_url", cty.String, cty.NilVal, "Base URL for every AWS API call, for emulators such as moto or fbctl's own."),
			providers.Optional("requests_per_second", cty.Number, cty.NumberIntVal(10), "Client-side rate limit shared by every failback using this account."),
			providers.Optional("burst", cty.Number, cty.NumberIntVal(50), "Token-bucket burst of the client-side rate limit."),
		},
		Validate: func(v cty.Value) []providers.Problem {
			var p []providers.Problem
			p = append(p, providers.NumberInRange(v, "requests_per_second", 1, 1000, false)...)
			p = append(p, providers.NumberInRange(v, "burst", 1, 10000, true)...)
			if s, ok := providers.StringAttr(v, "assume_role"); ok && !providers.IsRoleARN(s) {
				p = append(p, providers.Problem{Attr: "assume_role", Summary: "Invalid assume_role",
					Detail: "assume_role must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)."})
			}
			// The SDK takes any string here and fails only when it calls.
			p = append(p, providers.URLProblem(v, "endpoint_url", "http", "https")...)
			p = append(p, wordProblems(v, "region", "profile")...)
			return p
		},
	})

	r.Register(providers.Kind{
		Class:    providers.ClassTarget,
		Name:     "route53_weighted",
		Provider: ProviderType,
		Doc:      "A Route 53 weighted record group: the primary and secondary sets (by SetIdentifier) get weights 0-255 in proportion to the share.",
		Attributes: []providers.Attribute{
			providers.Optional("zone_id", cty.String, cty.NilVal, "Hosted zone ID (Z…). Exactly one of zone_id and zone."),
			providers.Optional("zone", cty.String, cty.NilVal, "Hosted zone name, looked up once per run. Exactly one of zone_id and zone."),
			providers.Required("name", cty.String, "Record name, e.g. api.example.com (trailing dot optional)."),
			providers.Optional("type", cty.String, cty.StringVal("A"), "Record type."),
			providers.Required("primary", providers.StringList, "SetIdentifiers of the primary's weighted sets."),
			providers.Required("secondary", providers.StringList, "SetIdentifiers of the secondary's weighted sets."),
		},
		ExactlyOneOf: [][]string{{"zone_id", "zone"}},
		Validate:     validateRoute53Weighted,
		Steers:       route53Steers,
		NewTarget: func(cfg providers.Config) (providers.Target, error) {
			t, err := NewRoute53Weighted(cfg)
			if err != nil {
				return nil, err // not a typed nil in the interface
			}
			return t, nil
		},
	})

	r.Register(providers.Kind{
		Class:    providers.ClassTarget,
		Name:     "alb_forward",
		Provider: ProviderType,
		Doc:      "An ALB listener's default forward action, or a listener rule's, with weighted target groups (weights 0-999).",
		Attributes: []providers.Attribute{
			providers.Optional("listener_arn", cty.String, cty.NilVal, "Listener ARN: steer its default actions. Exactly one of listener_arn and rule_arn."),
			providers.Optional("rule_arn", cty.String, cty.NilVal, "Listener rule ARN: steer that rule's actions. Exactly one of listener_arn and rule_arn."),
			providers.Required("primary", providers.StringList, "Target group ARNs of the primary."),
			providers.Required("secondary", providers.StringList, "Target group ARNs of the secondary."),
		},
		ExactlyOneOf: [][]string{{"listener_arn", "rule_arn"}},
		Validate: func(v cty.Value) []providers.Problem {
			var p []providers.Problem
			p = append(p, arnProblem(v, "listener_arn", ":listener/")...)
			p = append(p, arnProblem(v, "rule_arn", ":listener-rule/")...)
			return append(p, albMembers.Problems(v)...)
		},
		Steers: albSteers,
		NewTarget: func(cfg providers.Config) (providers.Target, error) {
			t, err := NewALBForward(cfg)
			if err != nil {
				return nil, err
			}
			return t, nil
		},
	})

	r.Register(providers.Kind{
		Class:    providers.ClassCheck,
		Name:     "route53_health",
		Provider: ProviderType,
		Doc:      "A Route 53 health check's status (GetHealthCheckStatus): healthy when more than threshold % of the checkers report success.",
		Attributes: []providers.Attribute{
			providers.Required("health_check_id", cty.String, "Route 53 health check ID."),
			providers.Optional("threshold", cty.Number, cty.NumberIntVal(18), "Percent of checkers that must report success (Route 53's own rule is 18)."),
		},
		Validate: func(v cty.Value) []providers.Problem {
			p := providers.NumberInRange(v, "threshold", 0, 100, false)
			if s, ok := providers.StringAttr(v, "health_check_id"); ok {
				switch id := strings.TrimPrefix(strings.TrimSpace(s), "/healthcheck/"); {
				case strings.TrimSpace(id) == "":
					p = append(p, providers.Problem{Attr: "health_check_id", Summary: "Invalid health_check_id", Detail: "health_check_id must not be empty."})
				case providers.BadNameChars(id):
					p = append(p, providers.Problem{Attr: "health_check_id", Summary: "Invalid health_check_id",
						Detail: "health_check_id must not hold white space or control characters."})
				}
			}
			return p
		},
		NewCheck: func(cfg providers.Config) (providers.Check, error) {
			c, err := NewRoute53Health(cfg)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	})

	r.Register(providers.Kind{
		Class:    providers.ClassCheck,
		Name:     "alb_target_health",
		Provider: ProviderType,
		Doc:      "Target health of an ELBv2 target group (DescribeTargetHealth): healthy when at least min_healthy targets, or min_healthy_percent of them, are healthy.",
		Attributes: []providers.Attribute{
			providers.Required("target_group_arn", cty.String, "Target group ARN."),
			providers.Optional("min_healthy", cty.Number, cty.NumberIntVal(1), "Minimum number of healthy targets."),
			providers.Optional("min_healthy_percent", cty.Number, cty.NilVal, "Minimum percentage of healthy targets; when set, both conditions must hold."),
		},
		Validate: func(v cty.Value) []providers.Problem {
			var p []providers.Problem
			p = append(p, providers.NumberInRange(v, "min_healthy", 1, 1000, true)...)
			p = append(p, providers.NumberInRange(v, "min_healthy_percent", 0, 100, false)...)
			p = append(p, arnProblem(v, "target_group_arn", ":targetgroup/")...)
			return p
		},
		NewCheck: func(cfg providers.Config) (providers.Check, error) {
			c, err := NewALBTargetHealth(cfg)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	})
}

func arnProblem(v cty.Value, attr, part string) []providers.Problem {
	s, ok := providers.StringAttr(v, attr)
	if !ok || (strings.HasPrefix(s, "arn:") && strings.Contains(s, part) && !providers.BadNameChars(s)) {
		return nil
	}
	return []providers.Problem{{Attr: attr, Summary: "Invalid " + attr,
		Detail: attr + " must be an Elastic Load Balancing ARN containing \"" + part + "\"."}}
}

// route53Members and albMembers are how the constructors read the sides
// (Decoder.Sides); Validate checks the same.
var (
	route53Members = providers.Members{What: "set identifier", Limit: maxWeightedSets}
	albMembers     = providers.Members{What: "target group", Limit: maxForwardGroups}
)

// validateRoute53Weighted is the route53_weighted kind's validation:
// everything NewRoute53Weighted checks without calling AWS.
func validateRoute53Weighted(v cty.Value) []providers.Problem {
	p := providers.OneOf(v, "type", "A", "AAAA", "CNAME", "MX", "TXT", "PTR", "SRV", "SPF", "NAPTR", "CAA", "DS", "HTTPS", "SVCB", "TLSA", "SSHFP")
	p = append(p, providers.NotBlank(v, "name", "zone")...)
	for _, attr := range []string{"name", "zone"} {
		if s, ok := providers.StringAttr(v, attr); ok && strings.TrimSpace(s) != "" && providers.BadNameChars(s) {
			p = append(p, providers.Problem{Attr: attr, Summary: "Invalid " + attr,
				Detail: attr + " must be a DNS name, without white space or control characters."})
		}
	}
	// "/hostedzone/" alone names no zone: the ID is what follows.
	if s, ok := providers.StringAttr(v, "zone_id"); ok && strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "/"), "hostedzone/")) == "" {
		p = append(p, providers.Problem{Attr: "zone_id", Summary: "Invalid zone_id", Detail: "zone_id must not be empty."})
	}
	for _, side := range []string{"primary", "secondary"} {
		ids, _ := providers.StringsAttr(v, side)
		for _, id := range ids {
			if len(id) > 128 {
				p = append(p, providers.Problem{Attr: side, Summary: "Invalid " + side,
					Detail: side + " names a set identifier longer than 128 characters."})
				break
			}
		}
	}
	return append(p, route53Members.Problems(v)...)
}

// wordProblems refuses white space or a control character in each named
// attribute: names such as a region or a profile have none, and the SDK
// would fail only when it calls. An empty one is unset, as for the
// constructor.
func wordProblems(v cty.Value, attrs ...string) []providers.Problem {
	var p []providers.Problem
	for _, attr := range attrs {
		s, ok := providers.StringAttr(v, attr)
		if !ok {
			continue
		}
		if providers.BadNameChars(s) {
			p = append(p, providers.Problem{Attr: attr, Summary: "Invalid " + attr,
				Detail: attr + " must not hold white space or control characters."})
		}
	}
	return p
}
