package verify

import (
	"strings"
	"testing"
)

func FuzzQueryValue(f *testing.F) {
	for _, s := range []string{"", "https://h/x?challenge=a", "?challenge=%zz", "x?a=1&challenge=b#c", "?challenge=a&challenge=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		if c := queryValue(u, "challenge"); c != "" && !strings.Contains(u, "challenge") {
			t.Errorf("queryValue(%q) = %q without the parameter", u, c)
		}
	})
}

// FuzzCRCToken checks that no token the X CRC answers can be a JSON body,
// which would make the CRC sign forged deliveries.
func FuzzCRCToken(f *testing.F) {
	for _, s := range []string{"", "Y2xhc3NpYyBzdHVmZg", `{"a":1}`, "[1]", "a b", "a-b_c+d/="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if crcToken(s) && (s == "" || len(s) > maxChallenge || strings.ContainsAny(s, "{}[]\" :,")) {
			t.Errorf("crcToken(%q) = true; want false", s)
		}
	})
}
