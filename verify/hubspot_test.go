package verify_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"hookgate/verify"
)

func init() {
	addPresetCases(
		presetCase{name: "hubspot-v1", secrets: [2]string{"yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"}},
		presetCase{name: "hubspot-v2", secrets: [2]string{"yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"}},
		presetCase{name: "hubspot-v3", secrets: [2]string{"yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"}},
	)
}

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
		{"post", "POST", u, "", "POST" + u + body + ms, ms, now, nil},
		{"empty method is POST", "", u, "", "POST" + u + body + ms, ms, now, nil},
		{"get", "GET", u + "?a=1", "", "GET" + u + "?a=1" + body + ms, ms, now, nil},
		{"listed escapes decoded", "POST", u + "?e=a%40b.c&p=%2Fx%3A%3f", "", "POST" + u + "?e=a@b.c&p=/x:?" + body + ms, ms, now, nil},
		{"other escapes kept", "POST", u + "?q=a%20b%26c%3D", "", "POST" + u + "?q=a%20b%26c%3D" + body + ms, ms, now, nil},
		{"signed as received", "POST", u + "?e=a%40b", "", "POST" + u + "?e=a%40b" + body + ms, ms, now, nil},
		{"public_url", "POST", "http://10.0.0.5:8080/webhook_uri", "https://www.example.com", "POST" + u + body + ms, ms, now, nil},
		{"behind a proxy without public_url", "POST", "http://10.0.0.5:8080/webhook_uri", "", "POST" + u + body + ms, ms, now, verify.ErrMismatch},
		{"method differs", "PUT", u, "", "POST" + u + body + ms, ms, now, verify.ErrMismatch},
		{"timestamp not signed", "POST", u, "", "POST" + u + body, ms, now, verify.ErrMismatch},
		{"300 s old", "POST", u, "", "POST" + u + body + ms, ms, now.Add(300 * time.Second), nil},
		{"300.001 s old", "POST", u, "", "POST" + u + body + ms, ms, now.Add(300*time.Second + time.Millisecond), verify.ErrTooOld},
		{"300.001 s ahead", "POST", u, "", "POST" + u + body + ms, ms, now.Add(-300*time.Second - time.Millisecond), verify.ErrTooNew},
		{"timestamp in seconds", "POST", u, "", "POST" + u + body + ms[:10], ms[:10], now, verify.ErrTooOld},
		{"timestamp not a number", "POST", u, "", "POST" + u + body + "x", "x", now, verify.ErrMalformed},
		{"no URL", "POST", "", "", "POST" + body + ms, ms, now, verify.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := verify.New("hubspot", Options{Secrets: []string{secret}, PublicURL: tt.publicURL})
			if err != nil {
				t.Fatal(err)
			}
			r := &verify.Request{Method: tt.method, URL: tt.url, Body: []byte(body), Header: http.Header{
				"X-Hubspot-Signature-V3":      {sig(tt.signed)},
				"X-Hubspot-Request-Timestamp": {tt.ts},
			}}
			_, err = v.Verify(r, tt.at)
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
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
		{"hubspot-v1", "docs example", "POST", "v1", "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750", nil},
		{"hubspot-v1", "version in upper case", "POST", "V1", hash(secret + body), nil},
		{"hubspot-v1", "v2 header", "POST", "v2", hash(secret + body), verify.ErrMalformed},
		{"hubspot-v1", "no version", "POST", "", hash(secret + body), verify.ErrNoSignature},
		{"hubspot-v1", "HMAC instead", "POST", "v1", hex.EncodeToString(hmacOf(sha256.New, secret, body)), verify.ErrMismatch},
		{"hubspot-v1", "base64", "POST", "v1", base64.StdEncoding.EncodeToString(make([]byte, 32)), verify.ErrMalformed},
		{"hubspot-v2", "docs example", "POST", "v2", "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383", nil},
		{"hubspot-v2", "method signed", "GET", "v2", hash(secret + "GET" + u + body), nil},
		{"hubspot-v2", "method differs", "PUT", "v2", hash(secret + "POST" + u + body), verify.ErrMismatch},
		{"hubspot-v2", "v1 header", "POST", "v1", hash(secret + "POST" + u + body), verify.ErrMalformed},
		{"hubspot-v2", "v1 hash", "POST", "v2", hash(secret + body), verify.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.preset+"/"+tt.name, func(t *testing.T) {
			v, err := verify.New(tt.preset, Options{Secrets: []string{"other", secret}})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{"X-Hubspot-Signature": {tt.sig}}
			if tt.version != "" {
				h.Set("X-HubSpot-Signature-Version", tt.version)
			}
			res, err := v.Verify(&verify.Request{Method: tt.method, URL: u, Header: h, Body: []byte(body)}, now)
			if tt.want == nil {
				if err != nil || res.SecretIndex != 1 {
					t.Errorf("Verify(%s) = %+v, %v; want index 1, valid", tt.name, res, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
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
		{"hubspot-v3", "POST", "{'example_field':'example_value'}", time.UnixMilli(15000000), http.Header{
			"X-Hubspot-Signature-V3":      {"HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw="},
			"X-Hubspot-Request-Timestamp": {"15000000"},
		}},
		{"hubspot", "POST", "{'example_field':'example_value'}", time.UnixMilli(15000000), http.Header{
			"X-Hubspot-Signature-V3": {"HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw="},
		}},
		{"hubspot-v1", "POST", "{'example_field':'example_value'}", now, http.Header{
			"X-Hubspot-Signature":         {"69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"},
			"X-Hubspot-Signature-Version": {"v1"},
		}},
		{"hubspot-v2", "GET", "", now, http.Header{
			"X-Hubspot-Signature":         {"eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"},
			"X-Hubspot-Signature-Version": {"v2"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.preset, func(t *testing.T) {
			r := &verify.Request{Method: tt.method, URL: "https://www.example.com/webhook_uri", Body: []byte(tt.body)}
			if err := verify.Sign(tt.preset, r, Options{Secrets: []string{secret}}, tt.at); err != nil {
				t.Fatal(err)
			}
			for k := range tt.want {
				if got := r.Header.Get(k); got != tt.want.Get(k) {
					t.Errorf("Sign(%s) = %s: %q; want %q", tt.preset, k, got, tt.want.Get(k))
				}
			}
		})
	}
	if p, ok := verify.Lookup("hubspot"); !ok || p.Name != "hubspot-v3" {
		t.Errorf("Lookup(hubspot) = %s, %v; want hubspot-v3", p.Name, ok)
	}
}
