package verify_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

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
		{preset: "shopify", name: "valid", header: http.Header{"X-Shopify-Hmac-Sha256": {sha256B64}}},
		{preset: "shopify", name: "unpadded base64", header: http.Header{"X-Shopify-Hmac-Sha256": {strings.TrimRight(sha256B64, "=")}}},
		{preset: "shopify", name: "Events header", header: http.Header{"Shopify-Hmac-Sha256": {sha256B64}}},
		{preset: "shopify", name: "both headers, webhook one read", header: http.Header{"X-Shopify-Hmac-Sha256": {sha256B64}, "Shopify-Hmac-Sha256": {"AAAA"}}},
		{preset: "shopify", name: "both headers, webhook one wrong", header: http.Header{"X-Shopify-Hmac-Sha256": {strings.Repeat("A", 43) + "="}, "Shopify-Hmac-Sha256": {sha256B64}}, want: verify.ErrMismatch},
		{preset: "shopify", name: "Events header wrong", header: http.Header{"Shopify-Hmac-Sha256": {strings.Repeat("A", 43) + "="}}, want: verify.ErrMismatch},
		{preset: "shopify", name: "neither header", header: http.Header{"X-Shopify-Topic": {"orders/create"}}, want: verify.ErrNoSignature},
		{preset: "shopify", name: "hex", header: http.Header{"X-Shopify-Hmac-Sha256": {sha256Hex}}, want: verify.ErrMalformed},
		{preset: "shopify", name: "url-safe base64", header: http.Header{"X-Shopify-Hmac-Sha256": {strings.NewReplacer("+", "-", "/", "_").Replace(sha256B64) + "-_"}}, want: verify.ErrMalformed},
		{preset: "intercom", name: "valid", header: http.Header{"X-Hub-Signature": {"sha1=" + sha1Hex}}},
		{preset: "intercom", name: "sha256 in the -256 header", header: http.Header{"X-Hub-Signature-256": {"sha256=" + sha256Hex}}, want: verify.ErrNoSignature},
		{preset: "intercom", name: "sha256 MAC", header: http.Header{"X-Hub-Signature": {"sha256=" + sha256Hex}}, want: verify.ErrMalformed},
		{preset: "intercom", name: "no prefix", header: http.Header{"X-Hub-Signature": {sha1Hex}}, want: verify.ErrMalformed},
		{preset: "typeform", name: "valid", header: http.Header{"Typeform-Signature": {"sha256=" + sha256B64}}},
		{preset: "typeform", name: "hex encoded", header: http.Header{"Typeform-Signature": {"sha256=" + sha256Hex}}, want: verify.ErrMalformed},
		{preset: "typeform", name: "no prefix", header: http.Header{"Typeform-Signature": {sha256B64}}, want: verify.ErrMalformed},
		{preset: "sentry", name: "valid", header: http.Header{"Sentry-Hook-Signature": {sha256Hex}, "Sentry-Hook-Timestamp": {"1"}}},
		{preset: "sentry", name: "prefixed", header: http.Header{"Sentry-Hook-Signature": {"sha256=" + sha256Hex}}, want: verify.ErrMalformed},
		{preset: "bitbucket", name: "valid", header: http.Header{"X-Hub-Signature": {"sha256=" + sha256Hex}}},
		{preset: "bitbucket", name: "GitHub's header name", header: http.Header{"X-Hub-Signature-256": {"sha256=" + sha256Hex}}, want: verify.ErrNoSignature},
		{preset: "bitbucket", name: "sha1", header: http.Header{"X-Hub-Signature": {"sha1=" + sha1Hex}}, want: verify.ErrMalformed},
		{preset: "coinbase-commerce", name: "valid", header: http.Header{"X-Cc-Webhook-Signature": {sha256Hex}}},
		{preset: "coinbase-commerce", name: "base64", header: http.Header{"X-Cc-Webhook-Signature": {sha256B64}}, want: verify.ErrMalformed},
		{preset: "lemonsqueezy", name: "valid", header: http.Header{"X-Signature": {sha256Hex}}},
		{preset: "lemonsqueezy", name: "upper-case hex", header: http.Header{"X-Signature": {strings.ToUpper(sha256Hex)}}},
		{preset: "lemonsqueezy", name: "zeros", header: http.Header{"X-Signature": {strings.Repeat("0", 64)}}, want: verify.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.preset+"/"+tt.name, func(t *testing.T) {
			v := mustVerifier(t, tt.preset, Options{Secrets: []string{secret}})
			checkVerify(t, v, &verify.Request{Header: tt.header, Body: []byte(body)}, now, tt.want)
		})
	}
}

// TestBodySigSign checks the header each preset's Sign sets against the
// recomputed vectors of testdata/vectors.json.
func TestBodySigSign(t *testing.T) {
	tests := []struct {
		preset, secret, body string
		want                 http.Header
	}{
		{preset: "shopify", secret: "shpss_new_client_secret_0000000000", body: `{"id":820982911946154508,"email":"jon@example.com","total_price":"199.00","currency":"USD","note":"café"}`,
			want: http.Header{"X-Shopify-Hmac-Sha256": {"cdxQ6rc9PuaYEfegTdzbiF9WwCirhDdljNQAdoypS0U="}}},
		{preset: "lemonsqueezy", secret: "lemon_signing_secret_123", body: `{"meta":{"event_name":"order_created","custom_data":{"user_id":123}},"data":{"type":"orders","id":"1","attributes":{"status":"paid","total":999}}}`,
			want: http.Header{"X-Signature": {"5d8b2b6cfbaa9b66ba69e5031e3eae16af63ede5e0c69e5d7decb873a6f0199c"}}},
		{preset: "bitbucket", secret: "bitbucket_webhook_secret_42", body: `{"push":{"changes":[]},"repository":{"full_name":"team/repo","uuid":"{b5b2d9a2-3e5b-4e5f-9d2e-0c8a1b1a2b3c}"},"actor":{"display_name":"Ann"}}`,
			want: http.Header{"X-Hub-Signature": {"sha256=cffa2e1b0a94a1530c337a892f16d83af4560717bf5865994cb49937f8e7a76a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.preset, func(t *testing.T) {
			r := &verify.Request{Body: []byte(tt.body)}
			checkSign(t, tt.preset, r, Options{Secrets: []string{tt.secret}}, now, tt.want)
		})
	}
}
