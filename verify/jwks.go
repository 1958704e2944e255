package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// JWKS fetching is the only network I/O of the package.
const (
	// jwksDefaultRefresh is how long fetched keys are used before they
	// are fetched again, when Options.JWKSRefresh is zero.
	jwksDefaultRefresh = time.Hour
	// jwksMaxAgeFactor bounds how long fetched keys are trusted while
	// refreshing them fails: jwksMaxAgeFactor times the refresh period
	// (at least jwksMinInterval) after they were fetched, then requests
	// fail with ErrKeysUnavailable.
	jwksMaxAgeFactor = 2
	// jwksMinInterval is the least time between two fetches of one URL:
	// a token with an unknown kid, or a failing endpoint, cannot make the
	// gateway fetch more often than this.
	jwksMinInterval = 30 * time.Second
	// jwksTimeout bounds one fetch, whatever client is used.
	jwksTimeout = 10 * time.Second
	// jwksMaxSize is the largest JWKS document read.
	jwksMaxSize = 1 << 20
	// jwksMaxRedirects is the most redirects a fetch follows, each within
	// the scheme and host of the URL (see jwksCheckRedirect).
	jwksMaxRedirects = 3
)

// errJWKSRedirect refuses a JWKS redirect to another scheme or host: keys
// must come from where the config says, and https must not be downgraded.
var errJWKSRedirect = errors.New("redirect to another scheme or host refused")

// jwksDefaultClient fetches JWKS documents when Options.HTTPClient is nil.
var jwksDefaultClient = &http.Client{Timeout: jwksTimeout}

// parseJWKS parses a JWKS document {"keys":[...]}. Keys whose use is not
// "sig" are skipped. An inline document (strict) must hold only usable
// keys; a fetched one skips unusable keys, since a provider may publish key
// types this package does not verify. Either must yield at least one key.
func parseJWKS(doc []byte, strict bool) ([]jwtKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, errors.New(`JWKS is not a JSON object {"keys":[...]}`)
	}
	keys := make([]jwtKey, 0, len(set.Keys))
	for i, raw := range set.Keys {
		k, err := parseJWK(raw, false)
		switch {
		case errors.Is(err, errJWKSkipped):
			continue
		case err != nil && strict:
			return nil, fmt.Errorf("JWKS key %d: %v", i, err)
		case err != nil:
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS holds no usable signature key")
	}
	return keys, nil
}

// checkJWKSURL accepts https URLs, and http ones only for a loopback host
// (tests, a local key proxy): keys fetched in clear text could be forged.
func checkJWKSURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return errors.New("is not an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
		return errors.New("must be https (http only for a loopback host)")
	}
	return fmt.Errorf("scheme %q is not https", u.Scheme)
}

// jwksRemote is one verifier's view of a JWKS URL: the shared cache of the
// URL, with the verifier's client and refresh period.
type jwksRemote struct {
	cache   *jwksCache
	client  *http.Client
	refresh time.Duration
}

func (r *jwksRemote) keys(kid string, now time.Time) ([]jwtKey, error) {
	return r.cache.get(r.client, r.refresh, kid, now)
}

// jwksCache holds the keys last fetched from one URL. Verifiers that name
// the same URL share it. It is safe for concurrent use: one fetch runs at a
// time, and while it runs, requests whose kid is already known go on with
// the cached keys.
type jwksCache struct {
	url string

	mu       sync.Mutex
	keys     []jwtKey      // last fetched; nil before the first success
	fetched  time.Time     // when keys were fetched
	ttl      time.Duration // the Cache-Control max-age they came with; -1 for none
	tried    time.Time     // when the last fetch started
	err      error         // the last fetch's error, nil after a success
	inflight chan struct{} // closed when the running fetch ends; nil if none
}

var jwksCaches = struct {
	sync.Mutex
	m map[string]*jwksCache
}{m: map[string]*jwksCache{}}

// jwksCacheFor returns the cache of url, creating it on first use.
func jwksCacheFor(url string) *jwksCache {
	jwksCaches.Lock()
	defer jwksCaches.Unlock()
	c, ok := jwksCaches.m[url]
	if !ok {
		c = &jwksCache{url: url, ttl: -1}
		jwksCaches.m[url] = c
	}
	return c
}

// jwksMaxAge is how long keys refreshed every period are trusted when
// refreshing them fails.
func jwksMaxAge(period time.Duration) time.Duration {
	return jwksMaxAgeFactor * max(period, jwksMinInterval)
}

// period is how long the cached keys are used before they are fetched
// again, for a verifier configured with refresh: the Cache-Control max-age
// they came with, when there was one, bounded by refresh (the configured
// maximum) and, below, by jwksMinInterval. c.mu must be held.
func (c *jwksCache) period(refresh time.Duration) time.Duration {
	if c.ttl < 0 {
		return refresh
	}
	return min(refresh, max(c.ttl, jwksMinInterval))
}

// get returns the cached keys, fetching them first when there are none,
// when they are older than their period (see jwksCache.period), or when
// kid is not among them, at most once per jwksMinInterval. When a refresh
// fails the old keys are kept until they are jwksMaxAge(period) old; after
// that, and until a fetch succeeds, it returns an error wrapping
// ErrKeysUnavailable. The clock is the verifier's now, so tests drive
// expiry without sleeping.
func (c *jwksCache) get(client *http.Client, refresh time.Duration, kid string, now time.Time) ([]jwtKey, error) {
	c.mu.Lock()
	for {
		p := c.period(refresh)
		usable := c.keys != nil && now.Sub(c.fetched) < jwksMaxAge(p)
		known := usable && (kid == "" || hasKid(c.keys, kid))
		stale := !usable || now.Sub(c.fetched) >= p
		if known && !stale {
			break
		}
		if c.inflight != nil {
			if known {
				break // stale, but usable while another request refreshes
			}
			ch := c.inflight
			c.mu.Unlock()
			<-ch
			c.mu.Lock()
			if c.keys != nil || c.err != nil {
				break // use what that fetch gave, rather than fetching again
			}
			continue
		}
		if !c.tried.IsZero() && now.Sub(c.tried) < jwksMinInterval {
			break // rate limited: answer from what we have
		}
		c.tried = now
		ch := make(chan struct{})
		c.inflight = ch
		c.mu.Unlock()
		keys, ttl, err := fetchJWKS(client, c.url)
		c.mu.Lock()
		c.inflight = nil
		close(ch)
		if err != nil {
			c.err = err
		} else {
			c.keys, c.fetched, c.ttl, c.err = keys, now, ttl, nil
		}
		break
	}
	keys, fetched, err, maxAge := c.keys, c.fetched, c.err, jwksMaxAge(c.period(refresh))
	c.mu.Unlock()
	switch {
	case keys == nil:
		if err == nil {
			err = errors.New("not fetched yet")
		}
		return nil, fmt.Errorf("JWKS %s: %v: %w", c.url, err, ErrKeysUnavailable)
	case now.Sub(fetched) >= maxAge:
		if err == nil {
			err = errors.New("not refreshed yet")
		}
		return nil, fmt.Errorf("JWKS %s: keys fetched %s ago, trusted for %s: %v: %w",
			c.url, now.Sub(fetched), maxAge, err, ErrKeysUnavailable)
	}
	return keys, nil
}

func hasKid(keys []jwtKey, kid string) bool {
	for _, k := range keys {
		if k.kid == kid {
			return true
		}
	}
	return false
}

// fetchJWKS GETs and parses a JWKS document, within jwksTimeout and
// jwksMaxSize, and following redirects only within the URL's scheme and
// host (see jwksCheckRedirect), whatever the client's own settings. ttl is
// the response's Cache-Control max-age (0 for no-cache or no-store), or -1
// when it has none.
func fetchJWKS(client *http.Client, u string) (keys []jwtKey, ttl time.Duration, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), jwksTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	c := *client
	c.CheckRedirect = jwksCheckRedirect
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, 0, fmt.Errorf("status %s", resp.Status)
	}
	tooLarge := fmt.Errorf("document larger than the %d-byte cap", jwksMaxSize)
	if resp.ContentLength > jwksMaxSize {
		return nil, 0, tooLarge
	}
	doc, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxSize+1))
	if err != nil {
		return nil, 0, err
	}
	if len(doc) > jwksMaxSize {
		return nil, 0, tooLarge
	}
	keys, err = parseJWKS(doc, false)
	if err != nil {
		return nil, 0, err
	}
	return keys, cacheMaxAge(resp.Header), nil
}

// jwksCheckRedirect is the redirect policy of JWKS fetches: at most
// jwksMaxRedirects, each to the scheme and host of the first request (a
// new path on the same server).
func jwksCheckRedirect(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
		return fmt.Errorf("%w: %s://%s to %s://%s", errJWKSRedirect, first.Scheme, first.Host, req.URL.Scheme, req.URL.Host)
	}
	if len(via) > jwksMaxRedirects {
		return fmt.Errorf("stopped after %d redirects", jwksMaxRedirects)
	}
	return nil
}

// cacheMaxAge reads the max-age of a Cache-Control header: 0 for no-cache
// or no-store, -1 when there is none (or it is not a number).
func cacheMaxAge(h http.Header) time.Duration {
	ttl := time.Duration(-1)
	for _, v := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-cache", "no-store":
				return 0
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(arg, `"`), 10, 64)
				if err == nil && n >= 0 {
					ttl = time.Duration(min(n, 1<<32)) * time.Second
				}
			}
		}
	}
	return ttl
}

// jwtKeys is where a token scheme finds its verification keys: keys
// configured in Secrets, an inline JWKS, a JWKS URL, or the inline JWKS
// first and then the URL.
type jwtKeys struct {
	static []jwtKey
	remote *jwksRemote
}

// newJWTKeys builds the key source of a token scheme from o. parseSecret
// reads one configured secret; each must fit one of algs, and an inline
// JWKS must hold at least one key that does. defaultURL, when not empty, is
// fetched when nothing else is configured (Google's certificates). Secrets
// and a JWKS are exclusive, so that SecretIndex always means an index in
// Secrets.
func newJWTKeys(typ string, o Options, algs []string, defaultURL string, parseSecret func(string) (jwtKey, error)) (*jwtKeys, error) {
	ks := &jwtKeys{}
	if len(o.Secrets) > 0 && (o.JWKS != "" || o.JWKSURL != "") {
		return nil, fmt.Errorf("%s: set keys in secrets or in jwks/jwks_url, not both: %w", typ, ErrConfig)
	}
	static, err := parseSecrets(typ, o.Secrets, func(s string) (jwtKey, error) {
		k, err := parseSecret(s)
		if err == nil && !fitsAny(k, algs) {
			err = fmt.Errorf("a %T cannot verify %s", k.key, strings.Join(algs, ", "))
		}
		return k, err
	})
	if err != nil {
		return nil, err
	}
	for i := range static {
		static[i].index = i
	}
	ks.static = static
	if o.JWKS != "" {
		keys, err := parseJWKS([]byte(o.JWKS), true)
		if err == nil && !slices.ContainsFunc(keys, func(k jwtKey) bool { return fitsAny(k, algs) }) {
			err = fmt.Errorf("no key can verify %s", strings.Join(algs, ", "))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: option jwks: %v: %w", typ, err, ErrConfig)
		}
		ks.static = keys
	}
	u := o.JWKSURL
	if u == "" && len(ks.static) == 0 {
		u = defaultURL
	}
	if o.JWKSRefresh < 0 {
		return nil, fmt.Errorf("%s: option jwks_refresh is negative: %w", typ, ErrConfig)
	}
	if u != "" {
		if err := checkJWKSURL(u); err != nil {
			return nil, fmt.Errorf("%s: option jwks_url %q %v: %w", typ, u, err, ErrConfig)
		}
		r := &jwksRemote{cache: jwksCacheFor(u), client: o.HTTPClient, refresh: o.JWKSRefresh}
		if r.client == nil {
			r.client = jwksDefaultClient
		}
		if r.refresh == 0 {
			r.refresh = jwksDefaultRefresh
		}
		ks.remote = r
	} else if o.JWKSRefresh != 0 {
		return nil, fmt.Errorf("%s: option jwks_refresh needs jwks_url: %w", typ, ErrConfig)
	}
	if len(ks.static) == 0 && ks.remote == nil {
		return nil, fmt.Errorf("%s: needs keys in secrets, jwks or jwks_url: %w", typ, ErrConfig)
	}
	return ks, nil
}

// candidates returns the keys that may have signed a token with kid and
// alg: those whose kid matches (or that have none) and whose type fits alg.
// It consults the URL only when the static keys have no candidate.
func (ks *jwtKeys) candidates(kid, alg string, now time.Time) ([]jwtKey, error) {
	out := pickKeys(nil, ks.static, kid, alg)
	if len(out) > 0 || ks.remote == nil {
		return out, nil
	}
	keys, err := ks.remote.keys(kid, now)
	if err != nil {
		return nil, err
	}
	return pickKeys(out, keys, kid, alg), nil
}

// fitsAny reports whether k can verify one of algs.
func fitsAny(k jwtKey, algs []string) bool {
	for _, a := range algs {
		if (k.alg == "" || k.alg == a) && keyFitsAlg(k.key, a) {
			return true
		}
	}
	return false
}

func pickKeys(out, keys []jwtKey, kid, alg string) []jwtKey {
	for _, k := range keys {
		if (kid == "" || k.kid == "" || k.kid == kid) && (k.alg == "" || k.alg == alg) && keyFitsAlg(k.key, alg) {
			out = append(out, k)
		}
	}
	return out
}

// describe names the key source in messages.
func (ks *jwtKeys) describe() string {
	var parts []string
	if len(ks.static) > 0 {
		parts = append(parts, fmt.Sprintf("%d configured keys", len(ks.static)))
	}
	if ks.remote != nil {
		parts = append(parts, "JWKS "+ks.remote.cache.url)
	}
	return strings.Join(parts, " and ")
}
