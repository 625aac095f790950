// Package gcpsim is a wire-level emulator of the parts of the Compute Engine
// REST API (v1) that fbctl's GCP targets and checks use. The real clients of
// cloud.google.com/go/compute/apiv1 talk to it over HTTP on loopback; fbctl's
// tests and `fbctl demo` use it. It follows the API reference where it is
// documented, validates strictly and injects faults (internal/sim/fault).
//
//	sim := gcpsim.New(gcpsim.Options{Seed: 1})
//	demo, err := gcpsim.SeedDemo(sim) // or PutBackendService / PutURLMap
//	url, err := sim.Start()           // http://127.0.0.1:PORT
//	defer sim.Close()
//	c, err := compute.NewUrlMapsRESTClient(ctx, option.WithEndpoint(url), option.WithoutAuthentication())
//
// # Operations
//
// Paths are under /compute/v1/projects/{project}/; the operation names (in
// Calls and fault rules) are in parentheses:
//
//   - global/urlMaps GET (urlMaps.list); global/urlMaps/{name} GET
//     (urlMaps.get), PATCH (urlMaps.patch), PUT (urlMaps.update);
//     regions/{r}/urlMaps[/{name}] likewise (regionUrlMaps.list, .get,
//     .patch, .update); aggregated/urlMaps GET (urlMaps.aggregatedList)
//   - global/backendServices GET (backendServices.list);
//     global/backendServices/{name} GET, PATCH, PUT, and POST …/getHealth
//     (backendServices.get, .patch, .update, .getHealth);
//     regions/{r}/backendServices[/{name}] likewise
//     (regionBackendServices.*); aggregated/backendServices GET
//     (backendServices.aggregatedList)
//   - global/operations/{op} GET (globalOperations.get) and POST
//     …/{op}/wait (globalOperations.wait); regions/{r}/operations/{op}
//     likewise (regionOperations.get, .wait). {op} is the operation's name
//     or its numeric id.
//
// Any other path is 404, another method on these paths 405, and a project
// other than Options.Project 404; all in Google's JSON error form
// {"error":{"code":N,"message":"…","errors":[{"message","domain","reason"}]}},
// which the client turns into a *googleapi.Error (wrapped in an
// *apierror.APIError). Resources are stored as computepb messages and
// answered with protojson (camelCase; uint64 ids as strings, as Google
// writes them). Every call counts in Calls(), refused and faulted ones
// included; requests that name no operation do not.
//
// # Lists
//
// list answers {"kind":"compute#urlMapList" (or backendServiceList), "id",
// "selfLink", "items":[…], "nextPageToken"}, the resources of one scope
// sorted by name; aggregatedList answers items keyed by scope ("global",
// "regions/R"), global first, then regions and names in order; only the
// scopes with resources on the page are keys (the API also lists empty
// scopes with a warning). maxResults is 0-500 (0 or absent: 500; otherwise
// 400), pageToken is opaque and valid only for the call that produced it
// (400 otherwise). filter, orderBy, includeAllScopes and
// returnPartialSuccess are accepted and ignored: gcloud filters and sorts
// again on its side, and fbctl does not list.
//
// # PATCH and PUT
//
// PATCH is a JSON merge patch (RFC 7386) of the body onto the stored
// resource's JSON: objects merge member by member, lists (backends,
// weightedBackendServices, pathMatchers …) are replaced whole, null deletes a
// member, nested ones included (the Go client never sends null: it cannot
// clear a field, e.g. swap defaultService for defaultRouteAction, by PATCH;
// gcloud's url-maps import sends the whole map with a null for every field
// its file lacks). The result is read back
// into computepb (an unknown member is 400) and validated; a refused PATCH
// changes nothing. name, selfLink, id, kind, creationTimestamp and region are
// the server's: the body cannot change them.
//
// PUT (update, as gcloud's add-host-rule and update-backend send it)
// replaces the resource with the body, read and validated the same way;
// a body naming another resource is 400. Its operation has operationType
// update.
//
// The body's fingerprint must equal the stored one (the reference: "An
// up-to-date fingerprint must be provided in order to update …, otherwise
// the request will fail with error 412 conditionNotMet"): a stale or missing
// fingerprint is HTTP 412, reason conditionNotMet, message "Invalid
// fingerprint.". Every successful write (PATCH, Put*, an InterleaveWrite
// mutation) sets a new fingerprint: base64 of 8 bytes derived from
// Options.Seed and a counter.
//
// A requestId query parameter must be a UUID; a write repeating a requestId
// gets the first request's operation back and changes nothing.
//
// # Operations and their outcome
//
// An accepted PATCH or PUT answers a compute#operation (name operation-N,
// a numeric id, operationType patch or update, targetLink, targetId, selfLink, insertTime, progress).
// Simplification: the change is applied when the PATCH is accepted, so a GET
// sees it and the fingerprint moves at once, even while the operation still
// reports RUNNING. The operation answers RUNNING to its first
// Options.PendingPolls operations.get calls, then DONE (progress 100); the
// PATCH answer itself is DONE only when PendingPolls is 0 and the operation
// succeeds. operations.wait answers the operation DONE at once, whatever
// polls remain (the real wait returns after at most two minutes, DONE or
// not; the emulator never has anything to wait for); gcloud waits through
// it. Note that the Go client's op.Wait always polls get at least once and
// sleeps at least 1 s between polls: tests with PendingPolls > 0 should call
// op.Poll in a loop.
//
// FailOperations makes the next accepted writes (PATCH or PUT) fail: such a PATCH is
// validated and fingerprint-checked like any other but its change is never
// applied (the fingerprint does not move); its operation starts RUNNING
// and ends DONE with error.errors[{code, message}], httpErrorStatusCode and
// httpErrorMessage (the upper-case status text). The client reports an
// operation error only when httpErrorStatusCode is set and not 2xx: op.Poll
// and op.Wait then return an error whose *googleapi.Error has that code.
// The error codes (INVALID_USAGE for 4xx, QUOTA_EXCEEDED for 403,
// RESOURCE_NOT_FOUND for 404, RESOURCE_NOT_READY for 409, INTERNAL_ERROR for
// 5xx) are our choice.
//
// # Validation
//
// 400 with reason "invalid" (or "required" for a missing required member)
// and a message naming the field, e.g. "Invalid value for field
// 'resource.defaultRouteAction.weightedBackendServices[1].weight': '1001'.
// Must be from 0 to 1000.":
//
//   - URL maps: weightedBackendServices weights 0-1000 (required), at least
//     one non-zero in each list; only one of defaultService,
//     defaultUrlRedirect and defaultRouteAction.weightedBackendServices at
//     the map level and in each path matcher; every backend service
//     reference (defaultService, pathRules[].service, routeRules[].service,
//     weightedBackendServices[].backendService,
//     requestMirrorPolicy.backendService; full URL or partial path
//     projects/P/global/…, global/…, regions/R/…) must name an existing
//     backend service of the map's scope: a global map only global ones, a
//     regional map only those of its region (anything else, including a
//     backend bucket, is 400); path matcher names are unique and every
//     hostRules[].pathMatcher names one. References are stored as full
//     URLs, as the API answers them.
//   - backend services: each backend has a group (an instance group or
//     network endpoint group URL, stored as a full URL), unique within the
//     service; capacityScaler is 0 or in [0.1, 1.0], and 0 is refused when
//     the service has a single backend. A backend without capacityScaler on
//     an instance group or zonal NEG gets the API's default 1.
//
// Put* validate the same way (so backend services must be put before the URL
// maps that reference them) and fill in the server-side fields.
//
// # getHealth
//
// POST …/getHealth with {"group": URL} answers
// {"kind":"compute#backendServiceGroupHealth","healthStatus":[…]} as seeded
// by SetGroupHealth (no healthStatus when nothing was seeded). A group that
// is not among the service's backends is 400 invalid ("… The group is not a
// backend of backend service …": the wording is ours); a missing group is
// 400 required.
//
// # Faults and hooks
//
// Faults() rules match the operation names above. RateLimitExceeded (and
// Throttle) answer 403 rateLimitExceeded, domain usageLimits, as Compute
// does when the per-minute API quota is exhausted; TooManyRequests answers
// 429 rateLimitExceeded; ServerError answers 500 backendError, or 503 with
// Options.ServerErrorStatus 503 (the client retries 503 and 504 on GET
// calls only, never PATCH or getHealth); PriorRequestNotComplete answers 400
// resourceNotReady; Latency delays the answer (and gives up when the client
// or the server does). A faulted call changes nothing.
//
// InterleaveWrite models another writer between a client's read and its
// write: before the nth write (PATCH or PUT) of a resource is processed, a mutation is
// applied to the stored resource and its fingerprint moves, so that PATCH
// (carrying the fingerprint it read) gets 412.
//
// # Not emulated
//
// Insert and delete, operations list; backend
// buckets, instance groups, NEGs and health checks as resources (group URLs
// are checked for form only); quotas other than injected faults; the
// per-scheme rules (classic load balancers refusing weighted splits,
// capacityScaler on internet NEGs, balancing-mode combinations); the
// validation of URL map tests. Error messages follow Google's style but are
// not its exact text.
package gcpsim
