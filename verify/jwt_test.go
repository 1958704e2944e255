package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
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

	"hookgate/verify"
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
			if !kpWantErr(err, tt.want) || err == nil && res.SecretIndex != tt.index {
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
	v, err := verify.New("netlify", Options{Secrets: []string{"old secret", secret}})
	if err != nil {
		t.Fatal(err)
	}
	runTokenCases(t, v, "X-Webhook-Signature", "", now, []tokenCase{
		{"valid", kpToken(t, "HS256", key, nil, good), body, nil, 1},
		{"upper-case hex", kpToken(t, "HS256", key, nil, with("sha256", strings.ToUpper(kpSHA256(body)))), body, nil, 1},
		{"other body", kpToken(t, "HS256", key, nil, good), body + " ", verify.ErrMismatch, 0},
		{"other issuer", kpToken(t, "HS256", key, nil, with("iss", "evil")), body, verify.ErrClaims, 0},
		{"no issuer", kpToken(t, "HS256", key, nil, with("iss", nil)), body, verify.ErrClaims, 0},
		{"no sha256", kpToken(t, "HS256", key, nil, with("sha256", nil)), body, verify.ErrClaims, 0},
		{"sha256 a number", kpToken(t, "HS256", key, nil, with("sha256", 42)), body, verify.ErrClaims, 0},
		{"sha256 short", kpToken(t, "HS256", key, nil, with("sha256", "abcd")), body, verify.ErrClaims, 0},
		{"wrong secret", kpToken(t, "HS256", []byte("nope"), nil, good), body, verify.ErrMismatch, 0},
		{"HS512", kpToken(t, "HS512", key, nil, good), body, verify.ErrMismatch, 0},
		{"alg none", kpToken(t, "none", nil, nil, good), body, verify.ErrMismatch, 0},
		{"expired", kpToken(t, "HS256", key, nil, with("exp", now.Add(-time.Hour).Unix())), body, verify.ErrTooOld, 0},
		{"two segments", "eyJhbGciOiJIUzI1NiJ9.e30", body, verify.ErrMalformed, 0},
		{"garbage", "not a token", body, verify.ErrMalformed, 0},
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
		v, err := verify.New("plaid", o)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	t.Run("keys", func(t *testing.T) {
		runTokenCases(t, v(Options{JWKS: jwks(`,"expired_at":null`)}), "Plaid-Verification", "", now, []tokenCase{
			{"valid", kpToken(t, "ES256", k, hdr, good), body, nil, 0},
			{"no kid", kpToken(t, "ES256", k, nil, good), body, nil, 0},
			{"unknown kid", kpToken(t, "ES256", k, map[string]any{"kid": "other"}, good), body, verify.ErrMismatch, 0},
			{"kid a number", kpToken(t, "ES256", k, map[string]any{"kid": 7}, good), body, verify.ErrMalformed, 0},
			{"other key", kpToken(t, "ES256", kpEC2[1], hdr, good), body, verify.ErrMismatch, 0},
			{"alg none", kpToken(t, "none", nil, hdr, good), body, verify.ErrMismatch, 0},
			// The attack of vector plaid-alg-confusion-hs256: an HMAC keyed
			// with the public JWK's text.
			{"alg confusion HS256", kpToken(t, "HS256", []byte(jwk), hdr, good), body, verify.ErrMismatch, 0},
			{"ES384", kpToken(t, "ES384", kpECP384(t), hdr, good), body, verify.ErrMismatch, 0},
			{"crit header", kpToken(t, "ES256", k, map[string]any{"kid": plaidKid, "crit": []string{"exp"}}, good), body, verify.ErrMalformed, 0},
			{"body changed", kpToken(t, "ES256", k, hdr, good), body + "\n", verify.ErrMismatch, 0},
			{"no body hash", kpToken(t, "ES256", k, hdr, claims(now, nil)), body, verify.ErrClaims, 0},
			{"no iat", kpToken(t, "ES256", k, hdr, jwt.MapClaims{"request_body_sha256": kpSHA256(body)}), body, verify.ErrClaims, 0},
			{"iat a string", kpToken(t, "ES256", k, hdr, jwt.MapClaims{"iat": "now", "request_body_sha256": kpSHA256(body)}), body, verify.ErrMalformed, 0},
			{"iat 5 min old", kpToken(t, "ES256", k, hdr, claims(now.Add(-5*time.Minute), kpSHA256(body))), body, nil, 0},
			{"iat 6 min old", kpToken(t, "ES256", k, hdr, claims(now.Add(-6*time.Minute), kpSHA256(body))), body, verify.ErrTooOld, 0},
			{"iat 6 min ahead", kpToken(t, "ES256", k, hdr, claims(now.Add(6*time.Minute), kpSHA256(body))), body, verify.ErrTooNew, 0},
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
			if !kpWantErr(err, tt.want) {
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
	v, err := verify.New("pubsub", o)
	if err != nil {
		t.Fatal(err)
	}
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
		{"valid", kpToken(t, "RS256", k, hdr, claims(nil)), body, nil, 0},
		{"any body", kpToken(t, "RS256", k, hdr, claims(nil)), `{"forged":true}`, nil, 0},
		{"issuer without scheme", kpToken(t, "RS256", k, hdr, claims(set("iss", "accounts.google.com"))), body, nil, 0},
		{"other issuer", kpToken(t, "RS256", k, hdr, claims(set("iss", "https://evil.example"))), body, verify.ErrClaims, 0},
		{"other audience", kpToken(t, "RS256", k, hdr, claims(set("aud", "https://evil.example/handler"))), body, verify.ErrClaims, 0},
		{"audience list", kpToken(t, "RS256", k, hdr, claims(set("aud", []string{"x", o.Audience[0]}))), body, nil, 0},
		{"other email", kpToken(t, "RS256", k, hdr, claims(set("email", "attacker@evil.iam.gserviceaccount.com"))), body, verify.ErrClaims, 0},
		{"no email", kpToken(t, "RS256", k, hdr, claims(set("email", nil))), body, verify.ErrClaims, 0},
		{"email not verified", kpToken(t, "RS256", k, hdr, claims(set("email_verified", false))), body, verify.ErrClaims, 0},
		{"email_verified as a string", kpToken(t, "RS256", k, hdr, claims(set("email_verified", "true"))), body, nil, 0},
		{"no exp", kpToken(t, "RS256", k, hdr, claims(set("exp", nil))), body, verify.ErrClaims, 0},
		{"expired", kpToken(t, "RS256", k, hdr, claims(set("exp", now.Add(-2*time.Minute).Unix()))), body, verify.ErrTooOld, 0},
		{"exp within the skew", kpToken(t, "RS256", k, hdr, claims(set("exp", now.Add(-30*time.Second).Unix()))), body, nil, 0},
		{"no iat", kpToken(t, "RS256", k, hdr, claims(set("iat", nil))), body, verify.ErrClaims, 0},
		{"iat ahead", kpToken(t, "RS256", k, hdr, claims(set("iat", now.Add(61*time.Minute).Unix()))), body, verify.ErrTooNew, 0},
		{"nbf ahead", kpToken(t, "RS256", k, hdr, claims(set("nbf", now.Add(10*time.Minute).Unix()))), body, verify.ErrTooNew, 0},
		{"other key", kpToken(t, "RS256", kpRSA2[1], hdr, claims(nil)), body, verify.ErrMismatch, 0},
		{"RS512", kpToken(t, "RS512", k, hdr, claims(nil)), body, verify.ErrMismatch, 0},
		{"PS256", kpToken(t, "PS256", k, hdr, claims(nil)), body, verify.ErrMismatch, 0},
		{"HS256 keyed with the public key", kpToken(t, "HS256", []byte(kpPublicPEM(&k.PublicKey)), hdr, claims(nil)), body, verify.ErrMismatch, 0},
		{"unknown kid", kpToken(t, "RS256", k, map[string]any{"kid": "rotated-away"}, claims(nil)), body, verify.ErrMismatch, 0},
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
			_, err := v.Verify(&verify.Request{Header: http.Header{"Authorization": {tt.value}}, Body: []byte(body)}, now)
			if !kpWantErr(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
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
	v, err := verify.New("google-oidc-jwt", o)
	if err != nil {
		t.Fatal(err)
	}
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
		{"first use fetches", nil, tokenAt(k0, "kid-0", now), now, nil, 1},
		{"cached", nil, tokenAt(k0, "kid-0", now), now.Add(time.Minute), nil, 1},
		{"unknown kid refetches", func() {
			srv.doc.Store(`{"keys":[` + kpRSAJWK(&k0.PublicKey, "kid-0") + "," + kpRSAJWK(&k1.PublicKey, "kid-1") + `]}`)
		}, tokenAt(k1, "kid-1", now), now.Add(2 * time.Minute), nil, 2},
		{"unknown kid again within 30s", nil, tokenAt(k1, "kid-x", now), now.Add(2*time.Minute + 10*time.Second), verify.ErrMismatch, 2},
		{"unknown kid after 30s", nil, tokenAt(k1, "kid-x", now), now.Add(3 * time.Minute), verify.ErrMismatch, 3},
		{"refresh fails, old keys kept", func() { srv.fails.Store(true) }, tokenAt(k1, "kid-1", now.Add(14*time.Minute)), now.Add(14 * time.Minute), nil, 4},
		{"failing, rate limited", nil, tokenAt(k1, "kid-1", now.Add(14*time.Minute)), now.Add(14*time.Minute + time.Second), nil, 4},
		{"recovered", func() {
			srv.fails.Store(false)
			srv.doc.Store(`{"keys":[` + kpRSAJWK(&k1.PublicKey, "kid-1") + `]}`)
		}, tokenAt(k0, "kid-0", now.Add(15*time.Minute)), now.Add(15 * time.Minute), verify.ErrMismatch, 5},
	}
	for _, st := range steps {
		if st.do != nil {
			st.do()
		}
		_, err := v.Verify(&verify.Request{Header: http.Header{"Authorization": {st.token}}, Body: []byte(body)}, st.at)
		if !kpWantErr(err, st.want) || srv.hits.Load() != st.wantHits {
			t.Errorf("Verify(%s) = %v after %d fetches; want %v after %d", st.name, err, srv.hits.Load(), st.want, st.wantHits)
		}
	}
}

func TestJWKSUnavailable(t *testing.T) {
	srv := kpNewJWKSServer(t, `{"keys":[]}`)
	srv.fails.Store(true)
	o := kpGoogleOpts
	o.JWKSURL = srv.URL
	v, err := verify.New("google-oidc-jwt", o)
	if err != nil {
		t.Fatal(err)
	}
	tok := kpToken(t, "RS256", kpRSA2[0], map[string]any{"kid": "k"}, jwt.MapClaims{"iat": now.Unix()})
	_, err = v.Verify(&verify.Request{Header: http.Header{"Authorization": {"Bearer " + tok}}}, now)
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
		{"google without audience", "google-oidc-jwt", Options{Email: "a@b"}},
		{"google without email", "google-oidc-jwt", Options{Audience: []string{"x"}}},
		{"google secrets and jwks", "google-oidc-jwt", Options{Audience: []string{"x"}, Email: "a@b", Secrets: []string{kpPublicPEM(&kpRSA2[0].PublicKey)}, JWKS: jwks}},
		{"google plain http", "google-oidc-jwt", Options{Audience: []string{"x"}, Email: "a@b", JWKSURL: "http://keys.example/certs"}},
		{"google ftp", "google-oidc-jwt", Options{Audience: []string{"x"}, Email: "a@b", JWKSURL: "ftp://127.0.0.1/certs"}},
		{"google relative URL", "google-oidc-jwt", Options{Audience: []string{"x"}, Email: "a@b", JWKSURL: "/certs"}},
		{"google small RSA key", "google-oidc-jwt", Options{Audience: []string{"x"}, Email: "a@b", Secrets: []string{kpSmallRSA(t)}}},
		{"plaid without keys", "plaid-jwt", Options{}},
		{"plaid RSA key", "plaid-jwt", Options{Secrets: []string{kpPublicPEM(&kpRSA2[0].PublicKey)}}},
		{"plaid P-384 JWKS", "plaid-jwt", Options{JWKS: `{"keys":[{"kty":"EC","crv":"P-384","x":"` + strings.Repeat("A", 64) + `","y":"` + strings.Repeat("A", 64) + `"}]}`}},
		{"google EC key", "google-oidc-jwt", Options{Audience: []string{"x"}, Email: "a@b", Secrets: []string{kpPublicPEM(&kpEC2[0].PublicKey)}}},
		{"jwt EdDSA with an RSA key", "jwt", Options{Algorithms: []string{"EdDSA"}, Secrets: []string{kpPublicPEM(&kpRSA2[0].PublicKey)}}},
		{"plaid private key", "plaid-jwt", Options{Secrets: []string{kpPrivatePEM(kpEC2[0])}}},
		{"plaid private JWK", "plaid-jwt", Options{JWKS: `{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"}]}`}},
		{"plaid bad jwks", "plaid-jwt", Options{JWKS: `{"keys":`}},
		{"plaid empty jwks", "plaid-jwt", Options{JWKS: `{"keys":[]}`}},
		{"plaid symmetric jwk", "plaid-jwt", Options{JWKS: `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`}},
		{"plaid EC point off the curve", "plaid-jwt", Options{JWKS: `{"keys":[{"kty":"EC","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}`}},
		{"plaid JWK alg does not fit", "plaid-jwt", Options{JWKS: `{"keys":[` + strings.TrimSuffix(kpJWK(&kpEC2[0].PublicKey, "a"), "}") + `,"alg":"RS256"}]}`}},
		{"plaid negative refresh", "plaid-jwt", Options{JWKSURL: "https://keys.example", JWKSRefresh: -time.Second}},
		{"plaid refresh without URL", "plaid-jwt", Options{JWKS: jwks, JWKSRefresh: time.Hour}},
		{"jwt without algorithms", "jwt", Options{Secrets: []string{"s"}}},
		{"jwt alg none", "jwt", Options{Secrets: []string{"s"}, Algorithms: []string{"none"}}},
		{"jwt HMAC and RSA", "jwt", Options{Secrets: []string{"s"}, Algorithms: []string{"HS256", "RS256"}}},
		{"jwt HMAC with jwks", "jwt", Options{JWKS: jwks, Algorithms: []string{"HS256"}}},
		{"jwt bad header", "jwt", Options{Secrets: []string{"s"}, Algorithms: []string{"HS256"}, Header: "X Token"}},
		{"jwt no keys", "jwt", Options{Algorithms: []string{"ES256"}}},
		{"apple without bundle", "apple-assn-v2", Options{Secrets: []string{kpApple[0].anchor}}},
		{"apple anchor not a certificate", "apple-assn-v2", Options{Secrets: []string{kpPublicPEM(&kpEC2[0].PublicKey)}, BundleID: "b"}},
		{"apple anchor garbage", "apple-assn-v2", Options{Secrets: []string{"garbage!"}, BundleID: "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := verify.New(tt.typ, tt.o); !errors.Is(err, verify.ErrConfig) {
				t.Errorf("New(%s) = %v, %v; want %v", tt.name, v, err, verify.ErrConfig)
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
		v, err := verify.New("jwt", o)
		if err != nil {
			t.Fatal(err)
		}
		c := func(edit func(jwt.MapClaims)) jwt.MapClaims {
			m := jwt.MapClaims{"iss": "acme", "aud": "b", "iat": now.Unix()}
			if edit != nil {
				edit(m)
			}
			return m
		}
		runTokenCases(t, v, "X-Token", "", now, []tokenCase{
			{"first secret", kpToken(t, "HS256", []byte("first"), nil, c(nil)), body, nil, 0},
			{"second secret, HS512", kpToken(t, "HS512", []byte("second"), nil, c(nil)), body, nil, 1},
			{"HS384 not pinned", kpToken(t, "HS384", []byte("first"), nil, c(nil)), body, verify.ErrMismatch, 0},
			{"other issuer", kpToken(t, "HS256", []byte("first"), nil, c(func(m jwt.MapClaims) { m["iss"] = "other" })), body, verify.ErrClaims, 0},
			{"other audience", kpToken(t, "HS256", []byte("first"), nil, c(func(m jwt.MapClaims) { m["aud"] = "c" })), body, verify.ErrClaims, 0},
			{"no iat", kpToken(t, "HS256", []byte("first"), nil, c(func(m jwt.MapClaims) { delete(m, "iat") })), body, nil, 0},
			{"old iat", kpToken(t, "HS256", []byte("first"), nil, c(func(m jwt.MapClaims) { m["iat"] = now.Add(-time.Hour).Unix() })), body, verify.ErrTooOld, 0},
			{"expired", kpToken(t, "HS256", []byte("first"), nil, c(func(m jwt.MapClaims) { m["exp"] = now.Add(-2 * time.Minute).Unix() })), body, verify.ErrTooOld, 0},
			{"bearer prefix", "Bearer " + kpToken(t, "HS256", []byte("first"), nil, c(nil)), body, nil, 0},
		})
	})
	t.Run("body hash and JWK kid", func(t *testing.T) {
		k := kpEC2[0]
		o := Options{Secrets: []string{kpJWK(&k.PublicKey, "key-1")}, Algorithms: []string{"ES256"}, BodyHashClaim: "body_sha256"}
		v, err := verify.New("jwt", o)
		if err != nil {
			t.Fatal(err)
		}
		runTokenCases(t, v, "Authorization", "Bearer ", now, []tokenCase{
			{"valid", kpToken(t, "ES256", k, map[string]any{"kid": "key-1"}, jwt.MapClaims{"body_sha256": kpSHA256(body)}), body, nil, 0},
			{"other kid", kpToken(t, "ES256", k, map[string]any{"kid": "key-2"}, jwt.MapClaims{"body_sha256": kpSHA256(body)}), body, verify.ErrMismatch, 0},
			{"body changed", kpToken(t, "ES256", k, nil, jwt.MapClaims{"body_sha256": kpSHA256(body)}), body + " ", verify.ErrMismatch, 0},
			{"no body hash", kpToken(t, "ES256", k, nil, jwt.MapClaims{}), body, verify.ErrClaims, 0},
			{"RS256 for an EC key", kpToken(t, "RS256", kpRSA2[0], nil, jwt.MapClaims{"body_sha256": kpSHA256(body)}), body, verify.ErrMismatch, 0},
		})
	})
	t.Run("Sign", func(t *testing.T) {
		rsaPKCS1 := kpPEM("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(kpRSA2[0]))
		for _, tt := range []struct {
			name, alg, private, public string
		}{
			{"HS256", "HS256", "shared", "shared"},
			{"RS256 PKCS#1", "RS256", rsaPKCS1, kpPublicPEM(&kpRSA2[0].PublicKey)},
			{"PS256 PKCS#8", "PS256", kpPrivatePEM(kpRSA2[0]), kpPublicPEM(&kpRSA2[0].PublicKey)},
			{"ES256", "ES256", kpPrivatePEM(kpEC2[0]), kpJWK(&kpEC2[0].PublicKey, "")},
			{"EdDSA", "EdDSA", kpPrivatePEM(kpEd[0]), kpPublicPEM(kpPub(kpEd[0]))},
		} {
			o := Options{Algorithms: []string{tt.alg}, BodyHashClaim: "h", Issuer: "me"}
			r := &verify.Request{Body: []byte(body)}
			o.Secrets = []string{tt.private}
			if err := verify.Sign("jwt", r, o, now); err != nil {
				t.Fatalf("Sign(%s) = %v", tt.name, err)
			}
			o.Secrets = []string{tt.public}
			v, err := verify.New("jwt", o)
			if err != nil {
				t.Fatal(err)
			}
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
	v, err := verify.New("google-oidc-jwt", o)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		do       func() // before verifying
		at       time.Duration
		want     error
		wantHits int32
	}{
		{"first use fetches", nil, 0, nil, 1},
		{"refresh fails, old keys kept", func() { srv.fails.Store(true) }, 15 * time.Minute, nil, 2},
		{"just under twice the refresh", nil, 20*time.Minute - time.Second, nil, 3},
		{"twice the refresh, rate limited", nil, 20 * time.Minute, verify.ErrKeysUnavailable, 3},
		{"twice the refresh, refetch fails", nil, 21 * time.Minute, verify.ErrKeysUnavailable, 4},
		{"recovered", func() { srv.fails.Store(false) }, 22 * time.Minute, nil, 5},
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
		if !kpWantErr(err, st.want) || srv.hits.Load() != st.wantHits {
			t.Errorf("Verify(%s) = %v after %d fetches; want %v after %d", st.name, err, srv.hits.Load(), st.want, st.wantHits)
		}
	}
}
