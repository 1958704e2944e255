package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// TestReadmeProviderTable keeps README.md's provider table identical to the
// catalogue: regenerate it with `hookgate providers -markdown`.
func TestReadmeProviderTable(t *testing.T) {
	var want bytes.Buffer
	if err := writeProviders(&want, true); err != nil {
		t.Fatal(err)
	}
	if got := readmeSection(t, "providers"); got != want.String() {
		t.Errorf("README.md's provider table is out of date; replace it with the output of `hookgate providers -markdown`:\n%s", want.String())
	}
	for _, p := range verify.Presets() {
		if !strings.Contains(want.String(), "| `"+p.Name+"`") {
			t.Errorf("table lacks preset %s", p.Name)
		}
	}
}
