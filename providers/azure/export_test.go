package azure

import "strings"

// UseEmulator makes every client for endpointURL use e, until the
// returned function is called: the tests' way to the TLS emulator with a
// static token. It is in a test file, so the release binary has no way to
// fill the emulators map.
func UseEmulator(endpointURL string, e Emulator) (undo func()) {
	k := strings.TrimRight(strings.ToLower(endpointURL), "/")
	emulators.Store(k, e)
	return func() { emulators.Delete(k) }
}
