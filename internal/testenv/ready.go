package testenv

import (
	"fmt"
	"os/exec"
	"time"
)

// waitReady polls a server that is starting until ready says it answers:
// every tick, first giving fatal (when set) the chance to say that waiting
// longer would not help (a log line: an address in use, a zone that does
// not load), then asking ready. It fails when the process exits
// (done is closed), when fatal says so, or after timeout with ready's last
// error. name names the server in errors. Every server of this package
// starts through it.
func waitReady(name string, cmd *exec.Cmd, done <-chan struct{}, timeout, every time.Duration, fatal, ready func() error) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if fatal != nil {
			if err := fatal(); err != nil {
				return err
			}
		}
		last := ready()
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %v", name, timeout, last)
		}
		select {
		case <-done:
			return fmt.Errorf("%s exited during start-up (%v)", name, cmd.ProcessState)
		case <-tick.C:
		}
	}
}
