package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestAdminTokenLifetime sends signed tokens to the admin API of a gateway
// with the default max_lifetime (1h) and leeway (5s). The tokens refused
// here are all accepted by the signature check, whose leeway is a minute
// and whose iat window is the lifetime: the bounds are the admin API's.
func TestAdminTokenLifetime(t *testing.T) {
	s := mustServer(t, adminAuth, providerYAML("gh", "github", "s3cret"))
	now := time.Now()
	claims := func(iat, exp, nbf time.Duration) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "ops", "aud": "hookgate-admin", "sub": "alice"}
		for name, d := range map[string]time.Duration{"iat": iat, "exp": exp, "nbf": nbf} {
			if d != none {
				c[name] = now.Add(d).Unix()
			}
		}
		return c
	}
	for _, c := range []struct {
		name          string
		iat, exp, nbf time.Duration // from now; none leaves the claim out
		want          int
	}{
		{"lifetime of 1h", 0, time.Hour, none, 200},
		{"lifetime of 1h1m", 0, time.Hour + time.Minute, none, 401},
		{"issued 50m ago, 1h1m lifetime", -50 * time.Minute, 11 * time.Minute, none, 401},
		{"issued 50m ago, 1h lifetime", -50 * time.Minute, 10 * time.Minute, none, 200},
		{"no iat, exp in 30m", none, 30 * time.Minute, none, 200},
		{"no iat, exp in 2h", none, 2 * time.Hour, none, 401},
		{"iat 30s in the future", 30 * time.Second, 30 * time.Minute, none, 401},
		{"expired 30s ago", -30 * time.Minute, -30 * time.Second, none, 401},
		{"nbf 30s in the future", 0, 30 * time.Minute, 30 * time.Second, 401},
		{"nbf now", 0, 30 * time.Minute, 0, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok := adminToken(t, jwt.SigningMethodHS256, []byte(adminSecret), claims(c.iat, c.exp, c.nbf))
			if code, body := adminCall(t, s, "GET", "/admin/outbox", tok, ""); code != c.want {
				t.Errorf("GET /admin/outbox = %d %s; want %d", code, body, c.want)
			}
		})
	}
}

// none marks a claim left out of a token.
const none = time.Duration(-1 << 63)

// TestCheckAdminClaims checks the bounds of admin tokens at their edges,
// with the clock fixed, for the defaults and a configured lifetime and
// leeway.
func TestCheckAdminClaims(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, c := range []struct {
		name             string
		iat, exp, nbf    time.Duration // from now; none leaves the claim out
		lifetime, leeway time.Duration
		want             error
	}{
		{"exactly the lifetime", 0, time.Hour, none, time.Hour, 5 * time.Second, nil},
		{"a second over the lifetime", 0, time.Hour + time.Second, none, time.Hour, 5 * time.Second, errTokenLifetime},
		{"a longer configured lifetime", -time.Hour, 11 * time.Hour, none, 12 * time.Hour, 5 * time.Second, nil},
		{"no iat, exp at lifetime + leeway", none, time.Hour + 5*time.Second, none, time.Hour, 5 * time.Second, nil},
		{"no iat, exp past lifetime + leeway", none, time.Hour + 6*time.Second, none, time.Hour, 5 * time.Second, errTokenLifetime},
		{"iat within the leeway", 5 * time.Second, time.Minute, none, time.Hour, 5 * time.Second, nil},
		{"iat beyond the leeway", 6 * time.Second, time.Minute, none, time.Hour, 5 * time.Second, errTokenTime},
		{"exp within the leeway", -time.Minute, -5 * time.Second, none, time.Hour, 5 * time.Second, nil},
		{"exp beyond the leeway", -time.Minute, -6 * time.Second, none, time.Hour, 5 * time.Second, errTokenTime},
		{"exp beyond a wider leeway", -time.Minute, -31 * time.Second, none, time.Hour, 30 * time.Second, errTokenTime},
		{"exp within a wider leeway", -time.Minute, -30 * time.Second, none, time.Hour, 30 * time.Second, nil},
		{"nbf within the leeway", 0, time.Minute, 5 * time.Second, time.Hour, 5 * time.Second, nil},
		{"nbf beyond the leeway", 0, time.Minute, 6 * time.Second, time.Hour, 5 * time.Second, errTokenTime},
		{"no exp", 0, none, none, time.Hour, 5 * time.Second, errNoExpiry},
	} {
		t.Run(c.name, func(t *testing.T) {
			claims := jwt.MapClaims{"iss": "ops"}
			for name, d := range map[string]time.Duration{"iat": c.iat, "exp": c.exp, "nbf": c.nbf} {
				if d != none {
					claims[name] = now.Add(d).Unix()
				}
			}
			tok := adminToken(t, jwt.SigningMethodHS256, []byte(adminSecret), claims)
			err := checkAdminClaims("Bearer "+tok, now, c.lifetime, c.leeway)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("checkAdminClaims = %v; want %v", err, c.want)
			}
		})
	}
}

// TestAdminJWKSRedirect signs admin tokens with a key published at
// admin.auth.jwks_url: served directly it is used; behind a redirect to
// another host it is not, and the token is refused.
func TestAdminJWKSRedirect(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(n *big.Int) string { return base64.RawURLEncoding.EncodeToString(n.FillBytes(make([]byte, 32))) }
	jwks := fmt.Sprintf(`{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","use":"sig","x":%q,"y":%q}]}`, b64(k.X), b64(k.Y))
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, jwks) }))
	defer keys.Close()
	mover := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, keys.URL+r.URL.Path, http.StatusFound)
	}))
	defer mover.Close()

	tok := jwt.NewWithClaims(jwt.SigningMethodES256, validClaims())
	tok.Header["kid"] = "k1"
	signed, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	// Paths of their own: JWKS caches live as long as the process.
	for _, c := range []struct {
		name, url string
		want      int
	}{
		{"direct", keys.URL + "/" + t.Name() + "/direct", 200},
		{"redirected to another host", mover.URL + "/" + t.Name() + "/moved", 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := mustServer(t, `
admin:
  listen: "127.0.0.1:0"
  auth: {algorithms: [ES256], issuer: ops, audience: hookgate-admin, jwks_url: "`+c.url+`"}
`, `
  - name: gh
    type: github
    secrets: [s3cret]
`)
			if code, body := adminCall(t, s, "GET", "/admin/outbox", signed, ""); code != c.want {
				t.Errorf("GET /admin/outbox with keys at %s = %d %s; want %d", c.url, code, body, c.want)
			}
		})
	}
}
