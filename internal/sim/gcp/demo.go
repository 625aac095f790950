package gcpsim

import (
	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// Demo names what SeedDemo created, for policies and tests. Everything is
// in the global scope of Server.Project().
type Demo struct {
	// URLMap is the name of the URL map whose default route splits
	// checkout traffic between PrimaryService and SecondaryService.
	URLMap string
	// PrimaryService and SecondaryService are the full URLs of the backend
	// services in URLMap's weighted split (checkout-aws, checkout-gcp).
	PrimaryService, SecondaryService string
	// CapacityService is the name of the backend service whose two backends
	// (PrimaryGroup, SecondaryGroup) carry the capacity-scaler target.
	CapacityService string
	// PrimaryGroup and SecondaryGroup are the full URLs of CapacityService's
	// backend groups.
	PrimaryGroup, SecondaryGroup string
}

// SeedDemo creates the demo scenario, traffic fully on the secondary (GCP)
// side:
//
//   - backend services checkout-aws (one backend: a global internet NEG
//     pointing at the AWS site), checkout-gcp (one instance group) and
//     static-assets (one instance group);
//   - URL map checkout-lb: defaultRouteAction.weightedBackendServices
//     [checkout-aws 0, checkout-gcp 1000], and an unrelated path matcher
//     "static" (host static.example.com) whose defaultService is
//     static-assets;
//   - backend service checkout-pool with backends ig-aws-proxy
//     (capacityScaler 0) and ig-gcp (1.0);
//   - every group's health HEALTHY.
func SeedDemo(s *Server) (*Demo, error) {
	igAWSProxy := s.GroupURL("us-east1-b", "instanceGroups", "ig-aws-proxy")
	igGCP := s.GroupURL("us-central1-a", "instanceGroups", "ig-gcp")
	negAWS := s.GroupURL("", "networkEndpointGroups", "neg-checkout-aws")
	igCheckout := s.GroupURL("us-central1-a", "instanceGroups", "ig-checkout-gcp")
	igStatic := s.GroupURL("us-central1-a", "instanceGroups", "ig-static")

	service := func(name string, backends ...*computepb.Backend) *computepb.BackendService {
		return &computepb.BackendService{
			Name:                proto.String(name),
			Protocol:            proto.String("HTTPS"),
			LoadBalancingScheme: proto.String("EXTERNAL_MANAGED"),
			TimeoutSec:          proto.Int32(30),
			Backends:            backends,
		}
	}
	ig := func(group string, scaler float32) *computepb.Backend {
		return &computepb.Backend{Group: proto.String(group), BalancingMode: proto.String("UTILIZATION"),
			MaxUtilization: proto.Float32(0.8), CapacityScaler: proto.Float32(scaler)}
	}
	services := []*computepb.BackendService{
		service("checkout-aws", &computepb.Backend{Group: proto.String(negAWS)}),
		service("checkout-gcp", ig(igCheckout, 1)),
		service("static-assets", ig(igStatic, 1)),
		service("checkout-pool", ig(igAWSProxy, 0), ig(igGCP, 1)),
	}
	for _, bs := range services {
		if err := s.PutBackendService("", bs); err != nil {
			return nil, err
		}
	}
	d := &Demo{
		URLMap:           "checkout-lb",
		PrimaryService:   s.BackendServiceURL("", "checkout-aws"),
		SecondaryService: s.BackendServiceURL("", "checkout-gcp"),
		CapacityService:  "checkout-pool",
		PrimaryGroup:     igAWSProxy,
		SecondaryGroup:   igGCP,
	}
	um := &computepb.UrlMap{
		Name:        proto.String(d.URLMap),
		Description: proto.String("checkout: AWS primary, GCP secondary"),
		DefaultRouteAction: &computepb.HttpRouteAction{WeightedBackendServices: []*computepb.WeightedBackendService{
			{BackendService: proto.String(d.PrimaryService), Weight: proto.Uint32(0)},
			{BackendService: proto.String(d.SecondaryService), Weight: proto.Uint32(1000)},
		}},
		HostRules: []*computepb.HostRule{{Hosts: []string{"static.example.com"}, PathMatcher: proto.String("static")}},
		PathMatchers: []*computepb.PathMatcher{{
			Name:           proto.String("static"),
			DefaultService: proto.String(s.BackendServiceURL("", "static-assets")),
		}},
	}
	if err := s.PutURLMap("", um); err != nil {
		return nil, err
	}
	healthy := func(instanceZone, instance, ip string) []*computepb.HealthStatus {
		st := &computepb.HealthStatus{IpAddress: proto.String(ip), Port: proto.Int32(443), HealthState: proto.String("HEALTHY")}
		if instance != "" {
			st.Instance = proto.String(linkPrefix + s.opts.Project + "/zones/" + instanceZone + "/instances/" + instance)
		}
		return []*computepb.HealthStatus{st}
	}
	for _, h := range []struct {
		service, group string
		status         []*computepb.HealthStatus
	}{
		{"checkout-aws", negAWS, healthy("", "", "198.51.100.10")},
		{"checkout-gcp", igCheckout, healthy("us-central1-a", "checkout-gcp-1", "10.128.0.11")},
		{"static-assets", igStatic, healthy("us-central1-a", "static-1", "10.128.0.21")},
		{"checkout-pool", igAWSProxy, healthy("us-east1-b", "aws-proxy-1", "10.142.0.31")},
		{"checkout-pool", igGCP, healthy("us-central1-a", "checkout-gcp-2", "10.128.0.32")},
	} {
		if err := s.SetGroupHealth("", h.service, h.group, h.status); err != nil {
			return nil, err
		}
	}
	return d, nil
}
