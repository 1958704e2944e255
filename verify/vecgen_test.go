package verify

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVectorGeneratorsReproduce: each testdata/vectors_more*.json is what
// its Python generator (testdata/gen_vectors_more*.py, which computes the
// signatures with Python's hmac, independently of this package) prints, so
// the vectors were not edited by hand. python3 with the cryptography
// package is required (.ci/run installs it when missing).
func TestVectorGeneratorsReproduce(t *testing.T) {
	gens, err := filepath.Glob("testdata/gen_vectors_more*.py")
	if err != nil || len(gens) == 0 {
		t.Fatalf("no generators (%v)", err)
	}
	for _, gen := range gens {
		want := strings.Replace(strings.TrimSuffix(gen, ".py")+".json", "gen_", "", 1)
		t.Run(filepath.Base(gen), func(t *testing.T) {
			data, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			var tried []string
			for _, py := range []string{"python3", "/usr/bin/python3"} {
				cmd := exec.Command(py, gen)
				cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1") // no __pycache__ in testdata
				out, err := cmd.Output()
				if err != nil {
					tried = append(tried, py+": "+err.Error())
					continue
				}
				if !bytes.Equal(bytes.TrimSpace(out), bytes.TrimSpace(data)) {
					t.Errorf("%s does not print %s: regenerate it, or fix the generator", gen, want)
				}
				return
			}
			t.Fatalf("no python3 with the cryptography package ran %s: %s", gen, strings.Join(tried, "; "))
		})
	}
}
