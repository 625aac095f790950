package main

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fbctl/fbctl/internal/app"
)

// zeroMeans is the flag annotation of a duration flag for which 0 is a
// documented value rather than a mistake; its one value says what 0 means,
// and the flag's help must say it too (TestDurationFlagsRefuseNegative).
const zeroMeans = "fbctl/zero-means"

// allowZero documents that 0 is a valid value of cmd's duration flag name,
// meaning meaning.
func allowZero(cmd *cobra.Command, name, meaning string) {
	if err := cmd.Flags().SetAnnotation(name, zeroMeans, []string{meaning}); err != nil {
		// Only a misspelt name gets here: a programming error.
		panic(err)
	}
}

// checkDurationFlags refuses, as a command-line error (exit 3), a duration
// flag given a negative value, or 0 unless the flag allows it (allowZero).
// It walks every flag of the command that runs, so a duration flag added
// later is checked without anyone remembering to: pflag accepts "-5m" as
// readily as "5m", and a negative timeout or lease used as it stands
// silently means "none" or "already expired". Defaults are not checked:
// they are the program's, not the user's.
func checkDurationFlags(cmd *cobra.Command) error {
	var bad error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if bad != nil || !f.Changed || f.Value.Type() != "duration" {
			return
		}
		d, err := time.ParseDuration(f.Value.String())
		if err != nil {
			bad = app.Invalid("invalid --%s %s: %s", f.Name, f.Value, err)
			return
		}
		zero := f.Annotations[zeroMeans]
		switch {
		case d < 0 && len(zero) > 0:
			bad = app.Invalid("--%s must be 0 (%s) or positive, got %s", f.Name, zero[0], d)
		case d < 0, d == 0 && len(zero) == 0:
			bad = app.Invalid("--%s must be positive, got %s", f.Name, d)
		}
	})
	return bad
}
