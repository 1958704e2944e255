package gateway

import (
	"fmt"
	"testing"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/internal/configtest"
)

// mustValid reads and validates a config given as YAML, with no
// environment.
func mustValid(tb testing.TB, src string) *config.Config { return configtest.Config(tb, src) }

// env is a lookup of environment variables from m.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// providerYAML is one entry of a providers section: its name, type and secret,
// then more of its lines (max_body: 2048, say).
func providerYAML(name, typ, secret string, more ...string) string {
	s := fmt.Sprintf("\n  - name: %s\n    type: %s\n    secrets: [%s]\n", name, typ, secret)
	for _, l := range more {
		s += "    " + l + "\n"
	}
	return s
}
