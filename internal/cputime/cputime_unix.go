//go:build unix

// Package cputime reads the CPU time this process has used, user and
// system together: the load generator's own cost around a load, and the
// benchmarks that report CPU per operation.
package cputime

import (
	"syscall"
	"time"
)

// Self returns the CPU time (user and system) this process has used so
// far.
func Self() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
