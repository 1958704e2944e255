package verify_test

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// The sendgrid-python test vector (test/unit/test_eventwebhook.py): its
// body ends in CRLF.
const (
	sendgridKey  = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
	sendgridSig  = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
	sendgridTS   = "1600112502"
	sendgridBody = `[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address","sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA","sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]` + "\r\n"
)

func TestSendGrid(t *testing.T) {
	clock := time.Unix(1600112502, 0)
	h := func(sig, ts string) http.Header {
		return http.Header{"X-Twilio-Email-Event-Webhook-Signature": {sig}, "X-Twilio-Email-Event-Webhook-Timestamp": {ts}}
	}
	der := kpMustB64(t, sendgridKey)
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	// The same signature as raw r||s, which SendGrid does not send.
	rs := ecdsaRawSig(t, kpMustB64(t, sendgridSig))
	tests := []struct {
		name string
		key  string
		h    http.Header
		body string
		want error
	}{
		{name: "SDK vector", key: sendgridKey, h: h(sendgridSig, sendgridTS), body: sendgridBody},
		{name: "PEM key", key: kpPublicPEM(pub), h: h(sendgridSig, sendgridTS), body: sendgridBody},
		{name: "unpadded signature", key: sendgridKey, h: h(strings.TrimRight(sendgridSig, "="), sendgridTS), body: sendgridBody},
		{name: "body without CRLF", key: sendgridKey, h: h(sendgridSig, sendgridTS), body: strings.TrimSuffix(sendgridBody, "\r\n"), want: verify.ErrMismatch},
		{name: "other timestamp", key: sendgridKey, h: h(sendgridSig, "1600112503"), body: sendgridBody, want: verify.ErrMismatch},
		{name: "raw r||s signature", key: sendgridKey, h: h(kpB64(rs), sendgridTS), body: sendgridBody, want: verify.ErrMismatch},
		{name: "signature not base64", key: sendgridKey, h: h("MEUC!!!", sendgridTS), body: sendgridBody, want: verify.ErrMalformed},
		{name: "signature too long", key: sendgridKey, h: h(strings.Repeat("A", 200), sendgridTS), body: sendgridBody, want: verify.ErrMalformed},
		{name: "timestamp not digits", key: sendgridKey, h: h(sendgridSig, "2020-09-14"), body: sendgridBody, want: verify.ErrMalformed},
		{name: "no signature", key: sendgridKey, h: h("", sendgridTS), body: sendgridBody, want: verify.ErrNoSignature},
		{name: "no timestamp", key: sendgridKey, h: h(sendgridSig, ""), body: sendgridBody, want: verify.ErrNoSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, "sendgrid", Options{Secrets: []string{tt.key}})
			checkVerify(t, v, &verify.Request{Header: tt.h, Body: []byte(tt.body)}, clock, tt.want)
		})
	}
}

// TestSendGridSign checks Sign with each private key encoding against a
// direct ECDSA verification.
func TestSendGridSign(t *testing.T) {
	k := kpEC2[0]
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(k)
	sec1, _ := x509.MarshalECPrivateKey(k)
	for name, key := range map[string]string{
		"PKCS#8 PEM": kpPrivatePEM(k), "SEC 1 PEM": kpPEM("EC PRIVATE KEY", sec1),
		"PKCS#8 base64": kpB64(pkcs8), "SEC 1 base64": kpB64(sec1),
	} {
		r := &verify.Request{Body: []byte(sendgridBody)}
		if err := verify.Sign("sendgrid-ecdsa", r, Options{Secrets: []string{key}}, time.Unix(1600112502, 0)); err != nil {
			t.Fatalf("Sign(%s) = %v", name, err)
		}
		ts := r.Header.Get("X-Twilio-Email-Event-Webhook-Timestamp")
		sum := sha256.Sum256([]byte(ts + sendgridBody))
		sig := kpMustB64(t, r.Header.Get("X-Twilio-Email-Event-Webhook-Signature"))
		if ts != sendgridTS || !ecdsa.VerifyASN1(&k.PublicKey, sum[:], sig) {
			t.Errorf("Sign(%s) = %v; want a DER signature over %s + body", name, r.Header, sendgridTS)
		}
	}
}

func kpMustB64(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		tb.Fatalf("base64 %q: %v", s, err)
	}
	return b
}

// ecdsaRawSig converts a DER ECDSA P-256 signature to r||s.
func ecdsaRawSig(tb testing.TB, der []byte) []byte {
	tb.Helper()
	// SEQUENCE { INTEGER r, INTEGER s }, each at most 33 bytes.
	var out [64]byte
	rest := der[2:]
	for i := 0; i < 2; i++ {
		n := int(rest[1])
		v := rest[2 : 2+n]
		for len(v) > 32 && v[0] == 0 {
			v = v[1:]
		}
		copy(out[32*i+32-len(v):], v)
		rest = rest[2+n:]
	}
	return out[:]
}
