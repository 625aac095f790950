package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/trafficmanager/armtrafficmanager"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

const defaultEndpoint = "https://management.azure.com"

// Emulator is how a test reaches an emulator at an endpoint_url: a
// transport that trusts its test CA, a credential that needs no login
// endpoint, and a short retry delay. Production code never sets one.
type Emulator struct {
	Transport  policy.Transporter
	Credential azcore.TokenCredential
	RetryDelay time.Duration
}

// emulators is empty in the release binary: only the package's tests put
// an emulator in it (UseEmulator, export_test.go).
var emulators sync.Map // lower-case endpoint_url without trailing slash -> Emulator

// account is a provider block, decoded: the subscription, the credential
// (built on first use) and the redactor of its secrets.
type account struct {
	sub, tenant, clientID string
	secret                string
	endpoint              string
	red                   *providers.Redactor

	once     sync.Once
	profiles *armtrafficmanager.ProfilesClient
	eps      *armtrafficmanager.EndpointsClient
	err      error
}

func accountFor(what string, pc *providers.ProviderConfig, red *providers.Redactor) (*account, error) {
	if pc == nil || pc.Type != ProviderType {
		return nil, fmt.Errorf("%s: needs an %s provider block", what, ProviderType)
	}
	pa := pc.Attrs
	if pa.IsNull() || !pa.IsWhollyKnown() || !pa.Type().IsObjectType() {
		return nil, fmt.Errorf("%s: the provider's attributes are not all known", what)
	}
	get := func(attr string) string {
		if !pa.Type().HasAttribute(attr) {
			return ""
		}
		v := pa.GetAttr(attr)
		raw, _ := v.UnmarkDeep()
		if raw.IsNull() || raw.Type() != cty.String {
			return ""
		}
		if v.ContainsMarked() || attr == "client_secret" {
			red.Add(raw.AsString())
		}
		return strings.TrimSpace(raw.AsString())
	}
	a := &account{sub: get("subscription_id"), tenant: get("tenant_id"), clientID: get("client_id"),
		secret: get("client_secret"), endpoint: strings.TrimRight(get("endpoint_url"), "/"), red: red}
	if a.endpoint == "" {
		a.endpoint = defaultEndpoint
	}
	if a.sub == "" {
		return nil, fmt.Errorf("%s: subscription_id must not be empty", what)
	}
	if a.secret != "" && (a.tenant == "" || a.clientID == "") {
		return nil, fmt.Errorf("%s: tenant_id and client_id are required with client_secret", what)
	}
	if err := providers.CheckURL(a.endpoint, "https"); err != nil {
		return nil, fmt.Errorf("%s: endpoint_url: %v", what, err)
	}
	return a, nil
}

// clients builds the SDK clients on first use.
func (a *account) clients() (*armtrafficmanager.ProfilesClient, *armtrafficmanager.EndpointsClient, error) {
	a.once.Do(func() {
		opts := &arm.ClientOptions{ClientOptions: policy.ClientOptions{
			Retry: policy.RetryOptions{MaxRetries: 3, MaxRetryDelay: 30 * time.Second},
		}}
		if a.endpoint != defaultEndpoint {
			opts.Cloud = cloud.Configuration{
				ActiveDirectoryAuthorityHost: cloud.AzurePublic.ActiveDirectoryAuthorityHost,
				Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
					cloud.ResourceManager: {Endpoint: a.endpoint, Audience: a.endpoint},
				},
			}
		}
		var cred azcore.TokenCredential
		if e, ok := emulators.Load(strings.ToLower(a.endpoint)); ok {
			em := e.(Emulator)
			cred = em.Credential
			opts.Transport = em.Transport
			if em.RetryDelay > 0 {
				opts.Retry.RetryDelay, opts.Retry.MaxRetryDelay = em.RetryDelay, em.RetryDelay
			}
		} else if a.secret != "" {
			cred, a.err = azidentity.NewClientSecretCredential(a.tenant, a.clientID, a.secret, nil)
		} else {
			cred, a.err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{TenantID: a.tenant})
		}
		if a.err != nil {
			a.err = fmt.Errorf("building the credential: %w", a.err)
			return
		}
		if a.profiles, a.err = armtrafficmanager.NewProfilesClient(a.sub, cred, opts); a.err != nil {
			return
		}
		a.eps, a.err = armtrafficmanager.NewEndpointsClient(a.sub, cred, opts)
	})
	return a.profiles, a.eps, a.err
}

// getProfile reads a profile.
func (a *account) getProfile(ctx context.Context, group, name string) (*armtrafficmanager.Profile, error) {
	pc, _, err := a.clients()
	if err != nil {
		return nil, err
	}
	resp, err := pc.Get(ctx, group, name, nil)
	providers.ObserveRequest(ctx, ProviderType, "GET profile", code(err))
	if err != nil {
		return nil, err
	}
	return &resp.Profile, nil
}

// code is the status for request metrics.
func code(err error) string {
	if err == nil {
		return "ok"
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return fmt.Sprint(re.StatusCode)
	}
	return providers.RequestError
}

// status is an ARM error's HTTP status, 0 for other errors.
func status(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// classify marks throttling, server errors and network failures (after
// the SDK's own retries) transient, other ARM answers fatal, and shortens
// the SDK's multi-line ResponseError to its status and ARM error code.
func classify(err error) error {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		short := fmt.Errorf("ARM answered %d %s (%s)", re.StatusCode, http.StatusText(re.StatusCode), re.ErrorCode)
		if re.StatusCode == 408 || re.StatusCode == 429 || re.StatusCode >= 500 {
			return providers.TransientError(short)
		}
		return providers.FatalError(short)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ae *azidentity.AuthenticationFailedError
	if errors.As(err, &ae) {
		return providers.FatalError(errors.New("authentication failed"))
	}
	return providers.TransientError(err)
}
