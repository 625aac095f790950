package engine

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/fbctl/fbctl/internal/state"
)

// TestEventTypesComplete keeps state.EventTypes, which `fbctl history
// --type` accepts, equal to the event types the engine and the store
// record. It reads their sources, so a new event type cannot be added
// without the list (and the docs that come from it) knowing: events are
// recorded as string literals, string(ActionX) or a moveTo(in, ActionX).
func TestEventTypesComplete(t *testing.T) {
	actions := map[string]string{}
	decide := readSource(t, "decide.go")
	for _, m := range regexp.MustCompile(`(Action\w+) Action = "(\w+)"`).FindAllStringSubmatch(decide, -1) {
		actions[m[1]] = m[2]
	}
	if len(actions) == 0 {
		t.Fatal("no Action constants found in decide.go")
	}
	found := map[string]string{} // type: where
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	literal := regexp.MustCompile(`"(\w+)"`)
	action := regexp.MustCompile(`string\((Action\w+)\)`)
	moveTo := regexp.MustCompile(`moveTo\(in, (Action\w+)`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		for i, line := range strings.Split(readSource(t, f), "\n") {
			where := f + ":" + strconv.Itoa(i+1)
			switch {
			case strings.Contains(line, "r.event(\""):
				found[literal.FindStringSubmatch(line[strings.Index(line, "r.event("):])[1]] = where
			case strings.Contains(line, "Event = ") || strings.Contains(line, "Event: \""):
				for _, m := range literal.FindAllStringSubmatch(line, -1) {
					found[m[1]] = where
				}
				for _, m := range action.FindAllStringSubmatch(line, -1) {
					found[actions[m[1]]] = where
				}
			}
			for _, m := range moveTo.FindAllStringSubmatch(line, -1) {
				found[actions[m[1]]] = where
			}
		}
	}
	// The stores record events of their own (a takeover, an unlock).
	stores, err := filepath.Glob(filepath.Join("..", "state", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob(filepath.Join("..", "state", "*", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(stores, more...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		for _, m := range regexp.MustCompile(`Type: +"(\w+)"`).FindAllStringSubmatch(readSource(t, f), -1) {
			found[m[1]] = f
		}
	}
	var got []string
	for typ, where := range found {
		got = append(got, typ)
		if !state.KnownEventType(typ) {
			t.Errorf("%s records event type %q, which state.EventTypes does not list", where, typ)
		}
	}
	sort.Strings(got)
	for _, typ := range state.EventTypes {
		if !slices.Contains(got, typ) {
			t.Errorf("state.EventTypes lists %q, which nothing records (found %v)", typ, got)
		}
	}
}

func readSource(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
