//go:build !unix

package aws

import "time"

// processCPU is not measured here.
func processCPU() time.Duration { return 0 }
