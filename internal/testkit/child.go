package testkit

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// childEnv names the test a child process runs (see InChild).
const childEnv = "HOOKGATE_TEST_CHILD"

// InChild runs f in a child process: the test binary run again for this
// test alone, with a goroutine's stack limited to maxStack bytes
// (debug.SetMaxStack). A fault that kills a process, such as a stack
// overflow (no recover catches it), then fails this test with the child's
// output instead of killing every test of the binary. In the parent it
// returns once the child has passed, or fails the test; the child has two
// minutes.
func InChild(t *testing.T, maxStack int, f func(t *testing.T)) {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		debug.SetMaxStack(maxStack)
		f(t)
		return
	}
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run="+strings.Join(parts, "/"), "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		if len(out) > 8<<10 {
			out = append(out[:8<<10:8<<10], "\n..."...) // a fatal error's reason comes first
		}
		t.Fatalf("in a child process (stack limit %d bytes): %v\n%s", maxStack, err, out)
	}
}
