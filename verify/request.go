package verify

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Request is the part of an HTTP request that a scheme reads. Body is the raw
// request body, byte for byte as received.
type Request struct {
	Method string
	URL    string // the full URL the provider called, for schemes that sign it
	Header http.Header
	Body   []byte
}

// This file holds how schemes read a Request: the headers they require,
// a signature and the time it signs, a MAC behind its prefix.

// requireHeader returns the value of header name, or an error wrapping
// ErrNoSignature that names it when it is absent or empty.
func requireHeader(r *Request, name string) (string, error) {
	s := r.Header.Get(name)
	if s == "" {
		return "", fmt.Errorf("header %s: %w", name, ErrNoSignature)
	}
	return s, nil
}

// readStamped reads a signature header and the header of the time it
// signs, written in unit u: both must be present, and the time must parse
// unless it is opaque (then at is zero). Its errors name the header.
func readStamped(r *Request, sigHeader, tsHeader string, u stampUnit) (sig, ts string, at time.Time, err error) {
	if sig, err = requireHeader(r, sigHeader); err != nil {
		return "", "", at, err
	}
	if ts, err = requireHeader(r, tsHeader); err != nil {
		return "", "", at, err
	}
	if u != stampOpaque {
		if at, err = u.read("header", tsHeader, ts); err != nil {
			return "", "", at, err
		}
	}
	return sig, ts, at, nil
}

// readMAC decodes s, the value of header h, "<prefix><MAC encoded with
// enc>", into dst, whose length is the MAC's. The prefix is matched
// case-insensitively, as are hex digits.
func readMAC(dst []byte, h, s, prefix string, enc encoding) error {
	rest, ok := cutPrefixFold(s, prefix)
	if !ok {
		return fmt.Errorf("header %s: does not start with %q: %w", h, prefix, ErrMalformed)
	}
	if !decodeMAC(dst, rest, enc) {
		return fmt.Errorf("header %s: not a %d-byte %s MAC: %w", h, len(dst), enc, ErrMalformed)
	}
	return nil
}

// cutPrefixFold is strings.CutPrefix with the prefix matched
// case-insensitively ("bearer " for "Bearer ").
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// truncate shortens attacker-controlled text quoted in an error message.
func truncate(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
