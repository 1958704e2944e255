package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// v0Sig computes Slack's and Zoom's signature independently of the package.
func v0Sig(secret, ts, body string) string {
	return "v0=" + hex.EncodeToString(hmacOf(sha256.New, secret, "v0:"+ts+":"+body))
}

// TestV0Headers covers the headers of the slack and zoom presets, which
// share one scheme.
func TestV0Headers(t *testing.T) {
	const secret, body = "8f742231b10e8888abcd99yyyzzz85a5", "token=x&command=%2Fweather"
	ts := strconv.FormatInt(now.Unix(), 10)
	good := v0Sig(secret, ts, body)
	presets := []struct{ name, sig, ts string }{
		{"slack", "X-Slack-Signature", "X-Slack-Request-Timestamp"},
		{"zoom", "x-zm-signature", "x-zm-request-timestamp"},
	}
	tests := []struct {
		name   string
		sig    string
		ts     string
		at     time.Time
		want   error // nil: valid
		detail string
	}{
		{name: "valid", sig: good, ts: ts, at: now},
		{name: "upper-case hex", sig: "v0=" + strings.ToUpper(good[3:]), ts: ts, at: now},
		{name: "upper-case version", sig: "V0=" + good[3:], ts: ts, at: now},
		{name: "300 s behind", sig: good, ts: ts, at: now.Add(300 * time.Second)},
		{name: "300 s ahead", sig: good, ts: ts, at: now.Add(-300 * time.Second)},
		{name: "301 s behind", sig: good, ts: ts, at: now.Add(301 * time.Second), want: verify.ErrTooOld, detail: "5m1s old"},
		{name: "301 s ahead", sig: good, ts: ts, at: now.Add(-301 * time.Second), want: verify.ErrTooNew},
		{name: "no signature", ts: ts, at: now, want: verify.ErrNoSignature, detail: "ignature"},
		{name: "no timestamp", sig: good, at: now, want: verify.ErrNoSignature, detail: "imestamp"},
		{name: "timestamp not a number", sig: good, ts: "17e8", at: now, want: verify.ErrMalformed, detail: "imestamp"},
		{name: "timestamp negative", sig: good, ts: "-" + ts, at: now, want: verify.ErrMalformed, detail: "imestamp"},
		{name: "timestamp fractional", sig: good, ts: ts + ".0", at: now, want: verify.ErrMalformed, detail: "imestamp"},
		{name: "other version", sig: "v1=" + good[3:], ts: ts, at: now, want: verify.ErrMalformed, detail: "v0="},
		{name: "no version", sig: good[3:], ts: ts, at: now, want: verify.ErrMalformed, detail: "v0="},
		{name: "short", sig: good[:len(good)-2], ts: ts, at: now, want: verify.ErrMalformed, detail: "hex"},
		{name: "not hex", sig: "v0=" + strings.Repeat("z", 64), ts: ts, at: now, want: verify.ErrMalformed, detail: "hex"},
		{name: "two signatures", sig: good + "," + good, ts: ts, at: now, want: verify.ErrMalformed, detail: "hex"},
		{name: "other timestamp", sig: good, ts: strconv.FormatInt(now.Unix()+1, 10), at: now, want: verify.ErrMismatch, detail: "none of 1"},
		{name: "leading zero timestamp", sig: good, ts: "0" + ts, at: now, want: verify.ErrMismatch, detail: "none of 1"},
		{name: "zeros", sig: "v0=" + strings.Repeat("0", 64), ts: ts, at: now, want: verify.ErrMismatch, detail: "none of 1"},
	}
	for _, p := range presets {
		v := mustVerifier(t, p.name, Options{Secrets: []string{secret}})
		for _, tt := range tests {
			t.Run(p.name+"/"+tt.name, func(t *testing.T) {
				h := http.Header{}
				if tt.sig != "" {
					h.Set(p.sig, tt.sig)
				}
				if tt.ts != "" {
					h.Set(p.ts, tt.ts)
				}
				res, err := v.Verify(&verify.Request{Header: h, Body: []byte(body)}, tt.at)
				if tt.want == nil {
					if err != nil || res.Response != nil {
						t.Errorf("Verify(%s) = %+v, %v; want valid, no handshake", tt.name, res, err)
					}
					return
				}
				if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.detail) {
					t.Errorf("Verify(%s) = %v; want %v mentioning %q", tt.name, err, tt.want, tt.detail)
				}
			})
		}
	}
}

// TestSlackSign reproduces the worked example of Slack's "Verifying
// requests from Slack" page (vector slack-doc-example).
func TestSlackSign(t *testing.T) {
	const body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	r := &verify.Request{Body: []byte(body)}
	o := Options{Secrets: []string{"8f742231b10e8888abcd99yyyzzz85a5"}}
	checkSign(t, "slack", r, o, time.Unix(1531420618, 0), http.Header{
		"X-Slack-Request-Timestamp": {"1531420618"},
		"X-Slack-Signature":         {"v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"},
	})
}

// TestSlackHandshake checks the answer to Events API url_verification:
// the challenge in plain text, only for a verified request.
func TestSlackHandshake(t *testing.T) {
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	const challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
	handshake := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"` + challenge + `","type":"url_verification"}`
	tests := []struct {
		name     string
		body     string
		secret   string
		at       time.Time
		want     error  // nil: valid
		response string // "" : no handshake response
	}{
		{name: "url_verification", body: handshake, secret: secret, at: now, response: challenge},
		{name: "spaces in the JSON", body: `{ "type" : "url_verification", "challenge" : "abc" }`, secret: secret, at: now, response: "abc"},
		{name: "event callback", body: `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","text":"url_verification"}}`, secret: secret, at: now},
		{name: "form body mentioning the word", body: "text=url_verification&challenge=abc", secret: secret, at: now},
		{name: "type nested", body: `{"type":"event_callback","event":{"type":"url_verification","challenge":"abc"}}`, secret: secret, at: now},
		{name: "no challenge", body: `{"type":"url_verification"}`, secret: secret, at: now, want: verify.ErrMalformed},
		{name: "empty challenge", body: `{"type":"url_verification","challenge":""}`, secret: secret, at: now, want: verify.ErrMalformed},
		{name: "wrong secret", body: handshake, secret: "another secret", at: now, want: verify.ErrMismatch},
		{name: "replayed", body: handshake, secret: secret, at: now.Add(time.Hour), want: verify.ErrTooOld},
	}
	v := mustVerifier(t, "slack", Options{Secrets: []string{"unrelated", secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Method: "POST", Body: []byte(tt.body)}
			if err := verify.Sign("slack", r, Options{Secrets: []string{tt.secret}}, now); err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(r, tt.at)
			if !wantErr(err, tt.want) {
				t.Fatalf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
			if err != nil {
				return
			}
			if res.SecretIndex != 1 {
				t.Errorf("Verify(%s) secret index = %d; want 1", tt.name, res.SecretIndex)
			}
			switch {
			case tt.response == "" && res.Response != nil:
				t.Errorf("Verify(%s) response = %+v; want none", tt.name, res.Response)
			case tt.response != "" && res.Response == nil:
				t.Errorf("Verify(%s) response = nil; want %q", tt.name, tt.response)
			case tt.response != "":
				if got := string(res.Response.Body); got != tt.response || res.Response.ContentType != "text/plain" || res.Response.Status != 0 {
					t.Errorf("Verify(%s) response = %d %q %q; want 0 text/plain %q", tt.name, res.Response.Status, res.Response.ContentType, got, tt.response)
				}
			}
		})
	}
}

// TestSlackForms checks what the slack preset reports for Slack's form
// posts, which have no JSON field a source could read: a slash command (the
// body of Slack's "Verifying requests" worked example) is a slash_command
// identified by its trigger_id; an interaction is posted as one field,
// payload, whose JSON gives the type, the trigger_id and the Payload that
// identify's JSON paths read. Events API bodies are left to the preset's
// JSON sources.
func TestSlackForms(t *testing.T) {
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	const slash = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	form := func(payload string) string { return "payload=" + url.QueryEscape(payload) }
	blockActions := `{"type":"block_actions","user":{"id":"U0CA5","team_id":"T3MDE"},"api_app_id":"AABA1ABCD","token":"9s8d9as89d8as9d8as989","trigger_id":"12466734323.1395872398","actions":[{"action_id":"approve","value":"a \"quoted\" & + value"}]}`
	tests := []struct {
		name, body       string
		typ, id, payload string
	}{
		{name: "slash command", body: slash, typ: "slash_command", id: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"},
		{name: "slash command, fields reordered", body: "trigger_id=t.1&command=%2Fdeploy&text=now", typ: "slash_command", id: "t.1"},
		{name: "slash command without trigger_id", body: "command=%2Fdeploy", typ: "slash_command"},
		{name: "block_actions", body: form(blockActions), typ: "block_actions", id: "12466734323.1395872398", payload: blockActions},
		{name: "view_submission", body: form(`{"type":"view_submission","trigger_id":"v.2","view":{"id":"V1","callback_id":"c"}}`), typ: "view_submission", id: "v.2", payload: `{"type":"view_submission","trigger_id":"v.2","view":{"id":"V1","callback_id":"c"}}`},
		{name: "shortcut, escaped key", body: form(`{"trigger_id":"s.3","\u0074ype":"shortcut","callback_id":"c"}`), typ: "shortcut", id: "s.3", payload: `{"trigger_id":"s.3","\u0074ype":"shortcut","callback_id":"c"}`},
		{name: "view_closed without trigger_id", body: form(`{"type":"view_closed","view":{"id":"V1"}}`), typ: "view_closed", payload: `{"type":"view_closed","view":{"id":"V1"}}`},
		{name: "payload after other fields", body: "a=1&" + form(`{"type":"message_action","trigger_id":"m.4"}`), typ: "message_action", id: "m.4", payload: `{"type":"message_action","trigger_id":"m.4"}`},
		{name: "payload not JSON", body: form(`{"type":`)},
		{name: "payload with a repeated type", body: form(`{"type":"a","type":"b"}`)},
		{name: "payload not an object", body: form(`["block_actions"]`)},
		{name: "payload badly escaped", body: "payload=%7B%zz"},
		{name: "other form", body: "text=hello&user_id=U1"},
		{name: "events API (JSON)", body: `{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}`},
		{name: "JSON after white space", body: ` {"type":"event_callback","command":"x"}`},
		{name: "empty body"},
	}
	v := mustVerifier(t, "slack", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Method: "POST", Body: []byte(tt.body)}
			if err := verify.Sign("slack", r, Options{Secrets: []string{secret}}, now); err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(r, now)
			if err != nil {
				t.Fatalf("Verify(%s) = %v; want valid", tt.name, err)
			}
			if res.Type != tt.typ || res.ID != tt.id || string(res.Payload) != tt.payload {
				t.Errorf("Verify(%s) = type %q, ID %q, payload %q; want %q, %q, %q", tt.name, res.Type, res.ID, res.Payload, tt.typ, tt.id, tt.payload)
			}
		})
	}

	// A forged form is not inspected: the signature fails first.
	r := &verify.Request{Method: "POST", Body: []byte(slash)}
	if err := verify.Sign("slack", r, Options{Secrets: []string{"another secret"}}, now); err != nil {
		t.Fatal(err)
	}
	if res, err := v.Verify(r, now); !errors.Is(err, verify.ErrMismatch) || res.Type != "" {
		t.Errorf("Verify(forged slash command) = type %q, %v; want %v", res.Type, err, verify.ErrMismatch)
	}
}
