// Package policy is fbctl's policy language: it reads HCL files into a
// validated [Policy], with diagnostics that name the file, line and column
// of every problem.
//
// Loading happens in two stages, as in Terraform. The files are first parsed
// and decoded statically against fixed schemas (the top-level blocks, the
// failback and rollout bodies) and against the schemas that kinds and
// provider types register in a [providers.Registry]. Expressions are then
// evaluated in a context holding only the namespaces that exist: var.* (the
// variable blocks, with values from --var, --var-file and FBCTL_VAR_name),
// tf.* (the outputs of `terraform output -json`), and a curated set of pure
// functions plus env() and file(). No function runs a program or reaches
// the network.
//
// Contract:
//   - Load never panics, whatever the input, and reads nothing but the
//     policy files, variable files and files named by file().
//   - Every diagnostic has a summary and a detail, and a subject range
//     wherever the problem has a place in a file.
//   - Values derived from a sensitive variable, a sensitive Terraform output,
//     a sensitive schema attribute or sensitive() carry the [Sensitive] mark.
//     No diagnostic this package produces contains such a value.
//   - In [ModeValidate], env(), tf.* (when no outputs were given) and
//     variables without a value are unknown, and every rule that depends
//     on them is skipped; in [ModeRun] they must all resolve. [ModeState]
//     is ModeValidate for the commands that touch only fbctl's state,
//     except that env() reads the variables that are set and the state
//     path must resolve.
//   - A Policy is returned only when there are no errors; warnings may
//     accompany it.
package policy
