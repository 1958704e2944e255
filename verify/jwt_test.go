package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookgate/hookgate/verify"
)

// kpToken signs claims with alg and key, with the extra header fields.
func kpToken(tb testing.TB, alg string, key any, header map[string]any, claims jwt.MapClaims) string {
	tb.Helper()
	m := jwt.GetSigningMethod(alg)
	if alg == "none" {
		key = jwt.UnsafeAllowNoneSignatureType
	}
	tk := jwt.NewWithClaims(m, claims)
	for k, v := range header {
		tk.Header[k] = v
	}
	s, err := tk.SignedString(key)
	if err != nil {
		tb.Fatalf("kpToken(%s): %v", alg, err)
	}
	return s
}

func kpSHA256(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

// tokenCase is one row of the token scheme tables.
type tokenCase struct {
	name  string
	token string
	body  string
	want  error
	index int
}

// runTokenCases verifies each token, sent in header h (with prefix), with
// v at clock.
func runTokenCases(t *testing.T, v verify.Verifier, h, prefix string, clock time.Time, tests []tokenCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Header: http.Header{h: {prefix + tt.token}}, Body: []byte(tt.body)}
			res, err := v.Verify(r, clock)
			if !wantErr(err, tt.want) || err == nil && res.SecretIndex != tt.index {
				t.Errorf("Verify(%s) = %+v, %v; want index %d, %v", tt.name, res, err, tt.index, tt.want)
			}
		})
	}
}

func TestNetlify(t *testing.T) {
	const secret, body = "netlify-jws-secret-token-32bytes!", `{"id":"5ebc34bf4fea0b01f02efa3a","state":"ready"}`
	key := []byte(secret)
	good := jwt.MapClaims{"iss": "netlify", "sha256": kpSHA256(body)}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "netlify", "sha256": kpSHA256(body)}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	v := mustVerifier(t, "netlify", Options{Secrets: []string{"old secret", secret}})
	runTokenCases(t, v, "X-Webhook-Signature", "", now, []tokenCase{
		{name: "valid", token: kpToken(t, "HS256", key, nil, good), body: body, index: 1},
		{name: "upper-case hex", token: kpToken(t, "HS256", key, nil, with("sha256", strings.ToUpper(kpSHA256(body)))), body: body, index: 1},
		{name: "other body", token: kpToken(t, "HS256", key, nil, good), body: body + " ", want: verify.ErrMismatch},
		{name: "other issuer", token: kpToken(t, "HS256", key, nil, with("iss", "evil")), body: body, want: verify.ErrClaims},
		{name: "no issuer", token: kpToken(t, "HS256", key, nil, with("iss", nil)), body: body, want: verify.ErrClaims},
		{name: "no sha256", token: kpToken(t, "HS256", key, nil, with("sha256", nil)), body: body, want: verify.ErrClaims},
		{name: "sha256 a number", token: kpToken(t, "HS256", key, nil, with("sha256", 42)), body: body, want: verify.ErrClaims},
		{name: "sha256 short", token: kpToken(t, "HS256", key, nil, with("sha256", "abcd")), body: body, want: verify.ErrClaims},
		{name: "wrong secret", token: kpToken(t, "HS256", []byte("nope"), nil, good), body: body, want: verify.ErrMismatch},
		{name: "HS512", token: kpToken(t, "HS512", key, nil, good), body: body, want: verify.ErrMismatch},
		{name: "alg none", token: kpToken(t, "none", nil, nil, good), body: body, want: verify.ErrMismatch},
		{name: "expired", token: kpToken(t, "HS256", key, nil, with("exp", now.Add(-time.Hour).Unix())), body: body, want: verify.ErrTooOld},
		{name: "two segments", token: "eyJhbGciOiJIUzI1NiJ9.e30", body: body, want: verify.ErrMalformed},
		{name: "garbage", token: "not a token", body: body, want: verify.ErrMalformed},
	})
}

// plaidKid is the kid of kpEC2[0] in the Plaid tests.
const plaidKid = "bfbd5111-8e33-4643-8ced-b2e642a72f3c"

func TestPlaid(t *testing.T) {
	const body = `{"webhook_type":"TRANSACTIONS","webhook_code":"DEFAULT_UPDATE","item_id":"wz666"}`
	k := kpEC2[0]
	jwk := kpJWK(&k.PublicKey, plaidKid)
	hdr := map[string]any{"kid": plaidKid}
	claims := func(iat time.Time, hash any) jwt.MapClaims {
		c := jwt.MapClaims{"iat": iat.Unix(), "request_body_sha256": hash}
		if hash == nil {
			delete(c, "request_body_sha256")
		}
		return c
	}
	good := claims(now, kpSHA256(body))
	jwks := func(extra string) string {
		return `{"keys":[` + strings.TrimSuffix(jwk, "}") + extra + `}]}`
	}
	v := func(o Options) verify.Verifier {
		t.Helper()
		v := mustVerifier(t, "plaid", o)
		return v
	}
	t.Run("keys", func(t *testing.T) {
		runTokenCases(t, v(Options{JWKS: jwks(`,"expired_at":null`)}), "Plaid-Verification", "", now, []tokenCase{
			{name: "valid", token: kpToken(t, "ES256", k, hdr, good), body: body},
			{name: "no kid", token: kpToken(t, "ES256", k, nil, good), body: body},
			{name: "unknown kid", token: kpToken(t, "ES256", k, map[string]any{"kid": "other"}, good), body: body, want: verify.ErrMismatch},
			{name: "kid a number", token: kpToken(t, "ES256", k, map[string]any{"kid": 7}, good), body: body, want: verify.ErrMalformed},
			{name: "other key", token: kpToken(t, "ES256", kpEC2[1], hdr, good), body: body, want: verify.ErrMismatch},
			{name: "alg none", token: kpToken(t, "none", nil, hdr, good), body: body, want: verify.ErrMismatch},
			// The attack of vector plaid-alg-confusion-hs256: an HMAC keyed
			// with the public JWK's text.
			{name: "alg confusion HS256", token: kpToken(t, "HS256", []byte(jwk), hdr, good), body: body, want: verify.ErrMismatch},
			{name: "ES384", token: kpToken(t, "ES384", kpECP384(t), hdr, good), body: body, want: verify.ErrMismatch},
			{name: "crit header", token: kpToken(t, "ES256", k, map[string]any{"kid": plaidKid, "crit": []string{"exp"}}, good), body: body, want: verify.ErrMalformed},
			{name: "body changed", token: kpToken(t, "ES256", k, hdr, good), body: body + "\n", want: verify.ErrMismatch},
			{name: "no body hash", token: kpToken(t, "ES256", k, hdr, claims(now, nil)), body: body, want: verify.ErrClaims},
			{name: "no iat", token: kpToken(t, "ES256", k, hdr, jwt.MapClaims{"request_body_sha256": kpSHA256(body)}), body: body, want: verify.ErrClaims},
			{name: "iat a string", token: kpToken(t, "ES256", k, hdr, jwt.MapClaims{"iat": "now", "request_body_sha256": kpSHA256(body)}), body: body, want: verify.ErrMalformed},
			{name: "iat 5 min old", token: kpToken(t, "ES256", k, hdr, claims(now.Add(-5*time.Minute), kpSHA256(body))), body: body},
			{name: "iat 6 min old", token: kpToken(t, "ES256", k, hdr, claims(now.Add(-6*time.Minute), kpSHA256(body))), body: body, want: verify.ErrTooOld},
			{name: "iat 6 min ahead", token: kpToken(t, "ES256", k, hdr, claims(now.Add(6*time.Minute), kpSHA256(body))), body: body, want: verify.ErrTooNew},
		})
	})
	t.Run("expired_at", func(t *testing.T) {
		tok := kpToken(t, "ES256", k, hdr, good)
		for _, tt := range []struct {
			name string
			jwks string
			want error
		}{
			{"null", jwks(`,"expired_at":null`), nil},
			{"future", jwks(fmt.Sprintf(`,"expired_at":%d`, now.Unix()+60)), nil},
			{"past", jwks(fmt.Sprintf(`,"expired_at":%d`, now.Unix()-60)), verify.ErrSecretExpired},
		} {
			_, err := v(Options{JWKS: tt.jwks}).Verify(&verify.Request{Header: http.Header{"Plaid-Verification": {tok}}, Body: []byte(body)}, now)
			if !wantErr(err, tt.want) {
				t.Errorf("Verify(expired_at %s) = %v; want %v", tt.name, err, tt.want)
			}
		}
	})
}

// kpECP384 is a P-384 key, for tokens of another ES algorithm.
func kpECP384(tb testing.TB) any {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func TestGoogle(t *testing.T) {
	const body = `{"message":{"messageId":"2070443601311540","data":"SGVsbG8="},"subscription":"projects/p/subscriptions/s"}`
	k := kpRSA2[0]
	o := kpGoogleOpts
	o.JWKS = `{"keys":[` + kpRSAJWK(&k.PublicKey, "google-kid-1") + `]}`
	v := mustVerifier(t, "pubsub", o)
	hdr := map[string]any{"kid": "google-kid-1"}
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{
			"iss": "https://accounts.google.com", "aud": o.Audience[0], "email": o.Email, "email_verified": true,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "sub": "108212345678901234567",
		}
		if edit != nil {
			edit(c)
		}
		return c
	}
	set := func(k string, v any) func(jwt.MapClaims) {
		return func(c jwt.MapClaims) {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
	}
	runTokenCases(t, v, "Authorization", "Bearer ", now, []tokenCase{
		{name: "valid", token: kpToken(t, "RS256", k, hdr, claims(nil)), body: body},
		{name: "any body", token: kpToken(t, "RS256", k, hdr, claims(nil)), body: `{"forged":true}`},
		{name: "issuer without scheme", token: kpToken(t, "RS256", k, hdr, claims(set("iss", "accounts.google.com"))), body: body},
		{name: "other issuer", token: kpToken(t, "RS256", k, hdr, claims(set("iss", "https://evil.example"))), body: body, want: verify.ErrClaims},
		{name: "other audience", token: kpToken(t, "RS256", k, hdr, claims(set("aud", "https://evil.example/handler"))), body: body, want: verify.ErrClaims},
		{name: "audience list", token: kpToken(t, "RS256", k, hdr, claims(set("aud", []string{"x", o.Audience[0]}))), body: body},
		{name: "other email", token: kpToken(t, "RS256", k, hdr, claims(set("email", "attacker@evil.iam.gserviceaccount.com"))), body: body, want: verify.ErrClaims},
		{name: "no email", token: kpToken(t, "RS256", k, hdr, claims(set("email", nil))), body: body, want: verify.ErrClaims},
		{name: "email not verified", token: kpToken(t, "RS256", k, hdr, claims(set("email_verified", false))), body: body, want: verify.ErrClaims},
		{name: "email_verified as a string", token: kpToken(t, "RS256", k, hdr, claims(set("email_verified", "true"))), body: body},
		{name: "no exp", token: kpToken(t, "RS256", k, hdr, claims(set("exp", nil))), body: body, want: verify.ErrClaims},
		{name: "expired", token: kpToken(t, "RS256", k, hdr, claims(set("exp", now.Add(-2*time.Minute).Unix()))), body: body, want: verify.ErrTooOld},
		{name: "exp within the skew", token: kpToken(t, "RS256", k, hdr, claims(set("exp", now.Add(-30*time.Second).Unix()))), body: body},
		{name: "no iat", token: kpToken(t, "RS256", k, hdr, claims(set("iat", nil))), body: body, want: verify.ErrClaims},
		{name: "iat ahead", token: kpToken(t, "RS256", k, hdr, claims(set("iat", now.Add(61*time.Minute).Unix()))), body: body, want: verify.ErrTooNew},
		{name: "nbf ahead", token: kpToken(t, "RS256", k, hdr, claims(set("nbf", now.Add(10*time.Minute).Unix()))), body: body, want: verify.ErrTooNew},
		{name: "other key", token: kpToken(t, "RS256", kpRSA2[1], hdr, claims(nil)), body: body, want: verify.ErrMismatch},
		{name: "RS512", token: kpToken(t, "RS512", k, hdr, claims(nil)), body: body, want: verify.ErrMismatch},
		{name: "PS256", token: kpToken(t, "PS256", k, hdr, claims(nil)), body: body, want: verify.ErrMismatch},
		{name: "HS256 keyed with the public key", token: kpToken(t, "HS256", []byte(kpPublicPEM(&k.PublicKey)), hdr, claims(nil)), body: body, want: verify.ErrMismatch},
		{name: "unknown kid", token: kpToken(t, "RS256", k, map[string]any{"kid": "rotated-away"}, claims(nil)), body: body, want: verify.ErrMismatch},
	})
	t.Run("header", func(t *testing.T) {
		tok := kpToken(t, "RS256", k, hdr, claims(nil))
		for _, tt := range []struct {
			name, value string
			want        error
		}{
			{"lower-case bearer", "bearer " + tok, nil},
			{"no scheme", tok, nil},
			{"basic", "Basic dXNlcjpwYXNz", verify.ErrMalformed},
			{"only bearer", "Bearer ", verify.ErrNoSignature},
		} {
			checkVerify(t, v, &verify.Request{Header: http.Header{"Authorization": {tt.value}}, Body: []byte(body)}, now, tt.want)
		}
	})
}

// kpJWKSServer serves a JWKS document that the test can change, counting
// the requests.
type kpJWKSServer struct {
	*httptest.Server
	doc   atomic.Value // string
	hits  atomic.Int32
	fails atomic.Bool
}

func kpNewJWKSServer(tb testing.TB, doc string) *kpJWKSServer {
	tb.Helper()
	s := &kpJWKSServer{}
	s.doc.Store(doc)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if s.fails.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, s.doc.Load().(string))
	}))
	tb.Cleanup(s.Close)
	return s
}

// TestGoogleJWKSURL fetches Google-style keys from a local server: on first
// use, again for an unknown kid (at most once per 30 s), and after
// jwks_refresh, keeping the old keys while the server fails.
func TestGoogleJWKSURL(t *testing.T) {
	const body = `{"message":{"messageId":"1"}}`
	k0, k1 := kpRSA2[0], kpRSA2[1]
	srv := kpNewJWKSServer(t, `{"keys":[`+kpRSAJWK(&k0.PublicKey, "kid-0")+`]}`)
	o := kpGoogleOpts
	o.JWKSURL = srv.URL + "/oauth2/v3/certs"
	o.JWKSRefresh = 10 * time.Minute
	v := mustVerifier(t, "google-oidc-jwt", o)
	tokenAt := func(k any, kid string, at time.Time) string {
		return "Bearer " + kpToken(t, "RS256", k, map[string]any{"kid": kid}, jwt.MapClaims{
			"iss": "https://accounts.google.com", "aud": o.Audience[0], "email": o.Email, "email_verified": true,
			"iat": at.Unix(), "exp": at.Add(time.Hour).Unix(),
		})
	}
	steps := []struct {
		name     string
		do       func() // before verifying
		token    string
		at       time.Time
		want     error
		wantHits int32
	}{
		{name: "first use fetches", token: tokenAt(k0, "kid-0", now), at: now, wantHits: 1},
		{name: "cached", token: tokenAt(k0, "kid-0", now), at: now.Add(time.Minute), wantHits: 1},
		{name: "unknown kid refetches", do: func() {
			srv.doc.Store(`{"keys":[` + kpRSAJWK(&k0.PublicKey, "kid-0") + "," + kpRSAJWK(&k1.PublicKey, "kid-1") + `]}`)
		}, token: tokenAt(k1, "kid-1", now), at: now.Add(2 * time.Minute), wantHits: 2},
		{name: "unknown kid again within 30s", token: tokenAt(k1, "kid-x", now), at: now.Add(2*time.Minute + 10*time.Second), want: verify.ErrMismatch, wantHits: 2},
		{name: "unknown kid after 30s", token: tokenAt(k1, "kid-x", now), at: now.Add(3 * time.Minute), want: verify.ErrMismatch, wantHits: 3},
		{name: "refresh fails, old keys kept", do: func() { srv.fails.Store(true) }, token: tokenAt(k1, "kid-1", now.Add(14*time.Minute)), at: now.Add(14 * time.Minute), wantHits: 4},
		{name: "failing, rate limited", token: tokenAt(k1, "kid-1", now.Add(14*time.Minute)), at: now.Add(14*time.Minute + time.Second), wantHits: 4},
		{name: "recovered", do: func() {
			srv.fails.Store(false)
			srv.doc.Store(`{"keys":[` + kpRSAJWK(&k1.PublicKey, "kid-1") + `]}`)
		}, token: tokenAt(k0, "kid-0", now.Add(15*time.Minute)), at: now.Add(15 * time.Minute), want: verify.ErrMismatch, wantHits: 5},
	}
	for _, st := range steps {
		if st.do != nil {
			st.do()
		}
		_, err := v.Verify(&verify.Request{Header: http.Header{"Authorization": {st.token}}, Body: []byte(body)}, st.at)
		if !wantErr(err, st.want) || srv.hits.Load() != st.wantHits {
			t.Errorf("Verify(%s) = %v after %d fetches; want %v after %d", st.name, err, srv.hits.Load(), st.want, st.wantHits)
		}
	}
}

func TestJWKSUnavailable(t *testing.T) {
	srv := kpNewJWKSServer(t, `{"keys":[]}`)
	srv.fails.Store(true)
	o := kpGoogleOpts
	o.JWKSURL = srv.URL
	v := mustVerifier(t, "google-oidc-jwt", o)
	tok := kpToken(t, "RS256", kpRSA2[0], map[string]any{"kid": "k"}, jwt.MapClaims{"iat": now.Unix()})
	_, err := v.Verify(&verify.Request{Header: http.Header{"Authorization": {"Bearer " + tok}}}, now)
	if !errors.Is(err, verify.ErrKeysUnavailable) {
		t.Errorf("Verify(JWKS down) = %v; want %v", err, verify.ErrKeysUnavailable)
	}
}

func TestTokenConfig(t *testing.T) {
	jwks := `{"keys":[` + kpJWK(&kpEC2[0].PublicKey, "a") + `]}`
	tests := []struct {
		name string
		typ  string
		o    Options
	}{
		{name: "google without audience", typ: "google-oidc-jwt", o: Options{Email: "a@b"}},
		{name: "google without email", typ: "google-oidc-jwt", o: Options{Audience: []string{"x"}}},
		{name: "google secrets and jwks", typ: "google-oidc-jwt", o: Options{Audience: []string{"x"}, Email: "a@b", Secrets: []string{kpPublicPEM(&kpRSA2[0].PublicKey)}, JWKS: jwks}},
		{name: "google plain http", typ: "google-oidc-jwt", o: Options{Audience: []string{"x"}, Email: "a@b", JWKSURL: "http://keys.example/certs"}},
		{name: "google ftp", typ: "google-oidc-jwt", o: Options{Audience: []string{"x"}, Email: "a@b", JWKSURL: "ftp://127.0.0.1/certs"}},
		{name: "google relative URL", typ: "google-oidc-jwt", o: Options{Audience: []string{"x"}, Email: "a@b", JWKSURL: "/certs"}},
		{name: "google small RSA key", typ: "google-oidc-jwt", o: Options{Audience: []string{"x"}, Email: "a@b", Secrets: []string{kpSmallRSA(t)}}},
		{name: "plaid without keys", typ: "plaid-jwt", o: Options{}},
		{name: "plaid RSA key", typ: "plaid-jwt", o: Options{Secrets: []string{kpPublicPEM(&kpRSA2[0].PublicKey)}}},
		{name: "plaid P-384 JWKS", typ: "plaid-jwt", o: Options{JWKS: `{"keys":[{"kty":"EC","crv":"P-384","x":"` + strings.Repeat("A", 64) + `","y":"` + strings.Repeat("A", 64) + `"}]}`}},
		{name: "google EC key", typ: "google-oidc-jwt", o: Options{Audience: []string{"x"}, Email: "a@b", Secrets: []string{kpPublicPEM(&kpEC2[0].PublicKey)}}},
		{name: "jwt EdDSA with an RSA key", typ: "jwt", o: Options{Algorithms: []string{"EdDSA"}, Secrets: []string{kpPublicPEM(&kpRSA2[0].PublicKey)}}},
		{name: "plaid private key", typ: "plaid-jwt", o: Options{Secrets: []string{kpPrivatePEM(kpEC2[0])}}},
		{name: "plaid private JWK", typ: "plaid-jwt", o: Options{JWKS: `{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"}]}`}},
		{name: "plaid bad jwks", typ: "plaid-jwt", o: Options{JWKS: `{"keys":`}},
		{name: "plaid empty jwks", typ: "plaid-jwt", o: Options{JWKS: `{"keys":[]}`}},
		{name: "plaid symmetric jwk", typ: "plaid-jwt", o: Options{JWKS: `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`}},
		{name: "plaid EC point off the curve", typ: "plaid-jwt", o: Options{JWKS: `{"keys":[{"kty":"EC","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}`}},
		{name: "plaid JWK alg does not fit", typ: "plaid-jwt", o: Options{JWKS: `{"keys":[` + strings.TrimSuffix(kpJWK(&kpEC2[0].PublicKey, "a"), "}") + `,"alg":"RS256"}]}`}},
		{name: "plaid negative refresh", typ: "plaid-jwt", o: Options{JWKSURL: "https://keys.example", JWKSRefresh: -time.Second}},
		{name: "plaid refresh without URL", typ: "plaid-jwt", o: Options{JWKS: jwks, JWKSRefresh: time.Hour}},
		{name: "jwt without algorithms", typ: "jwt", o: Options{Secrets: []string{"s"}}},
		{name: "jwt alg none", typ: "jwt", o: Options{Secrets: []string{"s"}, Algorithms: []string{"none"}}},
		{name: "jwt HMAC and RSA", typ: "jwt", o: Options{Secrets: []string{"s"}, Algorithms: []string{"HS256", "RS256"}}},
		{name: "jwt HMAC with jwks", typ: "jwt", o: Options{JWKS: jwks, Algorithms: []string{"HS256"}}},
		{name: "jwt bad header", typ: "jwt", o: Options{Secrets: []string{"s"}, Algorithms: []string{"HS256"}, Header: "X Token"}},
		{name: "jwt no keys", typ: "jwt", o: Options{Algorithms: []string{"ES256"}}},
		{name: "apple without bundle", typ: "apple-assn-v2", o: Options{Secrets: []string{kpApple[0].anchor}}},
		{name: "apple anchor not a certificate", typ: "apple-assn-v2", o: Options{Secrets: []string{kpPublicPEM(&kpEC2[0].PublicKey)}, BundleID: "b"}},
		{name: "apple anchor garbage", typ: "apple-assn-v2", o: Options{Secrets: []string{"garbage!"}, BundleID: "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNewRefused(t, tt.typ, tt.o, verify.ErrConfig)
		})
	}
}

// TestJWTHMACKeyIsNoPublicKey: an HS* key that is a public key (PEM, even
// one too small to verify with; a JWK; base64 DER) is refused, named by
// its index: used as an HMAC secret, it let anyone holding the public key
// sign tokens that verify.
func TestJWTHMACKeyIsNoPublicKey(t *testing.T) {
	der, err := x509.MarshalPKIXPublicKey(&kpEC2[0].PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]string{
		"PEM":           kpPublicPEM(&kpEC2[0].PublicKey),
		"small RSA PEM": kpSmallRSA(t),
		"JWK":           kpJWK(&kpEC2[0].PublicKey, "a"),
		"base64 DER":    base64.StdEncoding.EncodeToString(der),
	} {
		t.Run(name, func(t *testing.T) {
			err := checkNewRefused(t, "jwt", Options{Algorithms: []string{"HS256"}, Secrets: []string{strings.Repeat("s", 32), key}}, verify.ErrConfig)
			if se, ok := errors.AsType[*verify.SecretError](err); !ok || se.Index != 1 || !strings.Contains(se.Reason, "anyone who holds it sign tokens") {
				t.Errorf("New = %v; want a SecretError for secret 1 saying why", err)
			}
		})
	}
}

// kpSmallRSA is the PEM of a 1024-bit RSA public key, too small to accept.
func kpSmallRSA(tb testing.TB) string {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		tb.Fatal(err)
	}
	return kpPublicPEM(&k.PublicKey)
}

func TestJWTGeneric(t *testing.T) {
	const body = `{"id":"evt_1"}`
	t.Run("HS256", func(t *testing.T) {
		o := Options{Secrets: []string{"first", "second"}, Algorithms: []string{"HS256", "HS512"}, Header: "X-Token", Issuer: "acme", Audience: []string{"a", "b"}}
		v := mustVerifier(t, "jwt", o)
		c := func(edit func(jwt.MapClaims)) jwt.MapClaims {
			m := jwt.MapClaims{"iss": "acme", "aud": "b", "iat": now.Unix()}
			if edit != nil {
				edit(m)
			}
			return m
		}
		runTokenCases(t, v, "X-Token", "", now, []tokenCase{
			{name: "first secret", token: kpToken(t, "HS256", []byte("first"), nil, c(nil)), body: body},
			{name: "second secret, HS512", token: kpToken(t, "HS512", []byte("second"), nil, c(nil)), body: body, index: 1},
			{name: "HS384 not pinned", token: kpToken(t, "HS384", []byte("first"), nil, c(nil)), body: body, want: verify.ErrMismatch},
			{name: "other issuer", token: kpToken(t, "HS256", []byte("first"), nil, c(func(m jwt.MapClaims) { m["iss"] = "other" })), body: body, want: verify.ErrClaims},
			{name: "other audience", token: kpToken(t, "HS256", []byte("first"), nil, c(func(m jwt.MapClaims) { m["aud"] = "c" })), body: body, want: verify.ErrClaims},
			{name: "no iat", token: kpToken(t, "HS256", []byte("first"), nil, c(func(m jwt.MapClaims) { delete(m, "iat") })), body: body},
			{name: "old iat", token: kpToken(t, "HS256", []byte("first"), nil, c(func(m jwt.MapClaims) { m["iat"] = now.Add(-time.Hour).Unix() })), body: body, want: verify.ErrTooOld},
			{name: "expired", token: kpToken(t, "HS256", []byte("first"), nil, c(func(m jwt.MapClaims) { m["exp"] = now.Add(-2 * time.Minute).Unix() })), body: body, want: verify.ErrTooOld},
			{name: "bearer prefix", token: "Bearer " + kpToken(t, "HS256", []byte("first"), nil, c(nil)), body: body},
		})
	})
	t.Run("body hash and JWK kid", func(t *testing.T) {
		k := kpEC2[0]
		o := Options{Secrets: []string{kpJWK(&k.PublicKey, "key-1")}, Algorithms: []string{"ES256"}, BodyHashClaim: "body_sha256"}
		v := mustVerifier(t, "jwt", o)
		runTokenCases(t, v, "Authorization", "Bearer ", now, []tokenCase{
			{name: "valid", token: kpToken(t, "ES256", k, map[string]any{"kid": "key-1"}, jwt.MapClaims{"body_sha256": kpSHA256(body)}), body: body},
			{name: "other kid", token: kpToken(t, "ES256", k, map[string]any{"kid": "key-2"}, jwt.MapClaims{"body_sha256": kpSHA256(body)}), body: body, want: verify.ErrMismatch},
			{name: "body changed", token: kpToken(t, "ES256", k, nil, jwt.MapClaims{"body_sha256": kpSHA256(body)}), body: body + " ", want: verify.ErrMismatch},
			{name: "no body hash", token: kpToken(t, "ES256", k, nil, jwt.MapClaims{}), body: body, want: verify.ErrClaims},
			{name: "RS256 for an EC key", token: kpToken(t, "RS256", kpRSA2[0], nil, jwt.MapClaims{"body_sha256": kpSHA256(body)}), body: body, want: verify.ErrMismatch},
		})
	})
	t.Run("Sign", func(t *testing.T) {
		rsaPKCS1 := kpPEM("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(kpRSA2[0]))
		for _, tt := range []struct {
			name, alg, private, public string
		}{
			{name: "HS256", alg: "HS256", private: "shared", public: "shared"},
			{name: "RS256 PKCS#1", alg: "RS256", private: rsaPKCS1, public: kpPublicPEM(&kpRSA2[0].PublicKey)},
			{name: "PS256 PKCS#8", alg: "PS256", private: kpPrivatePEM(kpRSA2[0]), public: kpPublicPEM(&kpRSA2[0].PublicKey)},
			{name: "ES256", alg: "ES256", private: kpPrivatePEM(kpEC2[0]), public: kpJWK(&kpEC2[0].PublicKey, "")},
			{name: "EdDSA", alg: "EdDSA", private: kpPrivatePEM(kpEd[0]), public: kpPublicPEM(kpPub(kpEd[0]))},
		} {
			o := Options{Algorithms: []string{tt.alg}, BodyHashClaim: "h", Issuer: "me"}
			r := &verify.Request{Body: []byte(body)}
			o.Secrets = []string{tt.private}
			if err := verify.Sign("jwt", r, o, now); err != nil {
				t.Fatalf("Sign(%s) = %v", tt.name, err)
			}
			o.Secrets = []string{tt.public}
			v := mustVerifier(t, "jwt", o)
			if _, err := v.Verify(r, now); err != nil {
				t.Errorf("Verify(%s) = %v; want valid", tt.name, err)
			}
		}
		err := verify.Sign("jwt", &verify.Request{}, Options{Algorithms: []string{"ES256"}, Secrets: []string{kpPrivatePEM(kpRSA2[0])}}, now)
		if !errors.Is(err, verify.ErrConfig) {
			t.Errorf("Sign(ES256 with an RSA key) = %v; want %v", err, verify.ErrConfig)
		}
	})
}

// TestJWKSMaxAge keeps using fetched keys while refreshing them fails, but
// only until they are twice jwks_refresh old: then requests fail with
// ErrKeysUnavailable until a fetch succeeds.
func TestJWKSMaxAge(t *testing.T) {
	const body = `{"message":{"messageId":"1"}}`
	k0 := kpRSA2[0]
	srv := kpNewJWKSServer(t, `{"keys":[`+kpRSAJWK(&k0.PublicKey, "kid-0")+`]}`)
	o := kpGoogleOpts
	o.JWKSURL = srv.URL + "/certs"
	o.JWKSRefresh = 10 * time.Minute
	v := mustVerifier(t, "google-oidc-jwt", o)
	steps := []struct {
		name     string
		do       func() // before verifying
		at       time.Duration
		want     error
		wantHits int32
	}{
		{name: "first use fetches", wantHits: 1},
		{name: "refresh fails, old keys kept", do: func() { srv.fails.Store(true) }, at: 15 * time.Minute, wantHits: 2},
		{name: "just under twice the refresh", at: 20*time.Minute - time.Second, wantHits: 3},
		{name: "twice the refresh, rate limited", at: 20 * time.Minute, want: verify.ErrKeysUnavailable, wantHits: 3},
		{name: "twice the refresh, refetch fails", at: 21 * time.Minute, want: verify.ErrKeysUnavailable, wantHits: 4},
		{name: "recovered", do: func() { srv.fails.Store(false) }, at: 22 * time.Minute, wantHits: 5},
	}
	for _, st := range steps {
		if st.do != nil {
			st.do()
		}
		at := now.Add(st.at)
		tok := "Bearer " + kpToken(t, "RS256", k0, map[string]any{"kid": "kid-0"}, jwt.MapClaims{
			"iss": "https://accounts.google.com", "aud": o.Audience[0], "email": o.Email, "email_verified": true,
			"iat": at.Unix(), "exp": at.Add(time.Hour).Unix(),
		})
		_, err := v.Verify(&verify.Request{Header: http.Header{"Authorization": {tok}}, Body: []byte(body)}, at)
		if !wantErr(err, st.want) || srv.hits.Load() != st.wantHits {
			t.Errorf("Verify(%s) = %v after %d fetches; want %v after %d", st.name, err, srv.hits.Load(), st.want, st.wantHits)
		}
	}
}
