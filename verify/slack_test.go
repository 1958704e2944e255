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

	"hookgate/verify"
)

func init() {
	addPresetCases(
		presetCase{name: "slack", secrets: [2]string{"8f742231b10e8888abcd99yyyzzz85a5", "another signing secret"}},
		presetCase{name: "zoom", secrets: [2]string{"zm_secret_token_Abc123Xyz789", "another secret token"}},
	)
}

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
		{"valid", good, ts, now, nil, ""},
		{"upper-case hex", "v0=" + strings.ToUpper(good[3:]), ts, now, nil, ""},
		{"upper-case version", "V0=" + good[3:], ts, now, nil, ""},
		{"300 s behind", good, ts, now.Add(300 * time.Second), nil, ""},
		{"300 s ahead", good, ts, now.Add(-300 * time.Second), nil, ""},
		{"301 s behind", good, ts, now.Add(301 * time.Second), verify.ErrTooOld, "5m1s old"},
		{"301 s ahead", good, ts, now.Add(-301 * time.Second), verify.ErrTooNew, ""},
		{"no signature", "", ts, now, verify.ErrNoSignature, "ignature"},
		{"no timestamp", good, "", now, verify.ErrNoSignature, "imestamp"},
		{"timestamp not a number", good, "17e8", now, verify.ErrMalformed, "imestamp"},
		{"timestamp negative", good, "-" + ts, now, verify.ErrMalformed, "imestamp"},
		{"timestamp fractional", good, ts + ".0", now, verify.ErrMalformed, "imestamp"},
		{"other version", "v1=" + good[3:], ts, now, verify.ErrMalformed, "v0="},
		{"no version", good[3:], ts, now, verify.ErrMalformed, "v0="},
		{"short", good[:len(good)-2], ts, now, verify.ErrMalformed, "hex"},
		{"not hex", "v0=" + strings.Repeat("z", 64), ts, now, verify.ErrMalformed, "hex"},
		{"two signatures", good + "," + good, ts, now, verify.ErrMalformed, "hex"},
		{"other timestamp", good, strconv.FormatInt(now.Unix()+1, 10), now, verify.ErrMismatch, "none of 1"},
		{"leading zero timestamp", good, "0" + ts, now, verify.ErrMismatch, "none of 1"},
		{"zeros", "v0=" + strings.Repeat("0", 64), ts, now, verify.ErrMismatch, "none of 1"},
	}
	for _, p := range presets {
		v, err := verify.New(p.name, Options{Secrets: []string{secret}})
		if err != nil {
			t.Fatal(err)
		}
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
	if err := verify.Sign("slack", r, o, time.Unix(1531420618, 0)); err != nil {
		t.Fatal(err)
	}
	want := http.Header{
		"X-Slack-Request-Timestamp": {"1531420618"},
		"X-Slack-Signature":         {"v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"},
	}
	for k := range want {
		if got := r.Header.Get(k); got != want.Get(k) {
			t.Errorf("Sign(slack) = %s: %q; want %q", k, got, want.Get(k))
		}
	}
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
		{"url_verification", handshake, secret, now, nil, challenge},
		{"spaces in the JSON", `{ "type" : "url_verification", "challenge" : "abc" }`, secret, now, nil, "abc"},
		{"event callback", `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","text":"url_verification"}}`, secret, now, nil, ""},
		{"form body mentioning the word", "text=url_verification&challenge=abc", secret, now, nil, ""},
		{"type nested", `{"type":"event_callback","event":{"type":"url_verification","challenge":"abc"}}`, secret, now, nil, ""},
		{"no challenge", `{"type":"url_verification"}`, secret, now, verify.ErrMalformed, ""},
		{"empty challenge", `{"type":"url_verification","challenge":""}`, secret, now, verify.ErrMalformed, ""},
		{"wrong secret", handshake, "another secret", now, verify.ErrMismatch, ""},
		{"replayed", handshake, secret, now.Add(time.Hour), verify.ErrTooOld, ""},
	}
	v, err := verify.New("slack", Options{Secrets: []string{"unrelated", secret}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Method: "POST", Body: []byte(tt.body)}
			if err := verify.Sign("slack", r, Options{Secrets: []string{tt.secret}}, now); err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(r, tt.at)
			if !errors.Is(err, tt.want) || tt.want == nil && err != nil {
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
		{"slash command", slash, "slash_command", "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c", ""},
		{"slash command, fields reordered", "trigger_id=t.1&command=%2Fdeploy&text=now", "slash_command", "t.1", ""},
		{"slash command without trigger_id", "command=%2Fdeploy", "slash_command", "", ""},
		{"block_actions", form(blockActions), "block_actions", "12466734323.1395872398", blockActions},
		{"view_submission", form(`{"type":"view_submission","trigger_id":"v.2","view":{"id":"V1","callback_id":"c"}}`), "view_submission", "v.2", `{"type":"view_submission","trigger_id":"v.2","view":{"id":"V1","callback_id":"c"}}`},
		{"shortcut, escaped key", form(`{"trigger_id":"s.3","\u0074ype":"shortcut","callback_id":"c"}`), "shortcut", "s.3", `{"trigger_id":"s.3","\u0074ype":"shortcut","callback_id":"c"}`},
		{"view_closed without trigger_id", form(`{"type":"view_closed","view":{"id":"V1"}}`), "view_closed", "", `{"type":"view_closed","view":{"id":"V1"}}`},
		{"payload after other fields", "a=1&" + form(`{"type":"message_action","trigger_id":"m.4"}`), "message_action", "m.4", `{"type":"message_action","trigger_id":"m.4"}`},
		{"payload not JSON", form(`{"type":`), "", "", ""},
		{"payload with a repeated type", form(`{"type":"a","type":"b"}`), "", "", ""},
		{"payload not an object", form(`["block_actions"]`), "", "", ""},
		{"payload badly escaped", "payload=%7B%zz", "", "", ""},
		{"other form", "text=hello&user_id=U1", "", "", ""},
		{"events API (JSON)", `{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}`, "", "", ""},
		{"JSON after white space", ` {"type":"event_callback","command":"x"}`, "", "", ""},
		{"empty body", "", "", "", ""},
	}
	v, err := verify.New("slack", Options{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
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
