package verify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:        "twilio",
		Scheme:      "hmac-sha1",
		Description: "Twilio: X-Twilio-Signature base64 HMAC-SHA1 over the URL plus sorted form params (JSON: the URL with bodySHA256), Auth Token raw",
		Headers:     []string{twilioHeader},
		// Twilio's own idempotency header, same across retries; without
		// it the body's SHA-256 identifies the event (form bodies hold
		// MessageSid or CallSid, which JSON paths cannot read).
		EventID: "header:I-Twilio-Idempotency-Token",
		Options: []string{"public_url"},
		New:     newWith(newTwilio),
		Sign:    signWith(newTwilio),
	})
}

const (
	twilioHeader   = "X-Twilio-Signature"
	twilioBodyHash = "bodySHA256"
)

// twilioVerifier checks Twilio's scheme: base64 HMAC-SHA1, keyed with the
// Auth Token, over the URL Twilio called followed, for a form body, by every
// parameter's name and value sorted by name then value. A JSON body is not
// in the MAC: the URL carries bodySHA256, the hex SHA-256 of the body, which
// must match.
type twilioVerifier struct{ urlMACs }

var _ Verifier = (*twilioVerifier)(nil)

func newTwilio(o Options) (*twilioVerifier, error) {
	u, err := newURLMACs("twilio", o, sha1.New)
	if err != nil {
		return nil, err
	}
	return &twilioVerifier{u}, nil
}

// Verify implements Verifier. Like Twilio's SDKs, it tries the URL without
// its port and with it (the default port added when there is none), since
// Twilio signs one or the other.
func (v *twilioVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	s, err := requireHeader(r, twilioHeader)
	if err != nil {
		return Result{}, err
	}
	var sig [sha1.Size]byte
	if err := readMAC(sig[:], twilioHeader, s, "", encBase64); err != nil {
		return Result{}, err
	}
	u, err := checkedURL(r, v.base, twilioHeader)
	if err != nil {
		return Result{}, err
	}
	hash, jsonBody := twilioQueryParam(u, twilioBodyHash)
	var params []byte
	if !jsonBody {
		var err error
		if params, err = twilioParams(r.Body); err != nil {
			return Result{}, fmt.Errorf("body: %v: %w", err, ErrMalformed)
		}
	}
	urls := twilioPortVariants(u)
	i := v.macs.find(func(st *macState) bool {
		for _, u := range urls {
			if u == "" {
				break
			}
			st.reset()
			writeTwilio(st, u, params)
			if hmac.Equal(st.sum(), sig[:]) {
				return true
			}
		}
		return false
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: signature over %s matches none of %d secrets: %w", twilioHeader, quoteURL(u), len(v.macs.pools), ErrMismatch)
	}
	if jsonBody {
		var want [sha256.Size]byte
		if !decodeMAC(want[:], hash, encHex) {
			return Result{}, fmt.Errorf("URL: %s=%q is not a hex SHA-256: %w", twilioBodyHash, truncate(hash), ErrMalformed)
		}
		if got := sha256.Sum256(r.Body); !hmac.Equal(got[:], want[:]) {
			return Result{}, fmt.Errorf("body: its SHA-256 does not match the URL's %s: %w", twilioBodyHash, ErrMismatch)
		}
	}
	return Result{SecretIndex: i}, nil
}

// writeTwilio feeds st the signed content: the URL, then the form
// parameters (none for a JSON body).
func writeTwilio(st *macState, u string, params []byte) {
	st.write(u)
	st.h.Write(params)
}

// sign signs r as Twilio does. A JSON body (by Content-Type or, without
// one, by its first byte) gets bodySHA256 added to r.URL, or replaced
// there; anything else is signed as a form body.
func (v *twilioVerifier) sign(r *Request, _ time.Time) error {
	if _, err := signingURL(r, v.base, "twilio"); err != nil {
		return err
	}
	var params []byte
	if twilioJSON(r) {
		sum := sha256.Sum256(r.Body)
		r.URL = twilioSetQueryParam(r.URL, twilioBodyHash, encHex.encode(sum[:]))
	} else {
		var err error
		if params, err = twilioParams(r.Body); err != nil {
			return fmt.Errorf("twilio: body is not form-encoded: %v: %w", err, ErrConfig)
		}
	}
	u := withPublicBase(r.URL, v.base)
	r.Header.Set(twilioHeader, v.macs.mac(0, encBase64, func(st *macState) { writeTwilio(st, u, params) }))
	return nil
}

func twilioJSON(r *Request) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		return strings.Contains(strings.ToLower(ct), "json")
	}
	b := bytes.TrimLeft(r.Body, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// twilioParams decodes a form body and returns its parameters as Twilio
// signs them: name and value of each, sorted by name then value, joined
// without separators. Repeated names are all kept.
func twilioParams(body []byte) ([]byte, error) {
	type param struct{ k, v string }
	var ps []param
	n := 0
	for rest := string(body); rest != ""; {
		var kv string
		kv, rest, _ = strings.Cut(rest, "&")
		if kv == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("parameter name %q: %v", truncate(k), err)
		}
		if val, err = url.QueryUnescape(val); err != nil {
			return nil, fmt.Errorf("parameter %q: %v", truncate(k), err)
		}
		ps = append(ps, param{k, val})
		n += len(k) + len(val)
	}
	slices.SortFunc(ps, func(a, b param) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	out := make([]byte, 0, n)
	for _, p := range ps {
		out = append(append(out, p.k...), p.v...)
	}
	return out, nil
}

// twilioQueryParam returns the value of the first query parameter name in the
// URL u, unescaped, and whether it is there.
func twilioQueryParam(u, name string) (string, bool) {
	_, q, ok := strings.Cut(u, "?")
	if !ok {
		return "", false
	}
	q, _, _ = strings.Cut(q, "#")
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, val, _ := strings.Cut(kv, "=")
		if k != name {
			if uk, err := url.QueryUnescape(k); err != nil || uk != name {
				continue
			}
		}
		if uv, err := url.QueryUnescape(val); err == nil {
			val = uv
		}
		return val, true
	}
	return "", false
}

// twilioSetQueryParam returns u with the query parameter name set to val: the
// first occurrence's value replaced, or the parameter appended.
func twilioSetQueryParam(u, name, val string) string {
	path, q, hasQuery := strings.Cut(u, "?")
	if !hasQuery {
		return u + "?" + name + "=" + val
	}
	parts := strings.Split(q, "&")
	for i, kv := range parts {
		if k, _, _ := strings.Cut(kv, "="); k == name {
			parts[i] = name + "=" + val
			return path + "?" + strings.Join(parts, "&")
		}
	}
	if q == "" {
		return u + name + "=" + val
	}
	return u + "&" + name + "=" + val
}

// twilioPortVariants returns u without its port and with it, the scheme's default
// port added when u has none, as Twilio's SDKs try both. The second is ""
// when u has no scheme://host to work on or its scheme has no default port.
func twilioPortVariants(u string) [2]string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return [2]string{u, ""}
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	at := strings.LastIndexByte(authority, '@') + 1 // keep user info as it is
	host, port := authority, ""
	if i := strings.LastIndexByte(authority[at:], ':'); i >= 0 && !strings.Contains(authority[at+i:], "]") {
		host, port = authority[:at+i], authority[at+i+1:]
	}
	if port == "" {
		switch strings.ToLower(scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		default:
			return [2]string{u, ""}
		}
	}
	return [2]string{scheme + "://" + host + tail, scheme + "://" + host + ":" + port + tail}
}
