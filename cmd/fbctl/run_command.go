package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fbctl/fbctl/internal/app"
)

// newRunCmd is `fbctl run`: the long-lived controller.
func newRunCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.RunOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run every failback continuously: probes at each check's interval, decisions as health changes",
		Long: `Run every failback of the policy continuously, as a controller instead of a
cron job. Each check probes at its own interval; a side whose health changes
triggers a decision at once, so a failing primary is rolled back within
unhealthy_threshold probes. Timers (bake, stabilisation, cooldown) and the
policy's schedule bring the other decisions. Decisions are those of
'reconcile', through the same code; manual commands (shift, pause, resume,
abort, approve) from any machine take effect at the next decision.

/healthz answers while the process lives, /readyz once the policy is loaded
and the controller runs, on --listen, beside /metrics. SIGHUP (and, with
--watch, a change of the policy's files) reloads the policy: a policy that
does not load is logged and the running one goes on. SIGINT or SIGTERM:
no new decision, a change in flight is settled, every lock is released, and
fbctl exits 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			reload := make(chan struct{})
			done := make(chan struct{})
			defer close(done)
			go func() {
				for {
					select {
					case <-hup:
						select {
						case reload <- struct{}{}:
						case <-done:
							return
						}
					case <-done:
						return
					}
				}
			}()
			opts.Reload = reload
			err := app.RunController(cmd.Context(), streams, opts)
			if err == nil {
				// A signal stopped it cleanly: that is how a controller
				// ends, not an interruption (exit 0).
				stoppedCleanly = true
			}
			return err
		},
	}
	cmd.Flags().StringVar(&opts.Listen, "listen", app.DefaultListen, "address of /metrics, /healthz and /readyz (HOST:PORT)")
	var watch bool
	cmd.Flags().BoolVar(&watch, "watch", false, "reload the policy when one of its files, var files or Terraform outputs changes (looked at every 2s), as SIGHUP does")
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if watch {
			opts.Watch = watchEvery
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
	lockFlag(cmd, g, 0)
	compensateFlag(cmd, g)
	return cmd
}

// watchEvery is how often --watch looks at the policy's inputs.
const watchEvery = 2 * time.Second

// stoppedCleanly is set when a long-lived command ended on a signal as it
// should: Main then exits 0 rather than 130 or 143.
var stoppedCleanly bool
