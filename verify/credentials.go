package verify

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
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

// defaultQueryParams are the query parameters that carry a preset's secret
// when its query_param option is not set.
var defaultQueryParams = map[string]string{"strava": stravaDefaultParam}

// CredentialParams lists the query parameters of a preset's request URLs
// that carry a secret: queryParam, the query_param option, when set, else
// the preset's default, if any (Event Grid's and Strava's URL secret);
// hub.verify_token where verify_token is an option (Meta, Strava); and the
// preset's CredentialParams (Atlassian Connect's jwt).
func CredentialParams(p Preset, queryParam string) []string {
	var out []string
	if queryParam == "" {
		queryParam = defaultQueryParams[p.Name]
	}
	if queryParam != "" && slices.Contains(p.Options, "query_param") {
		out = append(out, queryParam)
	}
	if slices.Contains(p.Options, "verify_token") {
		out = append(out, "hub.verify_token")
	}
	out = append(out, p.CredentialParams...)
	return out
}

// RedactQuery returns rawURL with the value of each query parameter named
// in names replaced by "[redacted]" (see CredentialParams); the rest of the
// URL is kept byte for byte.
func RedactQuery(rawURL string, names []string) string {
	if len(names) == 0 {
		return rawURL
	}
	base, q, ok := strings.Cut(rawURL, "?")
	if !ok {
		return rawURL
	}
	q, frag, hasFrag := strings.Cut(q, "#")
	parts := strings.Split(q, "&")
	for i, part := range parts {
		k, _, _ := strings.Cut(part, "=")
		if name, err := url.QueryUnescape(k); err == nil && slices.Contains(names, name) {
			parts[i] = k + "=" + url.QueryEscape("[redacted]")
		}
	}
	out := base + "?" + strings.Join(parts, "&")
	if hasFrag {
		out += "#" + frag
	}
	return out
}
