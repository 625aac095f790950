package providers

import "context"

// RequestObserver is told about each request a provider sends to its API,
// every attempt (retries too: each is a request the API counts):
// provider is the provider type ("aws"), op the API operation
// ("ChangeResourceRecordSets", "urlMaps.get"), and code the HTTP status
// ("200", "429") or "error" when no answer came back. It must be quick,
// safe for concurrent use, and must not fail: it only counts.
type RequestObserver func(provider, op, code string)

// RequestError is the code of a request that got no answer.
const RequestError = "error"

type requestObserverKey struct{}

// WithRequestObserver returns a context whose provider calls report their
// requests to f (`fbctl run` counts them in fbctl_provider_requests_total).
// Without one, nothing is reported.
func WithRequestObserver(ctx context.Context, f RequestObserver) context.Context {
	return context.WithValue(ctx, requestObserverKey{}, f)
}

// ObserveRequest reports one request to ctx's RequestObserver, if any.
// Providers call it from the one place their requests pass through.
func ObserveRequest(ctx context.Context, provider, op, code string) {
	if f, ok := ctx.Value(requestObserverKey{}).(RequestObserver); ok && f != nil {
		f(provider, op, code)
	}
}
