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

// twilioSig computes Twilio's signature of the signed string s.
func twilioSig(token, s string) string {
	return base64.StdEncoding.EncodeToString(hmacOf(sha1.New, token, s))
}

// TestTwilioSign reproduces the worked example of Twilio's webhook security
// page (form body) and the twilio-python body-hash test (JSON body).
func TestTwilioSign(t *testing.T) {
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	tests := []struct {
		name, contentType, body string
		wantURL, wantSig        string
	}{
		{name: "form", contentType: "application/x-www-form-urlencoded",
			body:    "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212",
			wantURL: u, wantSig: "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
		{name: "json", contentType: "application/json", body: `{"property": "value", "boolean": true}`,
			wantURL: u + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620", wantSig: "a9nBmqA0ju/hNViExpshrM61xv4="},
		{name: "json without content type", body: `{"property": "value", "boolean": true}`,
			wantURL: u + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620", wantSig: "a9nBmqA0ju/hNViExpshrM61xv4="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Method: "POST", URL: u, Header: http.Header{}, Body: []byte(tt.body)}
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			if err := verify.Sign("twilio", r, Options{Secrets: []string{"12345"}}, now); err != nil {
				t.Fatal(err)
			}
			if got := r.Header.Get("X-Twilio-Signature"); r.URL != tt.wantURL || got != tt.wantSig {
				t.Errorf("Sign(%s) = %s, %q; want %s, %q", tt.name, r.URL, got, tt.wantURL, tt.wantSig)
			}
		})
	}
	t.Run("bodySHA256 replaced", func(t *testing.T) {
		r := &verify.Request{URL: "https://x.test/h?bodySHA256=00&a=1", Body: []byte(`{}`)}
		if err := verify.Sign("twilio", r, Options{Secrets: []string{"12345"}}, now); err != nil {
			t.Fatal(err)
		}
		const want = "https://x.test/h?bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a&a=1"
		if r.URL != want {
			t.Errorf("Sign(bodySHA256 replaced) URL = %s; want %s", r.URL, want)
		}
	})
}

// TestTwilioRequest covers what Twilio signs: the URL (with or without its
// port), the form parameters sorted by name then value, and for JSON the
// body hash in the URL.
func TestTwilioRequest(t *testing.T) {
	const token = "12345"
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	jsonBody := `{"a":1}`
	sum := sha256.Sum256([]byte(jsonBody))
	jsonURL := u + "&bodySHA256=" + hex.EncodeToString(sum[:])
	upperURL := u + "&bodySHA256=" + strings.ToUpper(hex.EncodeToString(sum[:]))
	tests := []struct {
		name      string
		url       string // as the gateway sees it
		publicURL string
		body      string
		signed    string // the string Twilio signed
		want      error  // nil: valid
	}{
		{name: "form", url: u, body: "b=2&a=1", signed: u + "a1b2"},
		{name: "repeated names sorted by value", url: u, body: "Digits=5678&Sid=CA1&Digits=1234", signed: u + "Digits1234Digits5678SidCA1"},
		{name: "repeated pair kept twice", url: u, body: "a=1&a=1", signed: u + "a1a1"},
		{name: "escapes and plus decoded", url: u, body: "Body=Hello+W%C3%B6rld%21&From=%2B1", signed: u + "BodyHello Wörld!From+1"},
		{name: "empty value and bare name", url: u, body: "text=&flag", signed: u + "flagtext"},
		{name: "empty pairs skipped", url: u, body: "&a=1&&", signed: u + "a1"},
		{name: "no body", url: u, signed: u},
		{name: "names compared bytewise", url: u, body: "b=1&B=2&a=3", signed: u + "B2a3b1"},
		{name: "port stripped", url: "https://mycompany.com:1234/myapp.php?foo=1&bar=2", body: "a=1", signed: u + "a1"},
		{name: "port 443 added", url: u, body: "a=1", signed: "https://mycompany.com:443/myapp.php?foo=1&bar=2a1"},
		{name: "port 80 added", url: "http://mycompany.com/p", body: "a=1", signed: "http://mycompany.com:80/pa1"},
		{name: "scheme differs", url: "http://mycompany.com/myapp.php?foo=1&bar=2", body: "a=1", signed: u + "a1", want: verify.ErrMismatch},
		{name: "query order matters", url: "https://mycompany.com/myapp.php?bar=2&foo=1", body: "a=1", signed: u + "a1", want: verify.ErrMismatch},
		{name: "public_url", url: "http://10.0.0.5:8080/myapp.php?foo=1&bar=2", publicURL: "https://mycompany.com", body: "a=1", signed: u + "a1"},
		{name: "public_url with slash", url: "http://10.0.0.5:8080/myapp.php?foo=1&bar=2", publicURL: "https://mycompany.com/", body: "a=1", signed: u + "a1"},
		{name: "public_url with port 443", url: "http://10.0.0.5/myapp.php?foo=1&bar=2", publicURL: "https://mycompany.com:443", body: "a=1", signed: u + "a1"},
		{name: "public_url, path only", url: "/myapp.php?foo=1&bar=2", publicURL: "https://mycompany.com", body: "a=1", signed: u + "a1"},
		{name: "behind a proxy without public_url", url: "http://10.0.0.5:8080/myapp.php?foo=1&bar=2", body: "a=1", signed: u + "a1", want: verify.ErrMismatch},
		{name: "params not signed", url: u, body: "a=1", signed: u, want: verify.ErrMismatch},
		{name: "param value changed", url: u, body: "a=2", signed: u + "a1", want: verify.ErrMismatch},
		{name: "bad escape", url: u, body: "a=%zz", signed: u + "a%zz", want: verify.ErrMalformed},
		{name: "json", url: jsonURL, body: jsonBody, signed: jsonURL},
		{name: "json, upper-case hash", url: upperURL, body: jsonBody, signed: upperURL},
		{name: "json, public_url", url: "http://10.0.0.5" + jsonURL[len("https://mycompany.com"):], publicURL: "https://mycompany.com", body: jsonBody, signed: jsonURL},
		{name: "json, body changed", url: jsonURL, body: `{"a":2}`, signed: jsonURL, want: verify.ErrMismatch},
		{name: "json, hash not hex", url: u + "&bodySHA256=xyz", body: jsonBody, signed: u + "&bodySHA256=xyz", want: verify.ErrMalformed},
		{name: "json, params signed too", url: jsonURL, body: jsonBody, signed: jsonURL + `{"a":1}`, want: verify.ErrMismatch},
		{name: "no URL", body: "a=1", signed: "a1", want: verify.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, "twilio", Options{Secrets: []string{"other token", token}, PublicURL: tt.publicURL})
			r := &verify.Request{
				Method: "POST",
				URL:    tt.url,
				Header: http.Header{"X-Twilio-Signature": {twilioSig(token, tt.signed)}},
				Body:   []byte(tt.body),
			}
			checkVerifyIndex(t, v, r, now, tt.want, 1)
		})
	}
}

// TestURLOptions covers public_url for the presets that sign the URL:
// twilio and hubspot take a base (scheme, host, port) and keep the request's
// path and query; square takes the notification URL whole.
func TestURLOptions(t *testing.T) {
	tests := []struct {
		typ, publicURL string
		want           error // nil: accepted
	}{
		{"twilio", "https://hooks.example.com", nil},
		{"twilio", "https://hooks.example.com:8443/", nil},
		{"twilio", "http://[::1]:8080", nil},
		{"twilio", "https://hooks.example.com/twilio", verify.ErrConfig},
		{"twilio", "https://hooks.example.com?x=1", verify.ErrConfig},
		{"twilio", "https://hooks.example.com#f", verify.ErrConfig},
		{"twilio", "https://user:s3cr3t@hooks.example.com", verify.ErrConfig},
		{"twilio", "https://user:s3cr3t@hooks.example.com/%zz", verify.ErrConfig},
		{"square", "ftp://user:s3cr3t@hooks.example.com/x", verify.ErrConfig},
		{"twilio", "hooks.example.com", verify.ErrConfig},
		{"twilio", "ftp://hooks.example.com", verify.ErrConfig},
		{"twilio", "https://", verify.ErrConfig},
		{"twilio", "https://bad host", verify.ErrConfig},
		{"hubspot-v3", "https://hooks.example.com", nil},
		{"hubspot-v3", "https://hooks.example.com/hubspot", verify.ErrConfig},
		{"hubspot-v2", "https://hooks.example.com", nil},
		{"hubspot-v2", "https://hooks.example.com/x", verify.ErrConfig},
		{"hubspot-v1", "https://hooks.example.com", verify.ErrConfig}, // v1 signs no URL
		{"square", "https://hooks.example.com/webhooks/square?src=sq", nil},
		{"square", "hooks.example.com/webhooks/square", verify.ErrConfig},
		{"square", "mailto:a@b.c", verify.ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" "+tt.publicURL, func(t *testing.T) {
			_, err := verify.New(tt.typ, Options{Secrets: []string{"s"}, PublicURL: tt.publicURL})
			if !wantErr(err, tt.want) {
				t.Errorf("New(%s, public_url %q) = %v; want %v", tt.typ, tt.publicURL, err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("New(%s, public_url %q) = %v; the message reveals the password", tt.typ, tt.publicURL, err)
			}
		})
	}
}
