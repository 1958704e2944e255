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

	"github.com/hookgate/hookgate/verify"
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
					v := mustVerifier(t, "hmac", o)
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
		{name: "hex", o: Options{}, value: hx},
		{name: "hex upper-case", o: Options{}, value: strings.ToUpper(hx)},
		{name: "hex with prefix", o: Options{Prefix: "sha256="}, value: "sha256=" + hx},
		{name: "prefix case-insensitive", o: Options{Prefix: "sha256="}, value: "SHA256=" + hx},
		{name: "base64", o: Options{Encoding: "base64"}, value: b64},
		{name: "base64 unpadded", o: Options{Encoding: "base64"}, value: strings.TrimRight(b64, "=")},
		{name: "lower-case config", o: Options{Header: "x-signature", Encoding: "BASE64"}, value: b64},
		{name: "empty", o: Options{}, want: verify.ErrNoSignature},
		{name: "missing prefix", o: Options{Prefix: "sha256="}, value: hx, want: verify.ErrMalformed},
		{name: "prefix only", o: Options{Prefix: "sha256="}, value: "sha256=", want: verify.ErrMalformed},
		{name: "hex given base64", o: Options{}, value: b64, want: verify.ErrMalformed},
		{name: "base64 given hex", o: Options{Encoding: "base64"}, value: hx, want: verify.ErrMalformed},
		{name: "base64 url alphabet", o: Options{Encoding: "base64"}, value: strings.NewReplacer("+", "-", "/", "_").Replace(b64), want: verify.ErrMalformed},
		{name: "hex odd length", o: Options{}, value: hx[1:], want: verify.ErrMalformed},
		{name: "too long", o: Options{}, value: strings.Repeat(hx, 10), want: verify.ErrMalformed},
		{name: "sha512 MAC for sha256", o: Options{}, value: strings.Repeat("0", 128), want: verify.ErrMalformed},
		{name: "other MAC", o: Options{}, value: strings.Repeat("0", 64), want: verify.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Secrets = []string{"other", secret}
			if o.Header == "" {
				o.Header = "X-Signature"
			}
			v := mustVerifier(t, "hmac", o)
			r := &verify.Request{Header: http.Header{"X-Signature": {tt.value}}, Body: []byte(body)}
			checkVerifyIndex(t, v, r, now, tt.want, 1)
		})
	}
}
