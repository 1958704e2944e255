package verify

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rfc7638Key is the example RSA key of RFC 7638 section 3.1, whose
// thumbprint the RFC gives.
const (
	rfc7638Key        = `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`
	rfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
	// A P-256 point from the Plaid vector.
	plaidJWK = `{"kty":"EC","crv":"P-256","kid":"bfbd5111","alg":"ES256","use":"sig","x":"B-xjFj-_lfNu6Szeyk6I8M3nEWb73Vik7_tX0XxnQ6w","y":"z3p4W0RW5-LFDJqzrMhpBaVwCtHwiEIU-J0M90y3XTA","created_at":1560466150,"expired_at":null}`
)

func TestJWKThumbprint(t *testing.T) {
	k, err := parseJWK([]byte(rfc7638Key), true)
	if err != nil {
		t.Fatal(err)
	}
	if got := jwkThumbprint(k.key); got != rfc7638Thumbprint {
		t.Errorf("jwkThumbprint(RFC 7638 key) = %s; want %s", got, rfc7638Thumbprint)
	}
}

func TestParseJWK(t *testing.T) {
	edit := func(jwk, old, new string) string { return strings.Replace(jwk, old, new, 1) }
	tests := []struct {
		name  string
		jwk   string
		alone bool
		want  string // "" valid, "skip" skipped, else part of the error
	}{
		{name: "RSA", jwk: rfc7638Key, alone: true},
		{name: "EC", jwk: plaidJWK, alone: true},
		{name: "OKP", jwk: `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`, alone: true},
		{name: "expired_at", jwk: edit(plaidJWK, `"expired_at":null`, `"expired_at":1700000000`), alone: true},
		{name: "expired_at a string", jwk: edit(plaidJWK, `"expired_at":null`, `"expired_at":"soon"`), alone: true, want: "expired_at"},
		{name: "encryption key in a set", jwk: edit(plaidJWK, `"use":"sig"`, `"use":"enc"`), want: "skip"},
		{name: "encryption key alone", jwk: edit(plaidJWK, `"use":"sig"`, `"use":"enc"`), alone: true, want: "not sig"},
		{name: "private", jwk: edit(plaidJWK, `"kty"`, `"d":"AAAA","kty"`), alone: true, want: "private"},
		{name: "symmetric", jwk: `{"kty":"oct","k":"c2VjcmV0"}`, alone: true, want: "symmetric"},
		{name: "unknown kty", jwk: `{"kty":"XYZ"}`, alone: true, want: "kty"},
		{name: "not JSON", jwk: `{"kty":`, alone: true, want: "JSON"},
		{name: "member not a string", jwk: `{"kty":1}`, alone: true, want: "JSON"},
		{name: "RSA even exponent", jwk: edit(rfc7638Key, `"AQAB"`, `"AQAA"`), alone: true, want: "exponent"},
		{name: "RSA huge exponent", jwk: edit(rfc7638Key, `"AQAB"`, `"AQAAAAAB"`), alone: true, want: "size"},
		{name: "RSA small", jwk: `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP","e":"AQAB"}`, alone: true, want: "bits"},
		{name: "EC short x", jwk: edit(plaidJWK, `"x":"B-xjFj-_`, `"x":"`), alone: true, want: "32 bytes"},
		{name: "EC off the curve", jwk: edit(plaidJWK, `"y":"z3p4`, `"y":"z3p5`), alone: true, want: "curve"},
		{name: "EC other curve", jwk: edit(plaidJWK, `"P-256"`, `"secp256k1"`), alone: true, want: "curve"},
		{name: "alg does not fit", jwk: edit(plaidJWK, `"ES256"`, `"RS256"`), alone: true, want: "alg"},
		{name: "OKP X25519", jwk: `{"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`, alone: true, want: "Ed25519"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseJWK([]byte(tt.jwk), tt.alone)
			switch {
			case tt.want == "" && err != nil,
				tt.want == "skip" && !errors.Is(err, errJWKSkipped),
				tt.want != "" && tt.want != "skip" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("parseJWK(%s) = %v; want %q", tt.name, err, tt.want)
			}
		})
	}
}

func TestParseJWKS(t *testing.T) {
	bad := `{"kty":"oct","k":"c2VjcmV0"}`
	tests := []struct {
		name   string
		doc    string
		strict bool
		keys   int // -1: error
	}{
		{name: "one", doc: `{"keys":[` + plaidJWK + `]}`, strict: true, keys: 1},
		{name: "two", doc: `{"keys":[` + plaidJWK + `,` + rfc7638Key + `]}`, strict: true, keys: 2},
		{name: "fetched skips a bad key", doc: `{"keys":[` + bad + `,` + plaidJWK + `]}`, keys: 1},
		{name: "inline refuses a bad key", doc: `{"keys":[` + bad + `,` + plaidJWK + `]}`, strict: true, keys: -1},
		{name: "only bad keys", doc: `{"keys":[` + bad + `]}`, keys: -1},
		{name: "empty", doc: `{"keys":[]}`, keys: -1},
		{name: "a bare list", doc: `[` + plaidJWK + `]`, keys: -1},
		{name: "keys not a list", doc: `{"keys":{}}`, keys: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := parseJWKS([]byte(tt.doc), tt.strict)
			if tt.keys < 0 && err == nil || tt.keys >= 0 && len(keys) != tt.keys {
				t.Errorf("parseJWKS(%s) = %d keys, %v; want %d", tt.name, len(keys), err, tt.keys)
			}
		})
	}
}

func TestCheckJWKSURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://www.googleapis.com/oauth2/v3/certs": true,
		"http://127.0.0.1:8080/keys":                 true,
		"http://localhost/keys":                      true,
		"http://[::1]/keys":                          true,
		"http://keys.example/keys":                   false,
		"http://10.0.0.1/keys":                       false,
		"ftp://127.0.0.1/keys":                       false,
		"/keys":                                      false,
		"https://":                                   false,
		"::":                                         false,
	} {
		if err := checkJWKSURL(u); (err == nil) != ok {
			t.Errorf("checkJWKSURL(%q) = %v; want ok %v", u, err, ok)
		}
	}
}

// TestFetchJWKS covers what a JWKS endpoint may answer.
func TestFetchJWKS(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		ok     bool
	}{
		{name: "ok", status: 200, body: `{"keys":[` + plaidJWK + `]}`, ok: true},
		{name: "not found", status: 404, body: `{"keys":[` + plaidJWK + `]}`},
		{name: "not JSON", status: 200, body: `<html>`},
		{name: "too large", status: 200, body: `{"keys":[` + plaidJWK + `],"pad":"` + strings.Repeat("x", jwksMaxSize) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			keys, _, err := fetchJWKS(srv.Client(), srv.URL)
			if (err == nil) != tt.ok || tt.ok && len(keys) != 1 {
				t.Errorf("fetchJWKS(%s) = %d keys, %v; want ok %v", tt.name, len(keys), err, tt.ok)
			}
		})
	}
}

// waitFor polls cond until it holds, and fails tb when it does not within
// ten seconds, which leaves a slow shared machine its margin. It is how the
// tests wait for something to happen; none sleeps instead.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestJWKSCacheSingleFetch starts many requests for an uncached URL at
// once: one fetch serves them all.
func TestJWKSCacheSingleFetch(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
		fmt.Fprint(w, `{"keys":[`+plaidJWK+`]}`)
	}))
	defer srv.Close()
	c := jwksCacheFor(srv.URL)
	now := time.Unix(1700000000, 0)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			keys, err := c.get(srv.Client(), time.Hour, "bfbd5111", now)
			if err == nil && len(keys) != 1 {
				err = fmt.Errorf("%d keys", len(keys))
			}
			errs <- err
		})
	}
	waitFor(t, "a fetch to start", func() bool { return hits.Load() > 0 })
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("get() = %v; want the fetched key", err)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("fetches = %d; want 1", n)
	}
	if jwksCacheFor(srv.URL) != c {
		t.Errorf("jwksCacheFor(%s) made a second cache", srv.URL)
	}
}

// TestFetchJWKSRedirects checks the redirects a JWKS fetch follows: a new
// path on the same scheme and host, and no other.
func TestFetchJWKSRedirects(t *testing.T) {
	doc := `{"keys":[` + plaidJWK + `]}`
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		fmt.Fprint(w, doc)
	}))
	defer other.Close()
	// serve answers /keys with the document and /to?u=URL with a redirect
	// to URL.
	serve := func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/keys":
			fmt.Fprint(w, doc)
		case "/to":
			http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	}
	plain := httptest.NewServer(http.HandlerFunc(serve))
	defer plain.Close()
	tls := httptest.NewTLSServer(http.HandlerFunc(serve))
	defer tls.Close()
	tlsHostPort := strings.TrimPrefix(tls.URL, "https://")

	for _, c := range []struct {
		name   string
		client *http.Client
		url    string
		want   error // nil: the keys
	}{
		{name: "same host, new path", client: plain.Client(), url: plain.URL + "/to?u=/keys"},
		{name: "https, same host, new path", client: tls.Client(), url: tls.URL + "/to?u=/keys"},
		{name: "https to http on the same host and port", client: tls.Client(), url: tls.URL + "/to?u=http://" + tlsHostPort + "/keys", want: errJWKSRedirect},
		{name: "another host", client: plain.Client(), url: plain.URL + "/to?u=" + other.URL + "/keys", want: errJWKSRedirect},
		{name: "https to another host", client: tls.Client(), url: tls.URL + "/to?u=" + other.URL + "/keys", want: errJWKSRedirect},
		{name: "a redirect loop", client: plain.Client(), url: plain.URL + "/loop", want: errors.New("stopped after 3 redirects")},
	} {
		t.Run(c.name, func(t *testing.T) {
			keys, _, err := fetchJWKS(c.client, c.url)
			switch {
			case c.want == nil && (err != nil || len(keys) != 1):
				t.Errorf("fetchJWKS(%s) = %d keys, %v; want 1 key", c.url, len(keys), err)
			case c.want != nil && !errors.Is(err, c.want) && (err == nil || !strings.Contains(err.Error(), c.want.Error())):
				t.Errorf("fetchJWKS(%s) = %d keys, %v; want %v", c.url, len(keys), err, c.want)
			}
		})
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the other host was fetched %d times; want 0", n)
	}
	// The policy holds whatever the client's own: it is not changed.
	if tls.Client().CheckRedirect != nil {
		t.Errorf("fetchJWKS changed the client's CheckRedirect")
	}
}

// TestFetchJWKSSizeCap checks that a document over the cap is refused,
// announced or not, with an error naming the cap.
func TestFetchJWKSSizeCap(t *testing.T) {
	big := `{"keys":[` + plaidJWK + `],"pad":"` + strings.Repeat("x", jwksMaxSize) + `"}`
	for _, announce := range []bool{true, false} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if announce {
				w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			}
			fmt.Fprint(w, big)
			w.(http.Flusher).Flush()
		}))
		_, _, err := fetchJWKS(srv.Client(), srv.URL)
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), "1048576-byte cap") {
			t.Errorf("fetchJWKS(%d bytes, Content-Length %v) = %v; want an error naming the cap", len(big), announce, err)
		}
	}
}

func TestCacheMaxAge(t *testing.T) {
	for _, c := range []struct {
		header []string
		want   time.Duration
	}{
		{nil, -1},
		{[]string{"public, max-age=3600"}, time.Hour},
		{[]string{`max-age="60"`}, time.Minute},
		{[]string{"Max-Age=60, must-revalidate"}, time.Minute},
		{[]string{"public", "max-age=120"}, 2 * time.Minute},
		{[]string{"max-age=60, no-cache"}, 0},
		{[]string{"no-store"}, 0},
		{[]string{"max-age=soon"}, -1},
		{[]string{"max-age=-5"}, -1},
	} {
		h := http.Header{"Cache-Control": c.header}
		if got := cacheMaxAge(h); got != c.want {
			t.Errorf("cacheMaxAge(%q) = %s; want %s", c.header, got, c.want)
		}
	}
}

// TestJWKSCacheMaxAge drives a cache through time: the response's max-age
// sets when keys are fetched again, bounded by the configured refresh;
// and while fetching fails, keys are trusted for twice that period.
func TestJWKSCacheMaxAge(t *testing.T) {
	for _, c := range []struct {
		name         string
		cacheControl string
		refresh      time.Duration
		period       time.Duration // when the keys are fetched again
	}{
		{name: "none", refresh: time.Hour, period: time.Hour},
		{name: "shorter than refresh", cacheControl: "max-age=60", refresh: time.Hour, period: time.Minute},
		{name: "longer than refresh", cacheControl: "max-age=7200", refresh: time.Hour, period: time.Hour},
		{name: "below the fetch interval", cacheControl: "no-cache", refresh: time.Hour, period: jwksMinInterval},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hits atomic.Int32
			var failing atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if failing.Load() {
					w.WriteHeader(http.StatusInternalServerError)
					return
				}
				if c.cacheControl != "" {
					w.Header().Set("Cache-Control", c.cacheControl)
				}
				fmt.Fprint(w, `{"keys":[`+plaidJWK+`]}`)
			}))
			defer srv.Close()
			// A path of its own: caches outlive their servers, and a port
			// may be used again.
			cache := jwksCacheFor(srv.URL + "/" + t.Name())
			t0 := time.Unix(1700000000, 0)
			// get checks the outcome at t0+at, and the number of fetches
			// so far unless wantHits is -1.
			get := func(at time.Duration, wantHits int32, wantOK bool) {
				t.Helper()
				keys, err := cache.get(srv.Client(), c.refresh, "bfbd5111", t0.Add(at))
				if (err == nil) != wantOK || wantOK && len(keys) != 1 {
					t.Fatalf("get at +%s = %d keys, %v; want ok %v", at, len(keys), err, wantOK)
				}
				if !wantOK && !errors.Is(err, ErrKeysUnavailable) {
					t.Fatalf("get at +%s = %v; want ErrKeysUnavailable", at, err)
				}
				if n := hits.Load(); wantHits >= 0 && n != wantHits {
					t.Fatalf("get at +%s: %d fetches; want %d", at, n, wantHits)
				}
			}
			get(0, 1, true)
			get(c.period-time.Second, 1, true) // cached
			get(c.period, 2, true)             // fetched again
			failing.Store(true)
			t1 := 2 * c.period                    // from the second fetch, at c.period
			get(t1, 3, true)                      // a failed refresh: the keys are still trusted
			get(3*c.period-time.Second, -1, true) // refreshes are rate limited, and fail
			get(3*c.period, -1, false)            // twice the period since the last success
		})
	}
}
