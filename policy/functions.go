package policy

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/fbctl/fbctl/internal/safeio"
)

// pureFunctions are the functions every policy expression may call. None
// reads the clock, runs a program or reaches the network; env() and file()
// are added per file by the loader.
func pureFunctions() map[string]function.Function {
	return map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"can":             tryfunc.CanFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"csvdecode":       stdlib.CSVDecodeFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatdate":      stdlib.FormatDateFunc,
		"formatlist":      stdlib.FormatListFunc,
		"indent":          stdlib.IndentFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      stdlib.JSONDecodeFunc,
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"lookup":          stdlib.LookupFunc,
		"lower":           stdlib.LowerFunc,
		"max":             stdlib.MaxFunc,
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"parseint":        stdlib.ParseIntFunc,
		"range":           stdlib.RangeFunc,
		"regex":           stdlib.RegexFunc,
		"regexall":        stdlib.RegexAllFunc,
		"replace":         stdlib.ReplaceFunc,
		"reverse":         stdlib.ReverseListFunc,
		"sensitive":       sensitiveFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"signum":          stdlib.SignumFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"timeadd":         stdlib.TimeAddFunc,
		"title":           stdlib.TitleFunc,
		"tobool":          stdlib.MakeToFunc(cty.Bool),
		"tolist":          stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":           stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":        stdlib.MakeToFunc(cty.Number),
		"toset":           stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":        stdlib.MakeToFunc(cty.String),
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"try":             tryfunc.TryFunc,
		"upper":           stdlib.UpperFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,
	}
}

// FunctionNames lists every function a policy may call, sorted.
func FunctionNames() []string {
	fns := pureFunctions()
	fns["env"] = function.Function{}
	fns["file"] = function.Function{}
	names := make([]string, 0, len(fns))
	for n := range fns {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// sensitiveFunc marks its argument sensitive, for values that come from
// env() or file() and must never be printed.
var sensitiveFunc = function.New(&function.Spec{
	Params: []function.Parameter{{
		Name: "value", Type: cty.DynamicPseudoType,
		AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true,
	}},
	Type: func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return args[0].Mark(Sensitive), nil
	},
})

// maxFileSize bounds file(): policies embed small things (certificates,
// JSON documents), and a mistaken path to a huge file should fail fast.
const maxFileSize = 4 << 20

// fileFunc reads a UTF-8 file relative to dir, the directory of the policy
// file that calls it. The content carries an Origin mark naming the file, so
// no message ever prints it. A sensitive path is not named in its errors,
// and makes the content sensitive.
func fileFunc(dir string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String, AllowMarked: true}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			arg, marks := args[0].Unmark()
			p := arg.AsString()
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			shown := p
			if len(marks) > 0 {
				shown = "the file " + Redacted
			}
			// Resolve links first so that the path checked and read is the
			// file's own; the descriptor is checked again after the open
			// (safeio), so a link swapped in meanwhile gains nothing.
			resolved, err := filepath.EvalSymlinks(p)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "cannot read %s: %s", shown, unwrapPathError(err))
			}
			b, err := safeio.ReadFile(resolved, maxFileSize)
			switch {
			case errors.Is(err, safeio.ErrNotRegular), errors.Is(err, safeio.ErrKernelFile):
				// Devices and FIFOs could block or never end; /proc and
				// /sys files are made by the kernel (the environment of
				// fbctl, for /proc/self/environ).
				return cty.NilVal, function.NewArgErrorf(0, "%s is not a regular file", shown)
			case errors.Is(err, safeio.ErrTooLarge):
				return cty.NilVal, function.NewArgErrorf(0, "%s is larger than %d bytes", shown, maxFileSize)
			case err != nil:
				return cty.NilVal, function.NewArgErrorf(0, "cannot read %s: %s", shown, unwrapPathError(err))
			}
			if !utf8.Valid(b) {
				return cty.NilVal, function.NewArgErrorf(0, "%s is not valid UTF-8", shown)
			}
			origin := Origin("the contents of " + arg.AsString())
			if len(marks) > 0 {
				origin = "the contents of a file whose name is sensitive"
			}
			return cty.StringVal(string(b)).WithMarks(marks).Mark(origin), nil
		},
	})
}

// envFunc reads an environment variable. In ModeValidate it returns an
// unknown string: validate must not depend on the run-time environment. The
// value carries an Origin mark naming the variable, so no message ever
// prints it. A sensitive name is not named in its error, and makes the value
// sensitive.
func envFunc(mode Mode, lookup func(string) (string, bool)) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "name", Type: cty.String, AllowMarked: true}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			arg, marks := args[0].Unmark()
			name := arg.AsString()
			origin := Origin("the environment variable " + name)
			if len(marks) > 0 {
				origin = "an environment variable whose name is sensitive"
			}
			if mode == ModeValidate {
				return cty.UnknownVal(cty.String).WithMarks(marks).Mark(origin), nil
			}
			v, ok := lookup(name)
			if !ok && mode == ModeState {
				// Only what the state needs must resolve.
				return cty.UnknownVal(cty.String).WithMarks(marks).Mark(origin), nil
			}
			if !ok {
				shown := name
				if len(marks) > 0 {
					shown = Redacted
				}
				return cty.NilVal, fmt.Errorf("the environment variable %s is not set", shown)
			}
			return cty.StringVal(v).WithMarks(marks).Mark(origin), nil
		},
	})
}
