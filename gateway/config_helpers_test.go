package gateway

import (
	"strings"
	"testing"

	"hookgate/config"
)

// mustValid reads and validates a config given as YAML, with no
// environment.
func mustValid(tb testing.TB, src string) *config.Config {
	tb.Helper()
	c, err := config.Read(strings.NewReader(src), func(string) (string, bool) { return "", false })
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		tb.Fatal(err)
	}
	return c
}

// env is a lookup of environment variables from m.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}
