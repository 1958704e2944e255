package verify_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"hookgate/verify"
)

// Throwaway Ed25519 key pairs for the telnyx rows: base64 seed and public
// key, derived with Python's cryptography from SHA-256 of a fixed phrase.
const (
	telnyxSeed1 = "+gKdHuS9N7amg68BMZGUYxcJZRckR6pIKLDu54MZCsk="
	telnyxPub1  = "A7bxDkzxUV2uI0/QuPjiqxxJH96KjmOKR3qvOE7ZYSU="
	telnyxSeed2 = "vpLVhCoqjvUTaysHR5rNVBBR3RVCCbO8lAn3ESARpYo="
	telnyxPub2  = "3jeP8hW97TWfo594qD2qMDWBGih4YGJ2pyRTtcyf/1A="
)

func init() {
	two := [2]string{"first secret", "second secret"}
	addPresetCases(
		presetCase{name: "airtable", secrets: [2]string{base64.StdEncoding.EncodeToString([]byte("airtable key one")), base64.StdEncoding.EncodeToString([]byte("airtable key two"))}},
		presetCase{name: "alchemy", secrets: two},
		presetCase{name: "calcom", secrets: two},
		presetCase{name: "checkoutcom", secrets: two},
		presetCase{name: "customerio", secrets: two},
		presetCase{name: "docusign", secrets: two},
		presetCase{name: "dropbox", secrets: two},
		presetCase{name: "forgejo", secrets: two},
		presetCase{name: "frameio", secrets: two},
		presetCase{name: "gitea", secrets: two},
		presetCase{name: "gocardless", secrets: two},
		presetCase{name: "intuit", secrets: two},
		presetCase{name: "mux", secrets: two},
		presetCase{name: "nylas", secrets: two},
		presetCase{name: "okta", secrets: [2]string{"Bearer first", "Bearer second"}, bodyNotSigned: true},
		presetCase{name: "persona", secrets: two},
		presetCase{name: "razorpay", secrets: two},
		presetCase{name: "recurly", secrets: two},
		presetCase{name: "telnyx", secrets: [2]string{telnyxPub1, telnyxPub2}, private: map[string]string{telnyxPub1: telnyxSeed1, telnyxPub2: telnyxSeed2}},
		presetCase{name: "trello", secrets: two},
		presetCase{name: "twitter", secrets: two},
		presetCase{name: "vercel", secrets: two},
		presetCase{name: "webflow", secrets: two},
		presetCase{name: "workos", secrets: two},
		presetCase{name: "xero", secrets: two},
		presetCase{name: "zendesk", secrets: two},
	)
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

// TestMoreHandshakes covers the requests answered instead of recorded: GET
// challenges (Dropbox, Nylas, Okta, X's CRC), Trello's HEAD check and Xero's
// Intent to Receive.
func TestMoreHandshakes(t *testing.T) {
	const secret = "s3cret"
	itr := `{"events":[],"lastEventSequence":0,"firstEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}`
	delivery := `{"events":[{"eventType":"CREATE","eventCategory":"CONTACT"}],"entropy":"x"}`
	tests := []struct {
		name   string
		preset string
		r      verify.Request
		want   error  // nil: valid
		body   string // the handshake answer; "-" when the request is an event
		ctype  string
		status int
	}{
		{"dropbox challenge", "dropbox", verify.Request{Method: "GET", URL: "https://h.example/webhooks/dropbox?challenge=abc123"}, nil, "abc123", "text/plain; charset=utf-8", 0},
		{"dropbox escaped challenge", "dropbox", verify.Request{Method: "GET", URL: "https://h.example/x?a=1&challenge=a%20b&c=2"}, nil, "a b", "text/plain; charset=utf-8", 0},
		{"dropbox no challenge", "dropbox", verify.Request{Method: "GET", URL: "https://h.example/webhooks/dropbox"}, verify.ErrNoSignature, "", "", 0},
		{"dropbox long challenge", "dropbox", verify.Request{Method: "GET", URL: "https://h.example/x?challenge=" + strings.Repeat("a", 513)}, verify.ErrMalformed, "", "", 0},
		{"dropbox unsigned POST", "dropbox", verify.Request{Method: "POST", URL: "https://h.example/x?challenge=abc", Body: []byte("{}")}, verify.ErrNoSignature, "", "", 0},
		{"nylas challenge", "nylas", verify.Request{Method: "GET", URL: "https://h.example/webhooks/nylas?challenge=bc609b38"}, nil, "bc609b38", "text/plain; charset=utf-8", 0},
		{"twitter crc", "twitter", verify.Request{Method: "GET", URL: "https://h.example/webhooks/twitter?crc_token=Y2xhc3NpYyBzdHVmZg"}, nil,
			`{"response_token":"sha256=` + macB64(sha256.New, secret, "Y2xhc3NpYyBzdHVmZg") + `"}`, "application/json", 0},
		{"twitter crc base64url token", "twitter", verify.Request{Method: "GET", URL: "https://h.example/x?crc_token=a-b_c%2Bd%2F%3D"}, nil,
			`{"response_token":"sha256=` + macB64(sha256.New, secret, "a-b_c+d/=") + `"}`, "application/json", 0},
		{"twitter crc json token", "twitter", verify.Request{Method: "GET", URL: `https://h.example/x?crc_token=%7B%22a%22%3A1%7D`}, verify.ErrMalformed, "", "", 0},
		{"twitter crc space", "twitter", verify.Request{Method: "GET", URL: `https://h.example/x?crc_token=a+b`}, verify.ErrMalformed, "", "", 0},
		{"twitter no crc_token", "twitter", verify.Request{Method: "GET", URL: "https://h.example/x"}, verify.ErrNoSignature, "", "", 0},
		{"okta verification", "okta", verify.Request{Method: "GET", Header: http.Header{"X-Okta-Verification-Challenge": {`a"b`}}}, nil, `{"verification":"a\"b"}`, "application/json", 0},
		{"okta no challenge", "okta", verify.Request{Method: "GET"}, verify.ErrNoSignature, "", "", 0},
		{"trello HEAD", "trello", verify.Request{Method: "HEAD", URL: "https://h.example/webhooks/trello"}, nil, "", "", 0},
		{"xero intent", "xero", verify.Request{Method: "POST", Header: http.Header{"X-Xero-Signature": {macB64(sha256.New, secret, itr)}}, Body: []byte(itr)}, nil, "", "", 200},
		{"xero intent bad signature", "xero", verify.Request{Method: "POST", Header: http.Header{"X-Xero-Signature": {macB64(sha256.New, "other", itr)}}, Body: []byte(itr)}, verify.ErrMismatch, "", "", 0},
		{"xero delivery", "xero", verify.Request{Method: "POST", Header: http.Header{"X-Xero-Signature": {macB64(sha256.New, secret, delivery)}}, Body: []byte(delivery)}, nil, "-", "", 0},
		{"xero events not a list", "xero", verify.Request{Method: "POST", Header: http.Header{"X-Xero-Signature": {macB64(sha256.New, secret, `{"events":null}`)}}, Body: []byte(`{"events":null}`)}, nil, "-", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secrets := []string{secret}
			if tt.preset == "okta" {
				secrets = []string{"Bearer x"}
			}
			res, err := mustVerifier(t, tt.preset, Options{Secrets: secrets}).Verify(&tt.r, now)
			if tt.want != nil || err != nil {
				if !errors.Is(err, tt.want) {
					t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
				}
				return
			}
			if tt.body == "-" {
				if res.Response != nil {
					t.Errorf("Verify(%s) = handshake %q; want an event", tt.name, res.Response.Body)
				}
				return
			}
			switch {
			case res.Response == nil:
				t.Errorf("Verify(%s) = no handshake; want %q", tt.name, tt.body)
			case string(res.Response.Body) != tt.body || res.Response.ContentType != tt.ctype || res.Response.Status != tt.status:
				t.Errorf("Verify(%s) = %d %q %q; want %d %q %q", tt.name, res.Response.Status, res.Response.ContentType, res.Response.Body, tt.status, tt.ctype, tt.body)
			}
		})
	}
}

// TestPersonaHeader covers Persona-Signature, which holds a second
// "t=,v1=" set, space-separated, while a secret rotates.
func TestPersonaHeader(t *testing.T) {
	const secret, body = "wbhsec_1", `{"data":{"id":"evt_1"}}`
	ts := strconv.FormatInt(now.Unix(), 10)
	good := macHex(secret, ts+"."+body)
	other := macHex("wbhsec_0", ts+"."+body)
	old := strconv.FormatInt(now.Unix()-600, 10)
	tests := []struct {
		name   string
		header string
		want   error
	}{
		{"one set", "t=" + ts + ",v1=" + good, nil},
		{"second set matches", "t=" + ts + ",v1=" + other + " t=" + ts + ",v1=" + good, nil},
		{"first set matches", "t=" + ts + ",v1=" + good + " t=" + ts + ",v1=" + other, nil},
		{"comma and space", "t=" + ts + ", v1=" + good, nil},
		{"unknown pair ignored", "t=" + ts + ",v0=abc,v1=" + good, nil},
		{"bad hex ignored", "t=" + ts + ",v1=zz,v1=" + good, nil},
		{"old set of the right secret", "t=" + old + ",v1=" + macHex(secret, old+"."+body), verify.ErrTooOld},
		{"empty", "", verify.ErrNoSignature},
		{"v1 before t", "v1=" + good + ",t=" + ts, verify.ErrMalformed},
		{"no t", "v1=" + good, verify.ErrMalformed},
		{"t not a number", "t=now,v1=" + good, verify.ErrMalformed},
		{"pair without =", "t=" + ts + ",v1", verify.ErrMalformed},
		{"no usable v1", "t=" + ts + ",v1=abcd", verify.ErrMalformed},
		{"five sets", strings.Repeat("t="+ts+",v1="+other+" ", 4) + "t=" + ts + ",v1=" + good, verify.ErrMalformed},
		{"other secret only", "t=" + ts + ",v1=" + other, verify.ErrMismatch},
		{"set's t is signed", "t=" + old + ",v1=" + good, verify.ErrMismatch},
	}
	v := mustVerifier(t, "persona", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Header: http.Header{"Persona-Signature": {tt.header}}, Body: []byte(body)}
			if _, err := v.Verify(r, now); tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
}

// TestRecurlyHeader covers recurly-signature: a millisecond timestamp, then
// one signature per active secret.
func TestRecurlyHeader(t *testing.T) {
	const secret, body = "recurly new", `{"id":"n1"}`
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	good := macHex(secret, ms+"."+body)
	other := macHex("recurly old", ms+"."+body)
	tests := []struct {
		name   string
		header string
		want   error
	}{
		{"one signature", ms + "," + good, nil},
		{"second signature", ms + "," + other + "," + good, nil},
		{"spaces", ms + ", " + other + ", " + good, nil},
		{"bad signature ignored", ms + ",zz," + good, nil},
		{"empty", "", verify.ErrNoSignature},
		{"no signature", ms, verify.ErrMalformed},
		{"timestamp not a number", "x," + good, verify.ErrMalformed},
		{"signature first", good + "," + ms, verify.ErrMalformed},
		{"nine signatures", ms + strings.Repeat(","+other, 9), verify.ErrMalformed},
		{"other secret", ms + "," + other, verify.ErrMismatch},
		{"seconds", strconv.FormatInt(now.Unix(), 10) + "," + macHex(secret, strconv.FormatInt(now.Unix(), 10)+"."+body), verify.ErrTooOld},
	}
	v := mustVerifier(t, "recurly", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Header: http.Header{"Recurly-Signature": {tt.header}}, Body: []byte(body)}
			if _, err := v.Verify(r, now); tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
}

// TestTrelloCallbackURL checks that the signed callback URL is the
// request's, with scheme and host taken from public_url when a proxy
// changes them.
func TestTrelloCallbackURL(t *testing.T) {
	const secret, body = "trello secret", `{"action":{"id":"a1"}}`
	public := "https://hooks.example.com/webhooks/trello?board=1"
	sig := macB64(sha1.New, secret, body+public)
	tests := []struct {
		name      string
		publicURL string
		url       string
		want      error
	}{
		{"request URL", "", public, nil},
		{"behind a proxy", "https://hooks.example.com", "http://10.0.0.7:8080/webhooks/trello?board=1", nil},
		{"public_url with slash", "https://hooks.example.com/", "http://gw/webhooks/trello?board=1", nil},
		{"proxy without public_url", "", "http://10.0.0.7:8080/webhooks/trello?board=1", verify.ErrMismatch},
		{"other query", "https://hooks.example.com", "http://gw/webhooks/trello?board=2", verify.ErrMismatch},
		{"no URL", "", "", verify.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, "trello", Options{Secrets: []string{secret}, PublicURL: tt.publicURL})
			r := &verify.Request{Method: "POST", URL: tt.url, Header: http.Header{"X-Trello-Webhook": {sig}}, Body: []byte(body)}
			if _, err := v.Verify(r, now); tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
}

// TestForgejoHeaders checks that X-Gitea-Signature is read only when
// X-Forgejo-Signature is absent.
func TestForgejoHeaders(t *testing.T) {
	const secret, body = "forge", `{"ref":"refs/heads/main"}`
	good, bad := macHex(secret, body), macHex("other", body)
	tests := []struct {
		name   string
		header http.Header
		want   error
	}{
		{"forgejo header", http.Header{"X-Forgejo-Signature": {good}}, nil},
		{"gitea header only", http.Header{"X-Gitea-Signature": {good}}, nil},
		{"both", http.Header{"X-Forgejo-Signature": {good}, "X-Gitea-Signature": {good}}, nil},
		{"bad forgejo, good gitea", http.Header{"X-Forgejo-Signature": {bad}, "X-Gitea-Signature": {good}}, verify.ErrMismatch},
		{"bad gitea only", http.Header{"X-Gitea-Signature": {bad}}, verify.ErrMismatch},
		{"neither", http.Header{"X-Gogs-Signature": {good}}, verify.ErrNoSignature},
	}
	v := mustVerifier(t, "forgejo", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Header: tt.header, Body: []byte(body)}
			if _, err := v.Verify(r, now); tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
}

// TestDocuSignHeaders covers the numbered signature headers of DocuSign
// Connect: one per HMAC key, any of which may match.
func TestDocuSignHeaders(t *testing.T) {
	const secret, body = "key two", `{"event":"envelope-sent"}`
	good, other := macB64(sha256.New, secret, body), macB64(sha256.New, "key one", body)
	many := http.Header{}
	for i := 1; i <= 101; i++ {
		many.Set("X-DocuSign-Signature-"+strconv.Itoa(i), other)
	}
	tests := []struct {
		name   string
		header http.Header
		want   error
	}{
		{"first", http.Header{"X-Docusign-Signature-1": {good}}, nil},
		{"third of three", http.Header{"X-Docusign-Signature-1": {other}, "X-Docusign-Signature-2": {other}, "X-Docusign-Signature-3": {good}}, nil},
		{"non-canonical name", http.Header{"x-docusign-signature-2": {good}}, nil},
		{"bad one ignored", http.Header{"X-Docusign-Signature-1": {"!!"}, "X-Docusign-Signature-2": {good}}, nil},
		{"none", http.Header{"X-Docusign-Signature": {good}}, verify.ErrNoSignature},
		{"not numbered", http.Header{"X-Docusign-Signature-X": {good}}, verify.ErrNoSignature},
		{"none decodes", http.Header{"X-Docusign-Signature-1": {"abc"}}, verify.ErrMalformed},
		{"101 headers", many, verify.ErrMalformed},
		{"other keys only", http.Header{"X-Docusign-Signature-1": {other}}, verify.ErrMismatch},
	}
	v := mustVerifier(t, "docusign", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Header: tt.header, Body: []byte(body)}
			if _, err := v.Verify(r, now); tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
}

// TestOktaHeaderOption checks that the header option names the header Okta
// was configured to send.
func TestOktaHeaderOption(t *testing.T) {
	v := mustVerifier(t, "okta", Options{Secrets: []string{"tok"}, Header: "X-Hook-Auth"})
	r := &verify.Request{Method: "POST", Header: http.Header{"X-Hook-Auth": {"tok"}}}
	if _, err := v.Verify(r, now); err != nil {
		t.Errorf("Verify(custom header) = %v; want valid", err)
	}
	r = &verify.Request{Method: "POST", Header: http.Header{"Authorization": {"tok"}}}
	if _, err := v.Verify(r, now); !errors.Is(err, verify.ErrNoSignature) {
		t.Errorf("Verify(Authorization) = %v; want %v", err, verify.ErrNoSignature)
	}
}

// TestMoreSign checks Sign against signatures computed here, in each
// provider's layout.
func TestMoreSign(t *testing.T) {
	const secret, body = "s3cret", `{"id":"e1"}`
	ts := strconv.FormatInt(now.Unix(), 10)
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	rfc := now.UTC().Format(time.RFC3339)
	tests := []struct {
		preset string
		want   http.Header
	}{
		{"vercel", http.Header{"X-Vercel-Signature": {hex.EncodeToString(hmacOf(sha1.New, secret, body))}}},
		{"twitter", http.Header{"X-Twitter-Webhooks-Signature": {"sha256=" + macB64(sha256.New, secret, body)}}},
		{"mux", http.Header{"Mux-Signature": {"t=" + ts + ",v1=" + macHex(secret, ts+"."+body)}}},
		{"workos", http.Header{"Workos-Signature": {"t=" + ms + ",v1=" + macHex(secret, ms+"."+body)}}},
		{"recurly", http.Header{"Recurly-Signature": {ms + "," + macHex(secret, ms+"."+body)}}},
		{"webflow", http.Header{"X-Webflow-Signature": {macHex(secret, ms+":"+body)}, "X-Webflow-Timestamp": {ms}}},
		{"frameio", http.Header{"X-Frameio-Signature": {"v0=" + macHex(secret, "v0:"+ts+":"+body)}, "X-Frameio-Request-Timestamp": {ts}}},
		{"zendesk", http.Header{"X-Zendesk-Webhook-Signature": {macB64(sha256.New, secret, rfc+body)}, "X-Zendesk-Webhook-Signature-Timestamp": {rfc}}},
		{"trello", http.Header{"X-Trello-Webhook": {macB64(sha1.New, secret, body+"https://example.com/hook")}}},
		{"docusign", http.Header{"X-Docusign-Signature-1": {macB64(sha256.New, secret, body)}}},
	}
	for _, tt := range tests {
		t.Run(tt.preset, func(t *testing.T) {
			r := &verify.Request{Method: "POST", URL: "https://example.com/hook", Body: []byte(body)}
			if err := verify.Sign(tt.preset, r, Options{Secrets: []string{secret}}, now); err != nil {
				t.Fatalf("Sign(%s) = %v", tt.preset, err)
			}
			for k, v := range tt.want {
				if got := r.Header.Get(k); got != v[0] {
					t.Errorf("Sign(%s) %s = %q; want %q", tt.preset, k, got, v[0])
				}
			}
			if len(r.Header) != len(tt.want) {
				t.Errorf("Sign(%s) set %v; want only %v", tt.preset, sortedKeys(r.Header), sortedKeys(tt.want))
			}
		})
	}
}

// TestMoreNewErrors covers the options the further presets refuse.
func TestMoreNewErrors(t *testing.T) {
	tests := []struct {
		name string
		typ  string
		o    Options
	}{
		{"airtable secret not base64", "airtable", Options{Secrets: []string{"not base64!"}}},
		{"airtable empty key", "airtable", Options{Secrets: []string{"===="}}},
		{"telnyx key not base64", "telnyx", Options{Secrets: []string{"@@@"}}},
		{"telnyx key too short", "telnyx", Options{Secrets: []string{base64.StdEncoding.EncodeToString([]byte("short"))}}},
		{"okta bad header", "okta", Options{Secrets: []string{"t"}, Header: "X Auth"}},
		{"trello public_url with path", "trello", Options{Secrets: []string{"s"}, PublicURL: "https://h.example/webhooks/trello"}},
		{"trello public_url not http", "trello", Options{Secrets: []string{"s"}, PublicURL: "ftp://h.example"}},
		{"tolerance on untimed vercel", "vercel", Options{Secrets: []string{"s"}, Tolerance: time.Minute}},
		{"tolerance on zendesk", "zendesk", Options{Secrets: []string{"s"}, Tolerance: time.Minute}},
		{"header on gitea", "gitea", Options{Secrets: []string{"s"}, Header: "X-Sig"}},
		{"public_url on dropbox", "dropbox", Options{Secrets: []string{"s"}, PublicURL: "https://h.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := verify.New(tt.typ, tt.o); !errors.Is(err, verify.ErrConfig) || v != nil {
				t.Errorf("New(%s) = %v, %v; want nil, %v", tt.name, v, err, verify.ErrConfig)
			}
			for _, s := range tt.o.Secrets {
				if _, err := verify.New(tt.typ, tt.o); len(s) > 4 && strings.Contains(err.Error(), s) {
					t.Errorf("New(%s) = %v; the message reveals a secret", tt.name, err)
				}
			}
		})
	}
	// Telnyx signs with the private key: a public key is refused.
	r := &verify.Request{Body: []byte("{}")}
	if err := verify.Sign("telnyx", r, Options{Secrets: []string{base64.StdEncoding.EncodeToString(make([]byte, 48))}}, now); !errors.Is(err, verify.ErrConfig) {
		t.Errorf("Sign(telnyx, 48-byte key) = %v; want %v", err, verify.ErrConfig)
	}
}

// TestTelnyxKeyForms checks that Sign takes the 64-byte private key as well
// as the seed, and that a signature made with it verifies.
func TestTelnyxKeyForms(t *testing.T) {
	seed, _ := base64.StdEncoding.DecodeString(telnyxSeed1)
	pub, _ := base64.StdEncoding.DecodeString(telnyxPub1)
	full := base64.StdEncoding.EncodeToString(append(seed, pub...))
	for _, key := range []string{telnyxSeed1, full, strings.TrimRight(telnyxSeed1, "=")} {
		r := &verify.Request{Body: []byte(`{"data":{"id":"1"}}`)}
		if err := verify.Sign("telnyx", r, Options{Secrets: []string{key}}, now); err != nil {
			t.Fatalf("Sign(telnyx) = %v", err)
		}
		if _, err := mustVerifier(t, "telnyx", Options{Secrets: []string{telnyxPub1}}).Verify(r, now); err != nil {
			t.Errorf("Verify(telnyx, key %d bytes) = %v; want valid", len(key), err)
		}
	}
}
