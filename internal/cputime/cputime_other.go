//go:build !unix

// Package cputime reads the CPU time this process has used, user and
// system together: the load generator's own cost around a load, and the
// benchmarks that report CPU per operation.
package cputime

import "time"

// Self is not measured here: it returns 0.
func Self() time.Duration { return 0 }
