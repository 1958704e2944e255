package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"strconv"
	"strings"
)

// This file holds what the schemes that sign the request URL share (Trello,
// Twilio, HubSpot, Square): the public_url option, which gives the URL the
// provider was told when a proxy changes what the gateway sees, and quoting
// a URL in a message.

// checkedURL returns the URL the signature in header h covers: the
// request's, with its scheme and host replaced by base when set (see
// withPublicBase). A request without one is ErrMalformed.
func checkedURL(r *Request, base, h string) (string, error) {
	u := withPublicBase(r.URL, base)
	if u == "" {
		return "", fmt.Errorf("header %s: the request has no URL to check it against: %w", h, ErrMalformed)
	}
	return u, nil
}

// signingURL is checkedURL for Sign, to which a request without a URL is
// a caller's mistake (ErrConfig); typ names the preset.
func signingURL(r *Request, base, typ string) (string, error) {
	u := withPublicBase(r.URL, base)
	if u == "" {
		return "", fmt.Errorf("%s signs the URL: the request has none and public_url is not set: %w", typ, ErrConfig)
	}
	return u, nil
}

// parsePublicBase checks a public_url for schemes that keep the request's
// path and query and take only the scheme, host and port from it. It
// returns "scheme://host[:port]", or "" for an empty option; typ names the
// preset in errors.
func parsePublicBase(typ, s string) (string, error) {
	u, err := parsePublicURL(typ, s, false)
	if u == nil {
		return "", err
	}
	return u.Scheme + "://" + u.Host, nil
}

// parsePublicURL checks a public_url: an http:// or https:// URL with a
// host, no user info, query or fragment, and no path unless withPath (an
// app's base URL, whose path the provider puts before the request's). It
// returns nil, nil for an empty option; typ names the preset in errors.
func parsePublicURL(typ, s string, withPath bool) (*url.URL, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		err = errors.New("not a URL")
	case u.Scheme != "https" && u.Scheme != "http" || u.Host == "":
		err = errors.New("not an http:// or https:// URL with a host")
	case u.User != nil:
		err = errors.New("has user info")
	case withPath && (u.RawQuery != "" || u.Fragment != "" || u.ForceQuery):
		err = errors.New("has a query; give the app's baseUrl")
	case !withPath && (u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery):
		err = errors.New("has a path or query; give scheme://host[:port] only, the request's path and query are kept")
	}
	if err != nil {
		return nil, fmt.Errorf("%s: option public_url %s: %v: %w", typ, quoteURL(s), err, ErrConfig)
	}
	return u, nil
}

// quoteURL quotes a URL for an error message, without a password it may
// hold.
func quoteURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return strconv.Quote(truncate(u.Redacted()))
	}
	if strings.Contains(s, "@") {
		return "(not shown: it may hold a password)"
	}
	return strconv.Quote(truncate(s))
}

// withPublicBase returns the URL the provider called: reqURL with its
// scheme, host and port replaced by base, the path and query kept. An
// empty base leaves reqURL as it is; a reqURL without scheme://host is
// taken as a path.
func withPublicBase(reqURL, base string) string {
	if base == "" {
		return reqURL
	}
	rest := reqURL
	if _, after, ok := strings.Cut(reqURL, "://"); ok {
		rest = ""
		if i := strings.IndexAny(after, "/?"); i >= 0 {
			rest = after[i:]
		}
	}
	if rest == "" || rest[0] != '/' {
		rest = "/" + rest
	}
	return base + rest
}

// urlMACs is what a scheme that signs the URL it was called at holds: the
// base that public_url puts in place of the request's, and the secrets'
// MACs (Twilio, Plivo, Mandrill, Trello).
type urlMACs struct {
	base string // scheme://host[:port] from public_url, or ""
	macs *macSet
}

// newURLMACs reads public_url for the preset typ and keys MACs of hash h
// with the raw secrets.
func newURLMACs(typ string, o Options, h func() hash.Hash) (urlMACs, error) {
	base, err := parsePublicBase(typ, o.PublicURL)
	if err != nil {
		return urlMACs{}, err
	}
	return urlMACs{base: base, macs: newMACSet(rawKeys(o.Secrets), h)}, nil
}

// signedID identifies an event by the SHA-256 of what its signature
// covers, for schemes that sign a canonical form of the request (decoded,
// sorted form parameters) rather than its bytes: a body encoded again
// (parameters reordered, escapes changed) is the same event, where the
// body's own SHA-256 would make it a new one.
func signedID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
