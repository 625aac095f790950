package route53sim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fbctl/fbctl/internal/sim/fault"
	"github.com/fbctl/fbctl/internal/sim/simhttp"
)

// Operation names, as counted by Calls and matched by fault rules.
const (
	OpListHostedZones          = "ListHostedZones"
	OpListHostedZonesByName    = "ListHostedZonesByName"
	OpGetHostedZone            = "GetHostedZone"
	OpListResourceRecordSets   = "ListResourceRecordSets"
	OpChangeResourceRecordSets = "ChangeResourceRecordSets"
	OpGetChange                = "GetChange"
	OpGetHealthCheckStatus     = "GetHealthCheckStatus"
)

// Options configure a Server.
type Options struct {
	// Seed drives the fault injector's rate draws (and the generated ids),
	// so a run is repeatable.
	Seed int64
	// Now is the clock for SubmittedAt, CheckedTime and the rate limiter;
	// time.Now when nil.
	Now func() time.Time
	// PendingPolls is how many GetChange calls of a change answer PENDING
	// before it is INSYNC. Zero means the default, 1; a negative value means
	// INSYNC at once (and ChangeResourceRecordSets answers INSYNC).
	PendingPolls int
	// RateLimit, when positive, enforces an account-wide token bucket of
	// RateLimit requests per second (Route 53 documents 5, newer quotas 10)
	// with RateBurst tokens (default: max(1, RateLimit)); a request over the
	// limit gets Throttling, like an injected Throttle fault.
	RateLimit float64
	RateBurst int
	// ServerErrorStatus is the HTTP status of a fault.ServerError: 500
	// (InternalFailure, the default) or 503 (ServiceUnavailable).
	ServerErrorStatus int
	// LegacyInvalidChangeBatch answers InvalidChangeBatch in the older
	// <InvalidChangeBatch><Messages><Message>... form instead of the
	// standard ErrorResponse form Route 53 uses today.
	LegacyInvalidChangeBatch bool
}

// Server is the Route 53 emulator. It implements http.Handler; Start serves
// it on a loopback port. It is safe for concurrent use.
type Server struct {
	opts   Options
	faults *fault.Injector

	mu         sync.Mutex
	zones      map[string]*zone // by id
	health     map[string][]CheckerStatus
	changes    map[string]*change
	seq        uint64 // ids: zones, changes, request ids
	tokens     float64
	lastRefill time.Time

	calls simhttp.Calls
	srv   simhttp.Loopback
}

type zone struct {
	id, name, comment, callerRef string
	private                      bool
	sets                         map[string]*RecordSet // by key(); values are never mutated in place
	order                        []*RecordSet          // sets in listing order; nil when stale
}

type change struct {
	id        string
	submitted time.Time
	comment   *string
	polls     int
}

// New returns a server without zones.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PendingPolls == 0 {
		opts.PendingPolls = 1
	} else if opts.PendingPolls < 0 {
		opts.PendingPolls = 0
	}
	if opts.RateLimit > 0 && opts.RateBurst <= 0 {
		opts.RateBurst = int(opts.RateLimit)
		if opts.RateBurst < 1 {
			opts.RateBurst = 1
		}
	}
	if opts.ServerErrorStatus == 0 {
		opts.ServerErrorStatus = http.StatusInternalServerError
	}
	return &Server{
		opts:    opts,
		faults:  fault.New(opts.Seed),
		zones:   map[string]*zone{},
		health:  map[string][]CheckerStatus{},
		changes: map[string]*change{},
		tokens:  float64(opts.RateBurst),
	}
}

// Start serves the emulator on 127.0.0.1 on a free port and returns its
// base URL (for route53.Options.BaseEndpoint or --endpoint-url).
func (s *Server) Start() (string, error) { return s.srv.Start("route53sim", s) }

// URL returns the base URL of a started server, "" before Start.
func (s *Server) URL() string { return s.srv.URL() }

// Close stops a started server and its connections; requests waiting on
// injected latency are abandoned.
func (s *Server) Close() { s.srv.Close() }

// Faults returns the injector deciding which calls fail. Rules match the
// Op* operation names.
func (s *Server) Faults() *fault.Injector { return s.faults }

// Calls returns how many requests each operation received, every request
// counted: throttled, faulted, invalid and SDK retries included, as AWS
// counts them against the rate limit.
func (s *Server) Calls() map[string]int { return s.calls.Counts() }

// ResetCalls sets every count to zero.
func (s *Server) ResetCalls() { s.calls.Reset() }

// apiError is an error answer.
type apiError struct {
	status  int
	code    string
	message string
	// batch selects the <InvalidChangeBatch><Messages> form.
	batch []string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func invalidInput(format string, a ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidInput", message: fmt.Sprintf(format, a...)}
}

func noSuchZone(id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "NoSuchHostedZone", message: "No hosted zone found with ID: " + id}
}

func faultError(k fault.Kind, status5xx int) *apiError {
	switch k {
	case fault.PriorRequestNotComplete:
		return &apiError{status: http.StatusBadRequest, code: "PriorRequestNotComplete",
			message: "The request was rejected because Route 53 was still processing a prior request."}
	case fault.ServerError:
		if status5xx == http.StatusServiceUnavailable {
			return &apiError{status: status5xx, code: "ServiceUnavailable", message: "Service is unavailable. Please retry."}
		}
		return &apiError{status: status5xx, code: "InternalFailure", message: "An internal error occurred. Please retry."}
	default: // Throttle, and the other APIs' rate kinds: Route 53 has one throttling answer
		return &apiError{status: http.StatusBadRequest, code: "Throttling", message: "Rate exceeded"}
	}
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := s.requestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	op, args, ok := route(r.Method, r.URL.Path)
	if !ok {
		writeError(w, reqID, &apiError{status: http.StatusNotFound, code: "UnknownOperationException",
			message: fmt.Sprintf("the fbctl Route 53 emulator does not implement %s %s", r.Method, r.URL.Path)})
		return
	}
	s.calls.Add(op)
	s.mu.Lock()
	throttled := !s.takeToken()
	s.mu.Unlock()
	// SigV4 signatures are not verified, but every SDK request is signed.
	if r.Header.Get("Authorization") == "" {
		writeError(w, reqID, &apiError{status: http.StatusForbidden, code: "MissingAuthenticationToken",
			message: "Missing Authentication Token"})
		return
	}
	if throttled {
		writeError(w, reqID, faultError(fault.Throttle, 0))
		return
	}
	rule, delay := s.faults.Next(op)
	if delay > 0 && !s.srv.Hold(r, delay) {
		return // the client is gone, or the server closed
	}
	if rule != nil {
		writeError(w, reqID, faultError(rule.Kind, s.opts.ServerErrorStatus))
		return
	}
	var body []byte
	if r.Method == http.MethodPost {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, 16<<20)); err != nil {
			return
		}
	}
	q := r.URL.Query()
	var resp any
	var aerr *apiError
	switch op {
	case OpListHostedZones:
		resp, aerr = s.listZones(q)
	case OpListHostedZonesByName:
		resp, aerr = s.listZonesByName(q)
	case OpGetHostedZone:
		resp, aerr = s.getZone(args[0])
	case OpListResourceRecordSets:
		resp, aerr = s.listRecordSets(args[0], q)
	case OpChangeResourceRecordSets:
		resp, aerr = s.changeRecordSets(args[0], body)
	case OpGetChange:
		resp, aerr = s.getChange(args[0])
	case OpGetHealthCheckStatus:
		resp, aerr = s.healthStatus(args[0])
	}
	if aerr != nil {
		writeError(w, reqID, aerr)
		return
	}
	writeXML(w, http.StatusOK, resp)
}

// route maps a request to an operation and its path arguments.
func route(method, path string) (op string, args []string, ok bool) {
	p, found := strings.CutPrefix(path, "/2013-04-01/")
	if !found {
		return "", nil, false
	}
	parts := strings.Split(strings.TrimSuffix(p, "/"), "/")
	switch {
	case method == http.MethodGet && len(parts) == 1 && parts[0] == "hostedzone":
		return OpListHostedZones, nil, true
	case method == http.MethodGet && len(parts) == 1 && parts[0] == "hostedzonesbyname":
		return OpListHostedZonesByName, nil, true
	case method == http.MethodGet && len(parts) == 2 && parts[0] == "hostedzone":
		return OpGetHostedZone, parts[1:], true
	case len(parts) == 3 && parts[0] == "hostedzone" && parts[2] == "rrset":
		switch method {
		case http.MethodGet:
			return OpListResourceRecordSets, parts[1:2], true
		case http.MethodPost:
			return OpChangeResourceRecordSets, parts[1:2], true
		}
	case method == http.MethodGet && len(parts) == 2 && parts[0] == "change":
		return OpGetChange, parts[1:], true
	case method == http.MethodGet && len(parts) == 3 && parts[0] == "healthcheck" && parts[2] == "status":
		return OpGetHealthCheckStatus, parts[1:2], true
	}
	return "", nil, false
}

// takeToken refills and takes one token of the rate limiter; s.mu held.
func (s *Server) takeToken() bool {
	if s.opts.RateLimit <= 0 {
		return true
	}
	now := s.opts.Now()
	if !s.lastRefill.IsZero() && now.After(s.lastRefill) {
		s.tokens += now.Sub(s.lastRefill).Seconds() * s.opts.RateLimit
		if burst := float64(s.opts.RateBurst); s.tokens > burst {
			s.tokens = burst
		}
	}
	if s.lastRefill.IsZero() || now.After(s.lastRefill) {
		s.lastRefill = now
	}
	if s.tokens < 1 {
		return false
	}
	s.tokens--
	return true
}

// nextSeq returns a new sequence number; s.mu held.
func (s *Server) nextSeq() uint64 {
	s.seq++
	return s.seq
}

func (s *Server) requestID() string {
	s.mu.Lock()
	n := s.nextSeq()
	s.mu.Unlock()
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(s.opts.Seed), (n>>48)&0xffff, (n>>36)&0xfff, (n>>24)&0xfff, n&0xffffffffffff)
}

// newID returns prefix followed by n base-36 characters drawn from a hash
// of the seed, the sequence and salt; s.mu held.
func (s *Server) newID(prefix string, n int, salt string) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d/%s", s.opts.Seed, s.nextSeq(), salt)
	v := h.Sum64()
	id := strings.ToUpper(strconv.FormatUint(v, 36))
	for len(id) < n {
		h.Write([]byte{0})
		id += strings.ToUpper(strconv.FormatUint(h.Sum64(), 36))
	}
	return prefix + id[:n]
}

func writeXML(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header[:len(xml.Header)-1])
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck // the client may be gone
}

func writeError(w http.ResponseWriter, reqID string, e *apiError) {
	if e.batch != nil {
		writeXML(w, e.status, &xmlInvalidChangeBatch{Messages: e.batch, RequestId: reqID})
		return
	}
	var x xmlErrorResponse
	x.Error.Type = "Sender"
	if e.status >= 500 {
		x.Error.Type = "Receiver"
	}
	x.Error.Code, x.Error.Message, x.RequestId = e.code, e.message, reqID
	writeXML(w, e.status, &x)
}
