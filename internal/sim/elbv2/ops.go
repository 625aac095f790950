package elbv2sim

import (
	"encoding/base64"
	"net/url"
	"strconv"
)

const maxPageSize = 400

// page returns the [start, end) window of n items for marker and page size,
// and the marker of the next page.
func page(n int, marker *string, pageSize *int32) (int, int, *string, *apiError) {
	size := maxPageSize
	if pageSize != nil {
		if e := rangeErr("pageSize", int64(*pageSize), 1, maxPageSize); e != nil {
			return 0, 0, nil, e
		}
		size = int(*pageSize)
	}
	start := 0
	if marker != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*marker)
		i, err2 := strconv.Atoi(string(raw))
		if err != nil || err2 != nil || i < 0 || i > n || len(*marker) == 0 {
			return 0, 0, nil, errf(codeValidation, "Invalid value '%s' for marker", *marker)
		}
		start = i
	}
	end := start + size
	if end >= n {
		return start, n, nil, nil
	}
	next := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	return start, end, &next, nil
}

// dedupe returns the strings in first-seen order without repeats.
func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) describeLoadBalancers(form url.Values) (any, *apiError) {
	var in describeLoadBalancersInput
	if e := decode(form, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.LoadBalancerArns != nil && in.Names != nil {
		return nil, errf(codeValidation, "Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	if len(in.LoadBalancerArns) > 20 {
		return nil, errf(codeValidation, "1 validation error detected: Value at 'loadBalancerArns' failed to satisfy constraint: Member must have length less than or equal to 20")
	}
	var arns []string
	switch {
	case in.LoadBalancerArns != nil:
		for _, a := range dedupe(in.LoadBalancerArns) {
			if s.lbs[a] == nil {
				return nil, errf(codeLoadBalancerNotFound, "One or more load balancers not found")
			}
			arns = append(arns, a)
		}
	case in.Names != nil:
		for _, n := range dedupe(in.Names) {
			found := ""
			for _, a := range s.lbOrder {
				if s.lbs[a].name == n {
					found = a
				}
			}
			if found == "" {
				return nil, errf(codeLoadBalancerNotFound, "Load balancers '[%s]' not found", n)
			}
			arns = append(arns, found)
		}
	default:
		arns = s.lbOrder
	}
	start, end, next, e := page(len(arns), in.Marker, in.PageSize)
	if e != nil {
		return nil, e
	}
	res := &describeLoadBalancersResult{LoadBalancers: []loadBalancer{}, NextMarker: next}
	for _, a := range arns[start:end] {
		res.LoadBalancers = append(res.LoadBalancers, deepCopy(s.lbs[a].lb))
	}
	return res, nil
}

func (s *Server) describeTargetGroups(form url.Values) (any, *apiError) {
	var in describeTargetGroupsInput
	if e := decode(form, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	given := 0
	for _, b := range []bool{in.LoadBalancerArn != nil, in.TargetGroupArns != nil, in.Names != nil} {
		if b {
			given++
		}
	}
	if given > 1 {
		return nil, errf(codeValidation, "Specify only one of LoadBalancerArn, TargetGroupArns or Names")
	}
	var arns []string
	switch {
	case in.LoadBalancerArn != nil:
		if s.lbs[*in.LoadBalancerArn] == nil {
			return nil, errf(codeLoadBalancerNotFound, "Load balancer '%s' not found", *in.LoadBalancerArn)
		}
		for _, a := range s.tgOrder {
			for _, lb := range s.tgLoadBalancers(a) {
				if lb == *in.LoadBalancerArn {
					arns = append(arns, a)
				}
			}
		}
	case in.TargetGroupArns != nil:
		for _, a := range dedupe(in.TargetGroupArns) {
			if s.tgs[a] == nil {
				return nil, errf(codeTargetGroupNotFound, "One or more target groups not found")
			}
			arns = append(arns, a)
		}
	case in.Names != nil:
		for _, n := range dedupe(in.Names) {
			found := ""
			for _, a := range s.tgOrder {
				if *s.tgs[a].tg.TargetGroupName == n {
					found = a
				}
			}
			if found == "" {
				return nil, errf(codeTargetGroupNotFound, "One or more target groups not found")
			}
			arns = append(arns, found)
		}
	default:
		arns = s.tgOrder
	}
	start, end, next, e := page(len(arns), in.Marker, in.PageSize)
	if e != nil {
		return nil, e
	}
	res := &describeTargetGroupsResult{TargetGroups: []targetGroup{}, NextMarker: next}
	for _, a := range arns[start:end] {
		tg := deepCopy(s.tgs[a].tg)
		tg.LoadBalancerArns = s.tgLoadBalancers(a)
		if tg.LoadBalancerArns == nil {
			tg.LoadBalancerArns = []string{}
		}
		res.TargetGroups = append(res.TargetGroups, tg)
	}
	return res, nil
}

// listenerView is the listener as described: a copy without secrets.
func (s *Server) listenerView(arn string) Listener {
	l := deepCopy(s.listeners[arn].l)
	redact(l.DefaultActions)
	return l
}

func (s *Server) describeListeners(form url.Values) (any, *apiError) {
	var in describeListenersInput
	if e := decode(form, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.LoadBalancerArn != nil && in.ListenerArns != nil {
		return nil, errf(codeValidation, "Listener ARNs and a load balancer ARN cannot be specified at the same time")
	}
	var arns []string
	switch {
	case in.LoadBalancerArn != nil:
		lb := s.lbs[*in.LoadBalancerArn]
		if lb == nil {
			return nil, errf(codeLoadBalancerNotFound, "One or more load balancers not found")
		}
		arns = lb.listeners
	case in.ListenerArns != nil:
		for _, a := range dedupe(in.ListenerArns) {
			if s.listeners[a] == nil {
				return nil, errf(codeListenerNotFound, "One or more listeners not found")
			}
			arns = append(arns, a)
		}
	default:
		return nil, errf(codeValidation, "You must specify either listener ARNs or a load balancer ARN")
	}
	start, end, next, e := page(len(arns), in.Marker, in.PageSize)
	if e != nil {
		return nil, e
	}
	res := &describeListenersResult{Listeners: []Listener{}, NextMarker: next}
	for _, a := range arns[start:end] {
		res.Listeners = append(res.Listeners, s.listenerView(a))
	}
	return res, nil
}

// ruleOut is the rule as described: a copy without secrets.
func (s *Server) ruleOut(arn string) Rule {
	r := s.ruleView(arn)
	redact(r.Actions)
	return r
}

func (s *Server) describeRules(form url.Values) (any, *apiError) {
	var in describeRulesInput
	if e := decode(form, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ListenerArn != nil && in.RuleArns != nil {
		return nil, errf(codeValidation, "A listener ARN and rule ARNs cannot be specified at the same time")
	}
	var arns []string
	switch {
	case in.ListenerArn != nil:
		l := s.listeners[*in.ListenerArn]
		if l == nil {
			return nil, errf(codeListenerNotFound, "One or more listeners not found")
		}
		arns = s.sortedRules(l)
	case in.RuleArns != nil:
		for _, a := range dedupe(in.RuleArns) {
			if s.rules[a] == nil {
				return nil, errf(codeRuleNotFound, "One or more rules not found")
			}
			arns = append(arns, a)
		}
	default:
		return nil, errf(codeValidation, "You must specify either listener ARN or rule ARNs")
	}
	start, end, next, e := page(len(arns), in.Marker, in.PageSize)
	if e != nil {
		return nil, e
	}
	res := &describeRulesResult{Rules: []Rule{}, NextMarker: next}
	for _, a := range arns[start:end] {
		res.Rules = append(res.Rules, s.ruleOut(a))
	}
	return res, nil
}

var listenerProtocols = []string{"HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC"}

func (s *Server) modifyListener(form url.Values) (any, *apiError) {
	var in modifyListenerInput
	if e := decode(form, &in); e != nil {
		return nil, e
	}
	if in.ListenerArn == nil {
		return nil, nullErr("listenerArn")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.listeners[*in.ListenerArn]
	if rec == nil {
		return nil, errf(codeListenerNotFound, "One or more listeners not found")
	}
	next := deepCopy(rec.l)
	if in.Port != nil {
		if e := rangeErr("port", int64(*in.Port), 1, 65535); e != nil {
			return nil, e
		}
		for _, la := range s.lbs[rec.lbArn].listeners {
			if la != *in.ListenerArn && *s.listeners[la].l.Port == *in.Port {
				return nil, errf(codeDuplicateListener, "A listener already exists on port %d", *in.Port)
			}
		}
		next.Port = Ptr(*in.Port)
	}
	if in.Protocol != nil {
		if e := enumErr("protocol", *in.Protocol, listenerProtocols); e != nil {
			return nil, e
		}
		if *in.Protocol != "HTTP" && *in.Protocol != "HTTPS" {
			return nil, errf(codeUnsupportedProtocol, "Protocol '%s' is not supported by Application Load Balancers", *in.Protocol)
		}
		next.Protocol = *in.Protocol
	}
	if in.SslPolicy != nil {
		next.SslPolicy = Ptr(*in.SslPolicy)
	}
	if in.Certificates != nil {
		next.Certificates = deepCopy(in.Certificates)
	}
	if in.AlpnPolicy != nil {
		next.AlpnPolicy = deepCopy(in.AlpnPolicy)
	}
	if in.DefaultActions != nil {
		actions := deepCopy(in.DefaultActions)
		if e := s.validateActions("DefaultActions", actions, next.Protocol, rec.l.DefaultActions); e != nil {
			return nil, e
		}
		next.DefaultActions = s.normalize(actions)
	} else if next.Protocol != "HTTPS" {
		for _, a := range next.DefaultActions {
			if a.Type == ActionAuthenticateOidc || a.Type == ActionAuthenticateCognito || a.Type == ActionJwtValidation {
				return nil, errf(codeIncompatibleProtocols, "Action type '%s' of the default actions is supported only on HTTPS listeners", a.Type)
			}
		}
	}
	rec.l = next
	return &modifyListenerResult{Listeners: []Listener{s.listenerView(*in.ListenerArn)}}, nil
}

func (s *Server) modifyRule(form url.Values) (any, *apiError) {
	var in modifyRuleInput
	if e := decode(form, &in); e != nil {
		return nil, e
	}
	if in.RuleArn == nil {
		return nil, nullErr("ruleArn")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.rules[*in.RuleArn]
	if rec == nil {
		return nil, errf(codeRuleNotFound, "One or more rules not found")
	}
	if rec.isDefault {
		return nil, errf(codeOperationNotPermitted, "Default rule '%s' cannot be modified with ModifyRule: to modify the actions for the default rule, use ModifyListener", *in.RuleArn)
	}
	if in.ResetTransforms != nil && *in.ResetTransforms && in.Transforms != nil {
		return nil, errf(codeValidation, "You cannot specify both Transforms and ResetTransforms")
	}
	next := deepCopy(rec.r)
	if in.Actions != nil {
		actions := deepCopy(in.Actions)
		if e := s.validateActions("Actions", actions, s.listeners[rec.listenerArn].l.Protocol, rec.r.Actions); e != nil {
			return nil, e
		}
		next.Actions = s.normalize(actions)
	}
	if in.Conditions != nil {
		if e := validateConditions(in.Conditions); e != nil {
			return nil, e
		}
		next.Conditions = deepCopy(in.Conditions)
	}
	if in.Transforms != nil {
		if e := validateTransforms(in.Transforms); e != nil {
			return nil, e
		}
		next.Transforms = deepCopy(in.Transforms)
	}
	if in.ResetTransforms != nil && *in.ResetTransforms {
		next.Transforms = nil
	}
	rec.r = next
	return &modifyRuleResult{Rules: []Rule{s.ruleOut(*in.RuleArn)}}, nil
}

func (s *Server) describeTargetHealth(form url.Values) (any, *apiError) {
	var in describeTargetHealthInput
	if e := decode(form, &in); e != nil {
		return nil, e
	}
	if in.TargetGroupArn == nil {
		return nil, nullErr("targetGroupArn")
	}
	for i, inc := range in.Include {
		if e := enumErr("include."+strconv.Itoa(i+1)+".member", inc, []string{"AnomalyDetection", "All"}); e != nil {
			return nil, e
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tg := s.tgs[*in.TargetGroupArn]
	if tg == nil {
		return nil, errf(codeTargetGroupNotFound, "Target groups '%s' not found", *in.TargetGroupArn)
	}
	res := &describeTargetHealthResult{TargetHealthDescriptions: []targetHealthDescription{}}
	if in.Targets == nil {
		for _, t := range tg.health {
			res.TargetHealthDescriptions = append(res.TargetHealthDescriptions, describeTarget(t))
		}
		return res, nil
	}
	for i, want := range in.Targets {
		if want.Id == nil {
			return nil, nullErr("targets." + strconv.Itoa(i+1) + ".member.id")
		}
		found := false
		for _, t := range tg.health {
			if t.Id == *want.Id && (want.Port == nil || *want.Port == t.Port) {
				res.TargetHealthDescriptions = append(res.TargetHealthDescriptions, describeTarget(t))
				found = true
			}
		}
		if !found {
			port := int32(80)
			if want.Port != nil {
				port = *want.Port
			}
			res.TargetHealthDescriptions = append(res.TargetHealthDescriptions, describeTarget(TargetHealth{
				Id: *want.Id, Port: port, State: StateUnused,
				Reason: "Target.NotRegistered", Description: "Target is not registered to the target group",
			}))
		}
	}
	return res, nil
}

func describeTarget(t TargetHealth) targetHealthDescription {
	d := targetHealthDescription{
		Target:          &targetDescription{Id: Ptr(t.Id), Port: Ptr(t.Port)},
		HealthCheckPort: Ptr(strconv.Itoa(int(t.Port))),
		TargetHealth:    &targetHealthState{State: t.State, Reason: t.Reason},
	}
	if t.AvailabilityZone != "" {
		d.Target.AvailabilityZone = Ptr(t.AvailabilityZone)
	}
	if t.Description != "" {
		d.TargetHealth.Description = Ptr(t.Description)
	}
	return d
}
