package verify

import (
	"net/http"
)

// CredentialHeaders lists the request headers of a preset's requests that
// carry a credential, which a request kept for inspection must not hold:
// the usual credential headers, and for schemes whose header holds the
// secret itself (a token, basic auth) the headers the scheme reads, and
// header, the header option when set; and the preset's Credentials.
func CredentialHeaders(p Preset, header string) []string {
	hs := []string{"Authorization", "Proxy-Authorization", "Cookie"}
	hs = append(hs, p.Credentials...)
	if p.Scheme == "token" || p.Scheme == "basic-auth" {
		hs = append(hs, p.Headers...)
		if header != "" {
			hs = append(hs, header)
		}
	}
	return hs
}

// Redact returns a copy of h with the values of the named headers
// replaced by "[redacted]" (see CredentialHeaders).
func Redact(h http.Header, names []string) http.Header {
	c := h.Clone()
	for _, name := range names {
		if _, ok := c[http.CanonicalHeaderKey(name)]; ok {
			c.Set(name, "[redacted]")
		}
	}
	return c
}
