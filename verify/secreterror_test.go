package verify

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// secretMarker is written into the secrets of the tests below: no error may
// hold it.
const secretMarker = "MRKRq7"

// badSecretShapes are secrets that no scheme accepts, or that some accept
// and others refuse, each holding secretMarker where a parser might quote
// it: a label, a JSON member, a PEM body, a prefix.
var badSecretShapes = []string{
	secretMarker + "secret",
	"whsec_" + secretMarker + "!!!",
	"whsec_" + secretMarker,
	secretMarker + ":" + secretMarker,
	secretMarker + "%%zz",
	"0x" + secretMarker,
	"-----BEGIN PUBLIC KEY-----\n" + secretMarker + "\n-----END PUBLIC KEY-----\n",
	"-----BEGIN PRIVATE KEY-----\n" + secretMarker + "\n-----END PRIVATE KEY-----\n",
	"-----BEGIN CERTIFICATE-----\n" + secretMarker + "\n-----END CERTIFICATE-----\n",
	"-----BEGIN " + secretMarker + "-----\nAAAA\n-----END " + secretMarker + "-----\n",
	`{"kty":"` + secretMarker + `"}`,
	`{"kty":"EC","crv":"` + secretMarker + `"}`,
	`{"kty":"OKP","crv":"Ed25519","x":"` + secretMarker + `"}`,
	`{"kty":"RSA","n":"` + secretMarker + `","e":"` + secretMarker + `"}`,
	`{"kty":"EC","crv":"P-256","x":"` + secretMarker + `","y":"` + secretMarker + `","alg":"` + secretMarker + `","use":"` + secretMarker + `"}`,
	`{"kty":"EC","crv":"P-256","use":"sig","alg":"` + secretMarker + `","x":"B-xjFj-_lfNu6Szeyk6I8M3nEWb73Vik7_tX0XxnQ6w","y":"z3p4W0RW5-LFDJqzrMhpBaVwCtHwiEIU-J0M90y3XTA"}`,
	`{"kty":"EC","crv":"P-256","d":"` + secretMarker + `"}`,
	`{"` + secretMarker + `":1}`,
	"{" + secretMarker,
}

// TestErrorsHoldNoSecret builds and signs with every type, bad secrets and
// the option sets the token schemes need: an error names the secret by its
// index (a SecretError) and never holds any of it.
func TestErrorsHoldNoSecret(t *testing.T) {
	optionSets := []Options{
		{},
		{Algorithms: []string{"HS256"}},
		{Algorithms: []string{"RS256"}},
		{Algorithms: []string{"ES256"}},
		{Algorithms: []string{"EdDSA"}},
		{BundleID: "com.example.app"},
		{Header: "X-Token"},
	}
	now := time.Unix(1700000000, 0)
	for _, p := range Presets() {
		for _, s := range badSecretShapes {
			for _, o := range optionSets {
				o.Secrets = []string{s}
				check := func(op string, err error) {
					t.Helper()
					if err == nil {
						return
					}
					if strings.Contains(err.Error(), secretMarker) {
						t.Errorf("%s(%s, %q, %+v) = %v; holds the secret", op, p.Name, s, o.Algorithms, err)
					}
					if se, ok := errors.AsType[*SecretError](err); ok && (se.Index != 0 || se.Reason == "" || !errors.Is(err, ErrConfig)) {
						t.Errorf("%s(%s, %q) = %#v; want index 0, a reason, and ErrConfig", op, p.Name, s, se)
					}
				}
				_, err := New(p.Name, o)
				check("New", err)
				check("Sign", Sign(p.Name, &Request{Method: "POST", URL: "https://hooks.example/x", Body: []byte(`{}`)}, o, now))
			}
		}
	}
}

// TestSecretErrorIndex checks that a SecretError names the entry of the
// caller's Secrets, also when Sign reorders them to lead with the first
// secret in use.
func TestSecretErrorIndex(t *testing.T) {
	const good = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	past := time.Unix(1600000000, 0)
	now := time.Unix(1700000000, 0)
	for _, c := range []struct {
		name string
		run  func() error
		want int
	}{
		{"New, second secret", func() error {
			_, err := New("standard-webhooks", Options{Secrets: []string{good, "whsec_" + secretMarker + "!!"}})
			return err
		}, 1},
		{"New, empty third secret", func() error {
			_, err := New("stripe", Options{Secrets: []string{"a", "b", ""}})
			return err
		}, 2},
		{"Sign, the first in use is the second", func() error {
			o := Options{Secrets: []string{"00", "not-a-key-" + secretMarker}, NotAfter: []time.Time{past}}
			return Sign("discord-ed25519", &Request{Method: "POST", Body: []byte("{}")}, o, now)
		}, 1},
		{"Sign, the first", func() error {
			return Sign("discord-ed25519", &Request{Method: "POST", Body: []byte("{}")}, Options{Secrets: []string{"not-a-key-" + secretMarker, "00"}}, now)
		}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			se, ok := errors.AsType[*SecretError](err)
			if !ok || se.Index != c.want || !errors.Is(err, ErrConfig) {
				t.Fatalf("error = %v; want a SecretError for secret %d wrapping ErrConfig", err, c.want)
			}
			if strings.Contains(err.Error(), secretMarker) {
				t.Errorf("error = %v; holds the secret", err)
			}
		})
	}
}

// TestVerifyErrorsHoldNoSecret verifies every vector as captured and
// tampered with (body, headers): no error, which the gateway logs and
// keeps in the quarantine, holds a configured secret.
func TestVerifyErrorsHoldNoSecret(t *testing.T) {
	tamper := map[string]func(r *Request){
		"as captured": func(r *Request) {},
		"body":        func(r *Request) { r.Body = append(r.Body, 'x') },
		"headers": func(r *Request) {
			for k := range r.Header {
				r.Header.Set(k, r.Header.Get(k)+"zz")
			}
		},
	}
	for _, vec := range mustLoadVectors(t) {
		o := vec.options(t)
		v, err := New(vec.preset(), o)
		if err != nil {
			t.Fatalf("New(%s) = %v", vec.ID, err)
		}
		for name, change := range tamper {
			r := vec.request()
			change(r)
			_, err := v.Verify(r, time.Unix(vec.Now, 0))
			if err == nil {
				continue
			}
			for i, s := range o.Secrets {
				// A secret's first 12 bytes after a well-known prefix.
				core := strings.TrimPrefix(s, "whsec_")
				core = core[:min(len(core), 12)]
				if len(core) >= 6 && strings.Contains(err.Error(), core) {
					t.Errorf("Verify(%s, %s) = %v; holds secret %d", vec.ID, name, err, i)
				}
			}
		}
	}
}
