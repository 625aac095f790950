package elbv2sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Seed is the JSON seed of an emulator (see the package documentation).
type Seed struct {
	TargetGroups  []SeedTargetGroup
	LoadBalancers []SeedLoadBalancer
}

// SeedTargetGroup is a target group of a seed.
type SeedTargetGroup struct {
	TargetGroupName string
	TargetGroupArn  string `json:",omitempty"`
	Targets         []TargetHealth
}

// SeedLoadBalancer is a load balancer of a seed.
type SeedLoadBalancer struct {
	LoadBalancerName string
	LoadBalancerArn  string `json:",omitempty"`
	Listeners        []SeedListener
}

// SeedListener is a listener of a seed.
type SeedListener struct {
	Port           int
	Protocol       string `json:",omitempty"`
	ListenerArn    string `json:",omitempty"`
	DefaultActions []Action
	Rules          []SeedRule
}

// SeedRule is a listener rule of a seed.
type SeedRule struct {
	Priority   int
	RuleArn    string `json:",omitempty"`
	Conditions []Condition
	Actions    []Action
	Transforms []RuleTransform `json:",omitempty"`
}

// LoadSeed reads a JSON seed file; see LoadSeedJSON.
func (s *Server) LoadSeed(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := s.LoadSeedJSON(b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// LoadSeedJSON adds the resources of a JSON seed. Unknown keys are errors. A
// TargetGroupArn in an action that does not start with "arn:" names a target
// group (of this seed or added before). The seed is applied whole or not at
// all.
func (s *Server) LoadSeedJSON(b []byte) error {
	var seed Seed
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&seed); err != nil {
		return fmt.Errorf("elbv2sim: seed: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("elbv2sim: seed: trailing data after the JSON object")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := s.snapshot()
	if err := s.applySeed(&seed); err != nil {
		s.restore(snap)
		return fmt.Errorf("elbv2sim: seed: %w", err)
	}
	return nil
}

func (s *Server) applySeed(seed *Seed) error {
	for i, tg := range seed.TargetGroups {
		arn, err := s.addTargetGroup(tg.TargetGroupName, tg.TargetGroupArn)
		if err != nil {
			return fmt.Errorf("TargetGroups[%d]: %w", i, err)
		}
		if err := s.setTargetHealth(arn, tg.Targets); err != nil {
			return fmt.Errorf("TargetGroups[%d]: %w", i, err)
		}
	}
	for i, lb := range seed.LoadBalancers {
		lbArn, err := s.addLoadBalancer(lb.LoadBalancerName, lb.LoadBalancerArn)
		if err != nil {
			return fmt.Errorf("LoadBalancers[%d]: %w", i, err)
		}
		for j, l := range lb.Listeners {
			where := fmt.Sprintf("LoadBalancers[%d].Listeners[%d]", i, j)
			actions, err := s.resolveNames(l.DefaultActions)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			lArn, err := s.addListener(lbArn, l.ListenerArn, l.Port, l.Protocol, actions)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			for k, r := range l.Rules {
				where := fmt.Sprintf("%s.Rules[%d]", where, k)
				actions, err := s.resolveNames(r.Actions)
				if err != nil {
					return fmt.Errorf("%s: %w", where, err)
				}
				if _, err := s.addRule(lArn, r.RuleArn, r.Priority, r.Conditions, actions, r.Transforms); err != nil {
					return fmt.Errorf("%s: %w", where, err)
				}
			}
		}
	}
	return nil
}

// resolveNames replaces target group names by ARNs in a copy of actions.
func (s *Server) resolveNames(actions []Action) ([]Action, error) {
	out := deepCopy(actions)
	resolve := func(p *string) error {
		if p == nil || strings.HasPrefix(*p, "arn:") {
			return nil
		}
		for _, a := range s.tgOrder {
			if *s.tgs[a].tg.TargetGroupName == *p {
				*p = a
				return nil
			}
		}
		return fmt.Errorf("no target group named %q", *p)
	}
	for i := range out {
		if err := resolve(out[i].TargetGroupArn); err != nil {
			return nil, err
		}
		if fc := out[i].ForwardConfig; fc != nil {
			for j := range fc.TargetGroups {
				if err := resolve(fc.TargetGroups[j].TargetGroupArn); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

type snapshot struct {
	lbs                             map[string]*lbRec
	tgs                             map[string]*tgRec
	listeners                       map[string]*listenerRec
	rules                           map[string]*ruleRec
	lbOrder, tgOrder, listenerOrder []string
}

// snapshot copies the record maps; records are replaced or appended to by
// the seed, never changed in place beyond their slices' lengths.
func (s *Server) snapshot() snapshot {
	sn := snapshot{
		lbs: map[string]*lbRec{}, tgs: map[string]*tgRec{}, listeners: map[string]*listenerRec{}, rules: map[string]*ruleRec{},
		lbOrder: s.lbOrder, tgOrder: s.tgOrder, listenerOrder: s.listenerOrder,
	}
	for k, v := range s.lbs {
		c := *v
		sn.lbs[k] = &c
	}
	for k, v := range s.tgs {
		c := *v
		sn.tgs[k] = &c
	}
	for k, v := range s.listeners {
		c := *v
		sn.listeners[k] = &c
	}
	for k, v := range s.rules {
		c := *v
		sn.rules[k] = &c
	}
	return sn
}

func (s *Server) restore(sn snapshot) {
	s.lbs, s.tgs, s.listeners, s.rules = sn.lbs, sn.tgs, sn.listeners, sn.rules
	s.lbOrder, s.tgOrder, s.listenerOrder = sn.lbOrder, sn.tgOrder, sn.listenerOrder
}
