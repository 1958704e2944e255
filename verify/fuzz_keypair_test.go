package verify

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

// Fuzz targets of the key-pair and token schemes; plain `go test` runs only
// their seeds. Run one with `go test -fuzz=FuzzVerifyPlaid ./verify`.

func FuzzParseV1aSignatures(f *testing.F) {
	seedHeader(f, "webhook-signature",
		"", " ", "v1a,", "v1a,=", "v1,abc v1a,", "v1a,"+strings.Repeat("A", 86)+"==", strings.Repeat("v1a,x ", 9))
	f.Fuzz(func(t *testing.T, s string) {
		var l wideSigList
		if err := parseSWSignatures(s, "v1a", ed25519.SignatureSize, &l); err == nil && (l.n < 1 || l.n > maxSigs) {
			t.Errorf("parseSWSignatures(%q, v1a) = %d signatures; want 1 to %d", s, l.n, maxSigs)
		}
	})
}

func FuzzDecodeSendGridSig(f *testing.F) {
	seedHeader(f, "X-Twilio-Email-Event-Webhook-Signature",
		"", "=", "====", "MEUC", strings.Repeat("A", 171), strings.Repeat("A", 172))
	f.Fuzz(func(t *testing.T, s string) {
		var buf [sendgridMaxSig]byte
		sig, err := decodeSendGridSig(buf[:0], s)
		if err == nil && (len(sig) == 0 || len(sig) > sendgridMaxSig) {
			t.Errorf("decodeSendGridSig(%q) = %d bytes; want 1 to %d", s, len(sig), sendgridMaxSig)
		}
	})
}

func FuzzParseJWKS(f *testing.F) {
	for _, v := range mustLoadVectors(f) {
		if len(v.JWKS) > 0 {
			f.Add(`{"keys":` + string(v.JWKS) + `}`)
		}
	}
	f.Add(`{"keys":[` + rfc7638Key + `]}`)
	f.Add(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","expired_at":1e300}]}`)
	f.Add(`{"keys":[{"kty":"RSA","n":"AA","e":"AQAB"},{"kty":"EC","crv":"P-521","x":"","y":""}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		for _, strict := range []bool{false, true} {
			keys, err := parseJWKS([]byte(doc), strict)
			if err == nil && len(keys) == 0 {
				t.Errorf("parseJWKS(%q) = no keys and no error", doc)
			}
			for _, k := range keys {
				if k.key == nil || k.alg != "" && !keyFitsAlg(k.key, k.alg) {
					t.Errorf("parseJWKS(%q) = key %+v; want a key that fits its alg", doc, k)
				}
			}
		}
	})
}

func FuzzJSONStringMember(f *testing.F) {
	for _, v := range mustLoadVectors(f) {
		if v.Scheme == "apple-assn-v2" {
			f.Add([]byte(v.Body))
		}
	}
	for _, s := range []string{"", "{}", "[]", `{"signedPayload":"a"}`, `{"signedPayload":"a","signedPayload":"b"}`, `{"a":{"signedPayload":1},"signedPayload":"x"}`, `{"signedPayload":"a"} x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := jsonStringMember(body, appleField)
		switch {
		case err == nil && s == "":
			t.Errorf("jsonStringMember(%q) = empty, no error", body)
		case err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoSignature):
			t.Errorf("jsonStringMember(%q) = %v; want ErrMalformed or ErrNoSignature", body, err)
		}
	})
}

func FuzzVerifyV1a(f *testing.F) {
	fuzzVerifyKeyed(f, "standard-webhooks-v1a", "standard-webhooks-v1a", Options{}, "webhook-id", "webhook-timestamp", "webhook-signature")
}

func FuzzVerifyDiscord(f *testing.F) {
	fuzzVerifyKeyed(f, "discord-ed25519", "discord-ed25519", Options{}, "X-Signature-Ed25519", "X-Signature-Timestamp")
}

func FuzzVerifySendGrid(f *testing.F) {
	fuzzVerifyKeyed(f, "sendgrid-ecdsa", "sendgrid-ecdsa", Options{}, "X-Twilio-Email-Event-Webhook-Signature", "X-Twilio-Email-Event-Webhook-Timestamp")
}

func FuzzVerifyNetlify(f *testing.F) {
	fuzzVerifyKeyed(f, "netlify-jws", "netlify-jws", Options{}, "X-Webhook-Signature")
}

func FuzzVerifyPlaid(f *testing.F) {
	fuzzVerifyKeyed(f, "plaid-jwt", "plaid-jwt", Options{}, "Plaid-Verification")
}

func FuzzVerifyGoogle(f *testing.F) {
	fuzzVerifyKeyed(f, "google-oidc-jwt", "google-oidc-jwt", Options{}, "Authorization")
}

func FuzzVerifyApple(f *testing.F) {
	fuzzVerifyKeyed(f, "apple-assn-v2", "apple-assn-v2", Options{})
}

// FuzzVerifyEd25519 seeds the generic scheme with the Discord vectors,
// which it verifies when configured like Discord.
func FuzzVerifyEd25519(f *testing.F) {
	o := Options{Header: "X-Signature-Ed25519", TimestampHeader: "X-Signature-Timestamp"}
	fuzzVerifyKeyed(f, "ed25519", "discord-ed25519", o, "X-Signature-Ed25519", "X-Signature-Timestamp")
}

// FuzzVerifyJWT seeds the generic scheme with the Plaid vectors.
func FuzzVerifyJWT(f *testing.F) {
	o := Options{Header: "Plaid-Verification", Algorithms: []string{"ES256"}, BodyHashClaim: "request_body_sha256"}
	fuzzVerifyKeyed(f, "jwt", "plaid-jwt", o, "Plaid-Verification")
}

// fuzzVerifyKeyed fuzzes Verify of preset typ with up to three header
// values, the body and the clock, seeded with the vectors of scheme and
// configured with the keys of its first vector (public keys, JWKS or trust
// anchors, which cannot sign, so the seeds are the vectors). Verify must not
// panic, and must return a valid SecretIndex or one of its sentinel errors.
// Nothing is fetched: the vectors carry their keys.
func fuzzVerifyKeyed(f *testing.F, typ, scheme string, base Options, headers ...string) {
	var o Options
	configured := false
	for _, v := range mustLoadVectors(f) {
		if v.Scheme != scheme {
			continue
		}
		if !configured {
			o, configured = v.options(f), true
		}
		hv := headerValues(v.request(), headers)
		f.Add(hv[0], hv[1], hv[2], []byte(v.Body), v.Now)
	}
	if !configured {
		f.Fatalf("no %s vectors to seed %s", scheme, typ)
	}
	base.Secrets, base.JWKS = o.Secrets, o.JWKS
	if typ == scheme {
		base = o
	}
	ver, err := New(typ, base)
	if err != nil {
		f.Fatalf("New(%s) = %v", typ, err)
	}
	f.Add("", "", "", []byte(nil), int64(0))
	f.Add(strings.Repeat("ab", 64), "1700000000", "v1a,"+strings.Repeat("A", 86), []byte(`{"type":1}`), int64(1700000000))
	f.Fuzz(func(t *testing.T, h0, h1, h2 string, body []byte, unix int64) {
		r := fuzzRequest("POST", "", body, headers, h0, h1, h2)
		res, err := ver.Verify(r, time.Unix(unix, 0))
		checkFuzzVerify(t, typ, len(base.Secrets), res, err)
	})
}

// The Ed25519 message pool must not keep a huge buffer.
func TestEd25519MsgPool(t *testing.T) {
	buf := getMsgBuf()
	*buf = make([]byte, 0, 1<<20)
	putMsgBuf(buf)
	for range 4 {
		b := getMsgBuf()
		if cap(*b) > 64<<10 || len(*b) != 0 {
			t.Errorf("getMsgBuf() = len %d cap %d; want empty, at most 64 KiB", len(*b), cap(*b))
		}
		putMsgBuf(b)
	}
}

func FuzzVerifyTelnyx(f *testing.F) {
	fuzzVerifyMore(f, "telnyx", "Telnyx-Signature-Ed25519", "Telnyx-Timestamp")
}
