package app

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/diff"

	"github.com/fbctl/fbctl/internal/safeio"
	"github.com/fbctl/fbctl/policy"
)

// FmtOptions are the options of `fbctl fmt`.
type FmtOptions struct {
	Global *Global
	// Paths are files, directories (their *.hcl files) or "-" (stdin to
	// stdout). Empty means the current directory.
	Paths     []string
	Check     bool // report files that would change and exit 3; write nothing
	Diff      bool // print a unified diff of each change
	Recursive bool // descend into subdirectories
}

// Fmt rewrites policy files in canonical layout. It lists each file it
// changed (or, with Check, would change) on Out. A file with syntax errors is
// reported and left alone, and the command exits ExitInvalid; with Check, so
// does any file that is not formatted.
func Fmt(streams IO, opts FmtOptions) error {
	paths := opts.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var diags hcl.Diagnostics
	files := map[string]*hcl.File{}
	unformatted := 0
	changed := []string{}
	stdin := false
	for _, p := range paths {
		if p == "-" {
			stdin = true
			src, err := safeio.ReadAll(streams.In, policy.MaxPolicyFileSize)
			if errors.Is(err, safeio.ErrTooLarge) {
				return Invalid("fmt: stdin is %s, the limit for a policy file", err)
			}
			if err != nil {
				return fmt.Errorf("reading stdin: %w", err)
			}
			out, f, d := policy.Format("<stdin>", src)
			if f != nil {
				files["<stdin>"] = f
			}
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			if !bytes.Equal(src, out) {
				unformatted++
			}
			switch {
			case opts.Diff:
				streams.Out.Write(diff.Diff("<stdin>", src, "<stdin> (formatted)", out))
			case !opts.Check:
				streams.Out.Write(out)
			}
			continue
		}
		names, err := fmtFiles(p, opts.Recursive)
		if err != nil {
			return Invalid("fmt: %s", err)
		}
		for _, name := range names {
			src, err := safeio.ReadFile(name, policy.MaxPolicyFileSize)
			switch {
			case errors.Is(err, safeio.ErrTooLarge):
				return Invalid("fmt: cannot read %s: %s, the limit for a policy file", name, unwrapPathErr(err))
			case errors.Is(err, safeio.ErrNotRegular), errors.Is(err, safeio.ErrKernelFile):
				return Invalid("fmt: cannot read %s: %s", name, unwrapPathErr(err))
			case err != nil:
				return fmt.Errorf("fmt: %w", err)
			}
			out, f, d := policy.Format(name, src)
			if f != nil {
				files[name] = f
			}
			diags = append(diags, d...)
			if d.HasErrors() || bytes.Equal(src, out) {
				continue
			}
			unformatted++
			changed = append(changed, name)
			// With -o json the names are in the document, and a diff has
			// no place in it.
			if !opts.Global.JSON() {
				fmt.Fprintln(streams.Out, name)
				if opts.Diff {
					streams.Out.Write(diff.Diff(name, src, name+" (formatted)", out))
				}
			}
			if !opts.Check {
				if err := writeFilePreservingMode(name, out); err != nil {
					return fmt.Errorf("fmt: %w", err)
				}
			}
		}
	}
	printDiagnostics(opts.Global, streams, diags, files)
	code := ExitOK
	if diags.HasErrors() || (opts.Check && unformatted > 0) {
		code = ExitInvalid
	}
	// "fmt -" prints the formatted policy on stdout, never a document.
	if opts.Global.JSON() && !stdin {
		doc := fmtDoc{FormatVersion: FormatVersion, Command: "fmt", Check: opts.Check, Files: changed,
			ErrorCount: len(diags.Errs()), ExitCode: code}
		if err := opts.Global.writeData(streams.Out, doc); err != nil {
			return err
		}
	}
	if code != ExitOK {
		return silent(code)
	}
	return nil
}

// fmtDoc is the document of fmt -o json: the files that were (or, with
// --check, would be) rewritten, and the number of files with syntax errors.
type fmtDoc struct {
	FormatVersion string   `json:"format_version"`
	Command       string   `json:"command"`
	Check         bool     `json:"check"`
	Files         []string `json:"files"`
	ErrorCount    int      `json:"error_count"`
	ExitCode      ExitCode `json:"exit_code"`
}

// fmtFiles expands one fmt argument into the files to format.
func fmtFiles(p string, recursive bool) ([]string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %s", p, unwrapPathErr(err))
	}
	if !fi.IsDir() {
		return []string{p}, nil
	}
	var out []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != p && (!recursive || (len(d.Name()) > 1 && d.Name()[0] == '.')) {
				return filepath.SkipDir
			}
			return nil
		}
		if filepath.Ext(path) == ".hcl" {
			out = append(out, path)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// writeFilePreservingMode replaces a file's content atomically, keeping its
// permissions, so an interrupted fmt never leaves half a policy behind.
func writeFilePreservingMode(name string, data []byte) error {
	fi, err := os.Stat(name)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".fmt-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
