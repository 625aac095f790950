package gcpsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/fbctl/fbctl/internal/sim/fault"
	"github.com/fbctl/fbctl/internal/sim/simhttp"
)

const (
	apiPrefix = "/compute/v1/projects/"
	// linkPrefix starts every selfLink, as the real API writes them.
	linkPrefix = "https://www.googleapis.com/compute/v1/projects/"
	maxBody    = 1 << 20

	kindURLMap         = "urlMaps"
	kindBackendService = "backendServices"
	kindOperation      = "operations"
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Project is the one project served; "demo-project" when empty.
	Project string
	// PendingPolls is how many operations.get calls of an operation answer
	// RUNNING before it is DONE; 0 = DONE at the first get.
	PendingPolls int
	// Seed seeds the fault injector's rate draws and the fingerprints.
	Seed int64
	// ServerErrorStatus is the HTTP status of a fault.ServerError: 500 (the
	// default, which the client does not retry) or 503 (which its GET calls
	// retry).
	ServerErrorStatus int
	// Now is the clock of creation timestamps and operation times;
	// time.Now by default.
	Now func() time.Time
}

// Server is the Compute Engine emulator: an http.Handler for the REST API
// and a Go API to seed and inspect its state. It is safe for concurrent use.
type Server struct {
	opts   Options
	faults *fault.Injector

	mu         sync.Mutex
	res        map[resKey]*resource
	ops        map[opKey]*operation
	requestIDs map[string]opKey
	seq        uint64 // fingerprints
	opSeq      uint64 // operation names
	failures   []opFailure
	hooks      []*hook

	calls simhttp.Calls
	srv   simhttp.Loopback
}

// resKey names a stored resource; region "" is the global scope.
type resKey struct{ kind, region, name string }

type resource struct {
	msg     proto.Message // *computepb.UrlMap or *computepb.BackendService
	health  map[string][]*computepb.HealthStatus
	patches int // PATCH requests received, for InterleaveWrite
}

type opKey struct{ region, name string }

type operation struct {
	pb      *computepb.Operation
	pending int // operations.get answers still RUNNING
	fail    *opFailure
}

type opFailure struct {
	status int
	msg    string
}

type hook struct {
	key    resKey
	nth    int
	mutate func(proto.Message)
}

// New returns an empty emulator.
func New(opts Options) *Server {
	if opts.Project == "" {
		opts.Project = "demo-project"
	}
	if opts.ServerErrorStatus == 0 {
		opts.ServerErrorStatus = http.StatusInternalServerError
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PendingPolls < 0 {
		opts.PendingPolls = 0
	}
	return &Server{
		opts:       opts,
		faults:     fault.New(opts.Seed),
		res:        map[resKey]*resource{},
		ops:        map[opKey]*operation{},
		requestIDs: map[string]opKey{},
	}
}

// Project returns the project served.
func (s *Server) Project() string { return s.opts.Project }

// Faults returns the fault injector; rules match the operation names
// ("urlMaps.patch", …; see the package documentation).
func (s *Server) Faults() *fault.Injector { return s.faults }

// Calls returns how many requests each operation received, refused and
// faulted ones included.
func (s *Server) Calls() map[string]int { return s.calls.Counts() }

// ResetCalls zeroes the call counts.
func (s *Server) ResetCalls() { s.calls.Reset() }

// Start serves on a free port of 127.0.0.1 and returns the base URL
// (http://127.0.0.1:PORT, no trailing slash: the client would otherwise
// send //compute/v1/… paths) for option.WithEndpoint.
func (s *Server) Start() (string, error) { return s.srv.Start("gcpsim", s) }

// Close stops the server started by Start and ends requests held by a
// latency fault. Safe to call more than once.
func (s *Server) Close() { s.srv.Close() }

// apiError is an error answer in Google's JSON error form.
type apiError struct {
	status int
	reason string
	domain string
	msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.reason, e.msg) }

func invalidf(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, reason: "invalid", domain: "global", msg: fmt.Sprintf(format, args...)}
}

func notFound(what string) *apiError {
	return &apiError{status: http.StatusNotFound, reason: "notFound", domain: "global",
		msg: fmt.Sprintf("The resource '%s' was not found", what)}
}

func badFingerprint() *apiError {
	return &apiError{status: http.StatusPreconditionFailed, reason: "conditionNotMet", domain: "global", msg: "Invalid fingerprint."}
}

// route is a parsed request path.
type route struct {
	op      string // the operation name of Calls and fault rules
	project string
	kind    string // urlMaps, backendServices or operations
	region  string // "" for global
	name    string
	verb    string // get, patch, update, list, aggregatedList, getHealth or wait
}

// collections maps a path collection to the global and regional prefixes of
// its operation names.
var collections = map[string][2]string{
	kindURLMap:         {"urlMaps", "regionUrlMaps"},
	kindBackendService: {"backendServices", "regionBackendServices"},
	kindOperation:      {"globalOperations", "regionOperations"},
}

// parseRoute maps method and path to an operation, or to a 404 / 405.
func parseRoute(method, path string) (route, *apiError) {
	var rt route
	rest, ok := strings.CutPrefix(path, apiPrefix)
	if !ok {
		return rt, &apiError{status: http.StatusNotFound, reason: "notFound", domain: "global", msg: "The requested URL " + path + " was not found on this server."}
	}
	missing := notFound(strings.TrimPrefix(path, "/compute/v1/"))
	segs := strings.Split(rest, "/")
	for _, sg := range segs {
		if sg == "" {
			return rt, missing
		}
	}
	rt.project = segs[0]
	segs = segs[1:]
	wrong := &apiError{status: http.StatusMethodNotAllowed, reason: "methodNotAllowed", domain: "global",
		msg: fmt.Sprintf("Method %s is not allowed on %s", method, path)}
	// only lets method through, or answers 405.
	only := func(m, verb string) *apiError {
		if method != m {
			return wrong
		}
		rt.verb = verb
		return nil
	}
	if len(segs) == 2 && segs[0] == "aggregated" {
		names, ok := collections[segs[1]]
		if !ok || segs[1] == kindOperation {
			return rt, missing
		}
		rt.kind = segs[1]
		if aerr := only(http.MethodGet, "aggregatedList"); aerr != nil {
			return rt, aerr
		}
		rt.op = names[0] + ".aggregatedList"
		return rt, nil
	}
	scope := 0
	switch {
	case len(segs) >= 1 && segs[0] == "global":
		segs = segs[1:]
	case len(segs) >= 2 && segs[0] == "regions":
		rt.region = segs[1]
		segs = segs[2:]
		scope = 1
	default:
		return rt, missing
	}
	if len(segs) < 1 || len(segs) > 3 {
		return rt, missing
	}
	names, ok := collections[segs[0]]
	if !ok {
		return rt, missing
	}
	rt.kind = segs[0]
	if len(segs) >= 2 {
		rt.name = segs[1]
	}
	var aerr *apiError
	switch {
	case len(segs) == 1 && rt.kind != kindOperation:
		aerr = only(http.MethodGet, "list")
	case len(segs) == 1:
		return rt, missing
	case len(segs) == 3 && segs[2] == "getHealth" && rt.kind == kindBackendService:
		aerr = only(http.MethodPost, "getHealth")
	case len(segs) == 3 && segs[2] == "wait" && rt.kind == kindOperation:
		aerr = only(http.MethodPost, "wait")
	case len(segs) == 3:
		return rt, missing
	case method == http.MethodGet:
		rt.verb = "get"
	case method == http.MethodPatch && rt.kind != kindOperation:
		rt.verb = "patch"
	case method == http.MethodPut && rt.kind != kindOperation:
		rt.verb = "update"
	default:
		aerr = wrong
	}
	if aerr != nil {
		return rt, aerr
	}
	rt.op = names[scope] + "." + rt.verb
	return rt, nil
}

// ServeHTTP answers one Compute REST request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, aerr := parseRoute(r.Method, r.URL.Path)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.calls.Add(rt.op)

	f, delay := s.faults.Next(rt.op)
	if delay > 0 && !s.srv.Hold(r, delay) {
		return // the client is gone, or the server closed
	}
	if f != nil {
		writeError(w, s.faultError(f.Kind))
		return
	}
	if rt.project != s.opts.Project {
		writeError(w, notFound("projects/"+rt.project))
		return
	}
	var body []byte
	if r.Method != http.MethodGet {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeError(w, invalidf("Invalid JSON payload received. %v", err))
			return
		}
		body = b
	}

	var res proto.Message
	switch {
	case rt.kind == kindOperation:
		res, aerr = s.getOperation(rt.region, rt.name, rt.verb == "wait")
	case rt.verb == "get":
		res, aerr = s.getResource(resKey{rt.kind, rt.region, rt.name})
	case rt.verb == "list":
		res, aerr = s.list(rt.kind, rt.region, r.URL.Query())
	case rt.verb == "aggregatedList":
		res, aerr = s.aggregatedList(rt.kind, r.URL.Query())
	case rt.verb == "patch", rt.verb == "update":
		res, aerr = s.write(resKey{rt.kind, rt.region, rt.name}, rt.verb, body, r.URL.Query().Get("requestId"))
	case rt.verb == "getHealth":
		res, aerr = s.getHealth(resKey{rt.kind, rt.region, rt.name}, body)
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	b, err := protojson.Marshal(res)
	if err != nil {
		writeError(w, &apiError{status: http.StatusInternalServerError, reason: "backendError", domain: "global", msg: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	w.Write(b) //nolint:errcheck // the client is gone
}

// faultError renders an injected fault as Compute answers it.
func (s *Server) faultError(k fault.Kind) *apiError {
	switch k {
	case fault.RateLimitExceeded, fault.Throttle:
		return &apiError{status: http.StatusForbidden, reason: "rateLimitExceeded", domain: "usageLimits",
			msg: "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'compute.googleapis.com' for consumer 'project_number:000000000000'."}
	case fault.TooManyRequests:
		return &apiError{status: http.StatusTooManyRequests, reason: "rateLimitExceeded", domain: "usageLimits", msg: "Too Many Requests"}
	case fault.PriorRequestNotComplete:
		// Compute's nearest answer: another operation on the resource is
		// still running.
		return &apiError{status: http.StatusBadRequest, reason: "resourceNotReady", domain: "global",
			msg: "The resource is not ready: another operation on it is in progress."}
	case fault.ServerError:
		if s.opts.ServerErrorStatus == http.StatusServiceUnavailable {
			return &apiError{status: http.StatusServiceUnavailable, reason: "backendError", domain: "global", msg: "The service is currently unavailable."}
		}
		return &apiError{status: s.opts.ServerErrorStatus, reason: "backendError", domain: "global", msg: "Internal error. Please try again or contact Google Support."}
	}
	return &apiError{status: http.StatusInternalServerError, reason: "backendError", domain: "global", msg: "unknown fault " + string(k)}
}

type jsonErrorItem struct {
	Message string `json:"message"`
	Domain  string `json:"domain"`
	Reason  string `json:"reason"`
}

type jsonError struct {
	Error struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Errors  []jsonErrorItem `json:"errors"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	var je jsonError
	je.Error.Code = e.status
	je.Error.Message = e.msg
	je.Error.Errors = []jsonErrorItem{{Message: e.msg, Domain: e.domain, Reason: e.reason}}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.Encode(je) //nolint:errcheck // strings and ints only
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(e.status)
	w.Write(b.Bytes()) //nolint:errcheck // the client is gone
}
