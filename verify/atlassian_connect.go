package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func init() {
	register(Preset{
		Name:    "atlassian-connect",
		Aliases: []string{"jira-connect"},
		Scheme:  "jwt-hs256",
		// The token may come as the jwt query parameter.
		CredentialParams: []string{"jwt"},
		Description: "Atlassian Connect apps (Jira, Confluence): Authorization: JWT <HS256 token> keyed with the installation's sharedSecret, " +
			"its qsh (SHA-256 of method, path and sorted query) checked against the request, iat and exp; the body is NOT signed",
		Headers: []string{"Authorization"},
		// Atlassian's tokens live three minutes.
		Tolerance: atlassianTokenLife,
		// The delivery ID Jira sends Connect apps' webhooks, unchanged
		// across retries; neither it nor the body is signed.
		EventID:   "header:X-Atlassian-Webhook-Identifier",
		EventType: []string{"webhookEvent"},
		// public_url is the app's baseUrl: its path is not part of the
		// path the qsh covers.
		Options:      []string{"public_url", "issuer"},
		BodyUnsigned: true,
		New:          newWith(newAtlassianConnect),
		Sign:         signWith(newAtlassianConnect),
	})
}

// atlassianTokenLife is how long Atlassian's tokens are valid (exp - iat),
// and what Sign writes.
const atlassianTokenLife = 3 * time.Minute

// atlassianVerifier checks the JWT that Jira and Confluence send an
// Atlassian Connect app: in Authorization ("JWT <token>"; a jwt query
// parameter when the header is absent), HS256 keyed with the sharedSecret
// the product gave the app in its installed lifecycle callback (one per
// installation: each is a secret), with claims iss (the installation's
// clientKey), iat, exp and qsh, the hex SHA-256 of the canonical request
// (see atlassianQSH). The token does not cover the body: a token taken
// from a delivery can carry another body to the same URL until it
// expires. A qsh of "context-qsh" (tokens the products hand to the
// browser) is refused. It is safe for concurrent use.
type atlassianVerifier struct {
	check    *jwtCheck // for a token in Authorization
	query    *jwtCheck // for a token in the jwt query parameter
	basePath string    // the path of public_url (the app's baseUrl), without a trailing "/"
	issuer   string    // required iss; "" accepts any non-empty one
	tol      time.Duration
	secret   []byte // for sign
}

var _ Verifier = (*atlassianVerifier)(nil)

func newAtlassianConnect(o Options) (*atlassianVerifier, error) {
	ks, err := newJWTKeys("atlassian-connect", o, []string{"HS256"}, "", rawHMACKey)
	if err != nil {
		return nil, err
	}
	base, err := atlassianBasePath(o.PublicURL)
	if err != nil {
		return nil, err
	}
	return &atlassianVerifier{
		check:    newJWTCheck("header Authorization", []string{"HS256"}, ks, jwt.WithExpirationRequired()),
		query:    newJWTCheck("query parameter jwt", []string{"HS256"}, ks, jwt.WithExpirationRequired()),
		basePath: base,
		issuer:   o.Issuer,
		tol:      o.Tolerance,
		secret:   []byte(o.Secrets[0]),
	}, nil
}

// atlassianBasePath checks public_url, the app's baseUrl as its descriptor
// gives it, and returns its path without a trailing "/".
func atlassianBasePath(s string) (string, error) {
	u, err := parsePublicURL("atlassian-connect", s, true)
	if u == nil {
		return "", err
	}
	return strings.TrimRight(u.EscapedPath(), "/"), nil
}

// atlassianClaims are the claims of a Connect token.
type atlassianClaims struct {
	jwt.RegisteredClaims
	QSH string `json:"qsh"`
}

// Verify implements Verifier. The signature is checked first, so that
// ErrClaims, ErrTooOld and ErrTooNew mean a genuine token.
func (v *atlassianVerifier) Verify(r *Request, now time.Time) (Result, error) {
	tok, inQuery, err := atlassianToken(r)
	if err != nil {
		return Result{}, err
	}
	check := v.check
	if inQuery {
		check = v.query
	}
	where := check.where
	var c atlassianClaims
	k, err := check.parse(tok, &c, now)
	if err != nil {
		return Result{}, err
	}
	switch {
	case c.Issuer == "":
		return Result{}, claimsErr(where, "claim iss (the installation's clientKey) is missing")
	case v.issuer != "" && c.Issuer != v.issuer:
		return Result{}, claimsErr(where, "claim iss %q is not %q", truncate(c.Issuer), v.issuer)
	case c.QSH == "":
		return Result{}, claimsErr(where, "claim qsh is missing")
	case c.QSH == "context-qsh":
		return Result{}, claimsErr(where, "claim qsh is context-qsh, which a browser holds; a webhook's covers its request")
	}
	if err := checkIssuedAt(strings.TrimPrefix(where, "header "), &c, now, v.tol, true); err != nil {
		return Result{}, err
	}
	canon, err := atlassianCanonical(r.Method, r.URL, v.basePath)
	if err != nil {
		return Result{}, err
	}
	sum := sha256.Sum256([]byte(canon))
	if hex.EncodeToString(sum[:]) != strings.ToLower(c.QSH) {
		return Result{}, fmt.Errorf("%s: claim qsh does not match the request %q: %w", where, truncate(canon), ErrMismatch)
	}
	return Result{SecretIndex: k.index}, nil
}

// atlassianToken reads the token: Authorization "JWT <token>", or the jwt
// query parameter (inQuery) when there is no Authorization header.
func atlassianToken(r *Request) (tok string, inQuery bool, err error) {
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := cutPrefixFold(h, "JWT ")
		if !ok {
			return "", false, fmt.Errorf("header Authorization: does not start with \"JWT \": %w", ErrMalformed)
		}
		return strings.TrimSpace(t), false, nil
	}
	if t := queryValue(r.URL, "jwt"); t != "" {
		return t, true, nil
	}
	return "", false, fmt.Errorf("header Authorization (or query parameter jwt): %w", ErrNoSignature)
}

// atlassianCanonical is the canonical request whose SHA-256 is the qsh, as
// https://developer.atlassian.com/cloud/jira/platform/understanding-jwt-for-connect-apps/
// and atlassian-jwt's createCanonicalRequest define it:
//
//	METHOD "&" path "&" query
//
// The method in upper case. The path as sent (not unescaped), without the
// app's base path, "&" escaped as %26, "/" when empty, with no trailing
// "/". The query's parameters but jwt, decoded ("+" is a space), sorted by
// name; each written name=values, the values of a repeated name sorted and
// joined by ",", names and values percent-encoded but for the RFC 3986
// unreserved characters; joined by "&". (Strings are sorted by bytes,
// JavaScript by UTF-16 units: they differ only for characters outside the
// Basic Multilingual Plane.)
func atlassianCanonical(method, rawURL, basePath string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("request URL: does not parse: %w", ErrMalformed)
	}
	path := u.EscapedPath()
	if basePath != "" && (path == basePath || strings.HasPrefix(path, basePath+"/")) {
		path = path[len(basePath):]
	}
	path = strings.ReplaceAll(path, "&", "%26")
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	params := map[string][]string{}
	for rest := u.RawQuery; rest != ""; {
		var kv string
		kv, rest, _ = strings.Cut(rest, "&")
		if kv == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		if k, err = url.QueryUnescape(k); err != nil {
			return "", fmt.Errorf("request URL: query parameter name does not unescape: %w", ErrMalformed)
		}
		if val, err = url.QueryUnescape(val); err != nil {
			return "", fmt.Errorf("request URL: query parameter %q does not unescape: %w", truncate(k), ErrMalformed)
		}
		if k != "jwt" {
			params[k] = append(params[k], val)
		}
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(strings.ToUpper(method))
	b.WriteByte('&')
	b.WriteString(path)
	b.WriteByte('&')
	for i, k := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(rfc3986Escape(k))
		b.WriteByte('=')
		vals := params[k]
		slices.Sort(vals)
		for j, val := range vals {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(rfc3986Escape(val))
		}
	}
	return b.String(), nil
}

// rfc3986Escape percent-encodes every byte of s but the unreserved
// characters of RFC 3986 (ALPHA, DIGIT, "-", ".", "_", "~"), with upper-case
// hex digits, as OAuth 1.0 does.
func rfc3986Escape(s string) string {
	return jsEscape(s, "-._~")
}

// sign sets Authorization: JWT with a token for r as Jira would send it:
// iss the issuer option (or "hookgate"), iat now, exp three minutes later,
// and the qsh of r's method and URL.
func (v *atlassianVerifier) sign(r *Request, now time.Time) error {
	if r.URL == "" {
		return fmt.Errorf("atlassian-connect signs the request's path and query: the request has no URL: %w", ErrConfig)
	}
	canon, err := atlassianCanonical(r.Method, r.URL, v.basePath)
	if err != nil {
		return fmt.Errorf("atlassian-connect: %v: %w", err, ErrConfig)
	}
	sum := sha256.Sum256([]byte(canon))
	iss := v.issuer
	if iss == "" {
		iss = "hookgate"
	}
	tok, err := signToken("HS256", v.secret, "", jwt.MapClaims{
		"iss": iss, "iat": now.Unix(), "exp": now.Add(atlassianTokenLife).Unix(), "qsh": hex.EncodeToString(sum[:]),
	})
	if err != nil {
		return fmt.Errorf("atlassian-connect: %v: %w", err, ErrConfig)
	}
	r.Header.Set("Authorization", "JWT "+tok)
	return nil
}
