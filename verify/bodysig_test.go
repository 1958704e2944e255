package verify_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"hookgate/verify"
)

func init() {
	addPresetCases(
		presetCase{name: "shopify", secrets: [2]string{"shpss_new_client_secret_0000000000", "shpss_old_client_secret_1111111111"}},
		presetCase{name: "intercom", secrets: [2]string{"intercom_client_secret_abc123", "another client secret"}},
		presetCase{name: "typeform", secrets: [2]string{"typeform_webhook_secret_1", "another secret"}},
		presetCase{name: "sentry", secrets: [2]string{"sentry_client_secret_5f2b", "another client secret"}},
		presetCase{name: "bitbucket", secrets: [2]string{"bitbucket_webhook_secret_42", "another secret"}},
		presetCase{name: "coinbase-commerce", secrets: [2]string{"30291a20-0bd1-4267-9b0f-e6e7b123c0bf", "another shared secret"}},
		presetCase{name: "lemonsqueezy", secrets: [2]string{"lemon_signing_secret_123", "another signing secret"}},
	)
}

// TestBodySigHeaders covers the header layout of each preset that signs the
// body alone: its name, prefix and encoding, and the look-alikes it must
// not accept.
func TestBodySigHeaders(t *testing.T) {
	const secret, body = "s3cret", `{"id":"evt_1"}`
	sha256Hex := hex.EncodeToString(hmacOf(sha256.New, secret, body))
	sha256B64 := base64.StdEncoding.EncodeToString(hmacOf(sha256.New, secret, body))
	sha1Hex := hex.EncodeToString(hmacOf(sha1.New, secret, body))
	tests := []struct {
		preset string
		name   string
		header http.Header
		want   error // nil: valid
	}{
		{"shopify", "valid", http.Header{"X-Shopify-Hmac-Sha256": {sha256B64}}, nil},
		{"shopify", "unpadded base64", http.Header{"X-Shopify-Hmac-Sha256": {strings.TrimRight(sha256B64, "=")}}, nil},
		{"shopify", "Events header", http.Header{"Shopify-Hmac-Sha256": {sha256B64}}, nil},
		{"shopify", "both headers, webhook one read", http.Header{"X-Shopify-Hmac-Sha256": {sha256B64}, "Shopify-Hmac-Sha256": {"AAAA"}}, nil},
		{"shopify", "both headers, webhook one wrong", http.Header{"X-Shopify-Hmac-Sha256": {strings.Repeat("A", 43) + "="}, "Shopify-Hmac-Sha256": {sha256B64}}, verify.ErrMismatch},
		{"shopify", "Events header wrong", http.Header{"Shopify-Hmac-Sha256": {strings.Repeat("A", 43) + "="}}, verify.ErrMismatch},
		{"shopify", "neither header", http.Header{"X-Shopify-Topic": {"orders/create"}}, verify.ErrNoSignature},
		{"shopify", "hex", http.Header{"X-Shopify-Hmac-Sha256": {sha256Hex}}, verify.ErrMalformed},
		{"shopify", "url-safe base64", http.Header{"X-Shopify-Hmac-Sha256": {strings.NewReplacer("+", "-", "/", "_").Replace(sha256B64) + "-_"}}, verify.ErrMalformed},
		{"intercom", "valid", http.Header{"X-Hub-Signature": {"sha1=" + sha1Hex}}, nil},
		{"intercom", "sha256 in the -256 header", http.Header{"X-Hub-Signature-256": {"sha256=" + sha256Hex}}, verify.ErrNoSignature},
		{"intercom", "sha256 MAC", http.Header{"X-Hub-Signature": {"sha256=" + sha256Hex}}, verify.ErrMalformed},
		{"intercom", "no prefix", http.Header{"X-Hub-Signature": {sha1Hex}}, verify.ErrMalformed},
		{"typeform", "valid", http.Header{"Typeform-Signature": {"sha256=" + sha256B64}}, nil},
		{"typeform", "hex encoded", http.Header{"Typeform-Signature": {"sha256=" + sha256Hex}}, verify.ErrMalformed},
		{"typeform", "no prefix", http.Header{"Typeform-Signature": {sha256B64}}, verify.ErrMalformed},
		{"sentry", "valid", http.Header{"Sentry-Hook-Signature": {sha256Hex}, "Sentry-Hook-Timestamp": {"1"}}, nil},
		{"sentry", "prefixed", http.Header{"Sentry-Hook-Signature": {"sha256=" + sha256Hex}}, verify.ErrMalformed},
		{"bitbucket", "valid", http.Header{"X-Hub-Signature": {"sha256=" + sha256Hex}}, nil},
		{"bitbucket", "GitHub's header name", http.Header{"X-Hub-Signature-256": {"sha256=" + sha256Hex}}, verify.ErrNoSignature},
		{"bitbucket", "sha1", http.Header{"X-Hub-Signature": {"sha1=" + sha1Hex}}, verify.ErrMalformed},
		{"coinbase-commerce", "valid", http.Header{"X-Cc-Webhook-Signature": {sha256Hex}}, nil},
		{"coinbase-commerce", "base64", http.Header{"X-Cc-Webhook-Signature": {sha256B64}}, verify.ErrMalformed},
		{"lemonsqueezy", "valid", http.Header{"X-Signature": {sha256Hex}}, nil},
		{"lemonsqueezy", "upper-case hex", http.Header{"X-Signature": {strings.ToUpper(sha256Hex)}}, nil},
		{"lemonsqueezy", "zeros", http.Header{"X-Signature": {strings.Repeat("0", 64)}}, verify.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.preset+"/"+tt.name, func(t *testing.T) {
			v, err := verify.New(tt.preset, Options{Secrets: []string{secret}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(&verify.Request{Header: tt.header, Body: []byte(body)}, now)
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
}

// TestBodySigSign checks the header each preset's Sign sets against the
// recomputed vectors of testdata/vectors.json.
func TestBodySigSign(t *testing.T) {
	tests := []struct {
		preset, secret, body, header, want string
	}{
		{"shopify", "shpss_new_client_secret_0000000000", `{"id":820982911946154508,"email":"jon@example.com","total_price":"199.00","currency":"USD","note":"café"}`,
			"X-Shopify-Hmac-Sha256", "cdxQ6rc9PuaYEfegTdzbiF9WwCirhDdljNQAdoypS0U="},
		{"lemonsqueezy", "lemon_signing_secret_123", `{"meta":{"event_name":"order_created","custom_data":{"user_id":123}},"data":{"type":"orders","id":"1","attributes":{"status":"paid","total":999}}}`,
			"X-Signature", "5d8b2b6cfbaa9b66ba69e5031e3eae16af63ede5e0c69e5d7decb873a6f0199c"},
		{"bitbucket", "bitbucket_webhook_secret_42", `{"push":{"changes":[]},"repository":{"full_name":"team/repo","uuid":"{b5b2d9a2-3e5b-4e5f-9d2e-0c8a1b1a2b3c}"},"actor":{"display_name":"Ann"}}`,
			"X-Hub-Signature", "sha256=cffa2e1b0a94a1530c337a892f16d83af4560717bf5865994cb49937f8e7a76a"},
	}
	for _, tt := range tests {
		t.Run(tt.preset, func(t *testing.T) {
			r := &verify.Request{Body: []byte(tt.body)}
			if err := verify.Sign(tt.preset, r, Options{Secrets: []string{tt.secret}}, now); err != nil {
				t.Fatal(err)
			}
			if got := r.Header.Get(tt.header); got != tt.want {
				t.Errorf("Sign(%s) = %s: %q; want %q", tt.preset, tt.header, got, tt.want)
			}
		})
	}
}
