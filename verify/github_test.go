package verify_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// TestGitHubHeader covers the signature headers of the github and
// github-sha1 presets. Signatures are GitHub's documented test values:
// secret "It's a Secret to Everybody", body "Hello, World!".
func TestGitHubHeader(t *testing.T) {
	const (
		secret = "It's a Secret to Everybody"
		body   = "Hello, World!"
		sha256 = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
		sha1   = "01dc10d0c83e72ed246219cdd91669667fe2ca59"
	)
	tests := []struct {
		name   string
		preset string
		header http.Header
		want   error // nil: valid
	}{
		{name: "sha256", preset: "github", header: http.Header{"X-Hub-Signature-256": {"sha256=" + sha256}}},
		{name: "sha256 upper-case hex", preset: "github", header: http.Header{"X-Hub-Signature-256": {"sha256=" + strings.ToUpper(sha256)}}},
		{name: "sha256 upper-case prefix", preset: "github", header: http.Header{"X-Hub-Signature-256": {"SHA256=" + sha256}}},
		{name: "sha256 ignores the sha1 header", preset: "github", header: http.Header{"X-Hub-Signature-256": {"sha256=" + sha256}, "X-Hub-Signature": {"sha1=00"}}},
		{name: "sha256 header absent", preset: "github", header: http.Header{"X-Hub-Signature": {"sha1=" + sha1}}, want: verify.ErrNoSignature},
		{name: "sha256 empty", preset: "github", header: http.Header{"X-Hub-Signature-256": {""}}, want: verify.ErrNoSignature},
		{name: "sha256 without prefix", preset: "github", header: http.Header{"X-Hub-Signature-256": {sha256}}, want: verify.ErrMalformed},
		{name: "sha256 with sha1 prefix", preset: "github", header: http.Header{"X-Hub-Signature-256": {"sha1=" + sha256}}, want: verify.ErrMalformed},
		{name: "sha256 short", preset: "github", header: http.Header{"X-Hub-Signature-256": {"sha256=" + sha256[:62]}}, want: verify.ErrMalformed},
		{name: "sha256 long", preset: "github", header: http.Header{"X-Hub-Signature-256": {"sha256=" + sha256 + "00"}}, want: verify.ErrMalformed},
		{name: "sha256 not hex", preset: "github", header: http.Header{"X-Hub-Signature-256": {"sha256=" + strings.Repeat("g", 64)}}, want: verify.ErrMalformed},
		{name: "sha256 sha1 MAC", preset: "github", header: http.Header{"X-Hub-Signature-256": {"sha256=" + sha1}}, want: verify.ErrMalformed},
		{name: "sha256 zeros", preset: "github", header: http.Header{"X-Hub-Signature-256": {"sha256=" + strings.Repeat("0", 64)}}, want: verify.ErrMismatch},
		{name: "sha1", preset: "github-sha1", header: http.Header{"X-Hub-Signature": {"sha1=" + sha1}}},
		{name: "sha1 header absent", preset: "github-sha1", header: http.Header{"X-Hub-Signature-256": {"sha256=" + sha256}}, want: verify.ErrNoSignature},
		{name: "sha1 with sha256 MAC", preset: "github-sha1", header: http.Header{"X-Hub-Signature": {"sha1=" + sha256}}, want: verify.ErrMalformed},
		{name: "sha1 zeros", preset: "github-sha1", header: http.Header{"X-Hub-Signature": {"sha1=" + strings.Repeat("0", 40)}}, want: verify.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, tt.preset, Options{Secrets: []string{secret}})
			checkVerify(t, v, &verify.Request{Header: tt.header, Body: []byte(body)}, now, tt.want)
		})
	}
}

func TestGitHubSign(t *testing.T) {
	tests := []struct {
		preset string
		want   http.Header
	}{
		{preset: "github", want: http.Header{"X-Hub-Signature-256": {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}}},
		{preset: "github-sha1", want: http.Header{"X-Hub-Signature": {"sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"}}},
	}
	for _, tt := range tests {
		t.Run(tt.preset, func(t *testing.T) {
			r := &verify.Request{Body: []byte("Hello, World!")}
			checkSign(t, tt.preset, r, Options{Secrets: []string{"It's a Secret to Everybody"}}, now, tt.want)
		})
	}
}
