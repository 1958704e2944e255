//go:build unix

package cputime

import (
	"testing"
	"time"
)

// TestSelfGrows: CPU spent spinning shows in Self.
func TestSelfGrows(t *testing.T) {
	before := Self()
	x := 0
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
		x++
	}
	if after := Self(); after <= before {
		t.Fatalf("Self went from %v to %v over 50 ms of spinning (%d rounds); want it to grow", before, after, x)
	}
}
