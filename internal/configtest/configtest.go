// Package configtest reads configs in tests. It is apart from testkit so
// that the tests of packages that config imports (consume, deliver) can use
// testkit.
package configtest

import (
	"strings"
	"testing"

	"github.com/hookgate/hookgate/config"
)

// Config reads a config given as YAML, with no environment, and fails the
// test unless it is valid.
func Config(tb testing.TB, src string) *config.Config {
	tb.Helper()
	c, err := config.Read(strings.NewReader(src), func(string) (string, bool) { return "", false })
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		tb.Fatalf("Validate: %v", err)
	}
	return c
}
