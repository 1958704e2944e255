package verify_test

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// TestHandshakes covers the requests answered instead of recorded: GET
// challenges (Dropbox, Nylas, Okta, X's CRC), Trello's HEAD check and Xero's
// Intent to Receive.
func TestHandshakes(t *testing.T) {
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
		{name: "dropbox challenge", preset: "dropbox", r: verify.Request{Method: "GET", URL: "https://h.example/webhooks/dropbox?challenge=abc123"}, body: "abc123", ctype: "text/plain; charset=utf-8"},
		{name: "dropbox escaped challenge", preset: "dropbox", r: verify.Request{Method: "GET", URL: "https://h.example/x?a=1&challenge=a%20b&c=2"}, body: "a b", ctype: "text/plain; charset=utf-8"},
		{name: "dropbox no challenge", preset: "dropbox", r: verify.Request{Method: "GET", URL: "https://h.example/webhooks/dropbox"}, want: verify.ErrNoSignature},
		{name: "dropbox long challenge", preset: "dropbox", r: verify.Request{Method: "GET", URL: "https://h.example/x?challenge=" + strings.Repeat("a", 513)}, want: verify.ErrMalformed},
		{name: "dropbox unsigned POST", preset: "dropbox", r: verify.Request{Method: "POST", URL: "https://h.example/x?challenge=abc", Body: []byte("{}")}, want: verify.ErrNoSignature},
		{name: "nylas challenge", preset: "nylas", r: verify.Request{Method: "GET", URL: "https://h.example/webhooks/nylas?challenge=bc609b38"}, body: "bc609b38", ctype: "text/plain; charset=utf-8"},
		{name: "twitter crc", preset: "twitter", r: verify.Request{Method: "GET", URL: "https://h.example/webhooks/twitter?crc_token=Y2xhc3NpYyBzdHVmZg"},
			body: `{"response_token":"sha256=` + macB64(sha256.New, secret, "Y2xhc3NpYyBzdHVmZg") + `"}`, ctype: "application/json"},
		{name: "twitter crc base64url token", preset: "twitter", r: verify.Request{Method: "GET", URL: "https://h.example/x?crc_token=a-b_c%2Bd%2F%3D"},
			body: `{"response_token":"sha256=` + macB64(sha256.New, secret, "a-b_c+d/=") + `"}`, ctype: "application/json"},
		{name: "twitter crc json token", preset: "twitter", r: verify.Request{Method: "GET", URL: `https://h.example/x?crc_token=%7B%22a%22%3A1%7D`}, want: verify.ErrMalformed},
		{name: "twitter crc space", preset: "twitter", r: verify.Request{Method: "GET", URL: `https://h.example/x?crc_token=a+b`}, want: verify.ErrMalformed},
		{name: "twitter no crc_token", preset: "twitter", r: verify.Request{Method: "GET", URL: "https://h.example/x"}, want: verify.ErrNoSignature},
		{name: "okta verification", preset: "okta", r: verify.Request{Method: "GET", Header: http.Header{"X-Okta-Verification-Challenge": {`a"b`}}}, body: `{"verification":"a\"b"}`, ctype: "application/json"},
		{name: "okta no challenge", preset: "okta", r: verify.Request{Method: "GET"}, want: verify.ErrNoSignature},
		{name: "trello HEAD", preset: "trello", r: verify.Request{Method: "HEAD", URL: "https://h.example/webhooks/trello"}},
		{name: "xero intent", preset: "xero", r: verify.Request{Method: "POST", Header: http.Header{"X-Xero-Signature": {macB64(sha256.New, secret, itr)}}, Body: []byte(itr)}, status: 200},
		{name: "xero intent bad signature", preset: "xero", r: verify.Request{Method: "POST", Header: http.Header{"X-Xero-Signature": {macB64(sha256.New, "other", itr)}}, Body: []byte(itr)}, want: verify.ErrMismatch},
		{name: "xero delivery", preset: "xero", r: verify.Request{Method: "POST", Header: http.Header{"X-Xero-Signature": {macB64(sha256.New, secret, delivery)}}, Body: []byte(delivery)}, body: "-"},
		{name: "xero events not a list", preset: "xero", r: verify.Request{Method: "POST", Header: http.Header{"X-Xero-Signature": {macB64(sha256.New, secret, `{"events":null}`)}}, Body: []byte(`{"events":null}`)}, body: "-"},
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

// TestTwitterCRCSignsNoDelivery checks that the answer to X's CRC cannot be
// used as the signature of a delivery. The CRC answers the MAC of any token
// of base64 characters, and the JSON scalars null, true, false and integers
// are such tokens: GET ?crc_token=null gave the signature of a POST whose
// body is null, which was then accepted as X's.
func TestTwitterCRCSignsNoDelivery(t *testing.T) {
	const secret = "consumer-secret"
	v := mustVerifier(t, "twitter", Options{Secrets: []string{secret}})
	for _, body := range []string{"null", "true", "false", "12345", "-1", "0", "1e5", "1E-5", "a", strings.Repeat("9", 512)} {
		crc, err := v.Verify(&verify.Request{Method: "GET", URL: "https://h.example/x?crc_token=" + body}, now)
		if err != nil || crc.Response == nil {
			t.Fatalf("CRC for %q: %v; want an answer", body, err)
		}
		var answer struct {
			Token string `json:"response_token"`
		}
		if err := json.Unmarshal(crc.Response.Body, &answer); err != nil || answer.Token != "sha256="+macB64(sha256.New, secret, body) {
			t.Fatalf("CRC for %q answered %s (%v)", body, crc.Response.Body, err)
		}
		post := &verify.Request{Method: "POST", Header: http.Header{"X-Twitter-Webhooks-Signature": {answer.Token}}, Body: []byte(body)}
		if _, err := v.Verify(post, now); !errors.Is(err, verify.ErrMismatch) {
			t.Errorf("POST body %.40q signed with the CRC's answer: %v; want ErrMismatch", body, err)
		}
	}
	// A body the CRC would not answer still verifies (X's deliveries are
	// JSON objects), and so does a scalar with white space around it,
	// which no token can be.
	for _, body := range []string{`{"for_user_id":"2244994945"}`, " null", "12345\n", strings.Repeat("9", 513)} {
		post := &verify.Request{Method: "POST", Header: http.Header{"X-Twitter-Webhooks-Signature": {"sha256=" + macB64(sha256.New, secret, body)}}, Body: []byte(body)}
		if _, err := v.Verify(post, now); err != nil {
			t.Errorf("POST body %.40q: %v; want it verified", body, err)
		}
	}
}
