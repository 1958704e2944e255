package verify

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// This file holds the query helpers of the handshakes.

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

// errNoRequestURL is returned when a scheme that signs the URL gets a request
// without one.
var errNoRequestURL = errors.New("the request has no URL")
