package elbv2sim

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
)

type lbRec struct {
	lb        loadBalancer
	name, id  string
	listeners []string
}

type tgRec struct {
	tg     targetGroup
	health []TargetHealth
}

type listenerRec struct {
	l           Listener // DefaultActions are the default rule's actions
	lbArn, id   string
	defaultRule string
	rules       []string // the other rules
}

type ruleRec struct {
	r           Rule // for the default rule, Actions is unused
	listenerArn string
	isDefault   bool
	priority    int // 0 for the default rule
}

// id16 derives a stable 16-hex-digit resource id.
func id16(parts ...string) string {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

func (s *Server) arnPrefix() string {
	return "arn:aws:elasticloadbalancing:" + s.opts.Region + ":" + s.opts.AccountID + ":"
}

// AddLoadBalancer adds an application load balancer and returns its ARN,
// which derives from the name only. It panics if the name is taken.
func (s *Server) AddLoadBalancer(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn, err := s.addLoadBalancer(name, "")
	if err != nil {
		panic(err)
	}
	return arn
}

func (s *Server) addLoadBalancer(name, arn string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("elbv2sim: a load balancer needs a name")
	}
	for _, r := range s.lbs {
		if r.name == name {
			return "", fmt.Errorf("elbv2sim: load balancer %q exists", name)
		}
	}
	id := id16("loadbalancer", name)
	if arn == "" {
		arn = s.arnPrefix() + "loadbalancer/app/" + name + "/" + id
	} else if i := strings.LastIndexByte(arn, '/'); i >= 0 && i < len(arn)-1 {
		id = arn[i+1:]
	}
	if _, ok := s.lbs[arn]; ok {
		return "", fmt.Errorf("elbv2sim: load balancer %s exists", arn)
	}
	created := s.opts.Now().UTC()
	s.lbs[arn] = &lbRec{name: name, id: id, lb: loadBalancer{
		LoadBalancerArn:       Ptr(arn),
		DNSName:               Ptr(fmt.Sprintf("%s-%d.%s.elb.amazonaws.com", name, 1000000000+int(hash32(arn)%900000000), s.opts.Region)),
		CanonicalHostedZoneId: Ptr("Z35SXDOTRQ7X7K"),
		CreatedTime:           &created,
		LoadBalancerName:      Ptr(name),
		Scheme:                "internet-facing",
		VpcId:                 Ptr("vpc-0sim"),
		State:                 &loadBalancerState{Code: "active"},
		Type:                  "application",
		AvailabilityZones: []availabilityZone{
			{ZoneName: Ptr(s.opts.Region + "a"), SubnetId: Ptr("subnet-0sima")},
			{ZoneName: Ptr(s.opts.Region + "b"), SubnetId: Ptr("subnet-0simb")},
		},
		SecurityGroups: []string{"sg-0sim"},
		IpAddressType:  "ipv4",
	}}
	s.lbOrder = append(s.lbOrder, arn)
	return arn, nil
}

func hash32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// AddTargetGroup adds an HTTP target group (port 80, instance targets) and
// returns its ARN, which derives from the name only. It panics if the name
// is taken.
func (s *Server) AddTargetGroup(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn, err := s.addTargetGroup(name, "")
	if err != nil {
		panic(err)
	}
	return arn
}

func (s *Server) addTargetGroup(name, arn string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("elbv2sim: a target group needs a name")
	}
	for _, r := range s.tgs {
		if *r.tg.TargetGroupName == name {
			return "", fmt.Errorf("elbv2sim: target group %q exists", name)
		}
	}
	if arn == "" {
		arn = s.arnPrefix() + "targetgroup/" + name + "/" + id16("targetgroup", name)
	}
	if _, ok := s.tgs[arn]; ok {
		return "", fmt.Errorf("elbv2sim: target group %s exists", arn)
	}
	s.tgs[arn] = &tgRec{tg: targetGroup{
		TargetGroupArn:             Ptr(arn),
		TargetGroupName:            Ptr(name),
		Protocol:                   "HTTP",
		ProtocolVersion:            Ptr("HTTP1"),
		Port:                       Ptr[int32](80),
		VpcId:                      Ptr("vpc-0sim"),
		HealthCheckProtocol:        "HTTP",
		HealthCheckPort:            Ptr("traffic-port"),
		HealthCheckEnabled:         Ptr(true),
		HealthCheckIntervalSeconds: Ptr[int32](30),
		HealthCheckTimeoutSeconds:  Ptr[int32](5),
		HealthyThresholdCount:      Ptr[int32](5),
		UnhealthyThresholdCount:    Ptr[int32](2),
		HealthCheckPath:            Ptr("/"),
		Matcher:                    &matcher{HttpCode: Ptr("200")},
		TargetType:                 "instance",
		IpAddressType:              "ipv4",
	}}
	s.tgOrder = append(s.tgOrder, arn)
	return arn, nil
}

// AddListener adds an HTTP listener on port to the load balancer, with its
// default rule, and returns its ARN. The default actions are stored
// (normalized unless Options.Verbatim) but not validated, so a test can seed
// any state. It panics if the load balancer does not exist or the port is
// taken.
func (s *Server) AddListener(lbARN string, port int, defaultActions []Action) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn, err := s.addListener(lbARN, "", port, "HTTP", defaultActions)
	if err != nil {
		panic(err)
	}
	return arn
}

func (s *Server) addListener(lbARN, arn string, port int, protocol string, actions []Action) (string, error) {
	lb := s.lbs[lbARN]
	if lb == nil {
		return "", fmt.Errorf("elbv2sim: no load balancer %s", lbARN)
	}
	if port < 1 || port > 65535 {
		return "", fmt.Errorf("elbv2sim: port %d out of range", port)
	}
	for _, la := range lb.listeners {
		if int(*s.listeners[la].l.Port) == port {
			return "", fmt.Errorf("elbv2sim: load balancer %s already listens on port %d", lb.name, port)
		}
	}
	if protocol == "" {
		protocol = "HTTP"
	}
	id := id16("listener", lbARN, strconv.Itoa(port))
	if arn == "" {
		arn = s.arnPrefix() + "listener/app/" + lb.name + "/" + lb.id + "/" + id
	} else if i := strings.LastIndexByte(arn, '/'); i >= 0 && i < len(arn)-1 {
		id = arn[i+1:]
	}
	if _, ok := s.listeners[arn]; ok {
		return "", fmt.Errorf("elbv2sim: listener %s exists", arn)
	}
	rec := &listenerRec{lbArn: lbARN, id: id, l: Listener{
		ListenerArn:     Ptr(arn),
		LoadBalancerArn: Ptr(lbARN),
		Port:            Ptr(int32(port)),
		Protocol:        protocol,
		DefaultActions:  s.normalize(deepCopy(actions)),
	}}
	if rec.l.DefaultActions == nil {
		rec.l.DefaultActions = []Action{}
	}
	rec.defaultRule = s.arnPrefix() + "listener-rule/app/" + lb.name + "/" + lb.id + "/" + id + "/" + id16("rule", arn, "default")
	s.rules[rec.defaultRule] = &ruleRec{listenerArn: arn, isDefault: true, r: Rule{
		RuleArn:    Ptr(rec.defaultRule),
		Priority:   Ptr("default"),
		Conditions: []Condition{},
		IsDefault:  Ptr(true),
	}}
	s.listeners[arn] = rec
	s.listenerOrder = append(s.listenerOrder, arn)
	lb.listeners = append(lb.listeners, arn)
	return arn, nil
}

// AddRule adds a rule with priority (1-50000) to the listener and returns
// its ARN. Conditions and actions are stored (actions normalized unless
// Options.Verbatim) but not validated. It panics if the listener does not
// exist or the priority is taken.
func (s *Server) AddRule(listenerARN string, priority int, conditions []Condition, actions []Action) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn, err := s.addRule(listenerARN, "", priority, conditions, actions, nil)
	if err != nil {
		panic(err)
	}
	return arn
}

func (s *Server) addRule(listenerARN, arn string, priority int, conditions []Condition, actions []Action, transforms []RuleTransform) (string, error) {
	l := s.listeners[listenerARN]
	if l == nil {
		return "", fmt.Errorf("elbv2sim: no listener %s", listenerARN)
	}
	if priority < 1 || priority > 50000 {
		return "", fmt.Errorf("elbv2sim: rule priority %d out of range 1-50000", priority)
	}
	for _, ra := range l.rules {
		if s.rules[ra].priority == priority {
			return "", fmt.Errorf("elbv2sim: listener %s already has a rule with priority %d", listenerARN, priority)
		}
	}
	lb := s.lbs[l.lbArn]
	if arn == "" {
		arn = s.arnPrefix() + "listener-rule/app/" + lb.name + "/" + lb.id + "/" + l.id + "/" + id16("rule", listenerARN, strconv.Itoa(priority))
	}
	if _, ok := s.rules[arn]; ok {
		return "", fmt.Errorf("elbv2sim: rule %s exists", arn)
	}
	r := Rule{
		RuleArn:    Ptr(arn),
		Priority:   Ptr(strconv.Itoa(priority)),
		Conditions: deepCopy(conditions),
		Actions:    s.normalize(deepCopy(actions)),
		IsDefault:  Ptr(false),
		Transforms: deepCopy(transforms),
	}
	if r.Conditions == nil {
		r.Conditions = []Condition{}
	}
	if r.Actions == nil {
		r.Actions = []Action{}
	}
	s.rules[arn] = &ruleRec{r: r, listenerArn: listenerARN, priority: priority}
	l.rules = append(l.rules, arn)
	return arn, nil
}

// SetTargetHealth replaces the registered targets of the target group and
// their health. It panics if the target group does not exist or a state is
// not one of the State constants.
func (s *Server) SetTargetHealth(tgARN string, targets []TargetHealth) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.setTargetHealth(tgARN, targets); err != nil {
		panic(err)
	}
}

var defaultReasons = map[string][2]string{
	StateHealthy:           {"", ""},
	StateInitial:           {"Elb.RegistrationInProgress", "Target registration is in progress"},
	StateUnhealthy:         {"Target.FailedHealthChecks", "Health checks failed"},
	StateUnhealthyDraining: {"Target.FailedHealthChecks", "Health checks failed"},
	StateUnused:            {"Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"},
	StateDraining:          {"Target.DeregistrationInProgress", "Target deregistration is in progress"},
	StateUnavailable:       {"Target.HealthCheckDisabled", "Health checks are disabled"},
}

func (s *Server) setTargetHealth(tgARN string, targets []TargetHealth) error {
	tg := s.tgs[tgARN]
	if tg == nil {
		return fmt.Errorf("elbv2sim: no target group %s", tgARN)
	}
	out := make([]TargetHealth, len(targets))
	for i, t := range targets {
		d, ok := defaultReasons[t.State]
		if !ok {
			return fmt.Errorf("elbv2sim: target %s: unknown state %q", t.Id, t.State)
		}
		if t.Id == "" {
			return fmt.Errorf("elbv2sim: a target needs an Id")
		}
		if t.Port == 0 {
			t.Port = 80
		}
		if t.Reason == "" {
			t.Reason, t.Description = d[0], d[1]
		}
		out[i] = t
	}
	tg.health = out
	return nil
}

// TargetHealth returns the targets of the target group.
func (s *Server) TargetHealth(tgARN string) []TargetHealth {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tg := s.tgs[tgARN]; tg != nil {
		return append([]TargetHealth(nil), tg.health...)
	}
	return nil
}

// Listener returns a deep copy of the listener (client secrets included).
func (s *Server) Listener(arn string) (Listener, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.listeners[arn]
	if l == nil {
		return Listener{}, false
	}
	return deepCopy(l.l), true
}

// Rules returns deep copies of the listener's rules in priority order, the
// default rule last; nil if there is no such listener.
func (s *Server) Rules(listenerARN string) []Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.listeners[listenerARN]
	if l == nil {
		return nil
	}
	var out []Rule
	for _, ra := range s.sortedRules(l) {
		out = append(out, s.ruleView(ra))
	}
	return out
}

// Rule returns a deep copy of one rule.
func (s *Server) Rule(ruleARN string) (Rule, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rules[ruleARN] == nil {
		return Rule{}, false
	}
	return s.ruleView(ruleARN), true
}

// LoadBalancerARN returns the ARN of the named load balancer.
func (s *Server) LoadBalancerARN(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.lbOrder {
		if s.lbs[a].name == name {
			return a, true
		}
	}
	return "", false
}

// TargetGroupARN returns the ARN of the named target group.
func (s *Server) TargetGroupARN(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.tgOrder {
		if *s.tgs[a].tg.TargetGroupName == name {
			return a, true
		}
	}
	return "", false
}

// ListenerARNs returns the ARNs of the load balancer's listeners in the
// order they were added.
func (s *Server) ListenerARNs(lbARN string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if lb := s.lbs[lbARN]; lb != nil {
		return append([]string(nil), lb.listeners...)
	}
	return nil
}

// sortedRules returns the listener's rule ARNs by priority, default last.
func (s *Server) sortedRules(l *listenerRec) []string {
	out := append([]string(nil), l.rules...)
	sort.Slice(out, func(i, j int) bool { return s.rules[out[i]].priority < s.rules[out[j]].priority })
	return append(out, l.defaultRule)
}

// ruleView returns a deep copy of the rule, the default rule's actions
// taken from its listener.
func (s *Server) ruleView(arn string) Rule {
	rr := s.rules[arn]
	r := deepCopy(rr.r)
	if rr.isDefault {
		r.Actions = deepCopy(s.listeners[rr.listenerArn].l.DefaultActions)
	}
	return r
}

// tgLoadBalancers returns the load balancers whose listeners or rules
// forward to the target group.
func (s *Server) tgLoadBalancers(tgARN string) []string {
	var out []string
	for _, lba := range s.lbOrder {
		lb := s.lbs[lba]
		uses := false
		for _, la := range lb.listeners {
			l := s.listeners[la]
			if actionsUse(l.l.DefaultActions, tgARN) {
				uses = true
			}
			for _, ra := range l.rules {
				if actionsUse(s.rules[ra].r.Actions, tgARN) {
					uses = true
				}
			}
		}
		if uses {
			out = append(out, lba)
		}
	}
	return out
}

func actionsUse(actions []Action, tgARN string) bool {
	for _, a := range actions {
		for _, t := range actionTargetGroups(a) {
			if t == tgARN {
				return true
			}
		}
	}
	return false
}

// actionTargetGroups returns the target groups an action names.
func actionTargetGroups(a Action) []string {
	var out []string
	if a.TargetGroupArn != nil {
		out = append(out, *a.TargetGroupArn)
	}
	if a.ForwardConfig != nil {
		for _, t := range a.ForwardConfig.TargetGroups {
			if t.TargetGroupArn != nil {
				out = append(out, *t.TargetGroupArn)
			}
		}
	}
	return out
}
