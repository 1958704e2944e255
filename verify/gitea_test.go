package verify_test

import (
	"net/http"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// TestForgejoHeaders checks that X-Gitea-Signature is read only when
// X-Forgejo-Signature is absent.
func TestForgejoHeaders(t *testing.T) {
	const secret, body = "forge", `{"ref":"refs/heads/main"}`
	good, bad := macHex(secret, body), macHex("other", body)
	tests := []headerCase{
		{name: "forgejo header", header: http.Header{"X-Forgejo-Signature": {good}}},
		{name: "gitea header only", header: http.Header{"X-Gitea-Signature": {good}}},
		{name: "both", header: http.Header{"X-Forgejo-Signature": {good}, "X-Gitea-Signature": {good}}},
		{name: "bad forgejo, good gitea", header: http.Header{"X-Forgejo-Signature": {bad}, "X-Gitea-Signature": {good}}, want: verify.ErrMismatch},
		{name: "bad gitea only", header: http.Header{"X-Gitea-Signature": {bad}}, want: verify.ErrMismatch},
		{name: "neither", header: http.Header{"X-Gogs-Signature": {good}}, want: verify.ErrNoSignature},
	}
	v := mustVerifier(t, "forgejo", Options{Secrets: []string{secret}})
	runHeaderCases(t, v, body, tests)
}
