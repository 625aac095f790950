package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fbctl/fbctl/internal/app"
	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/state"
)

func newPlanCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.ReconcileOptions{Global: g, DryRun: true}
	cmd := &cobra.Command{
		Use:   "plan [FAILBACK ...]",
		Short: "Show what reconcile would do, touching nothing",
		Long: `Observe the targets and run the checks, then show what reconcile would decide.
Nothing is written: no target, no state, no lock. With --detailed-exitcode the
exit code is 2 when a change is pending (a target write, a new recorded
position, or a halt) and 0 when there is none.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			return app.Reconcile(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Detailed, "detailed-exitcode", false, "exit 2 when changes are pending")
	scheduleFlag(cmd, g)
	return cmd
}

func newReconcileCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.ReconcileOptions{Global: g}
	cmd := &cobra.Command{
		Use:     "reconcile [FAILBACK ...]",
		Aliases: []string{"apply"},
		Short:   "Run one step of every failback (or, with --wait, until settled)",
		Long: `Lock each failback, observe its targets, run its checks, decide, apply the
decided share and record it. Run it from cron or a CronJob: one step per run,
state kept between runs. With --wait it keeps going until every failback has
settled (complete, rolled back, halted, waiting for approval) or --timeout.

Exit codes: 0 done, 1 error, 4 locked, 5 rolled back or primary unhealthy,
6 halted, 8 (--wait) stopped for a person: an approval, a pause or a manual hold.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			return app.Reconcile(cmd.Context(), streams, opts)
		},
	}
	lockFlag(cmd, g, 0)
	compensateFlag(cmd, g)
	cmd.Flags().BoolVar(&opts.Wait, "wait", false, "keep reconciling until every failback has settled")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", time.Hour, "with --wait, give up after this long (exit 1); a positive duration")
	scheduleFlag(cmd, g)
	return cmd
}

func newShiftCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.ShiftOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "shift FAILBACK --percent N",
		Short: "Set a failback's share by hand and hold it until resume",
		Long: `Set the primary's share to N percent now and hold it there: reconcile will not
move it until 'fbctl resume'. Raising the share needs a healthy primary and
lowering it a secondary that is not unhealthy, unless --force, which warns and
is recorded.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if !cmd.Flags().Changed("percent") {
				return app.Invalid("shift needs --percent N")
			}
			return app.Shift(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Percent, "percent", "", "the primary's share, 0-100 (at most two decimals)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "bypass the health gate (recorded)")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why, for the history")
	cmd.Flags().BoolVar(&g.Propagate, "wait", false, "wait until the change has propagated (Route 53 INSYNC, GCP operation DONE)")
	lockFlag(cmd, g, 0)
	compensateFlag(cmd, g)
	return cmd
}

// scheduleFlag adds the deprecated --schedule: the time between scheduled
// runs is the policy's top-level schedule now. For one release the flag is
// accepted when it equals the policy's (with a warning); 0 means not given.
func scheduleFlag(cmd *cobra.Command, g *app.Global) {
	cmd.Flags().DurationVar(&g.ScheduleGap, "schedule", 0, "deprecated: set schedule in the policy; accepted only when equal to it (0: not given)")
	allowZero(cmd, "schedule", "not given")
	_ = cmd.Flags().MarkHidden("schedule")
}

// lockFlag adds the lock options to a command that takes the failback's
// lock: --lock-wait (how long to wait for a lock another run holds, as
// Terraform's -lock-timeout) and --lock-lease (how long this run's lock
// lasts if it dies). The old --lock-timeout, which meant the lease, is kept
// for one release with a warning. wait is the command's default wait.
func lockFlag(cmd *cobra.Command, g *app.Global, defaultWait time.Duration) {
	// Each command binds its own variables: the commands share one Global,
	// and a flag's default is written when it is defined.
	var wait, lease, old time.Duration
	cmd.Flags().DurationVar(&wait, "lock-wait", defaultWait, "how long to wait for a lock another run holds (0: fail at once, exit 4)")
	cmd.Flags().DurationVar(&lease, "lock-lease", engine.DefaultLockLease, "how long this run's lock lasts unrenewed: it is renewed at a third of it while the run lasts; a run that dies holds the lock until then")
	cmd.Flags().DurationVar(&old, "lock-timeout", 0, "deprecated: the lease length, now --lock-lease (Terraform's -lock-timeout is --lock-wait)")
	allowZero(cmd, "lock-wait", "fail at once")
	_ = cmd.Flags().MarkHidden("lock-timeout")
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if c.Flags().Changed("lock-timeout") {
			if c.Flags().Changed("lock-lease") {
				return app.Invalid("--lock-timeout is the old name of --lock-lease: give one of them")
			}
			fmt.Fprintf(c.ErrOrStderr(), "Warning: --lock-timeout is deprecated and will be removed: it sets the lock's lease (--lock-lease %s); --lock-wait sets how long to wait for a lock.\n", old)
			lease = old
		}
		// checkDurationFlags has refused a negative or zero lease and a
		// negative wait; the lease also has a ceiling.
		if lease > state.MaxLease {
			return app.Invalid("invalid --lock-lease %s: give a positive duration up to %s, such as 1m", lease, state.MaxLease)
		}
		g.LockWait, g.LockTTL = wait, lease
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

// compensateFlag adds --compensate-timeout to a command that writes
// targets: how long putting targets back after a failed write may take
// before the failback halts. It must be positive (checkDurationFlags).
func compensateFlag(cmd *cobra.Command, g *app.Global) {
	var timeout time.Duration
	cmd.Flags().DurationVar(&timeout, "compensate-timeout", engine.DefaultCompensateTimeout,
		"how long putting targets back after a failed write may take; past it the failback halts (exit 6)")
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		g.CompensateTimeout = timeout
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

// DefaultAbortLockWait is how long abort waits for the lock by default.
const DefaultAbortLockWait = 30 * time.Second

func newControlCmd(g *app.Global, streams app.IO, use, short, long string, run func(*cobra.Command, app.ControlOptions) error, force bool) *cobra.Command {
	opts := app.ControlOptions{Global: g}
	cmd := &cobra.Command{
		Use:   use + " FAILBACK",
		Short: short,
		Long:  long,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return run(cmd, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why, for the history")
	// abort is the emergency lever: by default it waits a little for a
	// run that is about to release the lock rather than fail at once.
	wait := time.Duration(0)
	if use == "abort" {
		wait = DefaultAbortLockWait
	}
	lockFlag(cmd, g, wait)
	if force {
		cmd.Flags().BoolVar(&opts.Force, "force", false, "move traffic even onto an unhealthy secondary (recorded)")
	}
	if use == "abort" || use == "resume" {
		// Both may write targets: abort always, resume when it settles a
		// change a dead run left behind.
		compensateFlag(cmd, g)
	}
	return cmd
}

func newControlCmds(g *app.Global, streams app.IO) []*cobra.Command {
	return []*cobra.Command{
		newControlCmd(g, streams, "pause", "Hold a failback where it is until resume",
			"Hold the failback at its current share; reconcile changes nothing until 'fbctl resume'.",
			func(cmd *cobra.Command, o app.ControlOptions) error { return app.Pause(cmd.Context(), streams, o) }, false),
		newControlCmd(g, streams, "resume", "Hand a paused, manual or halted failback back to the rollout",
			`First settle a change a run that died left behind (finish it or revert it, through
the health gate; refused when neither is safe). Then take the targets as they are
now (they must agree with each other) and continue the rollout from their share:
the next step is the smallest step of the policy above it.`,
			func(cmd *cobra.Command, o app.ControlOptions) error { return app.Resume(cmd.Context(), streams, o) }, false),
		newControlCmd(g, streams, "abort", "Move all traffic back to the secondary now, and pause",
			`Set every target to 0 (all traffic on the secondary), unless the secondary is
unhealthy, and pause the failback until 'fbctl resume'.`,
			func(cmd *cobra.Command, o app.ControlOptions) error { return app.Abort(cmd.Context(), streams, o) }, true),
		newControlCmd(g, streams, "approve", "Let the next step that waits for approval proceed",
			`Record an approval for the failback's next step (rollout approval = first_step or every_step).
Exits 7 (refused) when there is nothing to approve.`,
			func(cmd *cobra.Command, o app.ControlOptions) error { return app.Approve(cmd.Context(), streams, o) }, false),
	}
}

func newStatusCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.StatusOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "status [FAILBACK ...]",
		Short: "Show the recorded state of failbacks and what each waits for",
		Long: `Show the recorded state of failbacks and what each waits for before its next
change: a run holding the lock, an unfinished change, a hold (pause, shift,
halt), the cooldown, the primary's stabilization or the bake (as a countdown),
an approval, and the evidence its checks lack. It is judged from the state
files as the next run would judge them; status probes and observes nothing,
takes no lock and needs no provider secret. Steps are counted from 1 in the
text (STEP 2/5) and in JSON's step_number; JSON's step is the 0-based index.

--watch shows it again every --every: redrawn in place on a terminal, one
after another otherwise; Ctrl-C stops it.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			return app.Status(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Watch, "watch", false, "refresh until Ctrl-C: redraw on a terminal, one refresh after another otherwise")
	cmd.Flags().DurationVar(&opts.Every, "every", app.DefaultWatchEvery, "with --watch, how often to refresh (at least 1s)")
	return cmd
}

func newHistoryCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.HistoryOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "history [FAILBACK ...]",
		Short: "Show the events of failbacks",
		Long: `Show the events of failbacks, each failback's in the order they were recorded:
when, what, the change of share, who (--actor, FBCTL_ACTOR or the OS user) and
why. The filters apply to text and JSON alike: --type keeps the events of the
types given, --since those at or after a time, and --limit the last N of each
failback that pass the other filters.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			opts.LimitSet = cmd.Flags().Changed("limit")
			return app.History(cmd.Context(), streams, opts)
		},
	}
	// --since is a string, not a duration flag, because it also takes a
	// time; app.History checks it.
	cmd.Flags().StringVar(&opts.Since, "since", "", "only events at or after this: a duration back from now (24h) or an RFC 3339 time (2026-12-01T22:00:00Z)")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "only the last N events of each failback (N from 1 to 1000000)")
	cmd.Flags().StringSliceVar(&opts.Types, "type", nil, "only events of this type (repeatable, or comma-separated): "+strings.Join(state.EventTypes, ", "))
	return cmd
}

func newDemoCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.DemoOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a whole failback on built-in emulators, no cloud needed",
		Long: `Start fbctl's Route 53, ELBv2 and GCP Compute emulators and two local
services on loopback, and move a service back from its secondary to its
primary with the real engine, real SDK calls and the file state store:
stabilization, every step, completion. --break-primary makes the primary fail mid-rollout to show
the rollback. Everything it starts is stopped when it ends.

--serve runs no failback: it leaves the emulators and services running as a
sandbox, prints the fbctl commands to try against its policy (and a curl
line that makes the primary fail), and stops everything on Ctrl-C. With
-o json it prints one JSON document describing all that, for scripts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.Demo(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.BreakPrimary, "break-primary", false, "make the primary fail at 25 % to show a rollback")
	cmd.Flags().BoolVar(&opts.Keep, "keep", false, "keep the demo's policy, state and history and say where")
	cmd.Flags().BoolVar(&opts.Serve, "serve", false, "leave the emulators running as a sandbox and print the commands to try, until Ctrl-C")
	return cmd
}
