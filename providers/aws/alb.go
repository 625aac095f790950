package aws

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/fbctl/fbctl/providers"
)

// ALBForward is the alb_forward target: the weighted target groups of the
// forward action of a listener's default actions (listener_arn) or of a
// listener rule's actions (rule_arn).
//
// # Reading the share
//
// Observe reads the actions with DescribeListeners or DescribeRules (once
// per run per listener or rule: the run cache, forgotten after a write)
// and finds the forward action holding the named target groups. A
// listener or rule without such an action, a named group missing from it,
// or named groups spread over several actions, is an error naming the
// listener or rule and the group. A group listed without a weight counts
// as weight 1, as ELBv2 does for a forward action given only a
// TargetGroupArn. The share is the primary groups' summed weight over the
// named groups' summed weight; all named groups at 0 is an error, and so
// is a named group weighing less than 0 or more than 999, which ELBv2
// never stores (an endpoint that is not ELBv2, such as moto, may): Observe
// reads no share from it and Apply does not overwrite it.
//
// Other target groups in the same forward action take traffic the share
// does not account for; Foreign lists them (as Route53Weighted.Foreign
// does for sets), and Apply leaves their weights as they are.
//
// # Writing the share
//
// Apply gives every primary group one weight and every secondary group
// another, 0-999 and not both 0, closest to the share (providers.SplitWeights). If
// the live weights already deliver that share it writes nothing.
// Otherwise it sends the WHOLE action list back, as read, with only the
// named groups' weights changed: ModifyListener with DefaultActions, or
// ModifyRule with Actions only (the rule's conditions and transforms are
// not sent, so ELBv2 keeps them). Every other action, its order, the
// stickiness configuration and the other groups' weights go back
// unchanged, with two exceptions the API forces: an authenticate-oidc
// action read without its client secret (ELBv2 never returns it) is sent
// with UseExistingClientSecret=true, and a forward action naming a
// top-level TargetGroupArn beside a ForwardConfig of several groups (which
// ELBv2 would reject) is sent with the ForwardConfig alone. It then
// forgets the read in the run cache and reads the actions again: the
// share it returns is read back.
//
// # Which side delivers nothing
//
// ObserveSides is Observe plus, per side, whether any of its target
// groups can take traffic: it asks DescribeTargetHealth once per run per
// named target group (the run cache) and reports a side as delivering
// nothing when none of its groups has a target in state "healthy"
// (initial, draining, unhealthy, unhealthy.draining, unavailable and
// unused all count as not serving; an empty group serves nothing). A
// target "unavailable" because the group's health checks are disabled
// (reason Target.HealthCheckDisabled, as for a Lambda group) counts as
// serving. The share stays the weights: when every target of a group is
// unhealthy the ALB fails open and still sends that group its weighted
// part, which then fails, so the weights are what the listener does and
// the side is reported out. A failed DescribeTargetHealth is an error of
// ObserveSides, so a run stops before any write.
//
// Apply calls of one process on the same listener or rule are serialized;
// every method is safe for concurrent use. ALB changes take effect
// without propagation delay, so ALBForward is not a providers.Waiter.
type ALBForward struct {
	name      string
	acct      *account
	listener  string // listener_arn, or ""
	rule      string // rule_arn, or ""
	primary   []string
	secondary []string
	res       providers.Share
	red       *providers.Redactor
}

var (
	_ providers.Target       = (*ALBForward)(nil)
	_ providers.SideReporter = (*ALBForward)(nil)
)

// maxForwardGroups bounds the groups a side may name (ELBv2 allows 5
// target groups in one forward action).
const maxForwardGroups = 100

// NewALBForward builds an alb_forward target from its block.
func NewALBForward(cfg providers.Config) (*ALBForward, error) {
	acct, err := accountFor(cfg.Provider)
	if err != nil {
		return nil, err
	}
	red := acct.red.Merged(nil)
	d := providers.NewDecoder(fmt.Sprintf("alb_forward %q", cfg.Name), cfg.Attrs, red)
	listener := d.OptStr("listener_arn")
	rule := d.OptStr("rule_arn")
	primary, secondary := d.Sides(albMembers)
	if d.Err() == nil {
		switch {
		case (listener == "") == (rule == ""):
			d.Fail(d.Errorf("set exactly one of listener_arn and rule_arn"))
		case listener != "" && !strings.Contains(listener, ":listener/"):
			d.Fail(d.Errorf("listener_arn must be an Elastic Load Balancing listener ARN (containing \":listener/\")"))
		case rule != "" && !strings.Contains(rule, ":listener-rule/"):
			d.Fail(d.Errorf("rule_arn must be an Elastic Load Balancing listener rule ARN (containing \":listener-rule/\")"))
		}
	}
	if d.Err() != nil {
		return nil, red.Hide(d.Err())
	}
	return &ALBForward{
		name:      cfg.Name,
		acct:      acct,
		listener:  listener,
		rule:      rule,
		primary:   primary,
		secondary: secondary,
		res:       providers.SplitResolution(len(primary), len(secondary), albMaxWeight),
		red:       red,
	}, nil
}

// Resolution implements providers.Target.
func (t *ALBForward) Resolution() providers.Share { return t.res }

// Observe implements providers.Target.
func (t *ALBForward) Observe(ctx context.Context) (providers.Share, error) {
	if err := ctx.Err(); err != nil {
		return 0, t.errorf("%w", err)
	}
	actions, err := t.actions(ctx)
	if err != nil {
		return 0, err
	}
	f, err := t.find(actions)
	if err != nil {
		return 0, err
	}
	return t.share(f)
}

// ObserveSides implements providers.SideReporter.
func (t *ALBForward) ObserveSides(ctx context.Context) (providers.Share, providers.Sides, error) {
	s, err := t.Observe(ctx)
	if err != nil {
		return 0, providers.Sides{}, err
	}
	sides, err := providers.SidesOf(t.primary, t.secondary, func(g string) (string, error) {
		ds, err := t.acct.cachedTargetHealth(ctx, g)
		if err != nil {
			return "", t.errorf("target group %s: %w", g, err)
		}
		if healthy, detail := albServing(ds); !healthy {
			return fmt.Sprintf("target group %s: %s", g, detail), nil
		}
		return "", nil
	}, func(side string, members int, reasons string) string {
		what := "no " + side + " target group has a healthy target"
		if members == 1 {
			what = "the " + side + " target group has no healthy target"
		}
		return t.red.Redact(what + " (" + reasons + ")")
	})
	if err != nil {
		return 0, providers.Sides{}, err
	}
	return s, sides, nil
}

// albServing says whether a target group has a target that takes traffic
// and, when it has none, describes its targets ("no targets registered",
// "2 targets: 1 unhealthy (Target.Timeout), 1 draining").
func albServing(ds []elbtypes.TargetHealthDescription) (bool, string) {
	if len(ds) == 0 {
		return false, "no targets registered"
	}
	states := map[string]int{}
	for _, d := range ds {
		state, reason := "unknown", ""
		if d.TargetHealth != nil {
			state, reason = string(d.TargetHealth.State), string(d.TargetHealth.Reason)
		}
		switch {
		case state == string(elbtypes.TargetHealthStateEnumHealthy):
			return true, ""
		case state == string(elbtypes.TargetHealthStateEnumUnavailable) && reason == string(elbtypes.TargetHealthReasonEnumHealthCheckDisabled):
			// No health checks: ELBv2 routes to every registered target.
			return true, ""
		}
		if reason != "" {
			state += " (" + reason + ")"
		}
		states[state]++
	}
	var parts []string
	for k, n := range states {
		parts = append(parts, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(parts)
	noun := "targets"
	if len(ds) == 1 {
		noun = "target"
	}
	return false, fmt.Sprintf("%d %s, none healthy: %s", len(ds), noun, strings.Join(parts, ", "))
}

// Foreign lists the target groups of the steered forward action that the
// policy does not name, as `target group ARN (weight N)`, sorted.
func (t *ALBForward) Foreign(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, t.errorf("%w", err)
	}
	actions, err := t.actions(ctx)
	if err != nil {
		return nil, err
	}
	f, err := t.find(actions)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, i := range f.foreign {
		g := f.groups[i]
		out = append(out, fmt.Sprintf("target group %s (weight %d)", t.red.Redact(aws.ToString(g.TargetGroupArn)), weightOf(g)))
	}
	sort.Strings(out)
	return out, nil
}

// Apply implements providers.Target.
func (t *ALBForward) Apply(ctx context.Context, want providers.Share) (providers.Share, error) {
	if err := providers.CheckShare(want); err != nil {
		return 0, t.errorf("%v", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, t.errorf("%w", err)
	}
	unlock, err := providers.Lock(ctx, "elbv2\x00"+t.acct.endpointKey()+"\x00"+t.arn(), t.red.Redact(t.what()))
	if err != nil {
		return 0, t.errorf("%w", err)
	}
	defer unlock()

	actions, err := t.actions(ctx)
	if err != nil {
		return 0, err
	}
	f, err := t.find(actions)
	if err != nil {
		return 0, err
	}
	P, S := len(t.primary), len(t.secondary)
	a, b := providers.SplitWeights(want, P, S, albMaxWeight)
	target := shareOf(int64(P*a), int64(P*a+S*b))
	if cur, err := t.share(f); err == nil && cur == target {
		return cur, nil
	}

	next := make([]elbtypes.Action, len(actions))
	for i, act := range actions {
		next[i] = sendable(act)
	}
	fwd := next[f.action]
	cfg := *fwd.ForwardConfig
	cfg.TargetGroups = make([]elbtypes.TargetGroupTuple, len(f.groups))
	copy(cfg.TargetGroups, f.groups)
	for _, i := range f.primary {
		cfg.TargetGroups[i].Weight = aws.Int32(int32(a))
	}
	for _, i := range f.secondary {
		cfg.TargetGroups[i].Weight = aws.Int32(int32(b))
	}
	fwd.ForwardConfig = &cfg
	if len(cfg.TargetGroups) > 1 {
		// ELBv2 accepts a top-level TargetGroupArn beside a ForwardConfig
		// only when the ForwardConfig holds that one group.
		fwd.TargetGroupArn = nil
	}
	next[f.action] = fwd

	client, err := t.acct.elbv2(ctx)
	if err != nil {
		return 0, t.errorf("%w", err)
	}
	if t.listener != "" {
		_, err = client.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(t.listener), DefaultActions: next})
		err = callError("ModifyListener", err)
	} else {
		_, err = client.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: aws.String(t.rule), Actions: next})
		err = callError("ModifyRule", err)
	}
	providers.RunCacheFrom(ctx).Forget(t.cacheKey())
	if err != nil {
		return 0, t.errorf("%s: setting the weights: %w", t.what(), err)
	}
	actions, err = t.actions(ctx)
	if err != nil {
		return 0, err
	}
	if f, err = t.find(actions); err != nil {
		return 0, err
	}
	return t.share(f)
}

// sendable returns a copy of an action as read, fit to be sent back.
func sendable(act elbtypes.Action) elbtypes.Action {
	if act.AuthenticateOidcConfig != nil && act.AuthenticateOidcConfig.ClientSecret == nil {
		oidc := *act.AuthenticateOidcConfig
		// Describe* never returns the secret; without this flag the
		// Modify call would have to send it.
		oidc.UseExistingClientSecret = aws.Bool(true)
		act.AuthenticateOidcConfig = &oidc
	}
	return act
}

// forward is the steered forward action.
type forward struct {
	action             int                         // index in the action list
	groups             []elbtypes.TargetGroupTuple // as read (shared: copy before changing)
	primary, secondary []int                       // indexes into groups
	foreign            []int
}

// find locates the forward action holding the named groups.
func (t *ALBForward) find(actions []elbtypes.Action) (*forward, error) {
	named := map[string]bool{}
	for _, g := range t.primary {
		named[g] = true
	}
	for _, g := range t.secondary {
		named[g] = true
	}
	var holding []int
	var kinds []string
	for i, act := range actions {
		kinds = append(kinds, string(act.Type))
		if act.Type != elbtypes.ActionTypeEnumForward {
			continue
		}
		for _, g := range groupsOf(act) {
			if named[aws.ToString(g.TargetGroupArn)] {
				holding = append(holding, i)
				break
			}
		}
	}
	switch len(holding) {
	case 0:
		has := "no actions"
		if len(kinds) > 0 {
			has = "actions: " + strings.Join(kinds, ", ")
		}
		return nil, t.errorf("%s has no forward action to the target groups %s (it has %s)", t.what(), t.quoteAll(), has)
	case 1:
	default:
		return nil, t.errorf("%s: the named target groups are spread over %d forward actions; fbctl steers one forward action", t.what(), len(holding))
	}
	act := actions[holding[0]]
	f := &forward{action: holding[0], groups: groupsOf(act)}
	if act.ForwardConfig == nil {
		// A forward action with only a TargetGroupArn: fbctl writes it as
		// a ForwardConfig of that group (ELBv2's own equivalent).
		act.ForwardConfig = &elbtypes.ForwardActionConfig{TargetGroups: f.groups}
		actions[holding[0]] = act
	}
	index := map[string]int{}
	for i, g := range f.groups {
		index[aws.ToString(g.TargetGroupArn)] = i
	}
	var missing []string
	for _, side := range []struct {
		list []string
		out  *[]int
	}{{t.primary, &f.primary}, {t.secondary, &f.secondary}} {
		for _, g := range side.list {
			i, ok := index[g]
			if !ok {
				missing = append(missing, t.red.Redact(g))
				continue
			}
			*side.out = append(*side.out, i)
		}
	}
	if len(missing) > 0 {
		var has []string
		for _, g := range f.groups {
			has = append(has, t.red.Redact(aws.ToString(g.TargetGroupArn)))
		}
		return nil, t.errorf("%s: target group %s is not in its forward action (which forwards to %s)", t.what(), strings.Join(missing, ", "), strings.Join(has, ", "))
	}
	var bad []string
	for _, i := range append(append([]int{}, f.primary...), f.secondary...) {
		if w := weightOf(f.groups[i]); w < 0 || w > albMaxWeight {
			bad = append(bad, fmt.Sprintf("target group %s has weight %d", t.red.Redact(aws.ToString(f.groups[i].TargetGroupArn)), w))
		}
	}
	if len(bad) > 0 {
		return nil, t.errorf("%s: %s, outside ELBv2's range 0-%d: ELBv2 never stores such a weight, so fbctl neither reads a share from it nor overwrites it (correct the weight, and check that endpoint_url points at Elastic Load Balancing)",
			t.what(), strings.Join(bad, ", "), albMaxWeight)
	}
	for i, g := range f.groups {
		if !named[aws.ToString(g.TargetGroupArn)] {
			f.foreign = append(f.foreign, i)
		}
	}
	return f, nil
}

// groupsOf returns a forward action's weighted groups.
func groupsOf(act elbtypes.Action) []elbtypes.TargetGroupTuple {
	if act.ForwardConfig != nil && len(act.ForwardConfig.TargetGroups) > 0 {
		return act.ForwardConfig.TargetGroups
	}
	if act.TargetGroupArn != nil {
		return []elbtypes.TargetGroupTuple{{TargetGroupArn: act.TargetGroupArn, Weight: aws.Int32(1)}}
	}
	return nil
}

func weightOf(g elbtypes.TargetGroupTuple) int64 {
	if g.Weight == nil {
		return 1
	}
	return int64(*g.Weight)
}

func (t *ALBForward) share(f *forward) (providers.Share, error) {
	var p, total int64
	for _, i := range f.primary {
		p += weightOf(f.groups[i])
	}
	total = p
	for _, i := range f.secondary {
		total += weightOf(f.groups[i])
	}
	if total == 0 {
		also := "so the action sends them nothing"
		if len(f.foreign) > 0 {
			also = fmt.Sprintf("so the %d other target groups of the action take all the traffic", len(f.foreign))
		}
		return 0, t.errorf("%s: every named target group (%s) has weight 0, %s", t.what(), t.quoteAll(), also)
	}
	return shareOf(p, total), nil
}

// actions returns the listener's default actions or the rule's actions,
// read once per run.
func (t *ALBForward) actions(ctx context.Context) ([]elbtypes.Action, error) {
	acts, err := providers.Cached(ctx, t.cacheKey(), func(ctx context.Context) ([]elbtypes.Action, error) {
		client, err := t.acct.elbv2(ctx)
		if err != nil {
			return nil, err
		}
		if t.listener != "" {
			out, err := client.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{t.listener}})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t.what(), callError("DescribeListeners", err))
			}
			for _, l := range out.Listeners {
				if aws.ToString(l.ListenerArn) == t.listener {
					return l.DefaultActions, nil
				}
			}
			return nil, fmt.Errorf("%s: DescribeListeners did not return it", t.what())
		}
		out, err := client.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{t.rule}})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.what(), callError("DescribeRules", err))
		}
		for _, r := range out.Rules {
			if aws.ToString(r.RuleArn) == t.rule {
				return r.Actions, nil
			}
		}
		return nil, fmt.Errorf("%s: DescribeRules did not return it", t.what())
	})
	if err != nil {
		return nil, t.errorf("%w", err)
	}
	// A copy of the list: find may fill in a ForwardConfig.
	return append([]elbtypes.Action(nil), acts...), nil
}

func (t *ALBForward) arn() string {
	if t.listener != "" {
		return t.listener
	}
	return t.rule
}

func (t *ALBForward) what() string {
	if t.listener != "" {
		return "listener " + t.listener
	}
	return "listener rule " + t.rule
}

func (t *ALBForward) cacheKey() string {
	return "aws/elbv2/actions\x00" + t.acct.endpointKey() + "\x00" + t.arn()
}

func (t *ALBForward) quoteAll() string {
	return t.red.Redact(strings.Join(append(append([]string{}, t.primary...), t.secondary...), ", "))
}

// errorf prefixes a message with the kind and block name and hides every
// sensitive value.
func (t *ALBForward) errorf(format string, args ...any) error {
	return t.red.Hide(fmt.Errorf("alb_forward %q: "+format, append([]any{t.name}, args...)...))
}
