package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// vector is one conformance case of testdata/vectors.json, a verbatim copy
// of the catalogue this package was built against (kept outside this
// repository): official examples from provider docs and SDK tests, and
// vectors recomputed from the documented algorithms. Each object cites its
// source and provenance.
type vector struct {
	ID               string            `json:"id"`
	Scheme           string            `json:"scheme"`
	Secret           json.RawMessage   `json:"secret"` // string, list, {primary, secondary} or null
	PublicKey        string            `json:"public_key"`
	JWKS             json.RawMessage   `json:"jwks"` // a list of JWKs
	TrustAnchor      string            `json:"trust_anchor_der_b64"`
	Audience         string            `json:"audience"`
	ExpectedEmail    string            `json:"expected_email"`
	Expected         json.RawMessage   `json:"expected"`
	ExpectedResponse json.RawMessage   `json:"expected_response"`
	ToleranceS       int               `json:"tolerance_s"`
	Method           string            `json:"method"`
	URL              string            `json:"url"`
	Headers          map[string]string `json:"headers"`
	Body             string            `json:"body"`
	Now              int64             `json:"now"`
	Expect           string            `json:"expect"`
	Reason           string            `json:"reason"`
	// ExpectError, for an invalid vector, names the error it must fail
	// with: "mismatch" (ErrMismatch) or "too_old" (ErrTooOld); empty:
	// any of Verify's errors.
	ExpectError string `json:"expect_error"`
	// Certs, for the certificate-signed presets, maps each certificate
	// URL the vector may fetch to the PEM served there: the vector's
	// HTTP client answers those and SNS SubscribeURL GETs, and 404 to
	// anything else.
	Certs       map[string]string `json:"certs"`
	AutoConfirm *bool             `json:"auto_confirm"`
	// Options are scheme options by their config names (verify_token,
	// header, query_param, secret_file; "{tmpdir}" in a value is a fresh
	// temporary directory). ExpectedStatus and ExpectedHeaders, when set,
	// are what a handshake's answer must have besides its body.
	Options         map[string]string `json:"options"`
	ExpectedStatus  int               `json:"expected_status"`
	ExpectedHeaders map[string]string `json:"expected_headers"`
}

// vectorPresets maps a vector's scheme id to the preset that verifies it,
// where the two differ.
var vectorPresets = map[string]string{
	"zoom-url-validation": "zoom", // the handshake of the zoom preset
}

func (v vector) preset() string {
	if p, ok := vectorPresets[v.Scheme]; ok {
		return p
	}
	return v.Scheme
}

// mustLoadVectors reads testdata/vectors.json.
func mustLoadVectors(tb testing.TB) []vector {
	tb.Helper()
	data, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		tb.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		tb.Fatalf("testdata/vectors.json: %v", err)
	}
	if len(vs) == 0 {
		tb.Fatal("testdata/vectors.json holds no vectors")
	}
	return vs
}

// secrets decodes the secret field: one string, a list tried in turn, or
// Box's {primary, secondary} pair.
func (v vector) secrets(tb testing.TB) []string {
	tb.Helper()
	if len(v.Secret) == 0 || string(v.Secret) == "null" {
		return nil
	}
	var one string
	if err := json.Unmarshal(v.Secret, &one); err == nil {
		return []string{one}
	}
	var many []string
	if err := json.Unmarshal(v.Secret, &many); err == nil {
		return many
	}
	var pair struct{ Primary, Secondary string }
	if err := json.Unmarshal(v.Secret, &pair); err != nil || pair.Primary == "" {
		tb.Fatalf("vector %s: secret is not a string, a list or {primary, secondary}: %s", v.ID, v.Secret)
	}
	return []string{pair.Primary, pair.Secondary}
}

// options builds the verifier options a user would configure for the
// vector's provider.
func (v vector) options(tb testing.TB) Options {
	tb.Helper()
	o := Options{Secrets: v.secrets(tb)}
	if v.PublicKey != "" {
		o.Secrets = append(o.Secrets, v.PublicKey)
	}
	if v.TrustAnchor != "" {
		o.Secrets = append(o.Secrets, v.TrustAnchor)
	}
	if len(v.JWKS) > 0 {
		o.JWKS = `{"keys":` + string(v.JWKS) + `}`
	}
	if v.Audience != "" {
		o.Audience = []string{v.Audience}
	}
	o.Email = v.ExpectedEmail
	if len(v.Expected) > 0 {
		var e struct {
			BundleID    string `json:"bundleId"`
			Environment string `json:"environment"`
			AppAppleID  int64  `json:"appAppleId"`
		}
		if err := json.Unmarshal(v.Expected, &e); err != nil {
			tb.Fatalf("vector %s: expected: %v", v.ID, err)
		}
		o.BundleID, o.Environment, o.AppAppleID = e.BundleID, e.Environment, e.AppAppleID
	}
	if len(v.Certs) > 0 {
		o.HTTPClient = &http.Client{Transport: vectorCerts(v.Certs)}
	}
	o.AutoConfirm = v.AutoConfirm
	if p, ok := Lookup(v.preset()); ok && p.Tolerance > 0 {
		o.Tolerance = time.Duration(v.ToleranceS) * time.Second
	}
	v.applyOptions(tb, &o)
	return o
}

// vectorCerts serves a vector's certificates, and answers SNS SubscribeURL
// GETs with 200: no vector reaches the network.
type vectorCerts map[string]string

func (c vectorCerts) RoundTrip(r *http.Request) (*http.Response, error) {
	code, body := http.StatusNotFound, ""
	if pem, ok := c[r.URL.String()]; ok {
		code, body = http.StatusOK, pem
	} else if r.URL.Query().Get("Action") == "ConfirmSubscription" {
		code, body = http.StatusOK, "<ConfirmSubscriptionResponse/>"
	}
	return &http.Response{StatusCode: code, Status: http.StatusText(code), Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
}

func (v vector) request() *Request {
	h := make(http.Header, len(v.Headers))
	for k, val := range v.Headers {
		h.Set(k, val)
	}
	m := v.Method
	if m == "" {
		m = http.MethodPost
	}
	return &Request{Method: m, URL: v.URL, Header: h, Body: []byte(v.Body)}
}

// applyOptions sets the vector's scheme options on o.
func (v vector) applyOptions(tb testing.TB, o *Options) {
	tb.Helper()
	for name, val := range v.Options {
		if strings.Contains(val, "{tmpdir}") {
			val = strings.ReplaceAll(val, "{tmpdir}", tb.TempDir())
		}
		switch name {
		case "verify_token":
			o.VerifyToken = val
		case "header":
			o.Header = val
		case "prefix":
			o.Prefix = val
		case "query_param":
			o.QueryParam = val
		case "secret_file":
			o.SecretFile = val
		default:
			tb.Fatalf("vector %s: option %s is not one the vectors set", v.ID, name)
		}
	}
}

// TestVectors runs every vector of testdata/vectors.json through New and
// Verify with the clock at the vector's time.
func TestVectors(t *testing.T) {
	for _, vec := range mustLoadVectors(t) {
		t.Run(vec.ID, func(t *testing.T) {
			runVector(t, vec, func(res Result) {
				if len(vec.ExpectedResponse) == 0 {
					return
				}
				if res.Response == nil {
					t.Fatalf("Verify(%s) gave no handshake response; want %s", vec.ID, vec.ExpectedResponse)
				}
				if !jsonEqual(t, res.Response.Body, vec.ExpectedResponse) {
					t.Errorf("Verify(%s) response = %s; want %s", vec.ID, res.Response.Body, vec.ExpectedResponse)
				}
			})
		})
	}
}

// runVector runs vec through New and Verify with the clock at the vector's
// time, and checks the outcome it expects; checkValid checks further the
// result of a valid vector.
func runVector(t *testing.T, vec vector, checkValid func(Result)) {
	t.Helper()
	o := vec.options(t)
	v, err := New(vec.preset(), o)
	if err != nil {
		t.Fatalf("New(%s) = %v", vec.preset(), err)
	}
	res, err := v.Verify(vec.request(), time.Unix(vec.Now, 0))
	switch vec.Expect {
	case "valid":
		if err != nil {
			t.Fatalf("Verify(%s) = %v; want valid (%s)", vec.ID, err, vec.Reason)
		}
		if res.SecretIndex < 0 || res.SecretIndex >= max(1, len(o.Secrets)) {
			t.Errorf("Verify(%s) secret index %d out of range", vec.ID, res.SecretIndex)
		}
		checkValid(res)
	case "invalid":
		if err == nil {
			t.Fatalf("Verify(%s) = valid; want invalid (%s)", vec.ID, vec.Reason)
		}
		if !isVerifyError(err) {
			t.Errorf("Verify(%s) = %v; want one of the Verify sentinel errors", vec.ID, err)
		}
		if want, ok := map[string]error{"mismatch": ErrMismatch, "too_old": ErrTooOld}[vec.ExpectError]; vec.ExpectError != "" && (!ok || !errors.Is(err, want)) {
			t.Errorf("Verify(%s) = %v; want %s (%s)", vec.ID, err, vec.ExpectError, vec.Reason)
		}
		t.Logf("Verify(%s) = %v", vec.ID, err)
	default:
		t.Fatalf("vector %s: unknown expect %q", vec.ID, vec.Expect)
	}
}

func jsonEqual(tb testing.TB, a, b []byte) bool {
	tb.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

// isVerifyError reports whether err wraps one of the errors Verify may
// return.
func isVerifyError(err error) bool {
	for _, s := range []error{ErrNoSignature, ErrMalformed, ErrMismatch, ErrTooOld, ErrTooNew, ErrSecretExpired, ErrClaims} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
