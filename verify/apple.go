package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func init() {
	register(Preset{
		Name:    "apple-assn-v2",
		Aliases: []string{"apple"},
		Scheme:  "jws-x5c-es256",
		Description: `Apple App Store Server Notifications V2: body {"signedPayload": ES256 JWS} whose x5c chain must lead to a trust anchor ` +
			"in secrets (Apple Root CA G3, PEM or base64 DER); bundle_id required, environment and app_apple_id checked when set; " +
			"Sign takes a PEM bundle of the leaf's private key and the chain (leaf, intermediate, root)",
		// The event ID (notificationUUID, which Apple says to dedupe on)
		// and type (notificationType, subtype) are inside the signed
		// payload, which Verify returns in Result.Payload for the gateway
		// to read them from.
		EventID:   "notificationUUID",
		EventType: []string{"notificationType", "subtype"},
		Options:   []string{"bundle_id", "environment", "app_apple_id"},
		New:       newWith(newApple),
		Sign:      signApple,
	})
}

// appleField is the body member that carries the JWS.
const appleField = "signedPayload"

// Marker extensions of Apple's App Store signing chain, checked by Apple's
// own libraries: on the leaf (receipt signing) and on the intermediate
// (Apple Worldwide Developer Relations).
var (
	appleLeafOID         = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 11, 1}
	appleIntermediateOID = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 2, 1}
)

// appleVerifier checks an App Store Server Notification V2: the x5c chain
// of the JWS header must verify, at the request's time, up to one of the
// trust anchors, with Apple's marker extensions on the leaf and the
// intermediate; the JWS must verify with the leaf's P-256 key; and the
// payload's bundle ID, environment and app Apple ID must be the configured
// ones. signedDate is informative: nothing is timed.
type appleVerifier struct {
	check   *jwtCheck
	roots   *x509.CertPool
	anchors []*x509.Certificate
	index   []int // secret index of each anchor
	bundle  string
	env     string
	appID   int64
}

var _ Verifier = (*appleVerifier)(nil)

func newApple(o Options) (*appleVerifier, error) {
	if o.BundleID == "" {
		// Apple signs every app's notifications with the same chain: only
		// the bundle ID says the notification is for this app.
		return nil, fmt.Errorf("apple-assn-v2: option bundle_id is required: %w", ErrConfig)
	}
	anchors, err := parseSecrets("apple-assn-v2", o.Secrets, parseAnchors)
	if err != nil {
		return nil, err
	}
	v := &appleVerifier{roots: x509.NewCertPool(), bundle: o.BundleID, env: o.Environment, appID: o.AppAppleID}
	for i, certs := range anchors {
		for _, c := range certs {
			v.roots.AddCert(c)
			v.anchors = append(v.anchors, c)
			v.index = append(v.index, i)
		}
	}
	v.check = newJWTCheck("body field "+appleField, []string{"ES256"}, nil)
	v.check.candidates = v.leafKey
	return v, nil
}

// parseAnchors reads trust anchors: one or more PEM CERTIFICATE blocks, or
// the base64 DER of one certificate.
func parseAnchors(s string) ([]*x509.Certificate, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "-----BEGIN") {
		der, err := decodeStdBase64(s)
		if err != nil {
			return nil, errors.New("not PEM or base64 DER")
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, errors.New("base64 DER is not a certificate")
		}
		return []*x509.Certificate{c}, nil
	}
	var certs []*x509.Certificate
	for rest := []byte(s); ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, errors.New("a PEM block is not a CERTIFICATE")
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, errors.New("PEM CERTIFICATE does not parse")
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return certs, nil
}

// appleMaxChain bounds the x5c header: Apple sends leaf, intermediate and
// root.
const appleMaxChain = 3

// leafKey checks the x5c chain of t at now and returns the leaf's key,
// with the index of the anchor the chain leads to.
func (v *appleVerifier) leafKey(t *jwt.Token, _ string, now time.Time) ([]jwtKey, error) {
	w := v.check.where
	raw, ok := t.Header["x5c"].([]any)
	if !ok {
		return nil, fmt.Errorf("%s: JWS header has no x5c certificate chain: %w", w, ErrMalformed)
	}
	if len(raw) < 2 || len(raw) > appleMaxChain {
		return nil, fmt.Errorf("%s: x5c has %d certificates, want 2 or 3: %w", w, len(raw), ErrMalformed)
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, e := range raw {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("%s: x5c[%d] is not a string: %w", w, i, ErrMalformed)
		}
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%s: x5c[%d] is not base64: %w", w, i, ErrMalformed)
		}
		if certs[i], err = x509.ParseCertificate(der); err != nil {
			return nil, fmt.Errorf("%s: x5c[%d] is not a certificate: %w", w, i, ErrMalformed)
		}
	}
	leaf, inter := certs[0], certs[1]
	if !hasExtension(leaf, appleLeafOID) {
		return nil, fmt.Errorf("%s: x5c leaf lacks Apple's extension %s: %w", w, appleLeafOID, ErrMismatch)
	}
	if !hasExtension(inter, appleIntermediateOID) {
		return nil, fmt.Errorf("%s: x5c intermediate lacks Apple's extension %s: %w", w, appleIntermediateOID, ErrMismatch)
	}
	pool := x509.NewCertPool()
	pool.AddCert(inter) // x5c[2], the root, is not trusted: only the anchors are
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         v.roots,
		Intermediates: pool,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: x5c chain: %v: %w", w, err, ErrMismatch)
	}
	for _, ch := range chains {
		if len(ch) != 3 || !ch[1].Equal(inter) {
			continue
		}
		for i, a := range v.anchors {
			if ch[2].Equal(a) {
				pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
				if !ok || pub.Curve != elliptic.P256() {
					return nil, fmt.Errorf("%s: x5c leaf key is not ECDSA P-256: %w", w, ErrMismatch)
				}
				return []jwtKey{{key: pub, index: v.index[i]}}, nil
			}
		}
	}
	return nil, fmt.Errorf("%s: x5c chain is not leaf, x5c[1], trust anchor: %w", w, ErrMismatch)
}

func hasExtension(c *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return true
		}
	}
	return false
}

// appleApp is where a notification names its app: data, summary or
// externalPurchaseToken.
type appleApp struct {
	BundleID           string `json:"bundleId"`
	Environment        string `json:"environment"`
	AppAppleID         int64  `json:"appAppleId"`
	ExternalPurchaseID string `json:"externalPurchaseId"`
}

// appleClaims is the part of the decoded payload that is checked.
type appleClaims struct {
	jwt.RegisteredClaims
	NotificationUUID      string    `json:"notificationUUID"`
	Data                  *appleApp `json:"data"`
	Summary               *appleApp `json:"summary"`
	ExternalPurchaseToken *appleApp `json:"externalPurchaseToken"`
}

// app returns the bundle ID, environment and app Apple ID the way Apple's
// libraries read them.
func (c *appleClaims) app() (appleApp, bool) {
	switch {
	case c.Data != nil:
		return *c.Data, true
	case c.Summary != nil:
		return *c.Summary, true
	case c.ExternalPurchaseToken != nil:
		a := *c.ExternalPurchaseToken
		a.Environment = "Production"
		if strings.HasPrefix(a.ExternalPurchaseID, "SANDBOX") {
			a.Environment = "Sandbox"
		}
		return a, true
	}
	return appleApp{}, false
}

// Verify implements Verifier. A body without signedPayload is
// ErrNoSignature; an x5c chain that does not verify, or a bad signature,
// is ErrMismatch; a genuine notification for another app or environment is
// ErrClaims. The app Apple ID is compared when configured and the payload
// carries one or is from Production (as Apple's libraries do).
func (v *appleVerifier) Verify(r *Request, now time.Time) (Result, error) {
	tok, err := jsonStringMember(r.Body, appleField)
	if err != nil {
		return Result{}, err
	}
	var c appleClaims
	k, err := v.check.parse(tok, &c, now)
	if err != nil {
		return Result{}, err
	}
	w := v.check.where
	a, ok := c.app()
	switch {
	case !ok:
		return Result{}, claimsErr(w, "payload has no data, summary or externalPurchaseToken")
	case a.BundleID != v.bundle:
		return Result{}, claimsErr(w, "bundleId %q is not %q", truncate(a.BundleID), v.bundle)
	case v.env != "" && a.Environment != v.env:
		return Result{}, claimsErr(w, "environment %q is not %q", truncate(a.Environment), v.env)
	case v.appID != 0 && (a.AppAppleID != 0 || a.Environment == "Production") && a.AppAppleID != v.appID:
		return Result{}, claimsErr(w, "appAppleId %d is not %d", a.AppAppleID, v.appID)
	}
	return Result{SecretIndex: k.index, Payload: jwsPayload(tok)}, nil
}

// jwsPayload decodes the payload of a compact JWS that has been verified.
func jwsPayload(tok string) []byte {
	parts := strings.SplitN(tok, ".", 3)
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	return b
}

// jsonStringMember returns the string member name of the JSON object body.
// A body that is not an object, or holds name twice or not as a string, is
// ErrMalformed: a duplicate could be read one way here and another way by
// the field extractor that identifies the event. An absent or empty member
// is ErrNoSignature.
func jsonStringMember(body []byte, name string) (string, error) {
	where := "body field " + name
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", fmt.Errorf("%s: body is not a JSON object: %w", where, ErrMalformed)
	}
	var val string
	found := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", fmt.Errorf("%s: body is not valid JSON: %w", where, ErrMalformed)
		}
		if key, _ := t.(string); key != name {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", fmt.Errorf("%s: body is not valid JSON: %w", where, ErrMalformed)
			}
			continue
		}
		if found {
			return "", fmt.Errorf("%s: appears twice: %w", where, ErrMalformed)
		}
		found = true
		if err := dec.Decode(&val); err != nil {
			return "", fmt.Errorf("%s: not a string: %w", where, ErrMalformed)
		}
	}
	if _, err := dec.Token(); err != nil {
		return "", fmt.Errorf("%s: body is not valid JSON: %w", where, ErrMalformed)
	}
	if val == "" {
		return "", fmt.Errorf("%s: %w", where, ErrNoSignature)
	}
	return val, nil
}

// signApple replaces r.Body, the notification payload (a JSON object; an
// empty body is {}), with {"signedPayload": JWS}, as Apple sends it. The
// payload gets what Apple always puts in it when it is missing: signedDate
// (now, in ms), notificationUUID, and data.bundleId, data.environment and
// data.appAppleId from the options. o.Secrets[0] is a PEM bundle: the
// leaf's private key (PKCS#8 or SEC 1) and the certificates, leaf first,
// then the intermediate and usually the root, which go into x5c.
func signApple(r *Request, o Options, now time.Time) error {
	key, chain, err := parseAppleBundle(o.Secrets[0])
	if err != nil {
		return secretErr("apple-assn-v2", 0, "%v", err)
	}
	payload, err := applePayload(r.Body, o, now)
	if err != nil {
		return fmt.Errorf("apple-assn-v2: %v: %w", err, ErrConfig)
	}
	hdr, err := json.Marshal(struct {
		Alg string   `json:"alg"`
		X5c []string `json:"x5c"`
		Typ string   `json:"typ"`
	}{"ES256", chain, "JWT"})
	if err != nil {
		return fmt.Errorf("apple-assn-v2: %v: %w", err, ErrConfig)
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(hdr) + "." + enc.EncodeToString(payload)
	sig, err := jwt.SigningMethodES256.Sign(signing, key)
	if err != nil {
		return fmt.Errorf("apple-assn-v2: %v: %w", err, ErrConfig)
	}
	r.Body = []byte(`{"` + appleField + `":"` + signing + "." + enc.EncodeToString(sig) + `"}`)
	return nil
}

// parseAppleBundle reads the signing bundle of signApple: the private key
// and the base64 DER certificates for x5c.
func parseAppleBundle(s string) (*ecdsa.PrivateKey, []string, error) {
	var (
		key   *ecdsa.PrivateKey
		chain []string
		leaf  *x509.Certificate
	)
	for rest := []byte(strings.TrimSpace(s)); ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE":
			if leaf == nil {
				c, err := x509.ParseCertificate(b.Bytes)
				if err != nil {
					return nil, nil, errors.New("first CERTIFICATE does not parse")
				}
				leaf = c
			}
			chain = append(chain, base64.StdEncoding.EncodeToString(b.Bytes))
		case strings.Contains(b.Type, "PRIVATE KEY"):
			sk, err := parseSignKey(string(pem.EncodeToMemory(b)))
			if err != nil {
				return nil, nil, err
			}
			k, ok := sk.(*ecdsa.PrivateKey)
			if !ok || k.Curve != elliptic.P256() {
				return nil, nil, fmt.Errorf("private key is a %T, not ECDSA P-256", sk)
			}
			key = k
		default:
			return nil, nil, errors.New("a PEM block is neither a PRIVATE KEY nor a CERTIFICATE")
		}
	}
	switch {
	case key == nil:
		return nil, nil, errors.New("PEM bundle has no private key")
	case len(chain) < 2 || len(chain) > appleMaxChain:
		return nil, nil, fmt.Errorf("PEM bundle has %d certificates, want the leaf, the intermediate and the root", len(chain))
	case !key.PublicKey.Equal(leaf.PublicKey):
		return nil, nil, errors.New("the private key is not the first certificate's")
	}
	return key, chain, nil
}

// applePayload completes the notification payload body as signApple
// describes.
func applePayload(body []byte, o Options, now time.Time) ([]byte, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	var p map[string]json.RawMessage
	if err := json.Unmarshal(body, &p); err != nil || p == nil {
		return nil, errors.New("the body to sign must be the notification payload, a JSON object")
	}
	set := func(m map[string]json.RawMessage, k string, v any) {
		if _, ok := m[k]; !ok {
			m[k], _ = json.Marshal(v)
		}
	}
	set(p, "signedDate", now.UnixMilli())
	set(p, "notificationUUID", appleUUID())
	_, summary := p["summary"]
	_, external := p["externalPurchaseToken"]
	if _, ok := p["data"]; ok || !summary && !external {
		data := map[string]json.RawMessage{}
		if raw, ok := p["data"]; ok {
			if err := json.Unmarshal(raw, &data); err != nil || data == nil {
				return nil, errors.New("the payload's data is not a JSON object")
			}
		}
		if o.BundleID != "" {
			set(data, "bundleId", o.BundleID)
		}
		if o.Environment != "" {
			set(data, "environment", o.Environment)
		}
		if o.AppAppleID != 0 {
			set(data, "appAppleId", o.AppAppleID)
		}
		p["data"], _ = json.Marshal(data)
	}
	return json.Marshal(p)
}

// appleUUID returns a random UUID, as Apple's notificationUUID.
func appleUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
