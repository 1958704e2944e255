package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"hookgate/verify"
)

// TestReadmeProviderTable keeps README.md's provider table identical to the
// catalogue: regenerate it with `hookgate providers -markdown`.
func TestReadmeProviderTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- providers:begin -->\n", "<!-- providers:end -->"
	i, j := bytes.Index(readme, []byte(begin)), bytes.Index(readme, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	var want bytes.Buffer
	if err := writeProviders(&want, true); err != nil {
		t.Fatal(err)
	}
	if got := string(readme[i+len(begin) : j]); got != want.String() {
		t.Errorf("README.md's provider table is out of date; replace it with the output of `hookgate providers -markdown`:\n%s", want.String())
	}
	for _, p := range verify.Presets() {
		if !strings.Contains(want.String(), "| `"+p.Name+"`") {
			t.Errorf("table lacks preset %s", p.Name)
		}
	}
}
