package main

import (
	"github.com/spf13/cobra"

	"github.com/fbctl/fbctl/internal/app"
)

func newValidateCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.ValidateOptions{Global: g}
	return &cobra.Command{
		Use:   "validate",
		Short: "Check the policy without touching anything",
		Long: `Check the policy files: syntax, schemas, references, rollout rules.
Terraform outputs that were not given and env() are treated as unknown, and
everything else is still checked. Exits 3 when the policy is invalid.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.Validate(streams, opts)
		},
	}
}

func newFmtCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.FmtOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "fmt [PATH ...]",
		Short: "Rewrite policy files in canonical format",
		Long: `Rewrite policy files (*.hcl in the given directories, default the current
one) in canonical format and list the files changed. "-" formats stdin to
stdout. With -check nothing is written, and the command exits 3 when a file
would change: use it in CI.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			return app.Fmt(streams, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Check, "check", false, "write nothing; exit 3 if any file is not formatted")
	cmd.Flags().BoolVar(&opts.Diff, "diff", false, "print a unified diff of each change")
	cmd.Flags().BoolVar(&opts.Recursive, "recursive", false, "also format subdirectories")
	return cmd
}

func newVersionCmd(g *app.Global, streams app.IO) *cobra.Command {
	opts := app.VersionOptions{Global: g}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.Version(streams, opts)
		},
	}
}
