package verify_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"strings"
	"testing"

	"hookgate/verify"
)

// TestHMACRoundTrip signs and verifies with every algorithm, encoding and
// prefix of the generic scheme, and checks the header against a MAC
// computed independently.
func TestHMACRoundTrip(t *testing.T) {
	const secret, body = "s3cret", `{"id":1}`
	algs := []struct {
		name string
		fn   func() hash.Hash
	}{{"", sha256.New}, {"sha1", sha1.New}, {"sha256", sha256.New}, {"SHA512", sha512.New}}
	encs := []struct {
		name string
		fn   func([]byte) string
	}{{"", hex.EncodeToString}, {"hex", hex.EncodeToString}, {"base64", base64.StdEncoding.EncodeToString}}
	for _, alg := range algs {
		for _, enc := range encs {
			for _, prefix := range []string{"", "sha=", "v1,"} {
				name := "alg=" + alg.name + "/enc=" + enc.name + "/prefix=" + prefix
				t.Run(name, func(t *testing.T) {
					o := Options{Secrets: []string{secret}, Header: "X-Signature", Prefix: prefix, Algorithm: alg.name, Encoding: enc.name}
					r := &verify.Request{Body: []byte(body)}
					if err := verify.Sign("hmac", r, o, now); err != nil {
						t.Fatal(err)
					}
					m := hmac.New(alg.fn, []byte(secret))
					m.Write([]byte(body))
					if got, want := r.Header.Get("X-Signature"), prefix+enc.fn(m.Sum(nil)); got != want {
						t.Errorf("Sign(%s) = %q; want %q", name, got, want)
					}
					v, err := verify.New("hmac", o)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := v.Verify(r, now); err != nil {
						t.Errorf("Verify(%s) = %v; want valid", name, err)
					}
					r.Body = append(r.Body, ' ')
					if _, err := v.Verify(r, now); !errors.Is(err, verify.ErrMismatch) {
						t.Errorf("Verify(%s, tampered) = %v; want %v", name, err, verify.ErrMismatch)
					}
				})
			}
		}
	}
}

// TestHMACHeader covers what the generic scheme accepts in its header.
func TestHMACHeader(t *testing.T) {
	const secret, body = "s3cret", "payload"
	mac := hmacOf(sha256.New, secret, body)
	b64, hx := base64.StdEncoding.EncodeToString(mac), hex.EncodeToString(mac)
	tests := []struct {
		name  string
		o     Options
		value string
		want  error // nil: valid
	}{
		{"hex", Options{}, hx, nil},
		{"hex upper-case", Options{}, strings.ToUpper(hx), nil},
		{"hex with prefix", Options{Prefix: "sha256="}, "sha256=" + hx, nil},
		{"prefix case-insensitive", Options{Prefix: "sha256="}, "SHA256=" + hx, nil},
		{"base64", Options{Encoding: "base64"}, b64, nil},
		{"base64 unpadded", Options{Encoding: "base64"}, strings.TrimRight(b64, "="), nil},
		{"lower-case config", Options{Header: "x-signature", Encoding: "BASE64"}, b64, nil},
		{"empty", Options{}, "", verify.ErrNoSignature},
		{"missing prefix", Options{Prefix: "sha256="}, hx, verify.ErrMalformed},
		{"prefix only", Options{Prefix: "sha256="}, "sha256=", verify.ErrMalformed},
		{"hex given base64", Options{}, b64, verify.ErrMalformed},
		{"base64 given hex", Options{Encoding: "base64"}, hx, verify.ErrMalformed},
		{"base64 url alphabet", Options{Encoding: "base64"}, strings.NewReplacer("+", "-", "/", "_").Replace(b64), verify.ErrMalformed},
		{"hex odd length", Options{}, hx[1:], verify.ErrMalformed},
		{"too long", Options{}, strings.Repeat(hx, 10), verify.ErrMalformed},
		{"sha512 MAC for sha256", Options{}, strings.Repeat("0", 128), verify.ErrMalformed},
		{"other MAC", Options{}, strings.Repeat("0", 64), verify.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Secrets = []string{"other", secret}
			if o.Header == "" {
				o.Header = "X-Signature"
			}
			v, err := verify.New("hmac", o)
			if err != nil {
				t.Fatal(err)
			}
			r := &verify.Request{Header: http.Header{"X-Signature": {tt.value}}, Body: []byte(body)}
			res, err := v.Verify(r, now)
			if tt.want == nil && (err != nil || res.SecretIndex != 1) || !errors.Is(err, tt.want) {
				t.Errorf("Verify(%s) = %+v, %v; want index 1, %v", tt.name, res, err, tt.want)
			}
		})
	}
}

// The presets built by bodyMAC in their own files (vercel.go, ...); those of
// bodysig.go have their rows in bodysig_test.go.
func init() {
	two := [2]string{"first secret", "second secret"}
	addPresetCases(
		presetCase{name: "airtable", secrets: [2]string{base64.StdEncoding.EncodeToString([]byte("airtable key one")), base64.StdEncoding.EncodeToString([]byte("airtable key two"))}},
		presetCase{name: "alchemy", secrets: two},
		presetCase{name: "calcom", secrets: two},
		presetCase{name: "checkoutcom", secrets: two},
		presetCase{name: "dropbox", secrets: two},
		presetCase{name: "gocardless", secrets: two},
		presetCase{name: "intuit", secrets: two},
		presetCase{name: "nylas", secrets: two},
		presetCase{name: "razorpay", secrets: two},
		presetCase{name: "twitter", secrets: two},
		presetCase{name: "vercel", secrets: two},
		presetCase{name: "xero", secrets: two},
	)
}
