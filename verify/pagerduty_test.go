package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// TestPagerDutyHeader covers the X-PagerDuty-Signature list.
func TestPagerDutyHeader(t *testing.T) {
	const secret, body = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK", `{"event":{"id":"01BWDWL3NYY7LUFPZCC28QUCMK"}}`
	good := hex.EncodeToString(hmacOf(sha256.New, secret, body))
	other := hex.EncodeToString(hmacOf(sha256.New, "other", body))
	sig := oneHeader("X-Pagerduty-Signature")
	tests := []headerCase{
		{name: "one", header: sig("v1=" + good)},
		{name: "second of two", header: sig("v1=" + other + ",v1=" + good)},
		{name: "spaces", header: sig("v1=" + other + ", v1=" + good + " ")},
		{name: "unknown version ignored", header: sig("v2=" + other + ",v1=" + good)},
		{name: "bad entry ignored", header: sig("v1=zz,garbage,v1=" + good)},
		{name: "empty", header: sig(""), want: verify.ErrNoSignature},
		{name: "no v1", header: sig("v2=" + good), want: verify.ErrMalformed},
		{name: "no prefix", header: sig(good), want: verify.ErrMalformed},
		{name: "nine", header: sig(strings.Repeat("v1="+other+",", 8) + "v1=" + good), want: verify.ErrMalformed},
		{name: "other secret", header: sig("v1=" + other), want: verify.ErrMismatch},
	}
	v := mustVerifier(t, "pagerduty", Options{Secrets: []string{secret}})
	runHeaderCases(t, v, body, tests)
}
