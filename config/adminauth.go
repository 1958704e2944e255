package config

import (
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// AdminAuth says which bearer tokens the admin API accepts: JWTs
// checked with golang-jwt (through the jwt scheme of package verify) with
// pinned algorithms, a required issuer, audience and expiry, and keys from
// the config. All of algorithms, issuer, audience and a key source are
// required; HMAC keys must be at least as long as the hash of every HS
// algorithm configured (RFC 7518, section 3.2).
type AdminAuth struct {
	Algorithms StringList `yaml:"algorithms"` // e.g. [HS256] or [ES256, RS256]
	Issuer     string     `yaml:"issuer"`
	Audience   string     `yaml:"audience"`
	// Keys are HMAC secrets (for HS*) or PEM public keys; or use a JWKS.
	Keys     []string `yaml:"keys"`
	JWKSFile string   `yaml:"jwks_file"`
	JWKSURL  string   `yaml:"jwks_url"`
	// JWKSRefresh is the longest keys fetched from JWKSURL are used before
	// they are fetched again (default 1h; a shorter Cache-Control max-age
	// of the response wins).
	JWKSRefresh Duration `yaml:"jwks_refresh"`
	// MaxLifetime is the longest a token may be valid: a token whose exp
	// is further than this from its iat (or, without iat, from now) is
	// refused. Unset (nil): DefaultAdminMaxLifetime; it must be positive.
	MaxLifetime *Duration `yaml:"max_lifetime"`
	// Leeway is the clock skew allowed on exp, nbf and iat. Unset (nil):
	// DefaultAdminLeeway; 0s allows none; at most MaxAdminLeeway.
	Leeway *Duration `yaml:"leeway"`
}

// Admin token defaults and bounds.
const (
	DefaultAdminMaxLifetime = time.Hour
	DefaultAdminLeeway      = 5 * time.Second
	// MaxAdminLeeway is the most leeway admin.auth.leeway may set: the
	// token check of package verify allows no more on exp and nbf.
	MaxAdminLeeway = time.Minute
)

// Lifetime is the longest an admin token may live: MaxLifetime, or its
// default when unset.
func (a *AdminAuth) Lifetime() time.Duration {
	if a.MaxLifetime == nil {
		return DefaultAdminMaxLifetime
	}
	return time.Duration(*a.MaxLifetime)
}

// Skew is the clock skew allowed on a token's times: Leeway (0 allows
// none), or its default when unset.
func (a *AdminAuth) Skew() time.Duration {
	if a.Leeway == nil {
		return DefaultAdminLeeway
	}
	return time.Duration(*a.Leeway)
}

// Enabled reports whether the admin API is configured: admin.auth is
// present. A nil a is not enabled.
func (a *AdminAuth) Enabled() bool { return a != nil }

// hmacKeySizes is the hash size of each HMAC algorithm, the shortest key
// RFC 7518 (section 3.2) allows for it.
var hmacKeySizes = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

// validate reports every problem of a through bad, each naming its field;
// the verifier is built only when the fields themselves are right.
func (a *AdminAuth) validate(bad func(field, format string, args ...any)) {
	problems := 0
	report := func(field, format string, args ...any) {
		problems++
		bad(field, format, args...)
	}
	const absent = "required when admin.auth is set (leave admin.auth out to keep the admin API off)"
	if len(a.Algorithms) == 0 {
		report("admin.auth.algorithms", "%s, e.g. [HS256] or [ES256]", absent)
	}
	if a.Issuer == "" {
		report("admin.auth.issuer", "%s", absent)
	}
	if a.Audience == "" {
		report("admin.auth.audience", "%s", absent)
	}
	if len(a.Keys) == 0 && a.JWKSFile == "" && a.JWKSURL == "" {
		report("admin.auth.keys", "%s: set keys, jwks_file or jwks_url", absent)
	}
	minLen, minAlg := 0, ""
	for _, alg := range a.Algorithms {
		if n := hmacKeySizes[alg]; n > minLen {
			minLen, minAlg = n, alg
		}
	}
	for i, k := range a.Keys {
		if len(k) < minLen {
			report("admin.auth.keys["+strconv.Itoa(i)+"]", "an HMAC key of %d bytes is too short for %s, which needs at least %d (RFC 7518, section 3.2)", len(k), minAlg, minLen)
		}
	}
	// Unset and 0 differ: an unset bound takes its default, a 0 lifetime
	// would refuse every token, and a 0 leeway allows no skew.
	switch {
	case a.MaxLifetime == nil:
		a.MaxLifetime = durationOf(DefaultAdminMaxLifetime)
	case *a.MaxLifetime <= 0:
		report("admin.auth.max_lifetime", "must be positive (%s would refuse every token; leave it out for the default %s)",
			time.Duration(*a.MaxLifetime), DefaultAdminMaxLifetime)
	}
	switch {
	case a.Leeway == nil:
		a.Leeway = durationOf(DefaultAdminLeeway)
	case *a.Leeway < 0 || *a.Leeway > Duration(MaxAdminLeeway):
		report("admin.auth.leeway", "%s is not from 0s to %s", time.Duration(*a.Leeway), MaxAdminLeeway)
	}
	if a.JWKSRefresh < 0 {
		report("admin.auth.jwks_refresh", "must be positive")
	} else if a.JWKSRefresh > 0 && a.JWKSURL == "" {
		report("admin.auth.jwks_refresh", "applies only with jwks_url")
	}
	if problems > 0 {
		return
	}
	if _, err := a.Verifier(); err != nil {
		if se, ok := errors.AsType[*verify.SecretError](err); ok && se.Index < len(a.Keys) {
			// The rule the key broke, never the key.
			bad("admin.auth.keys["+strconv.Itoa(se.Index)+"]", "%s", se.Reason)
		} else {
			bad("admin.auth", "%v", err)
		}
	}
}

// checkShared reports every HMAC key of a that is also a provider's
// webhook secret: the provider (a third party) holds that secret, and
// could sign admin tokens with it. The error names the provider and the
// entries, never the secret.
func (a *AdminAuth) checkShared(providers []Provider, bad func(field, format string, args ...any)) {
	if !slices.ContainsFunc(a.Algorithms, func(alg string) bool { return hmacKeySizes[alg] > 0 }) {
		return // public keys: nothing to share
	}
	for i, k := range a.Keys {
		for _, p := range providers {
			for j, sec := range p.Secrets {
				if sec.Value != "" && sec.Value == k {
					bad("admin.auth.keys["+strconv.Itoa(i)+"]", "is also the webhook secret secrets[%d] of provider %q, which the provider holds: "+
						"it could sign admin tokens; give the admin API a key of its own", j, p.Name)
				}
			}
		}
	}
}

// Verifier builds the signature check. Its iat window, both ways, is the
// token lifetime plus the leeway: checkAdminClaims then applies the
// narrower bounds (iat in the future by at most the leeway, and the
// lifetime).
func (a *AdminAuth) Verifier() (verify.Verifier, error) {
	if len(a.Algorithms) == 0 || a.Issuer == "" || a.Audience == "" {
		return nil, errors.New("algorithms, issuer and audience are required")
	}
	so := SchemeOptions{Algorithms: a.Algorithms, Issuer: a.Issuer, Audience: StringList{a.Audience},
		JWKSFile: a.JWKSFile, JWKSURL: a.JWKSURL, JWKSRefresh: a.JWKSRefresh}
	o := verify.Options{Secrets: a.Keys, Tolerance: a.Lifetime() + a.Skew()}
	if err := so.apply(&o); err != nil {
		return nil, err
	}
	return verify.New("jwt", o)
}

// durationOf returns a pointer to d, for an optional duration's default.
func durationOf(d time.Duration) *Duration {
	v := Duration(d)
	return &v
}
