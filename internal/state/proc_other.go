//go:build !linux

package state

import "errors"

// Without procfs no holder can be proven gone: locks only expire.
func hostIdentity() (id struct{ boot, pidNS string }) { return id }

func procStart(pid int) (uint64, bool, error) { return 0, false, errors.ErrUnsupported }
