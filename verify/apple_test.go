package verify_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookgate/hookgate/verify"
)

// Apple's own test data, byte for byte from
// apple/app-store-server-library-python tests/resources (mock_signed_data
// and certs/testCA.der), copied to testdata/apple.

// appleFixture returns testdata/apple/name, trimmed.
func appleFixture(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile("testdata/apple/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// appleBody wraps a JWS as Apple posts it.
func appleBody(jws string) []byte { return []byte(`{"signedPayload":"` + jws + `"}`) }

func TestAppleFixtures(t *testing.T) {
	ca, err := os.ReadFile("testdata/apple/testCA.der")
	if err != nil {
		t.Fatal(err)
	}
	anchor := base64.StdEncoding.EncodeToString(ca)
	anchorPEM := kpPEM("CERTIFICATE", ca)
	clock := time.Unix(1681314324, 0) // the test notification's signedDate
	notification := appleFixture(t, "testNotification")
	parts := strings.Split(notification, ".")
	// The payload of testNotification with another bundle ID, under the
	// original signature.
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(
		`{"data":{"appAppleId":1234,"environment":"Sandbox","bundleId":"com.example"},"notificationUUID":"forged","signedDate":1681314324000,"notificationType":"TEST"}`)) + "." + parts[2]
	base := Options{BundleID: "com.example", Environment: "Sandbox", AppAppleID: 1234}
	with := func(edit func(*Options)) Options {
		o := base
		edit(&o)
		return o
	}
	tests := []struct {
		name    string
		secrets []string
		o       Options
		jws     string
		at      time.Time
		want    error
		index   int
	}{
		{name: "test notification", secrets: []string{anchor}, o: base, jws: notification, at: clock},
		{name: "anchor as PEM", secrets: []string{anchorPEM}, o: base, jws: notification, at: clock},
		{name: "second anchor", secrets: []string{kpApple[0].anchor, anchor}, o: base, jws: notification, at: clock, index: 1},
		{name: "no environment or app ID configured", secrets: []string{anchor}, o: Options{BundleID: "com.example"}, jws: notification, at: clock},
		{name: "years later, chain still valid", secrets: []string{anchor}, o: base, jws: notification, at: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		{name: "other bundle configured", secrets: []string{anchor}, o: with(func(o *Options) { o.BundleID = "com.example.other" }), jws: notification, at: clock, want: verify.ErrClaims},
		{name: "production configured", secrets: []string{anchor}, o: with(func(o *Options) { o.Environment = "Production" }), jws: notification, at: clock, want: verify.ErrClaims},
		{name: "other app ID", secrets: []string{anchor}, o: with(func(o *Options) { o.AppAppleID = 99 }), jws: notification, at: clock, want: verify.ErrClaims},
		{name: "wrong bundle ID", secrets: []string{anchor}, o: Options{BundleID: "com.example"}, jws: appleFixture(t, "wrongBundleId"), at: clock, want: verify.ErrClaims},
		{name: "missing x5c", secrets: []string{anchor}, o: Options{BundleID: "com.example"}, jws: appleFixture(t, "missingX5CHeaderClaim"), at: clock, want: verify.ErrMalformed},
		{name: "untrusted root", secrets: []string{kpApple[0].anchor}, o: base, jws: notification, at: clock, want: verify.ErrMismatch},
		{name: "chain expired", secrets: []string{anchor}, o: base, jws: notification, at: time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC), want: verify.ErrMismatch},
		{name: "chain not yet valid", secrets: []string{anchor}, o: base, jws: notification, at: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), want: verify.ErrMismatch},
		{name: "payload changed", secrets: []string{anchor}, o: base, jws: forged, at: clock, want: verify.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Secrets = tt.secrets
			v := mustVerifier(t, "apple", o)
			res, err := v.Verify(&verify.Request{Body: appleBody(tt.jws)}, tt.at)
			if !wantErr(err, tt.want) || err == nil && res.SecretIndex != tt.index {
				t.Errorf("Verify(%s) = %+v, %v; want index %d, %v", tt.name, res, err, tt.index, tt.want)
			}
		})
	}
}

// kpAppleJWS signs payload with the leaf of c, putting x5c in the header.
func kpAppleJWS(tb testing.TB, c kpChain, x5c []any, payload string) string {
	tb.Helper()
	hdr, err := json.Marshal(map[string]any{"alg": "ES256", "x5c": x5c})
	if err != nil {
		tb.Fatal(err)
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(hdr) + "." + enc.EncodeToString([]byte(payload))
	sig, err := jwt.SigningMethodES256.Sign(signing, c.leafKey)
	if err != nil {
		tb.Fatal(err)
	}
	return signing + "." + enc.EncodeToString(sig)
}

func TestAppleChain(t *testing.T) {
	const payload = `{"notificationType":"TEST","notificationUUID":"u","data":{"bundleId":"com.example.hookgate","environment":"Sandbox","appAppleId":1234}}`
	c := kpApple[0]
	b64 := base64.StdEncoding.EncodeToString
	x5c := func(ders ...[]byte) []any {
		out := make([]any, len(ders))
		for i, d := range ders {
			out[i] = b64(d)
		}
		return out
	}
	noLeafOID := kpAppleChain(kpChainOpts{name: "no leaf OID", noLeafOID: true})
	noInterOID := kpAppleChain(kpChainOpts{name: "no intermediate OID", noInterOID: true})
	expired := kpAppleChain(kpChainOpts{name: "expired", notBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), notAfter: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)})
	other := kpApple[1]
	tests := []struct {
		name    string
		anchors []string
		jws     string
		want    error
	}{
		{name: "leaf, intermediate, root", anchors: []string{c.anchor}, jws: kpAppleJWS(t, c, x5c(c.ders[0], c.ders[1], c.ders[2]), payload)},
		{name: "leaf and intermediate", anchors: []string{c.anchor}, jws: kpAppleJWS(t, c, x5c(c.ders[0], c.ders[1]), payload)},
		{name: "the root in x5c is not trusted", anchors: []string{other.anchor}, jws: kpAppleJWS(t, c, x5c(c.ders[0], c.ders[1], c.ders[2]), payload), want: verify.ErrMismatch},
		{name: "intermediate of another chain", anchors: []string{c.anchor, other.anchor}, jws: kpAppleJWS(t, c, x5c(c.ders[0], other.ders[1], c.ders[2]), payload), want: verify.ErrMismatch},
		{name: "leaf only", anchors: []string{c.anchor}, jws: kpAppleJWS(t, c, x5c(c.ders[0]), payload), want: verify.ErrMalformed},
		{name: "four certificates", anchors: []string{c.anchor}, jws: kpAppleJWS(t, c, x5c(c.ders[0], c.ders[1], c.ders[2], c.ders[2]), payload), want: verify.ErrMalformed},
		{name: "x5c not base64", anchors: []string{c.anchor}, jws: kpAppleJWS(t, c, []any{"!!", b64(c.ders[1])}, payload), want: verify.ErrMalformed},
		{name: "x5c entry a number", anchors: []string{c.anchor}, jws: kpAppleJWS(t, c, []any{1, b64(c.ders[1])}, payload), want: verify.ErrMalformed},
		{name: "x5c entry not a certificate", anchors: []string{c.anchor}, jws: kpAppleJWS(t, c, []any{b64([]byte("junk")), b64(c.ders[1])}, payload), want: verify.ErrMalformed},
		{name: "leaf without Apple's OID", anchors: []string{noLeafOID.anchor}, jws: kpAppleJWS(t, noLeafOID, x5c(noLeafOID.ders[0], noLeafOID.ders[1], noLeafOID.ders[2]), payload), want: verify.ErrMismatch},
		{name: "intermediate without Apple's OID", anchors: []string{noInterOID.anchor}, jws: kpAppleJWS(t, noInterOID, x5c(noInterOID.ders[0], noInterOID.ders[1], noInterOID.ders[2]), payload), want: verify.ErrMismatch},
		{name: "expired chain", anchors: []string{expired.anchor}, jws: kpAppleJWS(t, expired, x5c(expired.ders[0], expired.ders[1], expired.ders[2]), payload), want: verify.ErrMismatch},
		{name: "signed by another leaf", anchors: []string{c.anchor}, jws: kpAppleJWS(t, other, x5c(c.ders[0], c.ders[1], c.ders[2]), payload), want: verify.ErrMismatch},
		{name: "payload not JSON", anchors: []string{c.anchor}, jws: kpAppleJWS(t, c, x5c(c.ders[0], c.ders[1]), "hello"), want: verify.ErrMalformed},
		{name: "payload without app", anchors: []string{c.anchor}, jws: kpAppleJWS(t, c, x5c(c.ders[0], c.ders[1]), `{"notificationType":"TEST"}`), want: verify.ErrClaims},
		{name: "summary", anchors: []string{c.anchor}, jws: kpAppleJWS(t, c, x5c(c.ders[0], c.ders[1]), `{"summary":{"bundleId":"com.example.hookgate","environment":"Sandbox","appAppleId":1234}}`)},
		{name: "sandbox external purchase token", anchors: []string{c.anchor}, jws: kpAppleJWS(t, c, x5c(c.ders[0], c.ders[1]), `{"externalPurchaseToken":{"externalPurchaseId":"SANDBOX_1","bundleId":"com.example.hookgate","appAppleId":1234}}`)},
		{name: "production external purchase token", anchors: []string{c.anchor}, jws: kpAppleJWS(t, c, x5c(c.ders[0], c.ders[1]), `{"externalPurchaseToken":{"externalPurchaseId":"1","bundleId":"com.example.hookgate","appAppleId":1234}}`), want: verify.ErrClaims},
		{name: "sandbox without app ID", anchors: []string{c.anchor}, jws: kpAppleJWS(t, c, x5c(c.ders[0], c.ders[1]), `{"data":{"bundleId":"com.example.hookgate","environment":"Sandbox"}}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := kpAppleOpts
			o.Secrets = tt.anchors
			v := mustVerifier(t, "apple-assn-v2", o)
			checkVerify(t, v, &verify.Request{Body: appleBody(tt.jws)}, now, tt.want)
		})
	}
}

func TestAppleBody(t *testing.T) {
	jws := kpAppleJWS(t, kpApple[0], []any{base64.StdEncoding.EncodeToString(kpApple[0].ders[0]), base64.StdEncoding.EncodeToString(kpApple[0].ders[1])},
		`{"data":{"bundleId":"com.example.hookgate"}}`)
	tests := []struct {
		name string
		body string
		want error
	}{
		{"other members", `{"a":[1,{"b":2}],"signedPayload":"` + jws + `","c":null}`, nil},
		{"spaces", " {\n \"signedPayload\" : \"" + jws + "\"\n}\n", nil},
		{"empty object", `{}`, verify.ErrNoSignature},
		{"empty payload", `{"signedPayload":""}`, verify.ErrNoSignature},
		{"empty body", ``, verify.ErrMalformed},
		{"not JSON", `signedPayload=` + jws, verify.ErrMalformed},
		{"array", `["` + jws + `"]`, verify.ErrMalformed},
		{"a number", `{"signedPayload":42}`, verify.ErrMalformed},
		{"twice", `{"signedPayload":"` + jws + `","signedPayload":"` + jws + `"}`, verify.ErrMalformed},
		{"unterminated", `{"signedPayload":"` + jws + `"`, verify.ErrMalformed},
		{"not a JWS", `{"signedPayload":"hello"}`, verify.ErrMalformed},
	}
	o := kpAppleOpts
	o.Environment, o.AppAppleID = "", 0
	o.Secrets = []string{kpApple[0].anchor}
	v := mustVerifier(t, "apple", o)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVerify(t, v, &verify.Request{Body: []byte(tt.body)}, now, tt.want)
		})
	}
}

// TestAppleSign checks the payload Sign makes: the body's members are kept,
// and what Apple always sends is filled in.
func TestAppleSign(t *testing.T) {
	o := kpAppleOpts
	o.Secrets = []string{kpApple[0].bundle}
	tests := []struct {
		name string
		body string
		want map[string]any // expected members of the decoded payload
	}{
		{"empty body", "", map[string]any{
			"signedDate": float64(now.UnixMilli()),
			"data":       map[string]any{"bundleId": "com.example.hookgate", "environment": "Sandbox", "appAppleId": float64(1234)},
		}},
		{"kept", `{"notificationType":"DID_RENEW","notificationUUID":"n-1","signedDate":5,"data":{"bundleId":"x","status":1}}`, map[string]any{
			"notificationType": "DID_RENEW", "notificationUUID": "n-1", "signedDate": float64(5),
			"data": map[string]any{"bundleId": "x", "status": float64(1), "environment": "Sandbox", "appAppleId": float64(1234)},
		}},
		{"summary", `{"summary":{"bundleId":"y"}}`, map[string]any{"summary": map[string]any{"bundleId": "y"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Body: []byte(tt.body)}
			if err := verify.Sign("apple-assn-v2", r, o, now); err != nil {
				t.Fatal(err)
			}
			var outer struct{ SignedPayload string }
			if err := json.Unmarshal(r.Body, &outer); err != nil {
				t.Fatalf("Sign(%s) body = %s: %v", tt.name, r.Body, err)
			}
			parts := strings.Split(outer.SignedPayload, ".")
			payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
			var got map[string]any
			if err := json.Unmarshal(payload, &got); err != nil {
				t.Fatal(err)
			}
			if id, _ := got["notificationUUID"].(string); len(id) != 36 && id != "n-1" {
				t.Errorf("Sign(%s) notificationUUID = %q; want a UUID", tt.name, id)
			}
			for k, w := range tt.want {
				gj, _ := json.Marshal(got[k])
				wj, _ := json.Marshal(w)
				if string(gj) != string(wj) {
					t.Errorf("Sign(%s) payload %s = %s; want %s", tt.name, k, gj, wj)
				}
			}
			if _, ok := got["data"]; tt.name == "summary" && ok {
				t.Errorf("Sign(%s) added data beside summary: %s", tt.name, payload)
			}
		})
	}
	for _, tt := range []struct {
		name string
		o    Options
		body string
	}{
		{"body not an object", o, `[1]`},
		{"data not an object", o, `{"data":1}`},
		{"no private key", Options{BundleID: "b", Secrets: []string{kpApple[0].anchor}}, `{}`},
		{"key of another chain", Options{BundleID: "b", Secrets: []string{strings.SplitAfter(kpApple[1].bundle, "-----END PRIVATE KEY-----\n")[0] +
			strings.SplitAfter(kpApple[0].bundle, "-----END PRIVATE KEY-----\n")[1]}}, `{}`},
		{"only the leaf", Options{BundleID: "b", Secrets: []string{strings.Join(strings.SplitAfter(kpApple[0].bundle, "-----END CERTIFICATE-----\n")[:1], "")}}, `{}`},
	} {
		err := verify.Sign("apple", &verify.Request{Body: []byte(tt.body)}, tt.o, now)
		if !errors.Is(err, verify.ErrConfig) {
			t.Errorf("Sign(%s) = %v; want %v", tt.name, err, verify.ErrConfig)
		}
	}
}

// kpAppleTamper replaces "evt_1" by "evt_2" in the signed payload of an
// Apple body, keeping the JWS header and signature.
func kpAppleTamper(body []byte) []byte {
	var outer struct{ SignedPayload string }
	if err := json.Unmarshal(body, &outer); err != nil {
		return body
	}
	parts := strings.Split(outer.SignedPayload, ".")
	if len(parts) != 3 {
		return body
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return body
	}
	p = []byte(strings.Replace(string(p), "evt_1", "evt_2", 1))
	return appleBody(parts[0] + "." + base64.RawURLEncoding.EncodeToString(p) + "." + parts[2])
}

// TestAppleTampered changes the signed payload of a body that Sign made.
func TestAppleTampered(t *testing.T) {
	o := kpAppleOpts
	o.Secrets = []string{kpApple[0].bundle}
	r := &verify.Request{Body: []byte(`{"notificationType":"TEST","notificationUUID":"evt_1"}`)}
	if err := verify.Sign("apple-assn-v2", r, o, now); err != nil {
		t.Fatal(err)
	}
	o.Secrets = []string{kpApple[0].anchor}
	v := mustVerifier(t, "apple-assn-v2", o)
	if _, err := v.Verify(r, now); err != nil {
		t.Fatalf("Verify(signed) = %v; want valid", err)
	}
	r.Body = kpAppleTamper(r.Body)
	if _, err := v.Verify(r, now); !errors.Is(err, verify.ErrMismatch) {
		t.Errorf("Verify(tampered payload) = %v; want %v", err, verify.ErrMismatch)
	}
}
