package elbv2sim

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/fbctl/fbctl/internal/sim/fault"
	"github.com/fbctl/fbctl/internal/sim/simhttp"
)

const (
	apiVersion = "2015-12-01"
	xmlns      = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
	maxBody    = 1 << 20
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Seed seeds the fault injector's rate draws.
	Seed int64
	// Now is the clock (load balancer creation times); time.Now by default.
	Now func() time.Time
	// Region and AccountID go into the ARNs; us-east-1 and 123456789012 by
	// default.
	Region    string
	AccountID string
	// ServerErrorStatus is the HTTP status of a fault.ServerError: 500
	// (InternalFailure, the default) or 503 (ServiceUnavailable).
	ServerErrorStatus int
	// Verbatim stores actions exactly as sent. By default the emulator fills
	// in what AWS fills in (see the package documentation, "Normalization").
	Verbatim bool
}

// Server is the ELBv2 emulator: an http.Handler for the awsQuery protocol
// and a Go API to seed and inspect its state. It is safe for concurrent use.
type Server struct {
	opts   Options
	faults *fault.Injector

	mu            sync.Mutex
	lbs           map[string]*lbRec
	lbOrder       []string
	tgs           map[string]*tgRec
	tgOrder       []string
	listeners     map[string]*listenerRec
	listenerOrder []string
	rules         map[string]*ruleRec
	reqSeq        uint64

	calls simhttp.Calls
	srv   simhttp.Loopback
}

// New returns an empty emulator.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.ServerErrorStatus == 0 {
		opts.ServerErrorStatus = http.StatusInternalServerError
	}
	return &Server{
		opts:      opts,
		faults:    fault.New(opts.Seed),
		lbs:       map[string]*lbRec{},
		tgs:       map[string]*tgRec{},
		listeners: map[string]*listenerRec{},
		rules:     map[string]*ruleRec{},
	}
}

// Faults returns the fault injector; rules match the operation names
// ("ModifyRule", …).
func (s *Server) Faults() *fault.Injector { return s.faults }

// Calls returns how many requests each operation received, faulted ones
// included.
func (s *Server) Calls() map[string]int { return s.calls.Counts() }

// ResetCalls zeroes the call counts.
func (s *Server) ResetCalls() { s.calls.Reset() }

// Start serves on a free port of 127.0.0.1 and returns the base URL
// (http://127.0.0.1:PORT) to use as the SDK's BaseEndpoint.
func (s *Server) Start() (string, error) { return s.srv.Start("elbv2sim", s) }

// Close stops the server started by Start, and ends requests held by a
// latency fault. Safe to call more than once.
func (s *Server) Close() { s.srv.Close() }

// apiError is an error answer.
type apiError struct {
	status int
	code   string
	msg    string
	server bool // Type Receiver instead of Sender
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errf(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf(format, args...)}
}

// Error codes.
const (
	codeValidation                = "ValidationError"
	codeListenerNotFound          = "ListenerNotFound"
	codeRuleNotFound              = "RuleNotFound"
	codeTargetGroupNotFound       = "TargetGroupNotFound"
	codeLoadBalancerNotFound      = "LoadBalancerNotFound"
	codeOperationNotPermitted     = "OperationNotPermitted"
	codeInvalidLoadBalancerAction = "InvalidLoadBalancerAction"
	codeIncompatibleProtocols     = "IncompatibleProtocols"
	codeDuplicateListener         = "DuplicateListener"
	codeUnsupportedProtocol       = "UnsupportedProtocol"
)

type opFunc func(s *Server, form url.Values) (any, *apiError)

var operations = map[string]opFunc{
	"DescribeLoadBalancers": (*Server).describeLoadBalancers,
	"DescribeTargetGroups":  (*Server).describeTargetGroups,
	"DescribeListeners":     (*Server).describeListeners,
	"DescribeRules":         (*Server).describeRules,
	"ModifyListener":        (*Server).modifyListener,
	"ModifyRule":            (*Server).modifyRule,
	"DescribeTargetHealth":  (*Server).describeTargetHealth,
}

// ServeHTTP answers one awsQuery request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := s.nextRequestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	if r.URL.Path != "/" {
		writeError(w, reqID, &apiError{status: http.StatusNotFound, code: "NotFound", msg: "no such resource: " + r.URL.Path})
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		writeError(w, reqID, &apiError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed", msg: "use POST"})
		return
	}
	// The SigV4 signature is not checked, but a request must carry one.
	if r.Header.Get("Authorization") == "" && r.URL.Query().Get("X-Amz-Signature") == "" {
		writeError(w, reqID, &apiError{status: http.StatusForbidden, code: "MissingAuthenticationToken", msg: "Request is missing Authentication Token"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		writeError(w, reqID, errf("MalformedQueryString", "cannot parse the request: %v", err))
		return
	}
	form := r.Form
	op := form.Get("Action")
	if op == "" {
		writeError(w, reqID, errf("MissingAction", "Could not find operation to perform"))
		return
	}
	fn, ok := operations[op]
	if !ok {
		writeError(w, reqID, errf("InvalidAction", "Could not find operation %s for version %s", op, apiVersion))
		return
	}
	if v := form.Get("Version"); v != apiVersion {
		if v == "" {
			writeError(w, reqID, errf("MissingParameter", "The request must contain the parameter Version"))
		} else {
			writeError(w, reqID, errf("NoSuchVersion", "The requested version (%s) of service ElasticLoadBalancing does not exist", v))
		}
		return
	}

	s.calls.Add(op)

	f, delay := s.faults.Next(op)
	if delay > 0 && !s.srv.Hold(r, delay) {
		return // the client is gone, or the server closed
	}
	if f != nil {
		writeError(w, reqID, s.faultError(f.Kind))
		return
	}

	res, aerr := fn(s, form)
	if aerr != nil {
		writeError(w, reqID, aerr)
		return
	}
	writeResult(w, reqID, op, res)
}

// writeResult writes the successful answer of op; res points to the
// operation's result struct.
func writeResult(w http.ResponseWriter, reqID, op string, res any) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString("<" + op + `Response xmlns="` + xmlns + `"><` + op + "Result>")
	encodeFields(&b, reflect.ValueOf(res).Elem())
	b.WriteString("</" + op + "Result><ResponseMetadata><RequestId>" + reqID + "</RequestId></ResponseMetadata></" + op + "Response>")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(b.String())) //nolint:errcheck // the client is gone
}

func (s *Server) faultError(k fault.Kind) *apiError {
	switch k {
	case fault.Throttle, fault.RateLimitExceeded:
		return errf("Throttling", "Rate exceeded")
	case fault.TooManyRequests:
		return &apiError{status: http.StatusTooManyRequests, code: "Throttling", msg: "Rate exceeded"}
	case fault.PriorRequestNotComplete:
		return errf("PriorRequestNotComplete", "The request was rejected because a prior request is still being processed")
	case fault.ServerError:
		if s.opts.ServerErrorStatus == http.StatusServiceUnavailable {
			return &apiError{status: http.StatusServiceUnavailable, code: "ServiceUnavailable", msg: "The service is unavailable. Please try again shortly.", server: true}
		}
		return &apiError{status: s.opts.ServerErrorStatus, code: "InternalFailure", msg: "The request processing has failed because of an unknown error, exception or failure.", server: true}
	}
	return &apiError{status: http.StatusInternalServerError, code: "InternalFailure", msg: "unknown fault " + string(k), server: true}
}

func writeError(w http.ResponseWriter, reqID string, e *apiError) {
	typ := "Sender"
	if e.server {
		typ = "Receiver"
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<ErrorResponse xmlns="` + xmlns + `"><Error><Type>` + typ + "</Type>")
	writeElem(&b, "Code", e.code)
	writeElem(&b, "Message", e.msg)
	b.WriteString("</Error><RequestId>" + reqID + "</RequestId></ErrorResponse>")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.status)
	w.Write([]byte(b.String())) //nolint:errcheck // the client is gone
}

// nextRequestID returns a UUID-shaped request id, deterministic for a seed.
func (s *Server) nextRequestID() string {
	s.mu.Lock()
	s.reqSeq++
	n := s.reqSeq
	s.mu.Unlock()
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d", s.opts.Seed, n)
	x := h.Sum64()
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(x>>32), uint16(x>>16), uint16(x)&0xfff, n&0xfff, n)
}

// decode decodes the operation parameters of form into in.
func decode(form url.Values, in any) *apiError {
	if err := decodeForm(form, map[string]bool{"Action": true, "Version": true}, in); err != nil {
		return errf(codeValidation, "%s", err.Error())
	}
	return nil
}
