package app

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// The versioned JSON document of the run commands (-o json).

// percent renders a share in JSON as a number of percent (12.5).
type percent providers.Share

func (p percent) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(providers.Share(p).Percent(), 'f', -1, 64)), nil
}

type positionJSON struct {
	Phase state.Phase `json:"phase"`
	Step  int         `json:"step"`
	Share percent     `json:"share"`
}

type targetJSON struct {
	Name       string  `json:"name"`
	Share      percent `json:"share"`
	Resolution percent `json:"resolution"`
	// PrimaryOut and SecondaryOut say why a side delivers nothing (every
	// server in maintenance, draining or down); absent when it delivers.
	PrimaryOut   string `json:"primary_out,omitempty"`
	SecondaryOut string `json:"secondary_out,omitempty"`
}

type checkJSON struct {
	Name   string     `json:"name"`
	State  string     `json:"state"`
	Since  *time.Time `json:"since,omitempty"`
	Detail string     `json:"detail,omitempty"`
}

type sideJSON struct {
	State  string      `json:"state"`
	Since  *time.Time  `json:"since,omitempty"`
	Checks []checkJSON `json:"checks"`
}

// gateJSON is one gate's answer about the raise a run proposed: verdict
// pass, hold, not_called (plan does not call webhook gates) or skipped (an
// earlier gate held).
type gateJSON struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Verdict string `json:"verdict"`
	Detail  string `json:"detail,omitempty"`
}

type runJSON struct {
	Name   string `json:"name"`
	RunID  string `json:"run_id,omitempty"`
	DryRun bool   `json:"dry_run"`
	// Before and After are absent when the run never started (locked,
	// unreadable state).
	Before        *positionJSON `json:"before,omitempty"`
	After         *positionJSON `json:"after,omitempty"`
	Action        string        `json:"action,omitempty"`
	To            *percent      `json:"to,omitempty"`
	Reason        string        `json:"reason,omitempty"`
	Outcome       string        `json:"outcome"`
	Writes        bool          `json:"writes"`
	Applied       bool          `json:"applied"`
	NeedsApproval bool          `json:"needs_approval,omitempty"`
	WaitUntil     *time.Time    `json:"wait_until,omitempty"`
	Observed      []targetJSON  `json:"observed"`
	Delivered     []targetJSON  `json:"delivered,omitempty"`
	Primary       *sideJSON     `json:"primary,omitempty"`
	Secondary     *sideJSON     `json:"secondary,omitempty"`
	// Gates are the gates asked about the raise the run proposed, in
	// declared order; absent when it proposed none.
	Gates []gateJSON `json:"gates,omitempty"`
	// Deliverable lists, for a run that moves traffic, the targets that
	// cannot deliver the share exactly and what each delivers instead.
	Deliverable []deliverableJSON `json:"deliverable,omitempty"`
	// Notes say how targets whose share is not an exact split of requests
	// (capacity scaling) deliver one.
	Notes []string `json:"notes,omitempty"`
	// Warnings are things a person should know that change nothing, such
	// as foreign weight on a target or a side that delivers nothing.
	Warnings []string `json:"warnings,omitempty"`
	Error    string   `json:"error,omitempty"`
	ExitCode ExitCode `json:"exit_code"`
}

type runsDoc struct {
	FormatVersion string    `json:"format_version"`
	Command       string    `json:"command"`
	Failbacks     []runJSON `json:"failbacks"`
	ExitCode      ExitCode  `json:"exit_code"`
}

func stateName(s health.CheckState) string {
	switch s {
	case health.Healthy:
		return "healthy"
	case health.Unhealthy:
		return "unhealthy"
	default:
		return "unknown"
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func sideOf(s health.SideHealth) *sideJSON {
	out := &sideJSON{State: stateName(s.State), Since: timePtr(s.Since), Checks: []checkJSON{}}
	for _, c := range s.Checks {
		out.Checks = append(out.Checks, checkJSON{Name: c.Name, State: stateName(c.State), Since: timePtr(c.Since), Detail: c.Detail})
	}
	return out
}

func targetsOf(ts []engine.TargetShare) []targetJSON {
	out := []targetJSON{}
	for _, t := range ts {
		out = append(out, targetJSON{Name: t.Name, Share: percent(t.Share), Resolution: percent(t.Resolution),
			PrimaryOut: t.PrimaryOut, SecondaryOut: t.SecondaryOut})
	}
	return out
}

func pos(p engine.Position) *positionJSON {
	return &positionJSON{Phase: p.Phase, Step: p.Step, Share: percent(p.Share)}
}

func (s *session) runJSON(fb string, rep *engine.Report, err error, code ExitCode) runJSON {
	j := runJSON{Name: fb, Outcome: "ok", Observed: []targetJSON{}, ExitCode: code}
	if rep != nil {
		d := rep.Decision
		j.RunID, j.DryRun = rep.RunID, rep.DryRun
		j.Before, j.After = pos(rep.Before), pos(rep.After)
		j.Observed, j.Applied = targetsOf(rep.Observed), rep.Applied
		if rep.Applied {
			j.Delivered = targetsOf(rep.Delivered)
		}
		for _, g := range rep.Gates {
			j.Gates = append(j.Gates, gateJSON{Name: g.Name, Kind: g.Kind, Verdict: string(g.State), Detail: s.redact(g.Detail)})
		}
		if d.Action != "" {
			to := percent(d.To)
			j.Action, j.To, j.Reason, j.Writes = string(d.Action), &to, s.redact(d.Reason), d.Writes
			j.NeedsApproval, j.WaitUntil = d.NeedsApproval, timePtr(d.WaitUntil)
			j.Primary, j.Secondary = sideOf(rep.Primary), sideOf(rep.Secondary)
			switch d.Outcome {
			case engine.OutcomeUnhealthy:
				j.Outcome = "unhealthy"
			case engine.OutcomeHalted:
				j.Outcome = "halted"
			}
		}
	}
	if err != nil {
		j.Error = s.redact(err.Error())
		j.Outcome = "error"
	}
	for _, f := range s.failbacks {
		if f.Name != fb {
			continue
		}
		j.Notes = approximations(f)
		if rep != nil && rep.Decision.Writes {
			j.Deliverable = deliverables(f, rep.Decision.To)
		}
	}
	return j
}

// jsonLines is the -o jsonl form of a run: one line per failback, each
// with the document's format_version and command.
func (d runsDoc) jsonLines() []any {
	out := make([]any, len(d.Failbacks))
	for i, f := range d.Failbacks {
		out[i] = struct {
			FormatVersion string `json:"format_version"`
			Command       string `json:"command"`
			runJSON
		}{d.FormatVersion, d.Command, f}
	}
	return out
}

// ErrorDoc is what a command given -o json (or jsonl) prints on stdout
// when it fails before it could print its own document: a usage error, an
// unknown failback, a lock held, a provider error. stdout is never empty
// with -o json.
type ErrorDoc struct {
	FormatVersion string    `json:"format_version"`
	Command       string    `json:"command"`
	ExitCode      ExitCode  `json:"exit_code"`
	Error         ErrorJSON `json:"error"`
}

// ErrorJSON says what failed: kind is the exit code's name (ExitCode.Name).
type ErrorJSON struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// WriteErrorDoc prints the error document of a failed command in the -o
// format (indented for json, one line for jsonl).
func WriteErrorDoc(w io.Writer, output, command string, code ExitCode, msg string) error {
	if msg == "" {
		msg = fmt.Sprintf("exit status %d (%s)", code, code.Name())
	}
	g := &Global{Output: output}
	return g.writeData(w, ErrorDoc{FormatVersion: FormatVersion, Command: command, ExitCode: code,
		Error: ErrorJSON{Kind: code.Name(), Message: msg}})
}
