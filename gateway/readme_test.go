package gateway

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readme returns README.md.
func readme(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// inTable reports whether README has a table row that names `name`.
func inTable(readme, name string) bool {
	for _, line := range strings.Split(readme, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Contains(line, "`"+name+"`") {
			return true
		}
	}
	return false
}

// TestReadmeNamesOnlyRealFiles: every Markdown file the README names, and
// every path it gives inside a directory of the repository, exists.
func TestReadmeNamesOnlyRealFiles(t *testing.T) {
	text := readme(t)
	local := regexp.MustCompile(`[a-z]+://\S+`).ReplaceAllString(text, "") // other sites' pages
	var paths []string
	paths = append(paths, regexp.MustCompile(`[\w./-]+\.md\b`).FindAllString(local, -1)...)
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != ".git" {
			dirs = append(dirs, regexp.QuoteMeta(e.Name()))
		}
	}
	inRepo := regexp.MustCompile("`((?:" + strings.Join(dirs, "|") + ")/[^`\\s]*)`")
	for _, m := range inRepo.FindAllStringSubmatch(local, -1) {
		paths = append(paths, m[1])
	}
	if len(paths) == 0 {
		t.Fatal("found no file names in README.md; the patterns are wrong")
	}
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join("..", p)); err != nil {
			t.Errorf("README.md names %s, which is not in the repository", p)
		}
	}
}

// hookgateHeader is a Hookgate-* header name in Go source.
var hookgateHeader = regexp.MustCompile(`"(Hookgate-[A-Za-z-]+)"`)

// TestReadmeHeaders: every Hookgate-* header the code sets is in a README
// table.
func TestReadmeHeaders(t *testing.T) {
	text := readme(t)
	found := 0
	for _, dir := range []string{".", "../forward"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range hookgateHeader.FindAllStringSubmatch(string(src), -1) {
				found++
				if !inTable(text, m[1]) {
					t.Errorf("%s sets header %s, which no README.md table describes", f, m[1])
				}
			}
		}
	}
	if found < 7 {
		t.Errorf("found %d Hookgate-* headers in the code; want at least the 7 forward defines", found)
	}
}

// TestReadmeMetrics: every metric the gateway registers is in README's
// metrics table, and so is every reason hookgate_rejections_total counts.
// Metrics are taken from a running gateway (a labelled one shows only once
// used, so an accepted and a rejected request are sent first) and from the
// Name fields in the source.
func TestReadmeMetrics(t *testing.T) {
	s := mustServer(t, "", "  - {name: shop, type: stripe, secrets: [whsec_a]}\n")
	if code := postTo(t, s, stripeRequest(t, stripeBody("e1", "t", "o", 1), "whsec_a", time.Now())); code != 202 {
		t.Fatalf("signed request: %d; want 202", code)
	}
	if code := postTo(t, s, stripeRequest(t, stripeBody("e2", "t", "o", 2), "whsec_wrong", time.Now())); code != 401 {
		t.Fatalf("badly signed request: %d; want 401", code)
	}
	names := map[string]bool{}
	families, err := s.metrics.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "hookgate_") {
			names[f.GetName()] = true
		}
	}
	src, err := os.ReadFile("metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`Name:\s*"([a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		names[m[1]] = true
	}
	if len(names) < 15 {
		t.Errorf("found %d hookgate metrics; want the 15 metrics.go registers at least", len(names))
	}
	text := readme(t)
	for name := range names {
		if !inTable(text, name) {
			t.Errorf("metric %s is not in README.md's metrics table", name)
		}
	}

	var reasons string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "| `hookgate_rejections_total`") {
			reasons = line
		}
	}
	for _, c := range errorClasses {
		if c.err == ErrRateLimited { // counted as an outcome of hookgate_requests_total
			continue
		}
		if !strings.Contains(reasons, "`"+c.reason+"`") {
			t.Errorf("reason %s is not in README.md's row of hookgate_rejections_total", c.reason)
		}
	}
	if _, _, reason := classify(os.ErrClosed); !strings.Contains(reasons, "`"+reason+"`") {
		t.Errorf("reason %s (an unclassified error) is not in README.md's row of hookgate_rejections_total", reason)
	}
}
