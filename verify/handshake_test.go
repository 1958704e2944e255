package verify_test

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"testing"

	"hookgate/verify"
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
