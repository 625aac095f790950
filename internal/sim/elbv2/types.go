package elbv2sim

import "time"

// The types below mirror the ELBv2 API shapes member for member (the field
// names are the wire names, see query.go). Optional members are pointers, as
// in the AWS SDK, so that "absent" and "zero" stay distinct and every member a
// client sends comes back exactly. They double as the JSON of seed files,
// where the member names are the keys (the same JSON the AWS CLI prints).

// Ptr returns a pointer to v: Ptr[int32](50), Ptr("arn:…").
func Ptr[T any](v T) *T { return &v }

// Action types.
const (
	ActionForward             = "forward"
	ActionRedirect            = "redirect"
	ActionFixedResponse       = "fixed-response"
	ActionAuthenticateOidc    = "authenticate-oidc"
	ActionAuthenticateCognito = "authenticate-cognito"
	ActionJwtValidation       = "jwt-validation"
)

// Action is one listener or rule action.
type Action struct {
	// Type is forward, redirect, fixed-response, authenticate-oidc,
	// authenticate-cognito or jwt-validation.
	Type                      string
	Order                     *int32
	TargetGroupArn            *string
	ForwardConfig             *ForwardActionConfig
	RedirectConfig            *RedirectActionConfig
	FixedResponseConfig       *FixedResponseActionConfig
	AuthenticateOidcConfig    *AuthenticateOidcActionConfig
	AuthenticateCognitoConfig *AuthenticateCognitoActionConfig
	JwtValidationConfig       *JwtValidationActionConfig
}

// ForwardActionConfig distributes requests among target groups by weight.
type ForwardActionConfig struct {
	TargetGroups                []TargetGroupTuple
	TargetGroupStickinessConfig *TargetGroupStickinessConfig
}

// TargetGroupTuple is one weighted target group of a forward action.
type TargetGroupTuple struct {
	TargetGroupArn *string
	// Weight is 0-999.
	Weight *int32
}

// TargetGroupStickinessConfig is the target group stickiness of a forward
// action.
type TargetGroupStickinessConfig struct {
	Enabled *bool
	// DurationSeconds is 1-604800, required when Enabled.
	DurationSeconds *int32
}

// RedirectActionConfig is the configuration of a redirect action.
type RedirectActionConfig struct {
	// StatusCode is HTTP_301 or HTTP_302.
	StatusCode string
	Protocol   *string
	Port       *string
	Host       *string
	Path       *string
	Query      *string
}

// FixedResponseActionConfig is the configuration of a fixed-response action.
type FixedResponseActionConfig struct {
	StatusCode  *string
	ContentType *string
	MessageBody *string
}

// AuthenticateOidcActionConfig is the configuration of an authenticate-oidc
// action. ClientSecret is write-only: it is kept but never described.
type AuthenticateOidcActionConfig struct {
	Issuer                           *string
	AuthorizationEndpoint            *string
	TokenEndpoint                    *string
	UserInfoEndpoint                 *string
	ClientId                         *string
	ClientSecret                     *string
	SessionCookieName                *string
	Scope                            *string
	SessionTimeout                   *int64
	AuthenticationRequestExtraParams map[string]string
	OnUnauthenticatedRequest         string
	UseExistingClientSecret          *bool
}

// AuthenticateCognitoActionConfig is the configuration of an
// authenticate-cognito action.
type AuthenticateCognitoActionConfig struct {
	UserPoolArn                      *string
	UserPoolClientId                 *string
	UserPoolDomain                   *string
	SessionCookieName                *string
	Scope                            *string
	SessionTimeout                   *int64
	AuthenticationRequestExtraParams map[string]string
	OnUnauthenticatedRequest         string
}

// JwtValidationActionConfig is the configuration of a jwt-validation action.
type JwtValidationActionConfig struct {
	Issuer           *string
	JwksEndpoint     *string
	AdditionalClaims []JwtValidationActionAdditionalClaim
}

// JwtValidationActionAdditionalClaim is one additional claim of a
// jwt-validation action.
type JwtValidationActionAdditionalClaim struct {
	Format string
	Name   *string
	Values []string
}

// Condition is one rule condition (RuleCondition in the API), kept exactly
// as given.
type Condition struct {
	Field                   *string
	Values                  []string
	RegexValues             []string
	HostHeaderConfig        *HostHeaderConditionConfig
	PathPatternConfig       *PathPatternConditionConfig
	HttpHeaderConfig        *HttpHeaderConditionConfig
	HttpRequestMethodConfig *HttpRequestMethodConditionConfig
	QueryStringConfig       *QueryStringConditionConfig
	SourceIpConfig          *SourceIpConditionConfig
}

// HostHeaderConditionConfig is the host-header condition.
type HostHeaderConditionConfig struct {
	Values      []string
	RegexValues []string
}

// PathPatternConditionConfig is the path-pattern condition.
type PathPatternConditionConfig struct {
	Values      []string
	RegexValues []string
}

// HttpHeaderConditionConfig is the http-header condition.
type HttpHeaderConditionConfig struct {
	HttpHeaderName *string
	Values         []string
	RegexValues    []string
}

// HttpRequestMethodConditionConfig is the http-request-method condition.
type HttpRequestMethodConditionConfig struct {
	Values []string
}

// QueryStringConditionConfig is the query-string condition.
type QueryStringConditionConfig struct {
	Values []QueryStringKeyValuePair
}

// QueryStringKeyValuePair is one query-string condition value.
type QueryStringKeyValuePair struct {
	Key   *string
	Value *string
}

// SourceIpConditionConfig is the source-ip condition.
type SourceIpConditionConfig struct {
	Values        []string
	IpAddressType string
}

// RuleTransform is one rule transform, kept exactly as given.
type RuleTransform struct {
	Type                    string
	HostHeaderRewriteConfig *RewriteConfigList
	UrlRewriteConfig        *RewriteConfigList
}

// RewriteConfigList is HostHeaderRewriteConfig / UrlRewriteConfig.
type RewriteConfigList struct {
	Rewrites []RewriteConfig
}

// RewriteConfig is one rewrite of a transform.
type RewriteConfig struct {
	Regex   *string
	Replace *string
}

// Certificate is a listener certificate.
type Certificate struct {
	CertificateArn *string
	IsDefault      *bool
}

// Listener is a listener as DescribeListeners returns it.
type Listener struct {
	ListenerArn     *string
	LoadBalancerArn *string
	Port            *int32
	Protocol        string
	DefaultActions  []Action
	SslPolicy       *string
	Certificates    []Certificate
	AlpnPolicy      []string
}

// Rule is a listener rule as DescribeRules returns it. Priority is "1" to
// "50000", or "default" for the listener's default rule, whose actions are
// the listener's default actions.
type Rule struct {
	RuleArn    *string
	Priority   *string
	Conditions []Condition
	Actions    []Action
	IsDefault  *bool
	Transforms []RuleTransform
}

// Target health states (DescribeTargetHealth).
const (
	StateInitial           = "initial"
	StateHealthy           = "healthy"
	StateUnhealthy         = "unhealthy"
	StateUnhealthyDraining = "unhealthy.draining"
	StateUnused            = "unused"
	StateDraining          = "draining"
	StateUnavailable       = "unavailable"
)

// TargetHealth is one registered target of a target group and its health.
// When Reason is empty, SetTargetHealth fills the usual reason and
// description of the state (none for healthy).
type TargetHealth struct {
	Id               string
	Port             int32
	AvailabilityZone string `json:",omitempty"`
	State            string
	Reason           string `json:",omitempty"`
	Description      string `json:",omitempty"`
}

// Wire-only shapes.

type loadBalancer struct {
	LoadBalancerArn       *string
	DNSName               *string
	CanonicalHostedZoneId *string
	CreatedTime           *time.Time
	LoadBalancerName      *string
	Scheme                string
	VpcId                 *string
	State                 *loadBalancerState
	Type                  string
	AvailabilityZones     []availabilityZone
	SecurityGroups        []string
	IpAddressType         string
}

type loadBalancerState struct {
	Code string
}

type availabilityZone struct {
	ZoneName *string
	SubnetId *string
}

type targetGroup struct {
	TargetGroupArn             *string
	TargetGroupName            *string
	Protocol                   string
	ProtocolVersion            *string
	Port                       *int32
	VpcId                      *string
	HealthCheckProtocol        string
	HealthCheckPort            *string
	HealthCheckEnabled         *bool
	HealthCheckIntervalSeconds *int32
	HealthCheckTimeoutSeconds  *int32
	HealthyThresholdCount      *int32
	UnhealthyThresholdCount    *int32
	HealthCheckPath            *string
	Matcher                    *matcher
	LoadBalancerArns           []string
	TargetType                 string
	IpAddressType              string
}

type matcher struct {
	HttpCode *string
}

type targetDescription struct {
	Id               *string
	Port             *int32
	AvailabilityZone *string
	QuicServerId     *string
}

type targetHealthDescription struct {
	Target          *targetDescription
	HealthCheckPort *string
	TargetHealth    *targetHealthState
}

type targetHealthState struct {
	State       string
	Reason      string
	Description *string
}

// Operation inputs (decoded from the form) and results (encoded as XML).

type describeLoadBalancersInput struct {
	LoadBalancerArns []string
	Names            []string
	Marker           *string
	PageSize         *int32
}

type describeLoadBalancersResult struct {
	LoadBalancers []loadBalancer
	NextMarker    *string
}

type describeTargetGroupsInput struct {
	LoadBalancerArn *string
	TargetGroupArns []string
	Names           []string
	Marker          *string
	PageSize        *int32
}

type describeTargetGroupsResult struct {
	TargetGroups []targetGroup
	NextMarker   *string
}

type describeListenersInput struct {
	LoadBalancerArn *string
	ListenerArns    []string
	Marker          *string
	PageSize        *int32
}

type describeListenersResult struct {
	Listeners  []Listener
	NextMarker *string
}

type describeRulesInput struct {
	ListenerArn *string
	RuleArns    []string
	Marker      *string
	PageSize    *int32
}

type describeRulesResult struct {
	Rules      []Rule
	NextMarker *string
}

type modifyListenerInput struct {
	ListenerArn    *string
	Port           *int32
	Protocol       *string
	SslPolicy      *string
	Certificates   []Certificate
	AlpnPolicy     []string
	DefaultActions []Action
}

type modifyListenerResult struct {
	Listeners []Listener
}

type modifyRuleInput struct {
	RuleArn         *string
	Actions         []Action
	Conditions      []Condition
	Transforms      []RuleTransform
	ResetTransforms *bool
}

type modifyRuleResult struct {
	Rules []Rule
}

type describeTargetHealthInput struct {
	TargetGroupArn *string
	Targets        []targetDescription
	Include        []string
}

type describeTargetHealthResult struct {
	TargetHealthDescriptions []targetHealthDescription
}
