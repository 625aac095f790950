package aws

import (
	"context"
	"errors"
	"strconv"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/fbctl/fbctl/providers"
)

// addRequestObserver reports every attempt of every call (retries, and
// STS calls for assume_role, too) to the context's
// providers.RequestObserver. It sits last in the finalize step, after the
// retry loop, the rate limiter and signing: it sees each request that
// leaves for the API, and changes nothing about it.
func addRequestObserver(stack *middleware.Stack) error {
	return stack.Finalize.Add(requestObserver{}, middleware.After)
}

type requestObserver struct{}

func (requestObserver) ID() string { return "fbctl.RequestObserver" }

func (requestObserver) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleFinalize(ctx, in)
	providers.ObserveRequest(ctx, ProviderType, awsmiddleware.GetOperationName(ctx), requestCode(md, err))
	return out, md, err
}

// requestCode is the HTTP status of an attempt's answer, or
// providers.RequestError when none came back.
func requestCode(md middleware.Metadata, err error) string {
	if r, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && r != nil && r.Response != nil && r.StatusCode > 0 {
		return strconv.Itoa(r.StatusCode)
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() > 0 {
		return strconv.Itoa(re.HTTPStatusCode())
	}
	return providers.RequestError
}
