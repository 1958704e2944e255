package verify

import (
	"strings"
	"testing"
)

func FuzzParsePagerDuty(f *testing.F) {
	seedHeader(f, "X-PagerDuty-Signature",
		"", ",", "v1=", "v1=00", "=", "v1=,v1=", " v1="+strings.Repeat("a", 64)+" ,x", strings.Repeat("v1="+strings.Repeat("b", 64)+",", 9))
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parsePagerDuty(s)
		if err == nil && (l.n < 1 || l.n > maxSigs) {
			t.Errorf("parsePagerDuty(%q) = %d signatures; want 1 to %d", s, l.n, maxSigs)
		}
	})
}

func FuzzVerifyPagerDuty(f *testing.F) {
	fuzzVerify(f, "pagerduty", "pagerduty", Options{}, "X-PagerDuty-Signature")
}
