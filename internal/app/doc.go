// Package app wires the policy language, the providers and (later) the
// engine and the state store into the operations fbctl's commands perform.
// It is shared by the command line and the controller: cmd/fbctl only parses
// flags into the option structs here and calls these functions.
//
// Every operation writes data to IO.Out and diagnostics, progress and logs
// to IO.ErrOut, and returns an error whose exit code (see CodeOf) is the
// process's documented exit status.
package app
