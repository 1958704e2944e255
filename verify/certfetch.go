package verify

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// This file holds what the certificate-signed presets (Amazon SNS, PayPal)
// share: the request names the URL of the certificate whose key signed it,
// and the certificate is fetched from there, but only over HTTPS from the
// provider's own hosts (certPolicy), then cached (certCache).
//
// Trust rests on the URL: TLS to a host only the provider controls is what
// says the certificate is the provider's. The certificate's own chain is not
// checked, as the providers' official validators do not check it either
// (AWS's JavaScript and PHP validators check the host, PayPal's Java SDK a
// pinned CA that has since been replaced).

const (
	// certTTL is how long a fetched certificate is used before it is
	// fetched again. The providers never change what a URL serves (a new
	// key gets a new URL), so this only bounds how long a revoked key
	// would be trusted.
	certTTL = 24 * time.Hour
	// certRetryInterval is the least time between two fetches of a URL
	// whose last fetch failed: a request naming a URL that does not serve
	// a certificate cannot make the gateway fetch it more often.
	certRetryInterval = 30 * time.Second
	// certTimeout bounds one fetch, and certMaxSize what it reads.
	certTimeout = 10 * time.Second
	certMaxSize = 64 << 10
	// certCacheSize bounds the URLs remembered, successes and failures
	// alike; failures go first, then the least recently used.
	certCacheSize = 64
	// certNewPerSecond and certNewBurst bound how often a URL not in the
	// cache is fetched: a request names the URL before anything secret is
	// checked (PayPal's signed string holds the webhook ID, checked with
	// the key), so whoever reaches the endpoint could otherwise make the
	// gateway fetch from the provider's host as fast as they send. The
	// providers use a handful of certificates at a time.
	certNewPerSecond = 1
	certNewBurst     = 32
	// certMaxFetches bounds the fetches under way at once: past it a
	// request whose certificate is not cached fails with
	// ErrKeysUnavailable (and the provider retries) rather than wait.
	certMaxFetches = 4
	// certMinRSABits is the smallest RSA key accepted.
	certMinRSABits = 2048
)

// certDefaultClient fetches certificates (and confirms SNS subscriptions)
// when Options.HTTPClient is nil: the default transport, so HTTPS_PROXY and
// the system roots (SSL_CERT_FILE, SSL_CERT_DIR) apply.
var certDefaultClient = &http.Client{Timeout: certTimeout}

// certPolicy says which certificate URLs of one provider may be fetched.
type certPolicy struct {
	provider string                 // for messages: "Amazon SNS", "PayPal"
	host     func(host string) bool // the host (lower case, no port) is the provider's
	path     func(path string) bool // the path is one of its certificates
}

// check parses raw, the certificate URL a request names, and returns it when
// the policy allows it: https, a host of the provider on the default port,
// no user info, query or fragment, and a path of plain characters that the
// policy accepts. Its errors wrap ErrMalformed and quote the URL shortened.
func (p certPolicy) check(what, raw string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%s %q: %s: %w", what, truncate(raw), why, ErrMalformed)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Opaque != "":
		return bad("not a URL")
	case u.Scheme != "https":
		return bad("not https")
	case u.User != nil:
		return bad("holds user info")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(raw, "?#"):
		return bad("holds a query or fragment")
	case u.Port() != "" && u.Port() != "443":
		return bad("names a port other than 443")
	}
	host := strings.ToLower(u.Hostname())
	if !p.host(host) {
		return bad("not a host of " + p.provider)
	}
	if !plainPath(u.EscapedPath()) || !p.path(u.EscapedPath()) {
		return bad("not a certificate path of " + p.provider)
	}
	return "https://" + host + u.EscapedPath(), nil
}

// plainPath reports whether path holds only letters, digits and "/._-",
// with no empty, "." or ".." segment.
func plainPath(path string) bool {
	if !strings.HasPrefix(path, "/") {
		return false
	}
	for seg := range strings.SplitSeq(path[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for _, c := range seg {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// certCache holds the certificates fetched, by URL, for the whole process:
// the providers sign every customer's requests with the same few keys. It
// is safe for concurrent use; concurrent requests for one URL share one
// fetch. Its clock is the verifiers' now, so tests drive expiry.
type certCache struct {
	mu       sync.Mutex
	entries  map[string]*certEntry
	fetching int           // fetches under way
	newURLs  *rate.Limiter // fetches of URLs not in entries
}

// certEntry is one URL's certificate, or the error of its last fetch.
type certEntry struct {
	key      *rsa.PublicKey // nil until a fetch succeeds
	fetched  time.Time      // when key was fetched
	err      error          // the last fetch's error, nil after a success
	tried    time.Time      // when the last fetch started
	used     time.Time      // when last asked for, for eviction
	inflight chan struct{}  // closed when the running fetch ends; nil if none
}

var certs = newCertCache()

func newCertCache() *certCache {
	return &certCache{entries: map[string]*certEntry{}, newURLs: rate.NewLimiter(certNewPerSecond, certNewBurst)}
}

// key returns the RSA key of the certificate at u (a URL that a certPolicy
// accepted), fetching it with client when it is not cached, or cached for
// certTTL. An error wraps ErrKeysUnavailable: the request could not be
// checked.
func (c *certCache) key(client *http.Client, u string, now time.Time) (*rsa.PublicKey, error) {
	c.mu.Lock()
	e := c.entries[u]
	if e == nil {
		// A URL is remembered only once it is fetched: one refused here
		// takes no room from the certificates in use.
		switch {
		case c.fetching >= certMaxFetches:
			c.mu.Unlock()
			return nil, fmt.Errorf("certificate %s: %d certificate fetches under way: %w", u, c.fetching, ErrKeysUnavailable)
		case !c.newURLs.AllowN(now, 1):
			c.mu.Unlock()
			return nil, fmt.Errorf("certificate %s: more new certificate URLs than %d a second: %w", u, certNewPerSecond, ErrKeysUnavailable)
		}
		e = &certEntry{}
		c.entries[u] = e
		c.evict(u)
	}
	e.used = now
	for {
		switch {
		case e.usable(now, certTTL):
			k := e.key
			c.mu.Unlock()
			return k, nil
		case e.inflight != nil:
			ch := e.inflight
			c.mu.Unlock()
			<-ch
			c.mu.Lock()
			if e.inflight == nil && !e.usable(now, certTTL) {
				return c.failed(e, u, now, e.err)
			}
			continue
		case e.err != nil && now.Sub(e.tried) < certRetryInterval && now.Sub(e.tried) >= 0:
			return c.failed(e, u, now, fmt.Errorf("%v (not fetched again for %s)", e.err, certRetryInterval))
		case c.fetching >= certMaxFetches:
			return c.failed(e, u, now, fmt.Errorf("%d certificate fetches under way", c.fetching))
		}
		ch := make(chan struct{})
		e.inflight, e.tried = ch, now
		c.fetching++
		c.mu.Unlock()
		k, err := fetchCert(client, u)
		c.mu.Lock()
		c.fetching--
		e.inflight = nil
		close(ch)
		if err != nil {
			e.err = err
			return c.failed(e, u, now, err)
		}
		e.key, e.fetched, e.err = k, now, nil
	}
}

// usable reports whether e holds a key fetched less than maxAge before now.
func (e *certEntry) usable(now time.Time, maxAge time.Duration) bool {
	return e.key != nil && now.Sub(e.fetched) < maxAge
}

// failed answers a request whose certificate could not be had fresh: with
// the old key while it is less than twice certTTL old (a refresh failing
// is no reason to refuse a certificate that a URL serves for good), else
// with err wrapping ErrKeysUnavailable. It releases c.mu.
func (c *certCache) failed(e *certEntry, u string, now time.Time, err error) (*rsa.PublicKey, error) {
	k := e.key
	if !e.usable(now, 2*certTTL) {
		k = nil
	}
	c.mu.Unlock()
	if k != nil {
		return k, nil
	}
	if err == nil {
		err = errors.New("not fetched")
	}
	return nil, fmt.Errorf("certificate %s: %v: %w", u, err, ErrKeysUnavailable)
}

// evict drops entries past certCacheSize, those without a key first, then
// the least recently used, never
// keep (the entry just added) nor one being fetched. c.mu must be held.
func (c *certCache) evict(keep string) {
	for len(c.entries) > certCacheSize {
		var oldest string
		var at time.Time
		failed := false // oldest holds no key: failures go first
		for u, e := range c.entries {
			if u == keep || e.inflight != nil {
				continue
			}
			f := e.key == nil
			if oldest == "" || f && !failed || f == failed && e.used.Before(at) {
				oldest, at, failed = u, e.used, f
			}
		}
		if oldest == "" {
			return
		}
		delete(c.entries, oldest)
	}
}

// errCertRedirect refuses any redirect: the certificate must come from the
// URL that was checked.
var errCertRedirect = errors.New("redirect refused")

// fetchCert GETs the PEM certificate at u, within certTimeout and
// certMaxSize and following no redirect (whatever the client's own
// settings), and returns the RSA key of its first certificate.
func fetchCert(client *http.Client, u string) (*rsa.PublicKey, error) {
	body, err := httpGet(client, u, certMaxSize)
	if err != nil {
		return nil, err
	}
	return parseCertPEM(body)
}

// httpGet GETs u with client, within certTimeout and following no
// redirect, and returns the body of a 200 answer, at most limit bytes.
func httpGet(client *http.Client, u string, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), certTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	cl := *client
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return errCertRedirect }
	resp, err := cl.Do(req)
	if err != nil {
		// Without the URL, which callers name as they see fit (an SNS
		// SubscribeURL holds the topic and a token).
		if ue, ok := errors.AsType[*url.Error](err); ok {
			return nil, ue.Err
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	tooLarge := fmt.Errorf("answer larger than %d bytes", limit)
	if resp.ContentLength > limit {
		return nil, tooLarge
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, tooLarge
	}
	return body, nil
}

// parseCertPEM returns the RSA key of the first certificate of a PEM
// document (the signing certificate; a chain may follow), of at least
// certMinRSABits.
func parseCertPEM(doc []byte) (*rsa.PublicKey, error) {
	for {
		var b *pem.Block
		b, doc = pem.Decode(doc)
		if b == nil {
			return nil, errors.New("no PEM CERTIFICATE")
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, errors.New("the certificate does not parse")
		}
		k, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("the certificate's key is a %T, not RSA", c.PublicKey)
		}
		if k.N.BitLen() < certMinRSABits {
			return nil, fmt.Errorf("the certificate's RSA key has %d bits, fewer than %d", k.N.BitLen(), certMinRSABits)
		}
		return k, nil
	}
}

// certClient is the client of o: Options.HTTPClient, or certDefaultClient.
func certClient(o Options) *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return certDefaultClient
}

// keyFingerprint names an RSA key in the certificate URLs that Sign makes
// up: the hex of the first 16 bytes of the SHA-256 of its PKIX DER.
func keyFingerprint(k *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(k)
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:16])
}

// signingKey reads the secret of a certificate-signed preset's Sign:
// what its verifier is configured with (a topic ARN, a webhook ID), a
// newline, then a PEM RSA private key. The verifier fetches the key's
// certificate from the URL Sign names (see keyFingerprint), which the
// caller must serve.
func signingKey(typ, secret string) (string, *rsa.PrivateKey, error) {
	id, keyPEM, ok := strings.Cut(secret, "\n")
	if !ok || strings.TrimSpace(id) == "" {
		return "", nil, secretErr(typ, 0, "Sign needs the secret, a newline, then a PEM RSA private key")
	}
	sk, err := parseSignKey(keyPEM)
	if err != nil {
		return "", nil, secretErr(typ, 0, "after the first line: %v", err)
	}
	k, ok := sk.(*rsa.PrivateKey)
	if !ok {
		return "", nil, secretErr(typ, 0, "after the first line: a %T, not an RSA private key", sk)
	}
	return strings.TrimSpace(id), k, nil
}
