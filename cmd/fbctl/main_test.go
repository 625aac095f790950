package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary double as the fbctl binary: testscript puts
// an "fbctl" on the scripts' PATH that re-executes this binary into Main, so
// the scripts run the real command line in a real process, with real exit
// codes and streams.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"fbctl": func() { os.Exit(int(Main())) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script. Besides the
// standard testscript commands, they have:
//
//	exitcode N PROGRAM [ARGS...]  run PROGRAM like exec and require exit status N
//	validjson                     require the last stdout to be one JSON document
//
// and the environment variable EXAMPLES, the absolute path of the
// repository's examples directory.
func TestScripts(t *testing.T) {
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(examples, "aws-gcp", "fbctl.hcl")); err != nil {
		t.Fatalf("examples not found: %v", err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			// Nothing from the developer's environment may steer fbctl:
			// testscript builds a fresh environment, but be explicit.
			vars := env.Vars[:0]
			for _, kv := range env.Vars {
				if !strings.HasPrefix(kv, "FBCTL_") {
					vars = append(vars, kv)
				}
			}
			env.Vars = vars
			env.Setenv("FBCTL_POLICY", "")
			env.Setenv("EXAMPLES", examples)
			env.Setenv("TERM", "dumb")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":  cmdExitCode,
			"validjson": cmdValidJSON,
		},
	})
}

// cmdExitCode runs a program like exec and asserts its exact exit status:
// `! exec` only says "not zero", and fbctl's exit codes are a documented
// interface.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exitcode")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: invalid status %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// cmdValidJSON asserts that the last command's stdout is exactly one JSON
// document (an object), with nothing before or after it.
func cmdValidJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 0 {
		ts.Fatalf("usage: validjson")
	}
	out := ts.ReadFile("stdout")
	dec := json.NewDecoder(strings.NewReader(out))
	var doc map[string]any
	err := dec.Decode(&doc)
	if err == nil {
		if _, more := dec.Token(); more != io.EOF {
			err = errors.New("more than one JSON value")
		}
	}
	switch {
	case err != nil && !neg:
		ts.Fatalf("stdout is not one JSON object: %v", err)
	case err == nil && neg:
		ts.Fatalf("stdout is a JSON object")
	}
}
