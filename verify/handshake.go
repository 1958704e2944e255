package verify

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// This file holds what the GET handshakes share: reading a query parameter
// of the request URL and echoing a challenge (Dropbox, Nylas).

// queryValue returns the query parameter name of the request URL rawURL.
// An unparsable URL has no parameters.
func queryValue(rawURL, name string) string {
	_, q, ok := strings.Cut(rawURL, "?")
	if !ok {
		return ""
	}
	q, _, _ = strings.Cut(q, "#")
	vals, err := url.ParseQuery(q)
	if err != nil {
		return ""
	}
	return vals.Get(name)
}

// maxChallenge bounds a challenge echoed back in a handshake, so the
// endpoint cannot be used to reflect large attacker-chosen content.
const maxChallenge = 512

// challengeEcho answers a GET handshake that echoes the query parameter
// param as text/plain (Dropbox, Nylas). The challenge is not signed, and the
// answer discloses nothing.
func challengeEcho(r *Request, param string) (Result, error) {
	c := queryValue(r.URL, param)
	switch {
	case c == "":
		return Result{}, fmt.Errorf("GET without query parameter %s: %w", param, ErrNoSignature)
	case len(c) > maxChallenge:
		return Result{}, fmt.Errorf("query parameter %s: %d bytes, at most %d: %w", param, len(c), maxChallenge, ErrMalformed)
	}
	return handshake(&Response{ContentType: "text/plain; charset=utf-8", Body: []byte(c)}), nil
}

// echoVerifier answers a GET verification request by echoing a query
// parameter (Dropbox's and Nylas's "challenge") and checks the MAC of every
// other request.
type echoVerifier struct {
	*hmacVerifier
	param string
}

// Verify implements Verifier.
func (v *echoVerifier) Verify(r *Request, now time.Time) (Result, error) {
	if r.Method == http.MethodGet {
		return challengeEcho(r, v.param)
	}
	return v.hmacVerifier.Verify(r, now)
}

// hubChallenge checks the WebSub-style subscription handshake that Meta
// and Strava send, GET ?hub.mode=subscribe&hub.challenge=...
// &hub.verify_token=..., and returns the challenge to echo: the verify
// token must match verifyToken (the SHA-256 of the verify_token option;
// nil when none is configured, and then no handshake is answered).
func hubChallenge(r *Request, verifyToken [][32]byte) (string, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return "", fmt.Errorf("handshake URL: %v: %w", err, ErrMalformed)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("handshake query: %v: %w", err, ErrMalformed)
	}
	if mode := q.Get("hub.mode"); mode != "subscribe" {
		return "", fmt.Errorf("handshake query: hub.mode is %q, not subscribe: %w", truncate(mode), ErrMalformed)
	}
	token := q.Get("hub.verify_token")
	if token == "" {
		return "", fmt.Errorf("handshake query: hub.verify_token: %w", ErrNoSignature)
	}
	challenge := q.Get("hub.challenge")
	switch {
	case challenge == "":
		return "", fmt.Errorf("handshake query: hub.challenge is missing: %w", ErrMalformed)
	case len(challenge) > maxChallenge:
		return "", fmt.Errorf("handshake query: hub.challenge: %d bytes, at most %d: %w", len(challenge), maxChallenge, ErrMalformed)
	case verifyToken == nil:
		return "", fmt.Errorf("handshake query: hub.verify_token given but no verify_token is configured: %w", ErrMismatch)
	case matchSecret(verifyToken, []byte(token)) < 0:
		return "", fmt.Errorf("handshake query: hub.verify_token does not match: %w", ErrMismatch)
	}
	return challenge, nil
}
