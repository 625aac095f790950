package aws

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
)

// CallError is a failed AWS API call. Its message names the operation, the
// AWS error code and message, the HTTP status and the request id, and
// never a credential (the SDK's errors carry none, and fbctl adds none).
// errors.As finds the SDK's error (smithy.APIError, the typed exceptions)
// and errors.Is finds context.Canceled and context.DeadlineExceeded
// through it.
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
	return ce
}

// errorCode returns the AWS error code in err's chain, or "".
func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}
