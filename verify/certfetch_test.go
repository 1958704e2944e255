package verify

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCertDefaultClient: without Options.HTTPClient, certificates are
// fetched with the default transport, which reads HTTPS_PROXY and NO_PROXY,
// and trusts the system roots (SSL_CERT_FILE): the end-to-end test of the
// binary goes through both.
func TestCertDefaultClient(t *testing.T) {
	if certClient(Options{}) != certDefaultClient || certDefaultClient.Transport != nil || certDefaultClient.Timeout != certTimeout {
		t.Fatalf("certDefaultClient = %+v; want the default transport and a timeout", certDefaultClient)
	}
	if tr, ok := http.DefaultTransport.(*http.Transport); !ok || tr.Proxy == nil {
		t.Errorf("http.DefaultTransport has no proxy function")
	}
}

// blockingCerts answers 404 to every request, each after release is
// closed (nil: at once), and counts them.
type blockingCerts struct {
	mu      sync.Mutex
	n       int
	release chan struct{}
}

func (b *blockingCerts) RoundTrip(r *http.Request) (*http.Response, error) {
	b.mu.Lock()
	b.n++
	ch := b.release
	b.mu.Unlock()
	if ch != nil {
		<-ch
	}
	return &http.Response{StatusCode: 404, Status: "404 Not Found", Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}

// TestCertCacheBounded: at most certCacheSize URLs are remembered, the
// least recently used dropped first.
func TestCertCacheBounded(t *testing.T) {
	c := newCertCache()
	client := &http.Client{Transport: &blockingCerts{}}
	now := time.Unix(1700000000, 0)
	const keep = "https://api.paypal.com/v1/notifications/certs/keep"
	for i := range certCacheSize + 10 {
		c.key(client, fmt.Sprintf("https://api.paypal.com/v1/notifications/certs/%d", i), now.Add(time.Duration(i)*time.Second))
		c.key(client, keep, now.Add(time.Duration(i)*time.Second)) // used each time: kept
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) > certCacheSize {
		t.Errorf("%d URLs remembered; want at most %d", len(c.entries), certCacheSize)
	}
	if c.entries[keep] == nil {
		t.Errorf("the URL used most recently was dropped")
	}
	if c.entries["https://api.paypal.com/v1/notifications/certs/0"] != nil {
		t.Errorf("the URL used least recently was kept")
	}
}

// TestCertMaxFetches: past certMaxFetches fetches under way, a request for
// another certificate fails at once with ErrKeysUnavailable.
func TestCertMaxFetches(t *testing.T) {
	c := newCertCache()
	b := &blockingCerts{release: make(chan struct{})}
	client := &http.Client{Transport: b}
	now := time.Unix(1700000000, 0)
	var wg sync.WaitGroup
	for i := range certMaxFetches {
		wg.Go(func() { c.key(client, fmt.Sprintf("https://api.paypal.com/v1/notifications/certs/busy-%d", i), now) })
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.Lock()
		n := b.n
		b.mu.Unlock()
		if n == certMaxFetches || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	_, err := c.key(client, "https://api.paypal.com/v1/notifications/certs/one-more", now)
	close(b.release)
	wg.Wait()
	if !errors.Is(err, ErrKeysUnavailable) || !strings.Contains(err.Error(), "under way") {
		t.Errorf("key with %d fetches under way = %v; want ErrKeysUnavailable", certMaxFetches, err)
	}
	if b.n != certMaxFetches {
		t.Errorf("%d fetches; want %d", b.n, certMaxFetches)
	}
}

// TestCertCacheKeepsKeys: a flood of URLs that serve no certificate (a
// stranger's, named before anything secret is checked) neither pushes a
// certificate in use out of the cache nor is fetched faster than
// certNewPerSecond after the first certNewBurst; a URL refused so takes
// no room.
func TestCertCacheKeepsKeys(t *testing.T) {
	c := newCertCache()
	b := &blockingCerts{}
	client := &http.Client{Transport: b}
	now := time.Unix(1700000000, 0)
	const good = "https://api.paypal.com/v1/notifications/certs/CERT-good"
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	c.entries[good] = &certEntry{key: &k.PublicKey, fetched: now, used: now.Add(-time.Hour)}
	refused := 0
	for i := range 4 * certCacheSize {
		_, err := c.key(client, fmt.Sprintf("https://api.paypal.com/v1/notifications/certs/flood-%d", i), now.Add(time.Duration(i)*time.Millisecond))
		if err != nil && strings.Contains(err.Error(), "a second") {
			refused++
		}
	}
	if got, err := c.key(client, good, now.Add(time.Second)); err != nil || got != &k.PublicKey {
		t.Errorf("the certificate in use after the flood: %v, %v; want it from the cache", got, err)
	}
	if b.n > certNewBurst+1 {
		t.Errorf("%d fetches for the flood within a quarter second; want at most %d", b.n, certNewBurst+1)
	}
	if refused == 0 || len(c.entries) > certCacheSize {
		t.Errorf("%d refused, %d URLs remembered; want refusals and at most %d", refused, len(c.entries), certCacheSize)
	}
}
