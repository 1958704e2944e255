package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"
)

const adminSecret = "admin-hmac-secret-for-tests-0123456789"

// TestAdminAuthLifetimeConfig checks the defaults and bounds of
// admin.auth.max_lifetime, leeway and jwks_refresh.
func TestAdminAuthLifetimeConfig(t *testing.T) {
	const auth = "admin:\n  auth: {algorithms: [HS256], issuer: ops, audience: hg, keys: [\"" + adminSecret + "\"]"
	c := mustValid(t, auth+"}\nproviders: [{name: shop, type: github, secrets: [s]}]\n")
	if a := c.Admin.Auth; a.Lifetime() != time.Hour || a.Skew() != 5*time.Second {
		t.Errorf("admin.auth defaults = max_lifetime %s, leeway %s; want 1h, 5s", a.Lifetime(), a.Skew())
	}
	// 0s is no leeway, not the default (it became 5s).
	c = mustValid(t, auth+", leeway: 0s, max_lifetime: 10m}\nproviders: [{name: shop, type: github, secrets: [s]}]\n")
	if a := c.Admin.Auth; a.Skew() != 0 || a.Lifetime() != 10*time.Minute {
		t.Errorf("admin.auth with leeway: 0s = leeway %s, max_lifetime %s; want 0s, 10m", a.Skew(), a.Lifetime())
	}
	for _, tc := range []struct{ set, want string }{
		{"max_lifetime: -1h", "admin.auth.max_lifetime: must be positive"},
		// 0s is refused, not replaced by the default.
		{"max_lifetime: 0s", "admin.auth.max_lifetime: must be positive (0s would refuse every token; leave it out for the default 1h0m0s)"},
		{"leeway: 2m", "admin.auth.leeway: 2m0s is not from 0s to 1m0s"},
		{"leeway: -1s", "admin.auth.leeway: -1s is not from 0s to 1m0s"},
		{"jwks_refresh: 10m", "admin.auth.jwks_refresh: applies only with jwks_url"},
	} {
		checkValidate(t, auth+", "+tc.set+"}\n", []string{tc.want})
	}
	checkValidate(t, auth+", max_lifetime: 24h, leeway: 1m}\n", nil)
}

// TestAdminAuthConfig checks that admin.auth, once present, is complete and
// its HMAC keys long enough; only an absent admin.auth leaves the API off.
func TestAdminAuthConfig(t *testing.T) {
	key := func(n int) string { return strings.Repeat("k", n) }
	for _, c := range []struct {
		name, auth string
		want       []string // substrings of the error; none: valid
	}{
		{"absent", "", nil},
		{"issuer and audience only", "{issuer: ops, audience: hookgate-admin}", []string{
			"admin.auth.algorithms: required", "admin.auth.keys: required"}},
		{"empty", "{}", []string{"admin.auth.algorithms:", "admin.auth.issuer:", "admin.auth.audience:", "admin.auth.keys:"}},
		{"keys only", "{keys: [" + key(32) + "]}", []string{"admin.auth.algorithms:", "admin.auth.issuer:", "admin.auth.audience:"}},
		{"HS256 key of 31 bytes", "{algorithms: [HS256], issuer: ops, audience: a, keys: [" + key(40) + ", " + key(31) + "]}", []string{
			"admin.auth.keys[1]: an HMAC key of 31 bytes is too short for HS256, which needs at least 32"}},
		{"HS256 key of 32 bytes", "{algorithms: [HS256], issuer: ops, audience: a, keys: [" + key(32) + "]}", nil},
		{"HS512 key of 40 bytes", "{algorithms: [HS256, HS512], issuer: ops, audience: a, keys: [" + key(40) + "]}", []string{
			"admin.auth.keys[0]: an HMAC key of 40 bytes is too short for HS512, which needs at least 64"}},
		{"HS384 key of 48 bytes", "{algorithms: [HS384], issuer: ops, audience: a, keys: [" + key(48) + "]}", nil},
		{"bad algorithm", "{algorithms: [XX999], issuer: ops, audience: a, keys: [" + key(32) + "]}", []string{"admin.auth: jwt: algorithm"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := "admin:\n  listen: off\n"
			if c.auth != "" {
				src += "  auth: " + c.auth + "\n"
			}
			cfg, err := readValidate(t, src+"providers: [{name: gh, type: github, secrets: [s]}]\n")
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v; want nil", err)
				}
				if cfg.Admin.Auth.Enabled() != (c.auth != "") {
					t.Errorf("Enabled() = %v; want %v", cfg.Admin.Auth.Enabled(), c.auth != "")
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v; want ErrInvalid", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestAdminKeyConfusion: an HS* admin key that is a public key, or that is
// also a provider's webhook secret, is refused, named by its index (and
// the provider), never quoted: with either, someone else than the operator
// could sign admin tokens (anyone holding the public key; the provider).
func TestAdminKeyConfusion(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	public := strings.ReplaceAll(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), "\n", "\n      ")
	const auth = "admin:\n  auth:\n    issuer: ops\n    audience: hg\n"
	for _, c := range []struct {
		name, src string
		want      []string // substrings of the error; none: valid
	}{
		{"HS256 with a public key", auth + "    algorithms: [HS256]\n    keys:\n    - |\n      " + public + "\nproviders: [{name: shop, type: github, secrets: [s]}]\n",
			[]string{"admin.auth.keys[0]: is a PEM block, not a shared secret: as an HMAC key for HS* it would let anyone who holds it sign tokens"}},
		{"ES256 with a public key", auth + "    algorithms: [ES256]\n    keys:\n    - |\n      " + public + "\nproviders: [{name: shop, type: github, secrets: [s]}]\n", nil},
		{"HS256 with a provider's secret", auth + "    algorithms: [HS256]\n    keys: [\"" + adminSecret + "\"]\nproviders: [{name: shop, type: github, secrets: [s, \"" + adminSecret + "\"]}]\n",
			[]string{`admin.auth.keys[0]: is also the webhook secret secrets[1] of provider "shop"`}},
		{"HS256 with a key of its own", auth + "    algorithms: [HS256]\n    keys: [\"" + adminSecret + "\"]\nproviders: [{name: shop, type: github, secrets: [s]}]\n", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := validateErr(t, c.src)
			checkValidateErr(t, err, c.want)
			if err != nil && (strings.Contains(err.Error(), adminSecret) || strings.Contains(err.Error(), "BEGIN PUBLIC KEY")) {
				t.Errorf("Validate error quotes the key:\n%v", err)
			}
		})
	}
}
