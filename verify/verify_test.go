package verify_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// now is the receiver's clock in tests.
var now = time.Unix(1700000000, 0)

// presetCase is how the common tests drive one preset: the options it needs
// besides secrets, and two unrelated secrets in the form it accepts.
type presetCase struct {
	name    string
	opts    Options
	secrets [2]string
	// private maps each of secrets to the key that signs for it, for
	// key-pair schemes whose verifier holds only the public half.
	private map[string]string
	// bodyNotSigned marks schemes whose signature does not cover the body
	// (a token, basic auth, Mailgun's in-body signature, an OIDC token):
	// a tampered body still verifies, and the test asserts that it does, so
	// the gap stays visible.
	bodyNotSigned bool
	// body, when set, replaces the body the common tests sign, for schemes
	// that carry their signature inside a body of a given shape (Mailgun,
	// Adyen notifications). It must contain "evt_1", which the tampering
	// case changes.
	body string
	// tamper, when set, changes a signed body in place of the common
	// "evt_1" -> "evt_2" edit, for schemes whose Sign encodes the body
	// (Apple wraps it in a JWS).
	tamper func(body []byte) []byte
}

// Options is a shorthand in tables.
type Options = verify.Options

// plainSecrets are the two secrets of the presets whose secrets take no
// particular form.
var plainSecrets = [2]string{"first secret", "second secret"}

// presetCases lists every preset of the catalogue, by name;
// TestPresetCasesComplete fails when a new preset has no row. The key-pair
// presets, whose rows need the generated keys, add theirs from init in
// jwtkeys_test.go with addPresetCases.
var presetCases = []presetCase{
	{
		name: "adyen-notification-hmac", secrets: [2]string{adyenKey, strings.Repeat("0123456789ABCDEF", 4)},
		// merchantReference is a signed field, so the tampering is caught.
		body: `{"live":"false","notificationItems":[{"NotificationRequestItem":{"amount":{"currency":"EUR","value":1130},` +
			`"eventCode":"AUTHORISATION","merchantAccountCode":"TestMerchant","merchantReference":"evt_1","pspReference":"7914073381342284","success":"true"}}]}`,
	},
	{name: "adyen-payload-hmac", secrets: [2]string{adyenKey, strings.Repeat("0123456789ABCDEF", 4)}},
	{name: "airtable", secrets: [2]string{base64.StdEncoding.EncodeToString([]byte("airtable key one")), base64.StdEncoding.EncodeToString([]byte("airtable key two"))}},
	{name: "alchemy", secrets: plainSecrets},
	{name: "basic-auth", secrets: [2]string{"webhookuser:s3cr3t-pa55", "other:pass:with:colons"}, bodyNotSigned: true},
	{name: "bitbucket", secrets: [2]string{"bitbucket_webhook_secret_42", "another secret"}},
	{name: "box", secrets: [2]string{"SamplePrimaryKey0123456789abcdef", "SampleSecondaryKeyfedcba987654321"}},
	{name: "calcom", secrets: plainSecrets},
	{name: "calendly", secrets: [2]string{"calendly_signing_key_9f8e7d", "another signing key"}},
	{name: "checkoutcom", secrets: plainSecrets},
	{name: "coinbase-commerce", secrets: [2]string{"30291a20-0bd1-4267-9b0f-e6e7b123c0bf", "another shared secret"}},
	{name: "customerio", secrets: plainSecrets},
	{name: "docusign", secrets: plainSecrets},
	{name: "dropbox", secrets: plainSecrets},
	{name: "forgejo", secrets: plainSecrets},
	{name: "frameio", secrets: plainSecrets},
	{name: "gitea", secrets: plainSecrets},
	{name: "github", opts: Options{}, secrets: [2]string{"It's a Secret to Everybody", "another secret"}},
	{name: "github-sha1", opts: Options{}, secrets: [2]string{"It's a Secret to Everybody", "another secret"}},
	{name: "gitlab-signing-token", secrets: [2]string{whsec("gitlab signing key, 32 bytes...."), whsec("another gitlab key of 32 bytes.")}},
	{name: "gitlab-token", secrets: [2]string{"gl-webhook-token-7f3c1b", "gl-other"}, bodyNotSigned: true},
	{name: "gocardless", secrets: plainSecrets},
	{name: "hmac", opts: Options{Header: "X-Signature", Prefix: "sha512=", Algorithm: "sha512", Encoding: "base64"}, secrets: [2]string{"s3cret", "other"}},
	{
		name: "hmac-template",
		opts: Options{
			Header: "X-Signature", Format: "kv;:ts,h1", Algorithm: "sha512", Encoding: "base64",
			Template: "{header:X-Request-Id}.{timestamp}.{method}.{body}",
		},
		secrets: [2]string{"s3cret", "other"},
	},
	{name: "hubspot-v1", secrets: [2]string{"yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"}},
	{name: "hubspot-v2", secrets: [2]string{"yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"}},
	{name: "hubspot-v3", secrets: [2]string{"yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"}},
	{name: "intercom", secrets: [2]string{"intercom_client_secret_abc123", "another client secret"}},
	{name: "intuit", secrets: plainSecrets},
	{name: "lemonsqueezy", secrets: [2]string{"lemon_signing_secret_123", "another signing secret"}},
	{name: "linear", secrets: [2]string{"lin_wh_1234567890abcdefTESTSECRET", "lin_wh_another_secret"}},
	{
		name: "mailgun", secrets: [2]string{"key-3ax6xnjp29jd6fds4gc373sgvjxteol0", "key-another-signing-key"}, bodyNotSigned: true,
		body: `{"event-data":{"event":"delivered","id":"evt_1"}}`,
	},
	{name: "meta", opts: Options{VerifyToken: "my-verify-token"}, secrets: [2]string{"app-secret-1", "app-secret-2"}},
	{name: "mux", secrets: plainSecrets},
	{name: "nylas", secrets: plainSecrets},
	{name: "okta", secrets: [2]string{"Bearer first", "Bearer second"}, bodyNotSigned: true},
	{name: "paddle", secrets: [2]string{"pdl_ntfset_01hsdn8d43dt7mezr1ef2jtbaw_hKkRiCGyyRhbFwIUuqiTBgI7gnWoV0Gr", "VALID_SECRET"}},
	{name: "pagerduty", secrets: [2]string{"lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK", "another+secret/that=looks=base64"}},
	{name: "persona", secrets: plainSecrets},
	{name: "razorpay", secrets: plainSecrets},
	{name: "recurly", secrets: plainSecrets},
	{name: "sentry", secrets: [2]string{"sentry_client_secret_5f2b", "another client secret"}},
	{name: "shopify", secrets: [2]string{"shpss_new_client_secret_0000000000", "shpss_old_client_secret_1111111111"}},
	{name: "slack", secrets: [2]string{"8f742231b10e8888abcd99yyyzzz85a5", "another signing secret"}},
	{name: "square", secrets: [2]string{"Ibxx_5AKakO-3qeNVR61Dw", "signature-key"}},
	{name: "standard-webhooks", opts: Options{}, secrets: [2]string{whsec("first key, 24 bytes long"), whsec("second key, also 24 byte")}},
	{name: "stripe", opts: Options{}, secrets: [2]string{"whsec_test_secret", "whsec_other_secret"}},
	{name: "svix", opts: Options{}, secrets: [2]string{whsec("first key, 24 bytes long"), whsec("second key, also 24 byte")}},
	{name: "telnyx", secrets: [2]string{telnyxPub1, telnyxPub2}, private: map[string]string{telnyxPub1: telnyxSeed1, telnyxPub2: telnyxSeed2}},
	{name: "token", opts: Options{Header: "Authorization", Prefix: "Bearer "}, secrets: [2]string{"tok-1", "tok-2"}, bodyNotSigned: true},
	{name: "trello", secrets: plainSecrets},
	{name: "twilio", secrets: [2]string{"12345", "secondary auth token"}},
	{name: "twitch-eventsub", secrets: [2]string{"twitch_eventsub_secret_0123456789", "another_subscription_secret"}},
	// A JSON object, as X sends: a body of base64 characters only (the
	// common tests' "xxx...") is a token the CRC answers, and refused.
	{name: "twitter", secrets: plainSecrets, body: `{"for_user_id":"2244994945","tweet_create_events":[{"id_str":"evt_1"}]}`},
	{name: "typeform", secrets: [2]string{"typeform_webhook_secret_1", "another secret"}},
	{name: "vercel", secrets: plainSecrets},
	{name: "webflow", secrets: plainSecrets},
	{name: "workos", secrets: plainSecrets},
	{name: "xero", secrets: plainSecrets},
	{name: "zendesk", secrets: plainSecrets},
	{name: "zoom", secrets: [2]string{"zm_secret_token_Abc123Xyz789", "another secret token"}},
}

func addPresetCases(cs ...presetCase) { presetCases = append(presetCases, cs...) }

// wantErr reports whether err is what a table wants: no error for a nil
// want, else an error wrapping want.
func wantErr(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

// wantResult reports whether a Verify outcome is what a table wants: valid
// with SecretIndex index for a nil want, else an error wrapping want.
func wantResult(res verify.Result, err, want error, index int) bool {
	if want == nil {
		return err == nil && res.SecretIndex == index
	}
	return errors.Is(err, want)
}

// checkTextAnswer checks the handshake answer of a verified request: none
// for an empty answer, else answer in text/plain.
func checkTextAnswer(t *testing.T, name string, res verify.Result, answer string) {
	t.Helper()
	switch {
	case answer == "" && res.Response != nil:
		t.Errorf("Verify(%s) response = %+v; want none", name, res.Response)
	case answer != "" && (res.Response == nil || string(res.Response.Body) != answer || res.Response.ContentType != "text/plain; charset=utf-8"):
		t.Errorf("Verify(%s) response = %+v; want text/plain %q", name, res.Response, answer)
	}
}

// hmacOf computes an HMAC of msg independently of the package.
func hmacOf(fn func() hash.Hash, key, msg string) []byte {
	m := hmac.New(fn, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func whsec(key string) string {
	return "whsec_" + base64.StdEncoding.EncodeToString([]byte(key))
}

// with returns a copy of c.opts with the given secrets and tolerance.
func (c presetCase) with(tol time.Duration, secrets ...string) Options {
	o := c.opts
	o.Secrets = secrets
	o.Tolerance = tol
	return o
}

// mustSign returns a request with body signed for c with secret at t.
func (c presetCase) mustSign(tb testing.TB, secret, body string, t time.Time) *verify.Request {
	tb.Helper()
	r := &verify.Request{Method: "POST", URL: "https://example.com/webhooks/" + c.name, Body: []byte(body)}
	if k, ok := c.private[secret]; ok {
		secret = k
	}
	if err := verify.Sign(c.name, r, c.with(0, secret), t); err != nil {
		tb.Fatalf("Sign(%s) = %v", c.name, err)
	}
	return r
}

// mustNew builds c's verifier.
func (c presetCase) mustNew(tb testing.TB, tol time.Duration, secrets ...string) verify.Verifier {
	tb.Helper()
	v, err := verify.New(c.name, c.with(tol, secrets...))
	if err != nil {
		tb.Fatalf("New(%s) = %v", c.name, err)
	}
	return v
}

func TestPresetCasesComplete(t *testing.T) {
	var names []string
	for _, p := range verify.Presets() {
		names = append(names, p.Name)
	}
	var covered []string
	for _, c := range presetCases {
		covered = append(covered, c.name)
	}
	slices.Sort(covered)
	if !slices.Equal(names, covered) {
		t.Errorf("Presets() = %v; presetCases cover %v", names, covered)
	}
}

// TestSchemes runs the cases every preset must pass: round trip, rotation,
// tampering, wrong secret, missing headers and, for timed schemes, the
// replay window in both directions. (It is over 80 lines because it lists
// them all in one place, which is the point.)
func TestSchemes(t *testing.T) {
	for _, c := range presetCases {
		body := `{"id":"evt_1","type":"customer.created","data":{"name":"Zoë ♥"}}` + "\n"
		if c.body != "" {
			body = c.body
		}
		t.Run(c.name, func(t *testing.T) {
			p, ok := verify.Lookup(c.name)
			if !ok {
				t.Fatalf("Lookup(%s) = false", c.name)
			}
			s0, s1 := c.secrets[0], c.secrets[1]
			type tc struct {
				name    string
				r       *verify.Request
				secrets []string
				tol     time.Duration
				at      time.Time
				want    error // nil: valid
				index   int
				// notAfter is Options.NotAfter.
				notAfter []time.Time
			}
			tampered := c.mustSign(t, s0, body, now)
			// Tamper with what was signed: Sign may have added to the body.
			if c.tamper != nil {
				tampered.Body = c.tamper(tampered.Body)
			} else {
				tampered.Body = bytes.Replace(tampered.Body, []byte("evt_1"), []byte("evt_2"), 1)
			}
			cases := []tc{
				{name: "round trip", r: c.mustSign(t, s0, body, now), secrets: []string{s0}, at: now},
				{name: "rotation", r: c.mustSign(t, s1, body, now), secrets: []string{s0, s1}, at: now, index: 1},
				{name: "tampered body", r: tampered, secrets: []string{s0}, at: now, want: tamperedWant(c)},
				{name: "wrong secret", r: c.mustSign(t, s1, body, now), secrets: []string{s0}, at: now, want: verify.ErrMismatch},
				// Expiry: the scheme is rebuilt with the secrets in use,
				// and the index must still be the configured one.
				{name: "expired secret first", r: c.mustSign(t, s1, body, now), secrets: []string{s0, s1}, at: now, index: 1,
					notAfter: []time.Time{now.Add(-time.Second)}},
				{name: "expired secret matches", r: c.mustSign(t, s0, body, now), secrets: []string{s0, s1}, at: now, want: verify.ErrSecretExpired,
					notAfter: []time.Time{now.Add(-time.Second)}},
				{name: "secret before its expiry", r: c.mustSign(t, s0, body, now), secrets: []string{s1, s0}, at: now, index: 1,
					notAfter: []time.Time{now.Add(-time.Second), now}},
				{name: "all secrets expired", r: c.mustSign(t, s1, body, now), secrets: []string{s0, s1}, at: now, want: verify.ErrSecretExpired,
					notAfter: []time.Time{now.Add(-2 * time.Second), now.Add(-time.Second)}},
				{name: "expired and wrong secret", r: c.mustSign(t, s1, body, now), secrets: []string{s0}, at: now, want: verify.ErrMismatch,
					notAfter: []time.Time{now.Add(-time.Second)}},
			}
			if c.body == "" {
				cases = append(cases, tc{name: "empty body", r: c.mustSign(t, s0, "", now), secrets: []string{s0}, at: now})
			}
			// Every header Sign sets is needed.
			for _, h := range sortedKeys(c.mustSign(t, s0, body, now).Header) {
				r := c.mustSign(t, s0, body, now)
				r.Header.Del(h)
				cases = append(cases, tc{name: "missing " + h, r: r, secrets: []string{s0}, at: now, want: verify.ErrNoSignature})
			}
			// Header names are case-insensitive.
			lower := c.mustSign(t, s0, body, now)
			h := http.Header{}
			for k, v := range lower.Header {
				h.Add(strings.ToLower(k), v[0])
			}
			lower.Header = h
			cases = append(cases, tc{name: "lower-case header names", r: lower, secrets: []string{s0}, at: now})

			if tol := p.Tolerance; tol > 0 {
				cases = append(cases,
					tc{name: "at the old edge", r: c.mustSign(t, s0, body, now.Add(-tol)), secrets: []string{s0}, at: now},
					tc{name: "too old", r: c.mustSign(t, s0, body, now.Add(-tol-time.Second)), secrets: []string{s0}, at: now, want: verify.ErrTooOld},
					tc{name: "at the new edge", r: c.mustSign(t, s0, body, now.Add(tol)), secrets: []string{s0}, at: now},
					tc{name: "too new", r: c.mustSign(t, s0, body, now.Add(tol+time.Second)), secrets: []string{s0}, at: now, want: verify.ErrTooNew},
					tc{name: "custom tolerance too old", r: c.mustSign(t, s0, body, now.Add(-11*time.Second)), secrets: []string{s0}, tol: 10 * time.Second, at: now, want: verify.ErrTooOld},
					tc{name: "custom tolerance too new", r: c.mustSign(t, s0, body, now.Add(11*time.Second)), secrets: []string{s0}, tol: 10 * time.Second, at: now, want: verify.ErrTooNew},
					tc{name: "rotation too old", r: c.mustSign(t, s1, body, now.Add(-tol-time.Hour)), secrets: []string{s0, s1}, at: now, want: verify.ErrTooOld},
					tc{name: "old and wrong secret", r: c.mustSign(t, s1, body, now.Add(-tol-time.Hour)), secrets: []string{s0}, at: now, want: verify.ErrMismatch},
				)
			} else {
				cases = append(cases, tc{name: "untimed", r: c.mustSign(t, s0, body, now.Add(-365*24*time.Hour)), secrets: []string{s0}, at: now})
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					o := c.with(tc.tol, tc.secrets...)
					o.NotAfter = tc.notAfter
					v := mustVerifier(t, c.name, o)
					res, err := v.Verify(tc.r, tc.at)
					if tc.want == nil {
						if err != nil || res.SecretIndex != tc.index {
							t.Errorf("Verify(%s) = %+v, %v; want index %d, valid", tc.name, res, err, tc.index)
						}
						return
					}
					if !errors.Is(err, tc.want) {
						t.Errorf("Verify(%s) = %v; want %v", tc.name, err, tc.want)
					}
				})
			}
		})
	}
}

// tamperedWant is the error a tampered body gets: none where the body is
// not signed.
func tamperedWant(c presetCase) error {
	if c.bodyNotSigned {
		return nil
	}
	return verify.ErrMismatch
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		typ  string
		o    Options
		want error
	}{
		{name: "unknown type", typ: "nope", o: Options{Secrets: []string{"s"}}, want: verify.ErrUnknownType},
		{name: "empty type", o: Options{Secrets: []string{"s"}}, want: verify.ErrUnknownType},
		{name: "no secrets", typ: "stripe", o: Options{}, want: verify.ErrConfig},
		{name: "empty secret", typ: "stripe", o: Options{Secrets: []string{"s", ""}}, want: verify.ErrConfig},
		{name: "negative tolerance", typ: "stripe", o: Options{Secrets: []string{"s"}, Tolerance: -time.Second}, want: verify.ErrConfig},
		{name: "tolerance on untimed github", typ: "github", o: Options{Secrets: []string{"s"}, Tolerance: time.Minute}, want: verify.ErrConfig},
		{name: "tolerance on untimed hmac", typ: "hmac", o: Options{Secrets: []string{"s"}, Header: "X-Sig", Tolerance: time.Minute}, want: verify.ErrConfig},
		{name: "header on stripe", typ: "stripe", o: Options{Secrets: []string{"s"}, Header: "X-Sig"}, want: verify.ErrConfig},
		{name: "algorithm on github", typ: "github", o: Options{Secrets: []string{"s"}, Algorithm: "sha512"}, want: verify.ErrConfig},
		{name: "encoding on standard-webhooks", typ: "standard-webhooks", o: Options{Secrets: []string{whsec("0123456789abcdefghijklmn")}, Encoding: "hex"}, want: verify.ErrConfig},
		{name: "secret not base64", typ: "standard-webhooks", o: Options{Secrets: []string{"whsec_not base64!"}}, want: verify.ErrConfig},
		{name: "second secret not base64", typ: "svix", o: Options{Secrets: []string{whsec("0123456789abcdefghijklmn"), "whsec_***"}}, want: verify.ErrConfig},
		{name: "secret only prefix", typ: "standard-webhooks", o: Options{Secrets: []string{"whsec_"}}, want: verify.ErrConfig},
		{name: "hmac without header", typ: "hmac", o: Options{Secrets: []string{"s"}}, want: verify.ErrConfig},
		{name: "hmac bad header name", typ: "hmac", o: Options{Secrets: []string{"s"}, Header: "X Sig"}, want: verify.ErrConfig},
		{name: "hmac header with colon", typ: "hmac", o: Options{Secrets: []string{"s"}, Header: "X-Sig:"}, want: verify.ErrConfig},
		{name: "hmac bad algorithm", typ: "hmac", o: Options{Secrets: []string{"s"}, Header: "X-Sig", Algorithm: "md5"}, want: verify.ErrConfig},
		{name: "hmac bad encoding", typ: "hmac", o: Options{Secrets: []string{"s"}, Header: "X-Sig", Encoding: "base32"}, want: verify.ErrConfig},
		{name: "airtable secret not base64", typ: "airtable", o: Options{Secrets: []string{"not base64!"}}, want: verify.ErrConfig},
		{name: "airtable empty key", typ: "airtable", o: Options{Secrets: []string{"===="}}, want: verify.ErrConfig},
		{name: "telnyx key not base64", typ: "telnyx", o: Options{Secrets: []string{"@@@"}}, want: verify.ErrConfig},
		{name: "telnyx key too short", typ: "telnyx", o: Options{Secrets: []string{base64.StdEncoding.EncodeToString([]byte("short"))}}, want: verify.ErrConfig},
		{name: "okta bad header", typ: "okta", o: Options{Secrets: []string{"t"}, Header: "X Auth"}, want: verify.ErrConfig},
		{name: "trello public_url with path", typ: "trello", o: Options{Secrets: []string{"s"}, PublicURL: "https://h.example/webhooks/trello"}, want: verify.ErrConfig},
		{name: "trello public_url not http", typ: "trello", o: Options{Secrets: []string{"s"}, PublicURL: "ftp://h.example"}, want: verify.ErrConfig},
		{name: "tolerance on untimed vercel", typ: "vercel", o: Options{Secrets: []string{"s"}, Tolerance: time.Minute}, want: verify.ErrConfig},
		{name: "tolerance on zendesk", typ: "zendesk", o: Options{Secrets: []string{"s"}, Tolerance: time.Minute}, want: verify.ErrConfig},
		{name: "header on gitea", typ: "gitea", o: Options{Secrets: []string{"s"}, Header: "X-Sig"}, want: verify.ErrConfig},
		{name: "public_url on dropbox", typ: "dropbox", o: Options{Secrets: []string{"s"}, PublicURL: "https://h.example"}, want: verify.ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkNewRefused(t, tt.typ, tt.o, tt.want)
			checkSignRefused(t, tt.typ, tt.o, tt.want)
			for _, s := range tt.o.Secrets {
				if len(s) > len("whsec_") && err != nil && strings.Contains(err.Error(), s) {
					t.Errorf("New(%s) = %v; the message reveals a secret", tt.name, err)
				}
			}
		})
	}
}

func TestPresets(t *testing.T) {
	ps := verify.Presets()
	if !slices.IsSortedFunc(ps, func(a, b verify.Preset) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("Presets() is not sorted by name")
	}
	for _, p := range ps {
		if p.Scheme == "" || p.Description == "" || p.New == nil || p.Sign == nil {
			t.Errorf("Presets() entry %s = %+v; want scheme, description, New and Sign", p.Name, p)
		}
		if q, ok := verify.Lookup(p.Name); !ok || q.Name != p.Name {
			t.Errorf("Lookup(%s) = %v, %v; want the preset", p.Name, q.Name, ok)
		}
	}
	if _, ok := verify.Lookup("nope"); ok {
		t.Errorf("Lookup(nope) = true; want false")
	}
}

// TestConcurrentVerify shares one verifier between goroutines; run with
// -race, it checks that the pooled hash states are not shared.
func TestConcurrentVerify(t *testing.T) {
	for _, c := range presetCases {
		t.Run(c.name, func(t *testing.T) {
			v := c.mustNew(t, 0, c.secrets[0], c.secrets[1])
			var wg sync.WaitGroup
			for g := range 8 {
				body := strings.Repeat("x", g*100)
				if c.body != "" {
					body = c.body
				}
				r := c.mustSign(t, c.secrets[g%2], body, now)
				wg.Go(func() {
					for range 50 {
						if res, err := v.Verify(r, now); err != nil || res.SecretIndex != g%2 {
							t.Errorf("Verify(goroutine %d) = %+v, %v; want index %d", g, res, err, g%2)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

func macHex(key, msg string) string { return hex.EncodeToString(hmacOf(sha256.New, key, msg)) }

func macB64(fn func() hash.Hash, key, msg string) string {
	return base64.StdEncoding.EncodeToString(hmacOf(fn, key, msg))
}

// mustVerifier builds typ's verifier with o.
func mustVerifier(tb testing.TB, typ string, o Options) verify.Verifier {
	tb.Helper()
	v, err := verify.New(typ, o)
	if err != nil {
		tb.Fatalf("New(%s) = %v", typ, err)
	}
	return v
}

// TestSignLayouts checks Sign against signatures computed here, in each
// provider's layout.
func TestSignLayouts(t *testing.T) {
	const secret, body = "s3cret", `{"id":"e1"}`
	ts := strconv.FormatInt(now.Unix(), 10)
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	rfc := now.UTC().Format(time.RFC3339)
	tests := []struct {
		preset string
		want   http.Header
	}{
		{preset: "vercel", want: http.Header{"X-Vercel-Signature": {hex.EncodeToString(hmacOf(sha1.New, secret, body))}}},
		{preset: "twitter", want: http.Header{"X-Twitter-Webhooks-Signature": {"sha256=" + macB64(sha256.New, secret, body)}}},
		{preset: "mux", want: http.Header{"Mux-Signature": {"t=" + ts + ",v1=" + macHex(secret, ts+"."+body)}}},
		{preset: "workos", want: http.Header{"Workos-Signature": {"t=" + ms + ",v1=" + macHex(secret, ms+"."+body)}}},
		{preset: "recurly", want: http.Header{"Recurly-Signature": {ms + "," + macHex(secret, ms+"."+body)}}},
		{preset: "webflow", want: http.Header{"X-Webflow-Signature": {macHex(secret, ms+":"+body)}, "X-Webflow-Timestamp": {ms}}},
		{preset: "frameio", want: http.Header{"X-Frameio-Signature": {"v0=" + macHex(secret, "v0:"+ts+":"+body)}, "X-Frameio-Request-Timestamp": {ts}}},
		{preset: "zendesk", want: http.Header{"X-Zendesk-Webhook-Signature": {macB64(sha256.New, secret, rfc+body)}, "X-Zendesk-Webhook-Signature-Timestamp": {rfc}}},
		{preset: "trello", want: http.Header{"X-Trello-Webhook": {macB64(sha1.New, secret, body+"https://example.com/hook")}}},
		{preset: "docusign", want: http.Header{"X-Docusign-Signature-1": {macB64(sha256.New, secret, body)}}},
	}
	for _, tt := range tests {
		t.Run(tt.preset, func(t *testing.T) {
			r := &verify.Request{Method: "POST", URL: "https://example.com/hook", Body: []byte(body)}
			checkSign(t, tt.preset, r, Options{Secrets: []string{secret}}, now, tt.want)
			if len(r.Header) != len(tt.want) {
				t.Errorf("Sign(%s) set %v; want only %v", tt.preset, sortedKeys(r.Header), sortedKeys(tt.want))
			}
		})
	}
}
