//go:build !unix

package bench

import "time"

// selfCPU is not measured here: the load generator's CPU reads 0.
func selfCPU() time.Duration { return 0 }
