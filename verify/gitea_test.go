package verify_test

import (
	"net/http"
	"testing"

	"hookgate/verify"
)

func init() {
	two := [2]string{"first secret", "second secret"}
	addPresetCases(
		presetCase{name: "forgejo", secrets: two},
		presetCase{name: "gitea", secrets: two},
	)
}

// TestForgejoHeaders checks that X-Gitea-Signature is read only when
// X-Forgejo-Signature is absent.
func TestForgejoHeaders(t *testing.T) {
	const secret, body = "forge", `{"ref":"refs/heads/main"}`
	good, bad := macHex(secret, body), macHex("other", body)
	tests := []struct {
		name   string
		header http.Header
		want   error
	}{
		{"forgejo header", http.Header{"X-Forgejo-Signature": {good}}, nil},
		{"gitea header only", http.Header{"X-Gitea-Signature": {good}}, nil},
		{"both", http.Header{"X-Forgejo-Signature": {good}, "X-Gitea-Signature": {good}}, nil},
		{"bad forgejo, good gitea", http.Header{"X-Forgejo-Signature": {bad}, "X-Gitea-Signature": {good}}, verify.ErrMismatch},
		{"bad gitea only", http.Header{"X-Gitea-Signature": {bad}}, verify.ErrMismatch},
		{"neither", http.Header{"X-Gogs-Signature": {good}}, verify.ErrNoSignature},
	}
	v := mustVerifier(t, "forgejo", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Header: tt.header, Body: []byte(body)}
			if _, err := v.Verify(r, now); !wantErr(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
}
