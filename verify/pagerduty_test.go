package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"hookgate/verify"
)

func init() {
	addPresetCases(presetCase{name: "pagerduty", secrets: [2]string{"lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK", "another+secret/that=looks=base64"}})
}

// TestPagerDutyHeader covers the X-PagerDuty-Signature list.
func TestPagerDutyHeader(t *testing.T) {
	const secret, body = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK", `{"event":{"id":"01BWDWL3NYY7LUFPZCC28QUCMK"}}`
	good := hex.EncodeToString(hmacOf(sha256.New, secret, body))
	other := hex.EncodeToString(hmacOf(sha256.New, "other", body))
	tests := []struct {
		name   string
		header string
		want   error // nil: valid
	}{
		{"one", "v1=" + good, nil},
		{"second of two", "v1=" + other + ",v1=" + good, nil},
		{"spaces", "v1=" + other + ", v1=" + good + " ", nil},
		{"unknown version ignored", "v2=" + other + ",v1=" + good, nil},
		{"bad entry ignored", "v1=zz,garbage,v1=" + good, nil},
		{"empty", "", verify.ErrNoSignature},
		{"no v1", "v2=" + good, verify.ErrMalformed},
		{"no prefix", good, verify.ErrMalformed},
		{"nine", strings.Repeat("v1="+other+",", 8) + "v1=" + good, verify.ErrMalformed},
		{"other secret", "v1=" + other, verify.ErrMismatch},
	}
	v := mustVerifier(t, "pagerduty", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Header: http.Header{"X-Pagerduty-Signature": {tt.header}}, Body: []byte(body)}
			_, err := v.Verify(r, now)
			if !wantErr(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
}
