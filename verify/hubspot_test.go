package verify_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// TestHubSpotV3 covers the v3 signed string: method, URL (with HubSpot's
// listed escapes decoded), body and the millisecond timestamp.
func TestHubSpotV3(t *testing.T) {
	const secret, body = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", `[{"eventId":1,"subscriptionType":"contact.creation"}]`
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	sig := func(s string) string {
		return base64.StdEncoding.EncodeToString(hmacOf(sha256.New, secret, s))
	}
	const u = "https://www.example.com/webhook_uri"
	tests := []struct {
		name      string
		method    string
		url       string // as the gateway sees it
		publicURL string
		signed    string // what HubSpot signed
		ts        string
		at        time.Time
		want      error // nil: valid
	}{
		{name: "post", method: "POST", url: u, signed: "POST" + u + body + ms, ts: ms, at: now},
		{name: "empty method is POST", url: u, signed: "POST" + u + body + ms, ts: ms, at: now},
		{name: "get", method: "GET", url: u + "?a=1", signed: "GET" + u + "?a=1" + body + ms, ts: ms, at: now},
		{name: "listed escapes decoded", method: "POST", url: u + "?e=a%40b.c&p=%2Fx%3A%3f", signed: "POST" + u + "?e=a@b.c&p=/x:?" + body + ms, ts: ms, at: now},
		{name: "other escapes kept", method: "POST", url: u + "?q=a%20b%26c%3D", signed: "POST" + u + "?q=a%20b%26c%3D" + body + ms, ts: ms, at: now},
		{name: "signed as received", method: "POST", url: u + "?e=a%40b", signed: "POST" + u + "?e=a%40b" + body + ms, ts: ms, at: now},
		{name: "public_url", method: "POST", url: "http://10.0.0.5:8080/webhook_uri", publicURL: "https://www.example.com", signed: "POST" + u + body + ms, ts: ms, at: now},
		{name: "behind a proxy without public_url", method: "POST", url: "http://10.0.0.5:8080/webhook_uri", signed: "POST" + u + body + ms, ts: ms, at: now, want: verify.ErrMismatch},
		{name: "method differs", method: "PUT", url: u, signed: "POST" + u + body + ms, ts: ms, at: now, want: verify.ErrMismatch},
		{name: "timestamp not signed", method: "POST", url: u, signed: "POST" + u + body, ts: ms, at: now, want: verify.ErrMismatch},
		{name: "300 s old", method: "POST", url: u, signed: "POST" + u + body + ms, ts: ms, at: now.Add(300 * time.Second)},
		{name: "300.001 s old", method: "POST", url: u, signed: "POST" + u + body + ms, ts: ms, at: now.Add(300*time.Second + time.Millisecond), want: verify.ErrTooOld},
		{name: "300.001 s ahead", method: "POST", url: u, signed: "POST" + u + body + ms, ts: ms, at: now.Add(-300*time.Second - time.Millisecond), want: verify.ErrTooNew},
		{name: "timestamp in seconds", method: "POST", url: u, signed: "POST" + u + body + ms[:10], ts: ms[:10], at: now, want: verify.ErrTooOld},
		{name: "timestamp not a number", method: "POST", url: u, signed: "POST" + u + body + "x", ts: "x", at: now, want: verify.ErrMalformed},
		{name: "no URL", method: "POST", signed: "POST" + body + ms, ts: ms, at: now, want: verify.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, "hubspot", Options{Secrets: []string{secret}, PublicURL: tt.publicURL})
			r := &verify.Request{Method: tt.method, URL: tt.url, Body: []byte(body), Header: http.Header{
				"X-Hubspot-Signature-V3":      {sig(tt.signed)},
				"X-Hubspot-Request-Timestamp": {tt.ts},
			}}
			checkVerify(t, v, r, tt.at, tt.want)
		})
	}
}

// TestHubSpotLegacy covers v1 and v2: plain SHA-256 with the secret in
// front, and the version header that must match the preset.
func TestHubSpotLegacy(t *testing.T) {
	const secret, body = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", "{'example_field':'example_value'}"
	const u = "https://www.example.com/webhook_uri"
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	tests := []struct {
		preset, name, method, version, sig string
		want                               error // nil: valid
	}{
		{preset: "hubspot-v1", name: "docs example", method: "POST", version: "v1", sig: "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"},
		{preset: "hubspot-v1", name: "version in upper case", method: "POST", version: "V1", sig: hash(secret + body)},
		{preset: "hubspot-v1", name: "v2 header", method: "POST", version: "v2", sig: hash(secret + body), want: verify.ErrMalformed},
		{preset: "hubspot-v1", name: "no version", method: "POST", sig: hash(secret + body), want: verify.ErrNoSignature},
		{preset: "hubspot-v1", name: "HMAC instead", method: "POST", version: "v1", sig: hex.EncodeToString(hmacOf(sha256.New, secret, body)), want: verify.ErrMismatch},
		{preset: "hubspot-v1", name: "base64", method: "POST", version: "v1", sig: base64.StdEncoding.EncodeToString(make([]byte, 32)), want: verify.ErrMalformed},
		{preset: "hubspot-v2", name: "docs example", method: "POST", version: "v2", sig: "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"},
		{preset: "hubspot-v2", name: "method signed", method: "GET", version: "v2", sig: hash(secret + "GET" + u + body)},
		{preset: "hubspot-v2", name: "method differs", method: "PUT", version: "v2", sig: hash(secret + "POST" + u + body), want: verify.ErrMismatch},
		{preset: "hubspot-v2", name: "v1 header", method: "POST", version: "v1", sig: hash(secret + "POST" + u + body), want: verify.ErrMalformed},
		{preset: "hubspot-v2", name: "v1 hash", method: "POST", version: "v2", sig: hash(secret + body), want: verify.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.preset+"/"+tt.name, func(t *testing.T) {
			v := mustVerifier(t, tt.preset, Options{Secrets: []string{"other", secret}})
			h := http.Header{"X-Hubspot-Signature": {tt.sig}}
			if tt.version != "" {
				h.Set("X-HubSpot-Signature-Version", tt.version)
			}
			checkVerifyIndex(t, v, &verify.Request{Method: tt.method, URL: u, Header: h, Body: []byte(body)}, now, tt.want, 1)
		})
	}
}

// TestHubSpotSign reproduces the hubspot-api-python fixture (v3, vector
// hubspot-v3-sdk-valid) and the docs' v1 and v2 GET examples.
func TestHubSpotSign(t *testing.T) {
	const secret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
	tests := []struct {
		preset, method, body string
		at                   time.Time
		want                 http.Header
	}{
		{preset: "hubspot-v3", method: "POST", body: "{'example_field':'example_value'}", at: time.UnixMilli(15000000), want: http.Header{
			"X-Hubspot-Signature-V3":      {"HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw="},
			"X-Hubspot-Request-Timestamp": {"15000000"},
		}},
		{preset: "hubspot", method: "POST", body: "{'example_field':'example_value'}", at: time.UnixMilli(15000000), want: http.Header{
			"X-Hubspot-Signature-V3": {"HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw="},
		}},
		{preset: "hubspot-v1", method: "POST", body: "{'example_field':'example_value'}", at: now, want: http.Header{
			"X-Hubspot-Signature":         {"69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"},
			"X-Hubspot-Signature-Version": {"v1"},
		}},
		{preset: "hubspot-v2", method: "GET", at: now, want: http.Header{
			"X-Hubspot-Signature":         {"eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"},
			"X-Hubspot-Signature-Version": {"v2"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.preset, func(t *testing.T) {
			r := &verify.Request{Method: tt.method, URL: "https://www.example.com/webhook_uri", Body: []byte(tt.body)}
			checkSign(t, tt.preset, r, Options{Secrets: []string{secret}}, tt.at, tt.want)
		})
	}
	if p, ok := verify.Lookup("hubspot"); !ok || p.Name != "hubspot-v3" {
		t.Errorf("Lookup(hubspot) = %s, %v; want hubspot-v3", p.Name, ok)
	}
}
