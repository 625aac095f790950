// Package elbv2sim is a wire-level emulator of the Elastic Load Balancing v2
// API (Application Load Balancers) that the real aws-sdk-go-v2
// elasticloadbalancingv2 client, and the AWS CLI, talk to over HTTP on
// loopback. fbctl's tests and `fbctl demo` use it; it adds to moto strict
// validation and fault injection.
//
//	sim := elbv2sim.New(elbv2sim.Options{Seed: 1})
//	url, err := sim.Start() // http://127.0.0.1:PORT
//	defer sim.Close()
//	client := elasticloadbalancingv2.New(elasticloadbalancingv2.Options{
//		Region:       "us-east-1",
//		BaseEndpoint: aws.String(url),
//		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
//	})
//
// # Wire
//
// The awsQuery protocol: every call is POST / (GET with a query string also
// works), form-encoded Action=<Op>&Version=2015-12-01&…, lists as
// X.member.N, maps as X.entry.N.key/value. A successful answer is
// <{Op}Response xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><{Op}Result>…</{Op}Result><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></{Op}Response>,
// an error is HTTP 400 (5xx for server faults)
// <ErrorResponse><Error><Type>Sender|Receiver</Type><Code>…</Code><Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>,
// from which the SDK takes the modeled error type by <Code>
// (ListenerNotFound → *types.ListenerNotFoundException, …; codes the model
// does not declare, such as ValidationError and Throttling, arrive as a
// smithy.APIError with that ErrorCode). Every answer carries the request id
// in the x-amzn-RequestId header too.
//
// Requests must carry an Authorization header (or a presigned
// X-Amz-Signature): a request without one gets 403 MissingAuthenticationToken.
// The SigV4 signature itself is not verified, so any static credentials work.
// A form key that names no member of the operation's input is a
// ValidationError: nothing a client sends is dropped silently.
//
// # Operations
//
//   - DescribeLoadBalancers (LoadBalancerArns or Names; Marker, PageSize)
//   - DescribeTargetGroups (LoadBalancerArn, TargetGroupArns or Names; Marker,
//     PageSize); LoadBalancerArns lists the load balancers that forward to
//     the group
//   - DescribeListeners (LoadBalancerArn or ListenerArns; Marker, PageSize)
//   - DescribeRules (ListenerArn or RuleArns; Marker, PageSize), by priority,
//     the default rule last
//   - ModifyListener (ListenerArn; DefaultActions REPLACES the whole default
//     action list; Port, Protocol, SslPolicy, Certificates, AlpnPolicy are
//     stored as given)
//   - ModifyRule (RuleArn; Actions and Conditions each REPLACE their whole
//     list when given; Transforms, ResetTransforms)
//   - DescribeTargetHealth (TargetGroupArn; Targets filters, and a target that
//     is not registered is answered unused / Target.NotRegistered)
//
// PageSize is 1-400 and defaults to 400; markers are opaque. A failed call
// changes nothing.
//
// # Validation
//
// What the API reference and the service model (botocore's
// elbv2/2015-12-01/service-2.json, the SDK's types) document; codes marked *
// are our choice where AWS documents the rule but not its error code.
//
//   - unknown listener: ListenerNotFound; unknown rule: RuleNotFound; unknown
//     load balancer: LoadBalancerNotFound; unknown target group, in an action
//     or in DescribeTargetGroups / DescribeTargetHealth: TargetGroupNotFound.
//   - parameter constraints of the model, ValidationError with AWS's
//     "1 validation error detected: Value … at 'defaultActions.1.member…'"
//     message: required members (ListenerArn, RuleArn, TargetGroupArn,
//     Action.Type, RedirectConfig.StatusCode, FixedResponseConfig.StatusCode,
//     the required members of the authenticate and jwt-validation configs),
//     enums (action type, redirect status code, OnUnauthenticatedRequest,
//     protocol, condition field, transform type), ranges (TargetGroupTuple
//     Weight 0-999, stickiness DurationSeconds 1-604800, Order 1-50000, Port
//     1-65535, PageSize 1-400), patterns and lengths (fixed-response status
//     code (2|4|5)\d\d, body ≤ 1024, content type one of text/plain,
//     text/css, text/html, application/javascript, application/json; redirect
//     protocol HTTP, HTTPS or #{protocol}, port 1-65535 or #{port}, host and
//     path 1-128 with the path starting with /, query ≤ 128). An empty action
//     list is a ValidationError.
//   - forward actions (Action and ForwardActionConfig docs), ValidationError*:
//     a TargetGroupArn or a ForwardConfig is needed; a ForwardConfig holds
//     1 to 5 target groups (quota "Target Groups per Action per Application
//     Load Balancer: 5"; TooManyTargetGroups is not used because the model
//     declares it for the account-wide number of target groups and not for
//     ModifyListener or ModifyRule); a target group may appear once; when
//     TargetGroupArn and ForwardConfig are both given, ForwardConfig holds
//     exactly that one group; DurationSeconds is required when stickiness is
//     enabled. (AWS itself answers ValidationError for forward-config
//     misuse, e.g. "You cannot specify a target group weight on load
//     balancers of type 'network'".)
//   - a configuration is given only for its own action type (the "Specify
//     only when Type is …" of each Action member): ValidationError*.
//   - Action doc: "Each rule must include exactly one of the following types
//     of actions: forward, fixed-response, or redirect, and it must be the
//     last action to be performed": InvalidLoadBalancerAction* (declared for
//     both modify calls); Order "is required for rules with multiple
//     actions": ValidationError*; duplicate orders: InvalidLoadBalancerAction*.
//   - authenticate-oidc, authenticate-cognito and jwt-validation are for
//     "[HTTPS listeners]": IncompatibleProtocols* on an HTTP listener, and
//     when ModifyListener turns such a listener into HTTP.
//   - AuthenticateOidcConfig.ClientSecret is required unless
//     UseExistingClientSecret is true, which keeps the stored secret. The
//     secret is write-only: Describe*/Modify* answers never contain it.
//   - ModifyRule on a listener's default rule: OperationNotPermitted* (the
//     ModifyRule reference: "To modify the actions for the default rule, use
//     ModifyListener"). Conditions given to ModifyRule: at least one;
//     Field one of the six fields; Values only for host-header and
//     path-pattern, RegexValues only for http-header, host-header and
//     path-pattern; each *Config only for its field; at most one host-header,
//     http-request-method, path-pattern and source-ip condition; every
//     condition has a value. Transforms: Type host-header-rewrite or
//     url-rewrite, at most one each, with its own config; Transforms with
//     ResetTransforms is a ValidationError.
//   - DescribeListeners and DescribeRules need exactly one of their two
//     selectors ("You must specify either …"); DescribeLoadBalancers and
//     DescribeTargetGroups take at most one; ModifyListener to a port that
//     another listener of the load balancer uses: DuplicateListener; to a
//     protocol other than HTTP/HTTPS: UnsupportedProtocol.
//
// # Normalization
//
// Unless Options.Verbatim, a forward action is stored as AWS stores it, and
// described so: a TargetGroupArn alone gets a one-group ForwardConfig of
// weight 1 as well, a ForwardConfig without stickiness gets
// TargetGroupStickinessConfig {Enabled: false}, and a target group without a
// weight gets weight 1 (moto does the last two as well). An action sent with
// every member explicit (weights and stickiness) comes back exactly as sent;
// so do conditions and transforms, always. Note the consequence a client
// must handle: a described single-group forward action holds both
// TargetGroupArn and ForwardConfig, and sending it back with a second group
// in ForwardConfig is a ValidationError; drop TargetGroupArn to split.
//
// # Faults
//
// Faults() is a fault.Injector whose rules match operation names. Throttle
// (and RateLimitExceeded) answer 400 Throttling "Rate exceeded";
// TooManyRequests answers 429 Throttling; PriorRequestNotComplete answers
// 400 PriorRequestNotComplete; ServerError answers 500 InternalFailure, or
// 503 ServiceUnavailable with Options.ServerErrorStatus 503; Latency delays
// the answer and gives up when the client does (request context) or the
// server closes. The SDK's standard retryer retries all of them. A faulted
// call changes nothing and still counts in Calls(), which counts every
// request naming a known operation and the right Version (refused and
// faulted ones included; unsigned or malformed requests are not counted).
//
// # Go API and seeds
//
// AddLoadBalancer, AddTargetGroup, AddListener, AddRule and SetTargetHealth
// build state directly (without validation, so a test can seed anything;
// they panic on a missing parent or a duplicate); Listener, Rules, Rule and
// TargetHealth return deep copies to compare before and after;
// LoadBalancerARN, TargetGroupARN and ListenerARNs look seeded resources up.
// ARNs derive from names, ports and priorities, so they are stable across
// runs:
//
//	arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/NAME/ID
//	arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/NAME/ID
//	arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/LB/LBID/ID
//	arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/LB/LBID/LID/ID
//
// LoadSeed / LoadSeedJSON read the same state from JSON whose keys are the
// API member names (actions and conditions are written as the AWS CLI
// prints them); unknown keys are errors, and a seed applies whole or not at
// all. A TargetGroupArn that does not start with "arn:" names a target
// group; explicit ARNs may be given.
//
//	{
//	  "TargetGroups": [
//	    {"TargetGroupName": "blue", "Targets": [{"Id": "i-0a", "Port": 80, "State": "healthy"}]},
//	    {"TargetGroupName": "green", "Targets": [{"Id": "i-0b", "Port": 80, "State": "initial"}]}
//	  ],
//	  "LoadBalancers": [{
//	    "LoadBalancerName": "web",
//	    "Listeners": [{
//	      "Port": 80, "Protocol": "HTTP",
//	      "DefaultActions": [{"Type": "forward", "ForwardConfig": {
//	        "TargetGroups": [{"TargetGroupArn": "blue", "Weight": 100}, {"TargetGroupArn": "green", "Weight": 0}],
//	        "TargetGroupStickinessConfig": {"Enabled": true, "DurationSeconds": 300}}}],
//	      "Rules": [{"Priority": 10,
//	        "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}],
//	        "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}]}]
//	    }]
//	  }]
//	}
//
// Target states are initial, healthy, unhealthy, unhealthy.draining, unused,
// draining and unavailable; an empty Reason gets the state's usual reason
// and description.
//
// # Known deviations
//
//   - Only the operations above; anything else is InvalidAction.
//   - Load balancers are application load balancers in one fake VPC; target
//     groups are HTTP:80 instance groups; no certificates, security policies,
//     mutual TLS (MutualAuthentication is rejected as unknown) or tags.
//   - Account quotas other than target groups per action (rules, conditions
//     per rule, condition values, target groups per load balancer) are not
//     enforced, and regex syntax in conditions is not checked.
//   - Error messages follow AWS's style but are not AWS's exact text.
//   - Whether AWS also fills in Order, or rewrites condition Values into the
//     matching *Config on describe, is not documented; this emulator does
//     neither.
package elbv2sim
