package state_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/internal/state/storetest"
)

// The file store passes the conformance suite every store passes.
func TestFileStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env storetest.Env) storetest.Subject {
		dir := t.TempDir()
		s, err := state.OpenFile(dir, state.FileOptions{Now: env.Now, Ticker: env.Ticker})
		if err != nil {
			t.Fatal(err)
		}
		return storetest.Subject{Store: s, Corrupt: func(t *testing.T, fb, kind string, data []byte) string {
			name := map[string]string{"document": fb + ".json", "lock": fb + ".lock", "history": fb + ".history.jsonl"}[kind]
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}}
	})
}
