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
	addPresetCases(presetCase{name: "twilio", secrets: [2]string{"12345", "secondary auth token"}})
}

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
		{"form", "application/x-www-form-urlencoded",
			"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212",
			u, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
		{"json", "application/json", `{"property": "value", "boolean": true}`,
			u + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620", "a9nBmqA0ju/hNViExpshrM61xv4="},
		{"json without content type", "", `{"property": "value", "boolean": true}`,
			u + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620", "a9nBmqA0ju/hNViExpshrM61xv4="},
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
		{"form", u, "", "b=2&a=1", u + "a1b2", nil},
		{"repeated names sorted by value", u, "", "Digits=5678&Sid=CA1&Digits=1234", u + "Digits1234Digits5678SidCA1", nil},
		{"repeated pair kept twice", u, "", "a=1&a=1", u + "a1a1", nil},
		{"escapes and plus decoded", u, "", "Body=Hello+W%C3%B6rld%21&From=%2B1", u + "BodyHello Wörld!From+1", nil},
		{"empty value and bare name", u, "", "text=&flag", u + "flagtext", nil},
		{"empty pairs skipped", u, "", "&a=1&&", u + "a1", nil},
		{"no body", u, "", "", u, nil},
		{"names compared bytewise", u, "", "b=1&B=2&a=3", u + "B2a3b1", nil},
		{"port stripped", "https://mycompany.com:1234/myapp.php?foo=1&bar=2", "", "a=1", u + "a1", nil},
		{"port 443 added", u, "", "a=1", "https://mycompany.com:443/myapp.php?foo=1&bar=2a1", nil},
		{"port 80 added", "http://mycompany.com/p", "", "a=1", "http://mycompany.com:80/pa1", nil},
		{"scheme differs", "http://mycompany.com/myapp.php?foo=1&bar=2", "", "a=1", u + "a1", verify.ErrMismatch},
		{"query order matters", "https://mycompany.com/myapp.php?bar=2&foo=1", "", "a=1", u + "a1", verify.ErrMismatch},
		{"public_url", "http://10.0.0.5:8080/myapp.php?foo=1&bar=2", "https://mycompany.com", "a=1", u + "a1", nil},
		{"public_url with slash", "http://10.0.0.5:8080/myapp.php?foo=1&bar=2", "https://mycompany.com/", "a=1", u + "a1", nil},
		{"public_url with port 443", "http://10.0.0.5/myapp.php?foo=1&bar=2", "https://mycompany.com:443", "a=1", u + "a1", nil},
		{"public_url, path only", "/myapp.php?foo=1&bar=2", "https://mycompany.com", "a=1", u + "a1", nil},
		{"behind a proxy without public_url", "http://10.0.0.5:8080/myapp.php?foo=1&bar=2", "", "a=1", u + "a1", verify.ErrMismatch},
		{"params not signed", u, "", "a=1", u, verify.ErrMismatch},
		{"param value changed", u, "", "a=2", u + "a1", verify.ErrMismatch},
		{"bad escape", u, "", "a=%zz", u + "a%zz", verify.ErrMalformed},
		{"json", jsonURL, "", jsonBody, jsonURL, nil},
		{"json, upper-case hash", upperURL, "", jsonBody, upperURL, nil},
		{"json, public_url", "http://10.0.0.5" + jsonURL[len("https://mycompany.com"):], "https://mycompany.com", jsonBody, jsonURL, nil},
		{"json, body changed", jsonURL, "", `{"a":2}`, jsonURL, verify.ErrMismatch},
		{"json, hash not hex", u + "&bodySHA256=xyz", "", jsonBody, u + "&bodySHA256=xyz", verify.ErrMalformed},
		{"json, params signed too", jsonURL, "", jsonBody, jsonURL + `{"a":1}`, verify.ErrMismatch},
		{"no URL", "", "", "a=1", "a1", verify.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := verify.New("twilio", Options{Secrets: []string{"other token", token}, PublicURL: tt.publicURL})
			if err != nil {
				t.Fatal(err)
			}
			r := &verify.Request{
				Method: "POST",
				URL:    tt.url,
				Header: http.Header{"X-Twilio-Signature": {twilioSig(token, tt.signed)}},
				Body:   []byte(tt.body),
			}
			res, err := v.Verify(r, now)
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
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Errorf("New(%s, public_url %q) = %v; want %v", tt.typ, tt.publicURL, err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("New(%s, public_url %q) = %v; the message reveals the password", tt.typ, tt.publicURL, err)
			}
		})
	}
}
