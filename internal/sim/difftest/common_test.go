package difftest

import (
	"context"
	"errors"
	"fmt"
	"go/token"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/internal/testenv"
)

// sdkConfig is the client configuration of both sides: the same static
// credentials and region, the emulator's URL as BaseEndpoint, and no
// retries, so that every error reaches the test as the service sent it.
func sdkConfig(url string) aws.Config {
	return aws.Config{
		Region:       testenv.MotoRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(testenv.MotoAccessKeyID, testenv.MotoSecretAccessKey, ""),
		BaseEndpoint: aws.String(url),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// ctxFor returns a context that bounds every call of the test: a stuck
// emulator fails the test instead of hanging it.
func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// outcome is what the SDK reports about a call: accepted (Code ""), or
// the error code (smithy.APIError.ErrorCode), the Go type the SDK chose
// for it and the HTTP status.
type outcome struct {
	Code   string
	Type   string
	Status int
}

func (o outcome) String() string {
	if o.Code == "" {
		return "accepted"
	}
	return fmt.Sprintf("%s (%s, HTTP %d)", o.Code, o.Type, o.Status)
}

// outcomeOf classifies a call's error; an error that is not an API error
// (a transport failure, a deserialization failure) fails the test.
func outcomeOf(t *testing.T, side string, err error) outcome {
	t.Helper()
	if err == nil {
		return outcome{}
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: not an API error: %v", side, err)
	}
	o := outcome{Code: ae.ErrorCode(), Type: fmt.Sprintf("%T", ae)}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		o.Status = re.HTTPStatusCode()
	}
	return o
}

// known is a difference between the two sides that the tests expect,
// asserted exactly: Sim and Moto are the error codes each side answers
// ("" when it accepts the request).
type known struct {
	Sim, Moto string
	// Kind is strict (internal/sim refuses, the AWS documentation backs
	// it), motoQuirk (moto is wrong against the AWS documentation) or
	// undocumented.
	Kind string
	// Why cites the documentation.
	Why string
}

const (
	strict    = "strict"
	motoQuirk = "moto"
	// undocumented: internal/sim refuses, moto accepts, and the AWS
	// documentation says nothing either way; kept visible until it is
	// settled against real AWS.
	undocumented = "undocumented"
)

// ignoreUnexported skips the unexported fields of the SDK's types
// (noSmithyDocumentSerde): only what a client can read is compared.
var ignoreUnexported = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && !token.IsExported(sf.Name())
}, cmp.Ignore())
