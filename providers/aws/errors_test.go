package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/fbctl/fbctl/providers"
)

// answer is an SDK error as the SDK builds it for an HTTP answer with
// status and (when not empty) an AWS error code.
func answer(status int, code string) error {
	var inner error = errors.New("deserialization failed")
	if code != "" {
		inner = &smithy.GenericAPIError{Code: code, Message: "m"}
	}
	re := &awshttp.ResponseError{RequestID: "rid", ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: inner}}
	return &smithy.OperationError{ServiceID: "Route 53", OperationName: "ListResourceRecordSets", Err: re}
}

func TestCallErrorClass(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want providers.ErrorClass
	}{
		{"Throttling", answer(400, "Throttling"), providers.Transient},
		{"ThrottlingException", answer(400, "ThrottlingException"), providers.Transient},
		{"PriorRequestNotComplete", answer(400, "PriorRequestNotComplete"), providers.Transient},
		{"RequestLimitExceeded", answer(503, "RequestLimitExceeded"), providers.Transient},
		{"TooManyRequestsException", answer(429, "TooManyRequestsException"), providers.Transient},
		{"InternalFailure 500", answer(500, "InternalFailure"), providers.Transient},
		{"503 without a code", answer(503, ""), providers.Transient},
		{"NoSuchHostedZone", answer(404, "NoSuchHostedZone"), providers.Fatal},
		{"InvalidChangeBatch", answer(400, "InvalidChangeBatch"), providers.Fatal},
		{"AccessDenied", answer(403, "AccessDenied"), providers.Fatal},
		{"LimitExceededException (a quota)", answer(400, "LimitExceededException"), providers.Fatal},
		{"403 without a code", answer(403, ""), providers.Fatal},
		{"refused connection", &smithy.OperationError{Err: &smithyhttp.RequestSendError{Err: fmt.Errorf("dial: %w", syscall.ECONNREFUSED)}}, providers.Transient},
		{"refused connection in a status 0 ResponseError", &smithy.OperationError{Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{}}, Err: &smithyhttp.RequestSendError{Err: syscall.ECONNREFUSED}}}}, providers.Transient},
		{"context deadline", &smithy.OperationError{Err: fmt.Errorf("send: %w", context.DeadlineExceeded)}, providers.Fatal},
		{"rate limiter refusal", &limitError{msg: "client-side rate limit", err: context.DeadlineExceeded}, providers.Fatal},
		{"other error", errors.New("failed to load credentials"), providers.Fatal},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := fmt.Errorf("hosted zone Z: %w", callError("ListResourceRecordSets", c.err))
			if got := providers.Classify(err); got != c.want {
				t.Errorf("%v is %v, want %v", err, got, c.want)
			}
			if !errors.Is(err, c.err) {
				t.Error("the SDK's error is not in the chain")
			}
		})
	}
}
