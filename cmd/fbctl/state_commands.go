package main

import (
	"github.com/spf13/cobra"

	"github.com/fbctl/fbctl/internal/app"
)

// newStateCmd is `fbctl state`: the administration of the policy's state
// store. Like `completion`, it is runnable only to refuse an unknown
// subcommand (exit 3) instead of answering it with its help and exit 0.
func newStateCmd(g *app.Global, streams app.IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "List, show, unlock and migrate the failbacks' state",
		Long: `Administer the state store of the policy's state block: list the failbacks it
holds, show one's stored document, remove a lock by hand, and copy a file
store into the policy's store. Only the policy's state block and failback
names are read: no check or target is built, so no provider secret is
needed.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			return app.Invalid("unknown command %q for \"fbctl state\": use list, show, unlock or migrate", args[0])
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newStateListCmd(g, streams), newStateShowCmd(g, streams),
		newStateUnlockCmd(g, streams), newStateMigrateCmd(g, streams))
	return cmd
}

func newStateListCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.StateListOptions{Global: g}
	return &cobra.Command{
		Use:   "list",
		Short: "List every failback of the state store and of the policy",
		Long: `List every failback the state store holds and every failback of the policy:
its phase, share, document version and lock holder (owner@host, the run id
that state unlock takes, and until when; or why the next run takes the lock
over). A failback in the store that the policy no longer names is marked
"not in the policy"; a policy failback without state yet "no state yet". A
failback whose state cannot be read is listed with the error, and the
command exits 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.StateList(cmd.Context(), streams, opts)
		},
	}
}

func newStateShowCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.StateShowOptions{Global: g}
	return &cobra.Command{
		Use:   "show FAILBACK",
		Short: "Show a failback's stored state document",
		Long: `Show a failback's stored state document. With -o json it is printed as the
document's JSON (the format of the file store's NAME.json: shares in basis
points); as text, its main fields and the lock holder. The failback may be
one the policy no longer names.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return app.StateShow(cmd.Context(), streams, opts)
		},
	}
}

func newStateUnlockCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.StateUnlockOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "unlock FAILBACK LOCK_ID",
		Short: "Remove a failback's lock by hand (as terraform force-unlock)",
		Long: `Remove a failback's lock, as Terraform's force-unlock does, when the run that
holds it is gone and its lock has not expired yet. LOCK_ID is the holder's
run id, as status and state list show it: giving it is the confirmation, so
the command never prompts. When another run holds the lock now, nothing is
removed and the command exits 4 naming it; when there is no lock, it exits 7.
The unlock is recorded in the history with the actor (--actor, FBCTL_ACTOR
or the OS user) and --reason. A holder that still runs fails its next write
of the state and stops before touching a target.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name, opts.LockID = args[0], args[1]
			return app.StateUnlock(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why, for the history")
	return cmd
}

func newStateMigrateCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.StateMigrateOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "migrate --from DIR",
		Short: "Copy a file store's state into the policy's state store",
		Long: `Copy every failback's document and history from the file store in DIR into
the policy's state store (for example from .fbctl to a state "s3" block),
each under the source's lock: a failback a run holds is not copied (exit 4).
Nothing is ever overwritten: a failback for which the target already holds
other state is not copied (exit 7). Running the command again changes
nothing and reports "already migrated"; it also finishes a migration that
was interrupted. The source is left in place.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.StateMigrate(cmd.Context(), streams, opts)
		},
	}
	cmd.Flags().StringVar(&opts.From, "from", "", "the file store `DIR`ectory to copy from")
	_ = cmd.MarkFlagDirname("from")
	return cmd
}
