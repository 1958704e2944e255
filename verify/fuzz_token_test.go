package verify

import "testing"

func FuzzVerifyToken(f *testing.F) {
	fuzzVerify(f, "token", "gitlab-token", Options{Header: "X-Gitlab-Token"}, "X-Gitlab-Token")
}

func FuzzVerifyBearerToken(f *testing.F) {
	fuzzVerify(f, "token", "gitlab-token", Options{Header: "X-Gitlab-Token", Prefix: "Bearer "}, "X-Gitlab-Token")
}

func FuzzVerifyGitLabToken(f *testing.F) {
	fuzzVerify(f, "gitlab-token", "gitlab-token", Options{}, "X-Gitlab-Token")
}

func FuzzVerifyBasicAuth(f *testing.F) {
	fuzzVerify(f, "basic-auth", "basic-auth", Options{}, "Authorization")
}

// FuzzVerifyGitLabSigningToken is seeded with the standard-webhooks
// vectors, among them GitLab's; the fourth header is Idempotency-Key.
func FuzzVerifyGitLabSigningToken(f *testing.F) {
	fuzzVerifyLines(f, "gitlab-signing-token", "standard-webhooks", Options{},
		"webhook-id", "webhook-timestamp", "webhook-signature", gitlabIdempotencyHeader)
}

func FuzzVerifyOkta(f *testing.F) {
	fuzzVerifyMore(f, "okta", "Authorization", "X-Okta-Verification-Challenge")
}
