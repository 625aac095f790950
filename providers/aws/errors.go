package aws

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/fbctl/fbctl/providers"
)

// CallError is a failed AWS API call. Its message names the operation, the
// AWS error code and message, the HTTP status and the request id, and
// never a credential (the SDK's errors carry none, and fbctl adds none).
// errors.As finds the SDK's error (smithy.APIError, the typed exceptions)
// and errors.Is finds context.Canceled and context.DeadlineExceeded
// through it. Err is classified (see classOf): providers.IsTransient says
// whether the call may succeed later.
type CallError struct {
	Op        string // "ListResourceRecordSets"
	Code      string // AWS error code, "" for transport errors
	Message   string
	Status    int // HTTP status, 0 when there was no response
	RequestID string
	Err       error
}

func (e *CallError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.Code != "" {
		b.WriteString(e.Code)
		if e.Message != "" {
			b.WriteString(": ")
			b.WriteString(e.Message)
		}
	} else {
		b.WriteString(e.Message)
	}
	var extra []string
	if e.Status != 0 {
		extra = append(extra, fmt.Sprintf("HTTP %d", e.Status))
	}
	if e.RequestID != "" {
		extra = append(extra, "request id "+e.RequestID)
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	return b.String()
}

func (e *CallError) Unwrap() error { return e.Err }

// callError describes err, returned by the SDK for operation op.
func callError(op string, err error) error {
	if err == nil {
		return nil
	}
	ce := &CallError{Op: op, Err: err}
	var api smithy.APIError
	if errors.As(err, &api) {
		ce.Code, ce.Message = api.ErrorCode(), api.ErrorMessage()
	} else {
		msg := err.Error()
		var oe *smithy.OperationError
		if errors.As(err, &oe) && oe.Err != nil {
			msg = oe.Err.Error()
		}
		ce.Message = msg
	}
	var st interface{ HTTPStatusCode() int }
	if errors.As(err, &st) {
		ce.Status = st.HTTPStatusCode()
	}
	var rid interface{ ServiceRequestID() string }
	if errors.As(err, &rid) {
		ce.RequestID = rid.ServiceRequestID()
	}
	ce.Err = &providers.ClassifiedError{Class: classOf(err, ce.Code), Err: err}
	return ce
}

// throttleCodes are the AWS error codes of a rate limit: Route 53 answers
// Throttling and PriorRequestNotComplete, ELBv2 Throttling; the others are
// the same thing in other AWS APIs' words. (Not LimitExceededException,
// which some APIs use for a quota that waiting does not lift.)
var throttleCodes = map[string]bool{
	"Throttling":               true,
	"ThrottlingException":      true,
	"PriorRequestNotComplete":  true,
	"RequestLimitExceeded":     true,
	"TooManyRequestsException": true,
}

// classOf is the class of a failed call's error, after the SDK's retries:
// a throttling code or an HTTP 5xx (or 429) answer is Transient (a later run may
// get through); any other answer of the API is Fatal (bad input, not
// found, access denied, validation); without an answer the shared
// transport classification decides (a refused or reset connection is
// Transient). A done context is Fatal, and so is the client-side rate
// limiter's refusal, which only happens when the context's deadline
// comes before the next token.
func classOf(err error, code string) providers.ErrorClass {
	// The status of the answer; 0 when there was none (the SDK reports a
	// failed send as a ResponseError with status 0).
	status := 0
	var re *smithyhttp.ResponseError // also inside awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil && re.Response.Response != nil {
		status = re.HTTPStatusCode()
	}
	switch {
	case isContextErr(err):
		return providers.Fatal
	case throttleCodes[code]:
		return providers.Transient
	case status >= 500, status == 429:
		return providers.Transient
	case code != "" || status != 0:
		return providers.Fatal
	}
	return providers.Classify(err)
}

// errorCode returns the AWS error code in err's chain, or "".
func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}
