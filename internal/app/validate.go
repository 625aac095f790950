package app

import (
	"fmt"

	"github.com/fbctl/fbctl/policy"
)

// ValidateOptions are the options of `fbctl validate`.
type ValidateOptions struct {
	Global *Global
}

type validateDoc struct {
	diagnosticsDoc
	Failbacks []failbackSummary `json:"failbacks"`
}

type failbackSummary struct {
	Name      string         `json:"name"`
	Primary   string         `json:"primary"`
	Secondary string         `json:"secondary"`
	Steps     []string       `json:"steps"`
	Checks    []checkSummary `json:"checks"`
	// Gates are the failback's gate blocks; absent when it has none.
	Gates   []kindSummary `json:"gates,omitempty"`
	Targets []kindSummary `json:"targets"`
}

type checkSummary struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Of       string `json:"of"`
	Provider string `json:"provider,omitempty"`
}

type kindSummary struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Provider string `json:"provider,omitempty"`
}

// Validate loads the policy in validate mode and reports every problem.
// It exits ExitInvalid when there is an error; warnings alone exit 0.
func Validate(streams IO, opts ValidateOptions) error {
	g := opts.Global
	res := g.loadPolicy(streams, policy.ModeValidate)
	policy.SortDiagnostics(res.diags)
	files := res.loader.Files()

	if g.JSON() {
		doc := validateDoc{diagnosticsDoc: newDiagnosticsDoc(res.diags, files), Failbacks: []failbackSummary{}}
		if res.policy != nil {
			for _, fb := range res.policy.Failbacks {
				doc.Failbacks = append(doc.Failbacks, summarize(fb))
			}
		}
		if err := g.writeData(streams.Out, doc); err != nil {
			return err
		}
	} else {
		printDiagnostics(g, streams, res.diags, files)
		if res.policy != nil {
			var nc, nt int
			for _, fb := range res.policy.Failbacks {
				nc += len(fb.Checks)
				nt += len(fb.Targets)
			}
			fmt.Fprintf(streams.Out, "The policy is valid: %s, %s, %s.\n",
				plural(len(res.policy.Failbacks), "failback", "failbacks"),
				plural(nc, "check", "checks"), plural(nt, "target", "targets"))
		}
	}
	if res.diags.HasErrors() {
		return silent(ExitInvalid)
	}
	return nil
}

func summarize(fb *policy.Failback) failbackSummary {
	s := failbackSummary{Name: fb.Name, Primary: fb.PrimaryName, Secondary: fb.SecondaryName,
		Checks: []checkSummary{}, Targets: []kindSummary{}}
	for _, st := range fb.Rollout.Steps {
		s.Steps = append(s.Steps, st.String())
	}
	for _, c := range fb.Checks {
		cs := checkSummary{Kind: c.Kind, Name: c.Name, Of: string(c.Of)}
		if c.Provider != nil {
			cs.Provider = c.Provider.Addr()
		}
		s.Checks = append(s.Checks, cs)
	}
	for _, g := range fb.Gates {
		gs := kindSummary{Kind: g.Kind, Name: g.Name}
		if g.Check != nil && g.Check.Provider != nil {
			gs.Provider = g.Check.Provider.Addr()
		}
		s.Gates = append(s.Gates, gs)
	}
	for _, t := range fb.Targets {
		ts := kindSummary{Kind: t.Kind, Name: t.Name}
		if t.Provider != nil {
			ts.Provider = t.Provider.Addr()
		}
		s.Targets = append(s.Targets, ts)
	}
	return s
}
