package bussig

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// vector is testdata/vector.json: a message signed with a fixed key and
// time. Ed25519 signatures are deterministic, so the signature must come
// out the same; the README's Python and Node examples verify it too.
type vector struct {
	PrivateKey   string              `json:"private_key"`
	PublicKey    string              `json:"public_key"`
	KeyID        string              `json:"key_id"`
	Subject      string              `json:"subject"`
	Headers      map[string][]string `json:"headers"`
	BodyBase64   string              `json:"body_base64"`
	SignedString string              `json:"signed_string"`
	Signature    string              `json:"signature"`
}

func loadVector(t *testing.T) (vector, []byte) {
	t.Helper()
	b, err := os.ReadFile("testdata/vector.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	body, err := base64.StdEncoding.DecodeString(v.BodyBase64)
	if err != nil {
		t.Fatal(err)
	}
	return v, body
}

func writeKey(t *testing.T, name, pem string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(pem), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVector(t *testing.T) {
	v, body := loadVector(t)
	priv, err := LoadPrivateKey(writeKey(t, "key.pem", v.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKey(writeKey(t, "key.pub.pem", v.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if got := KeyID(pub); got != v.KeyID {
		t.Errorf("KeyID = %q; want %q", got, v.KeyID)
	}
	msgID := v.Headers["Nats-Msg-Id"][0]
	if got := string(SignedString(1764849600, v.KeyID, msgID, v.Subject, v.Headers, body)); got != v.SignedString {
		t.Errorf("SignedString =\n%q\nwant\n%q", got, v.SignedString)
	}
	s := NewSigner(priv)
	s.Now = func() time.Time { return time.Unix(1764849600, 0) }
	if got := s.Sign(msgID, v.Subject, v.Headers, body); got != v.Signature {
		t.Errorf("Sign = %q; want %q", got, v.Signature)
	}
	vf, err := NewVerifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	h := clone(v.Headers)
	h[Header] = []string{v.Signature}
	sig, err := vf.Verify(msgID, v.Subject, h, body, time.Unix(1764849601, 500))
	if err != nil || sig.KeyID != v.KeyID || !sig.Time.Equal(time.Unix(1764849600, 0)) {
		t.Errorf("Verify = %+v, %v; want key %s at 1764849600", sig, err, v.KeyID)
	}
}

func clone(h map[string][]string) map[string][]string {
	c := make(map[string][]string, len(h)+1)
	for k, v := range h {
		c[k] = append([]string(nil), v...)
	}
	return c
}

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func TestVerify(t *testing.T) {
	signed := time.Unix(1764849600, 0)
	s := NewSigner(testKey("current"))
	s.Now = func() time.Time { return signed }
	other := NewSigner(testKey("other"))
	other.Now = s.Now
	body := []byte(`{"id":"evt_1"}`)
	base := map[string][]string{
		"Hookgate-Event-Id":     {"evt_1"},
		"Hookgate-Ordering-Key": {"cus_1"},
		"Content-Type":          {"application/json"},
		"Nats-Msg-Id":           {"stripe:evt_1"},
	}
	sign := func(s *Signer) map[string][]string {
		h := clone(base)
		h[Header] = []string{s.Sign("stripe:evt_1", "webhooks.stripe.x", h, body)}
		return h
	}
	v, err := NewVerifier(testKey("old").Public().(ed25519.PublicKey), s.Public())
	if err != nil {
		t.Fatal(err)
	}
	stored := signed.Add(2 * time.Second)
	cases := []struct {
		name    string
		msgID   string
		subject string
		h       func() map[string][]string
		body    []byte
		stored  time.Time // default: 2 s after the signing
		noStore bool      // no stored time (core NATS)
		maxAge  time.Duration
		want    error
	}{
		{name: "valid", h: func() map[string][]string { return sign(s) }},
		{name: "valid, header names in another case", h: func() map[string][]string {
			h := sign(s)
			h["hookgate-event-id"] = h["Hookgate-Event-Id"]
			delete(h, "Hookgate-Event-Id")
			h["HOOKGATE-SIGNATURE"] = h[Header]
			delete(h, Header)
			return h
		}},
		{name: "one name in two spellings", h: func() map[string][]string {
			h := sign(s)
			h["hookgate-ordering-key"] = []string{"cus_2"}
			return h
		}, want: ErrMalformed},
		{name: "valid, a Nats header added by the server", h: func() map[string][]string {
			h := sign(s)
			h["Nats-Sequence"] = []string{"42"}
			return h
		}},
		{name: "valid, no age check without a stored time", h: func() map[string][]string { return sign(s) }, noStore: true},
		{name: "unsigned", h: func() map[string][]string { return clone(base) }, want: ErrUnsigned},
		{name: "two signatures", h: func() map[string][]string {
			h := sign(s)
			h[Header] = append(h[Header], h[Header][0])
			return h
		}, want: ErrMalformed},
		{name: "garbage", h: func() map[string][]string {
			h := sign(s)
			h[Header] = []string{"garbage"}
			return h
		}, want: ErrMalformed},
		{name: "signature cut short", h: func() map[string][]string {
			h := sign(s)
			h[Header] = []string{h[Header][0][:len(h[Header][0])-8]}
			return h
		}, want: ErrMalformed},
		{name: "signed by a key not held", h: func() map[string][]string { return sign(other) }, want: ErrUnknownKey},
		{name: "key ID of a held key, signed by another", h: func() map[string][]string {
			h := sign(other)
			h[Header] = []string{strings.Replace(h[Header][0], other.KeyID(), s.KeyID(), 1)}
			return h
		}, want: ErrForged},
		{name: "body altered", h: func() map[string][]string { return sign(s) }, body: []byte(`{"id":"evt_2"}`), want: ErrForged},
		{name: "subject altered", h: func() map[string][]string { return sign(s) }, subject: "webhooks.stripe.y", want: ErrForged},
		{name: "message ID altered", h: func() map[string][]string { return sign(s) }, msgID: "stripe:evt_2", want: ErrForged},
		{name: "signed header altered", h: func() map[string][]string {
			h := sign(s)
			h["Hookgate-Ordering-Key"] = []string{"cus_2"}
			return h
		}, want: ErrForged},
		{name: "header added", h: func() map[string][]string {
			h := sign(s)
			h["Hookgate-Replay"] = []string{"1"}
			return h
		}, want: ErrForged},
		{name: "header removed", h: func() map[string][]string {
			h := sign(s)
			delete(h, "Content-Type")
			return h
		}, want: ErrForged},
		{name: "signing time altered", h: func() map[string][]string {
			h := sign(s)
			h[Header] = []string{strings.Replace(h[Header][0], "t=1764849600", "t=1764849700", 1)}
			return h
		}, stored: signed.Add(100 * time.Second), want: ErrForged},
		{name: "published again later", h: func() map[string][]string { return sign(s) }, stored: signed.Add(time.Hour), want: ErrTooOld},
		{name: "published again past the default age", h: func() map[string][]string { return sign(s) }, stored: signed.Add(DefaultMaxAge + 2*time.Second), want: ErrTooOld},
		{name: "published again later, age check off", h: func() map[string][]string { return sign(s) }, stored: signed.Add(time.Hour), maxAge: -1},
		{name: "stored before it was signed", h: func() map[string][]string { return sign(s) }, stored: signed.Add(-2 * time.Minute), want: ErrTooOld},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msgID, subject, body2, st := "stripe:evt_1", "webhooks.stripe.x", body, stored
			if c.msgID != "" {
				msgID = c.msgID
			}
			if c.subject != "" {
				subject = c.subject
			}
			if c.body != nil {
				body2 = c.body
			}
			switch {
			case c.noStore:
				st = time.Time{}
			case !c.stored.IsZero():
				st = c.stored
			}
			v.MaxAge = c.maxAge
			_, err := v.Verify(msgID, subject, c.h(), body2, st)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Errorf("Verify = %v; want %v", err, c.want)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	key := testKey("k")
	privPEM, err := MarshalPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := MarshalPublicKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadPrivateKey(writeKey(t, "k.pem", string(privPEM)))
	if err != nil || !got.Equal(key) {
		t.Errorf("LoadPrivateKey = %v; want the key back", err)
	}
	pub, err := LoadPublicKey(writeKey(t, "k.pub", string(pubPEM)))
	if err != nil || !pub.Equal(key.Public()) {
		t.Errorf("LoadPublicKey = %v; want the key back", err)
	}
	for name, c := range map[string]struct {
		file string
		load func(string) error
	}{
		"public key as private": {string(pubPEM), func(p string) error { _, err := LoadPrivateKey(p); return err }},
		"private key as public": {string(privPEM), func(p string) error { _, err := LoadPublicKey(p); return err }},
		"not PEM":               {"hello", func(p string) error { _, err := LoadPublicKey(p); return err }},
	} {
		if err := c.load(writeKey(t, "bad", c.file)); !errors.Is(err, ErrKey) {
			t.Errorf("%s: err = %v; want ErrKey", name, err)
		}
	}
	if _, err := NewVerifier(); !errors.Is(err, ErrKey) {
		t.Errorf("NewVerifier() = %v; want ErrKey", err)
	}
	if _, err := NewVerifier(ed25519.PublicKey("short")); !errors.Is(err, ErrKey) {
		t.Errorf("NewVerifier(short) = %v; want ErrKey", err)
	}
}

// TestHeaderSize: the bound covers a signature with the longest key ID.
func TestHeaderSize(t *testing.T) {
	s := NewSigner(testKey("k"))
	s.keyID = strings.Repeat("k", MaxKeyID)
	s.Now = func() time.Time { return time.Unix(1<<62, 0) }
	value := s.Sign("id", "subj", nil, nil)
	if n := len(Header) + 2 + len(value) + 2; n > HeaderSize {
		t.Errorf("a signature line is %d bytes; HeaderSize is %d", n, HeaderSize)
	}
}

// TestGenerateKeyFiles: the pair written is one key (what the private key
// signs, the public key verifies), the private file is 0600, and an
// existing file is never overwritten.
func TestGenerateKeyFiles(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "k.pem"), filepath.Join(dir, "k.pem.pub")
	id, err := GenerateKeyFiles(priv, pub)
	if err != nil {
		t.Fatal(err)
	}
	key, err := LoadPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := LoadPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !pk.Equal(key.Public()) || KeyID(pk) != id {
		t.Errorf("the public key file is not the private key's (ID %s, want %s)", KeyID(pk), id)
	}
	if fi, err := os.Stat(priv); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	before, _ := os.ReadFile(priv)
	if _, err := GenerateKeyFiles(priv, filepath.Join(dir, "other.pub")); err == nil {
		t.Error("GenerateKeyFiles over an existing private key: nil error")
	}
	if after, _ := os.ReadFile(priv); string(after) != string(before) {
		t.Error("the existing private key was overwritten")
	}
	if _, err := os.Stat(filepath.Join(dir, "other.pub")); err == nil {
		t.Error("a failed GenerateKeyFiles left a public key behind")
	}
	if _, err := GenerateKeyFiles(filepath.Join(dir, "new.pem"), pub); err == nil {
		t.Error("GenerateKeyFiles over an existing public key: nil error")
	}
	if _, err := os.Stat(filepath.Join(dir, "new.pem")); err == nil {
		t.Error("a failed GenerateKeyFiles left a private key behind")
	}
}
