// Package route53sim is a wire-level Amazon Route 53 emulator: the real
// aws-sdk-go-v2 route53 client (or the AWS CLI with --endpoint-url) talks
// to it over HTTP on loopback, in REST-XML, API version 2013-04-01. fbctl's
// tests and `fbctl demo` use it; unlike moto it validates change batches
// strictly and injects faults (internal/sim/fault).
//
//	srv := route53sim.New(route53sim.Options{Seed: 1})
//	zoneID := srv.AddZone("example.com", false)
//	url, err := srv.Start()
//	defer srv.Close()
//	client := route53.New(route53.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
//		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
//
// # Operations
//
// Paths are under /2013-04-01/ (the SDK strips "/hostedzone/" and
// "/change/" from ids before it sends them):
//
//   - ListHostedZones: GET hostedzone?marker=&maxitems= (at most 100 a page).
//   - ListHostedZonesByName: GET hostedzonesbyname?dnsname=&hostedzoneid=&maxitems=
//     (sorted by reversed name, then id; hostedzoneid without dnsname is
//     InvalidInput; at most 100 a page).
//   - GetHostedZone: GET hostedzone/{Id} (NoSuchHostedZone, 404).
//   - ListResourceRecordSets: GET hostedzone/{Id}/rrset?name=&type=&identifier=&maxitems=.
//     Sorted by name with the labels reversed, then type, then
//     SetIdentifier; the name key keeps its trailing dot, as the API
//     reference notes ("com.example.a-b." sorts before "com.example.a.");
//     at most 300 a page (a larger maxitems is cut to 300);
//     IsTruncated with NextRecordName/NextRecordType/NextRecordIdentifier;
//     type without name, or identifier without type, is InvalidInput.
//   - ChangeResourceRecordSets: POST hostedzone/{Id}/rrset. See below.
//   - GetChange: GET change/{Id}: PENDING for the first Options.PendingPolls
//     calls of that change, then INSYNC (NoSuchChange, 404).
//   - GetHealthCheckStatus: GET healthcheck/{Id}/status (NoSuchHealthCheck, 404).
//
// Names are compared case-insensitively with the trailing dot optional and
// are answered in lower case with the trailing dot, characters other than
// a-z, 0-9, '-' and '_' escaped as \ooo ("*" is "\052"), as the API does.
// Every response carries an x-amzn-RequestId header; error bodies carry
// the same id.
//
// # ChangeResourceRecordSets validation
//
// A batch is all-or-nothing: the zone changes only when every check
// passes. Sources: the Route 53 API Reference (ChangeResourceRecordSets,
// ResourceRecordSet, Change, and the Smithy model's constraints as shipped
// in aws-sdk-go-v2/service/route53), the Developer Guide ("Values specific
// for weighted records", "Quotas"), and ../shared/notes/cloud-apis.md.
//
//   - Model constraints, answered like the service's front end as
//     InvalidInput "N validation errors detected: Value 'X' at 'path'
//     failed to satisfy constraint: ..." (the form AWS uses, e.g. for an
//     over-long resource id): Weight 0-255, SetIdentifier 1-128
//     characters, TTL 0-2147483647, Action and Type and Failover enums,
//     Name at most 1024 characters, at least one Change, at least one
//     ResourceRecord when the element is present, Value at most 4000
//     characters, the AliasTarget members.
//   - Member combinations, InvalidInput "Invalid request: ...": exactly one
//     of AliasTarget, TTL+ResourceRecords, TrafficPolicyInstanceId; a
//     routing-policy member (Weight, Region, Failover, GeoLocation, ...)
//     needs a SetIdentifier, and a SetIdentifier needs exactly one of
//     them (so a weighted set needs its Weight).
//   - The zone exists (NoSuchHostedZone, 404); a HealthCheckId of a CREATE
//     or UPSERT names a known health check (NoSuchHealthCheck, 404).
//   - Request quotas: at most 1000 ResourceRecord elements and 32000
//     characters in Value elements, an UPSERT counting twice
//     (InvalidChangeBatch).
//   - Each change, in order, against a copy of the zone (InvalidChangeBatch,
//     one message per problem): the name is valid and lies in the zone; CREATE
//     of an existing (Name, Type, SetIdentifier) fails; DELETE must match
//     the current set exactly (TTL, values as a multiset, weight, routing
//     policy, health check, alias target); UPSERT creates or replaces (a
//     weighted set may hold several values, as the Developer Guide allows
//     for every type but CNAME); the same set may be named by two changes
//     of a batch only as DELETE then CREATE (the documented way to change a
//     set before UPSERT existed).
//   - Then every (name, type) the batch touched: one routing policy per
//     name and type (weighted never mixes with failover, latency, geo...;
//     a set without SetIdentifier never mixes with sets that have one);
//     at most 100 weighted sets, all with the same TTL; a CNAME is alone
//     at its name and never at the apex; the apex keeps its SOA and NS.
//
// # Error forms
//
// Errors are HTTP 4xx/5xx with
// <ErrorResponse><Error><Type>Sender|Receiver</Type><Code/><Message/></Error><RequestId/></ErrorResponse>;
// the SDK picks the error type from Code. InvalidChangeBatch (HTTP 400)
// comes in that form too, its problems joined as "[m1, m2]" in Message:
// Route 53 has answered so since 2024 (aws/aws-sdk-kotlin#1435 shows a
// real response), and botocore, hence the AWS CLI, reads only that form.
// Options.LegacyInvalidChangeBatch switches to the older
// <InvalidChangeBatch><Messages><Message/></Messages><RequestId/></InvalidChangeBatch>
// form, which the Go SDK still parses into InvalidChangeBatch.Messages.
//
// # Faults and limits
//
// Faults() rules match the Op* names. Throttle (and the other APIs'
// RateLimitExceeded/TooManyRequests) answer HTTP 400 Throttling "Rate
// exceeded"; PriorRequestNotComplete answers HTTP 400
// PriorRequestNotComplete; ServerError answers 500 InternalFailure (or 503
// ServiceUnavailable, Options.ServerErrorStatus); Latency delays the
// answer and abandons it when the request's context ends. The SDK's
// default retryer retries all of them. Options.RateLimit adds an
// account-wide token bucket answering Throttling. A faulted request
// changes nothing. Calls counts every request per operation, faulted and
// retried ones included.
//
// SigV4 signatures are not verified, but a request without an
// Authorization header is refused (403 MissingAuthenticationToken): the
// SDK and the CLI always sign.
//
// # Seed files
//
// LoadSeed reads a JSON document; unknown fields are errors and a bad
// seed adds nothing (the // notes below are not part of the format):
//
//	{
//	  "zones": [{
//	    "name": "example.com",            // required
//	    "id": "Z0EXAMPLE",                // optional; generated when empty
//	    "private": false, "comment": "",
//	    "record_sets": [{
//	      "name": "app.example.com", "type": "A",
//	      "set_identifier": "blue", "weight": 200, "ttl": 60,
//	      "resource_records": ["192.0.2.1"],
//	      "health_check_id": "hc-blue"
//	    }, {
//	      "name": "www.example.com", "type": "A", "set_identifier": "green", "weight": 0,
//	      "alias_target": {"hosted_zone_id": "Z35SXDOTRQ7X7K",
//	        "dns_name": "lb-1.us-east-1.elb.amazonaws.com", "evaluate_target_health": true}
//	    }]
//	  }],
//	  "health_checks": [
//	    {"id": "hc-blue", "healthy": 14, "unhealthy": 2},
//	    {"id": "hc-green", "observations": [
//	      {"region": "us-east-1", "ip_address": "15.177.0.1",
//	       "status": "Success: HTTP Status Code 200, OK"}]}
//	  ]
//	}
//
// Record set fields are RecordSet's JSON names: name, type,
// set_identifier, weight, region, failover, geo_location
// {continent_code, country_code, subdivision_code}, multi_value_answer,
// cidr_routing_config, geo_proximity_location, ttl, resource_records,
// alias_target {hosted_zone_id, dns_name, evaluate_target_health},
// health_check_id, traffic_policy_instance_id. Seeded sets, like
// PutRecordSet, skip the API's validation, so a seed can hold states AWS
// would refuse. Every zone starts with Route 53's apex NS and SOA sets; a
// seed set of the same name and type replaces them.
//
// # Known deviations from AWS
//
//   - Error messages follow AWS's wording where it is known (CREATE of an
//     existing set, DELETE not found / not matching, name not permitted in
//     zone, CNAME conflicts, the validation-error form); the others (the
//     weighted-group limits, mixed policies, batch quotas) are our own
//     wording. Clients must match on the error code, never the message.
//   - Weight and SetIdentifier out of range answer InvalidInput because
//     they break the model's constraints (API Reference, ResourceRecordSet:
//     Weight 0-255, SetIdentifier 1-128), and Route 53 answers constraint
//     violations with InvalidInput "1 validation error detected" (seen for
//     resource ids in crossplane-contrib/provider-aws#1826 and
//     hashicorp/terraform#24250); not observed for Weight itself.
//   - The "Invalid request: Expected exactly one of ..." / "Missing field
//     'SetIdentifier'" answers (InvalidInput) are modeled on messages users
//     report; the exact text for every combination is not documented.
//   - An unknown HealthCheckId answers NoSuchHealthCheck (modeled for the
//     operation); AWS's exact answer is not documented.
//   - The group rules are checked on the batch's final state, not after
//     each change, so a batch whose intermediate state AWS might refuse
//     can pass.
//   - Not checked: alias targets (existence, zone), record data syntax
//     (an A value need not be an IPv4 address), the 100-Change limit of
//     older documentation, per-zone record quotas, DNSSEC, traffic policies.
//   - PriorRequestNotComplete and throttling happen only when injected
//     (Faults, Options.RateLimit), never on their own.
//   - The service does not answer DNS queries: weights are data only.
package route53sim
