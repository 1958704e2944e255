package verify_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookgate/hookgate/verify"
)

// The preset table rows of the batch whose vectors are in
// testdata/vectors_more_svixetc.json.
func init() {
	addPresetCases(
		presetCase{name: "clerk", secrets: [2]string{whsec("clerk signing key, 24 by"), whsec("another clerk key, 24 by")}},
		presetCase{name: "resend", secrets: [2]string{whsec("resend signing key 24 by"), whsec("another resend key 24 by")}},
		presetCase{name: "postmark", secrets: [2]string{"postmark-hook:Zr8vQ2#pLm", "other:pass:with:colons"}, bodyNotSigned: true},
		presetCase{name: "monday", secrets: [2]string{"monday_signing_secret_1", "monday_signing_secret_2"}, bodyNotSigned: true},
		presetCase{
			name: "dropbox-sign", secrets: [2]string{"324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782", "another API key"},
			// Sign puts the event JSON into a multipart form; only
			// event_time and event_type are signed.
			body:          `{"event":{"event_type":"signature_request_sent"},"signature_request":{"signature_request_id":"evt_1"}}`,
			bodyNotSigned: true,
		},
	)
}

// TestSvixPresetsIdentify: Clerk and Resend are the svix scheme under
// their own names, with their identify defaults, and report the signed
// svix-id.
func TestSvixPresetsIdentify(t *testing.T) {
	for _, tt := range []struct{ name, createdAt string }{{"clerk", ""}, {"resend", "created_at"}} {
		p, ok := verify.Lookup(tt.name)
		if !ok {
			t.Fatalf("Lookup(%s) = false", tt.name)
		}
		if p.EventID != "header:Svix-Id" || !p.IDSourceSigned || !p.IDSigned() || len(p.EventType) != 1 || p.EventType[0] != "type" || p.CreatedAt != tt.createdAt {
			t.Errorf("%s = EventID %q, IDSourceSigned %v, EventType %v, CreatedAt %q", tt.name, p.EventID, p.IDSourceSigned, p.EventType, p.CreatedAt)
		}
		secret := whsec("a signing key of 24 byte")
		r := &verify.Request{Header: http.Header{"Svix-Id": {"msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"}}, Body: []byte(`{"type":"email.sent"}`)}
		if err := verify.Sign(tt.name, r, Options{Secrets: []string{secret}}, now); err != nil {
			t.Fatal(err)
		}
		res, err := mustVerifier(t, tt.name, Options{Secrets: []string{secret}}).Verify(r, now)
		if err != nil || res.ID != "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W" {
			t.Errorf("Verify(%s) = %+v, %v; want ID msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", tt.name, res, err)
		}
	}
	if p, _ := verify.Lookup("svix"); slices.Contains(p.Aliases, "clerk") || slices.Contains(p.Aliases, "resend") {
		t.Errorf("svix aliases = %v; clerk and resend are presets of their own", p.Aliases)
	}
}

// TestPostmarkPreset: Postmark is basic auth, its events typed by
// RecordType and identified by the body's hash (no ID source), which is not
// signed.
func TestPostmarkPreset(t *testing.T) {
	p, ok := verify.Lookup("postmark")
	if !ok {
		t.Fatal("Lookup(postmark) = false")
	}
	if p.Scheme != "basic-auth" || p.EventID != "" || !p.BodyUnsigned || p.IDSigned() || len(p.EventType) != 1 || p.EventType[0] != "RecordType" {
		t.Errorf("postmark = %+v", p)
	}
	if b, _ := verify.Lookup("basic-auth"); slices.Contains(b.Aliases, "postmark") {
		t.Errorf("basic-auth aliases = %v; postmark is a preset of its own", b.Aliases)
	}
}

// mondayToken is an HS256 token with monday.com's claims at iat, edited
// by edit.
func mondayToken(t *testing.T, secret string, iat time.Time, edit func(jwt.MapClaims)) string {
	t.Helper()
	c := jwt.MapClaims{"accountId": 1825528, "userId": 4012689, "aud": "https://hooks.example/monday", "iat": iat.Unix(), "exp": iat.Add(5 * time.Minute).Unix(), "shortLivedToken": "SLT"}
	if edit != nil {
		edit(c)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestMondayHandshake covers monday.com's URL verification: the challenge
// is echoed as JSON, signed or not; a token that is there must verify; an
// event must carry one.
func TestMondayHandshake(t *testing.T) {
	const secret = "monday_signing_secret_1"
	o := Options{Secrets: []string{"other", secret}, Audience: []string{"https://hooks.example/monday"}}
	v := mustVerifier(t, "monday", o)
	good := mondayToken(t, secret, now, nil)
	const challenge = `{"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`
	const answer = `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`
	event := `{"event":{"type":"create_pulse","triggerUuid":"b5ed2e17c530f43668de130142445cba","challenge":"not a handshake"}}`
	tests := []struct {
		name, auth, body string
		want             error
		answer           string // the handshake's JSON; "" for an event
	}{
		{name: "unsigned challenge", body: challenge, answer: answer},
		{name: "signed challenge", auth: good, body: challenge, answer: answer},
		{name: "challenge with a bearer token", auth: "Bearer " + good, body: challenge, answer: answer},
		{name: "challenge with a bad token", auth: mondayToken(t, "wrong", now, nil), body: challenge, want: verify.ErrMismatch},
		{name: "challenge escaped", body: `{"challenge":"a<b>&\"c\u00e9"}`, answer: `{"challenge":"a<b>&\"c` + "\u00e9" + `"}`},
		{name: "challenge not a string", body: `{"challenge":["x"]}`, want: verify.ErrMalformed},
		{name: "empty challenge", body: `{"challenge":""}`, want: verify.ErrMalformed},
		{name: "event", auth: good, body: event},
		{name: "event without a token", body: event, want: verify.ErrNoSignature},
		{name: "event with a challenge member is not a handshake", body: event, want: verify.ErrNoSignature},
		{name: "not JSON", body: `challenge`, want: verify.ErrNoSignature},
		{name: "expired", auth: mondayToken(t, secret, now.Add(-7*time.Minute), nil), body: event, want: verify.ErrTooOld},
		{name: "no exp", auth: mondayToken(t, secret, now, func(c jwt.MapClaims) { delete(c, "exp") }), body: event, want: verify.ErrClaims},
		{name: "no iat", auth: mondayToken(t, secret, now, func(c jwt.MapClaims) { delete(c, "iat") }), body: event},
		{name: "other audience", auth: mondayToken(t, secret, now, func(c jwt.MapClaims) { c["aud"] = "https://evil.example/" }), body: event, want: verify.ErrClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(tt.body)}
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			res, err := v.Verify(r, now)
			if !wantErr(err, tt.want) {
				t.Fatalf("Verify = %+v, %v; want %v", res, err, tt.want)
			}
			if err != nil {
				return
			}
			switch {
			case tt.answer == "" && res.Response != nil:
				t.Errorf("Verify = handshake %q; want an event", res.Response.Body)
			case tt.answer != "" && res.Response == nil:
				t.Errorf("Verify gave no handshake; want %s", tt.answer)
			case tt.answer != "" && (string(res.Response.Body) != tt.answer || res.Response.ContentType != "application/json" || res.Response.Status != 0):
				t.Errorf("Verify answer = %d %s %q; want 200 application/json %s", res.Response.Status, res.Response.ContentType, res.Response.Body, tt.answer)
			case tt.auth != "" && res.SecretIndex != 1:
				t.Errorf("Verify secret index = %d; want 1", res.SecretIndex)
			}
		})
	}
	p, _ := verify.Lookup("monday")
	if p.Handshake == "" || !p.BodyUnsigned || p.IDSigned() || p.EventID != "event.triggerUuid" || p.CreatedAt != "event.triggerTime" {
		t.Errorf("monday = %+v", p)
	}
}

// dropboxSignHash is event_hash as the SDKs' EventCallbackHelper computes
// it.
func dropboxSignHash(key, eventTime, eventType string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(eventTime + eventType))
	return hex.EncodeToString(m.Sum(nil))
}

// dropboxSignForm is doc as the json field of a multipart form, with the
// fields before it, and its Content-Type.
func dropboxSignForm(t *testing.T, doc string, before ...string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, name := range before {
		if err := w.WriteField(name, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteField("json", doc); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

// TestDropboxSign covers the places the event JSON may be, its Payload,
// the callback_test handshake and the malformed forms.
func TestDropboxSign(t *testing.T) {
	const key = "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"
	ts := strconv.FormatInt(now.Unix(), 10)
	doc := func(typ string) string {
		return `{"event":{"event_time":"` + ts + `","event_type":"` + typ + `","event_hash":"` + dropboxSignHash(key, ts, typ) + `"},"signature_request":{"signature_request_id":"fa5c8a0b0f492d768749333ad6fcc214c111e967"}}`
	}
	sent := doc("signature_request_sent")
	form, ct := dropboxSignForm(t, sent, "other")
	many, manyCT := dropboxSignForm(t, sent, strings.Split(strings.Repeat("f,", 16), ",")[:16]...)
	tests := []struct {
		name, ct, body string
		want           error
		payload        string // "" for the body itself
		handshake      bool
	}{
		{name: "multipart", ct: ct, body: string(form), payload: sent},
		{name: "url-encoded", ct: "application/x-www-form-urlencoded", body: "a=1&json=" + url.QueryEscape(sent), payload: sent},
		{name: "JSON body", ct: "application/json", body: sent, payload: sent},
		{name: "JSON body without a type", body: sent, payload: sent},
		{name: "numeric event_time", ct: "application/json", body: strings.Replace(sent, `"`+ts+`"`, ts, 1), payload: strings.Replace(sent, `"`+ts+`"`, ts, 1)},
		{name: "callback_test", ct: "application/json", body: doc("callback_test"), payload: doc("callback_test"), handshake: true},
		{name: "seventeen parts", ct: manyCT, body: string(many), want: verify.ErrMalformed},
		{name: "url-encoded without json", ct: "application/x-www-form-urlencoded", body: "payload=" + url.QueryEscape(sent), want: verify.ErrNoSignature},
		{name: "no event", ct: "application/json", body: `{"account_guid":"x"}`, want: verify.ErrNoSignature},
		{name: "no event_hash", ct: "application/json", body: `{"event":{"event_time":"` + ts + `","event_type":"x"}}`, want: verify.ErrNoSignature},
		{name: "event_hash not hex", ct: "application/json", body: `{"event":{"event_time":"` + ts + `","event_type":"x","event_hash":"zz"}}`, want: verify.ErrMalformed},
		{name: "event_time not a number", ct: "application/json", body: `{"event":{"event_time":"soon","event_type":"x","event_hash":"` + dropboxSignHash(key, "soon", "x") + `"}}`, want: verify.ErrMalformed},
		{name: "event_type twice", ct: "application/json", body: strings.Replace(sent, `"event_type"`, `"event_type":"account_confirmed","event_type"`, 1), want: verify.ErrMalformed},
		{name: "broken multipart", ct: ct, body: string(form[:len(form)/2]), want: verify.ErrMalformed},
		{name: "form body", ct: "text/plain", body: "json=" + url.QueryEscape(sent), want: verify.ErrNoSignature},
	}
	v := mustVerifier(t, "dropbox-sign", Options{Secrets: []string{"other key", key}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(tt.body)}
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			res, err := v.Verify(r, now.Add(time.Minute))
			if !wantErr(err, tt.want) {
				t.Fatalf("Verify = %+v, %v; want %v", res, err, tt.want)
			}
			if err != nil {
				return
			}
			if res.SecretIndex != 1 || string(res.Payload) != tt.payload {
				t.Errorf("Verify = index %d, payload %s; want 1, %s", res.SecretIndex, res.Payload, tt.payload)
			}
			if tt.handshake != (res.Response != nil) {
				t.Fatalf("Verify response = %+v; want a handshake: %v", res.Response, tt.handshake)
			}
			if tt.handshake && (string(res.Response.Body) != "Hello API Event Received" || res.Response.Status != 200) {
				t.Errorf("Verify response = %+v; want 200 Hello API Event Received", res.Response)
			}
		})
	}
	p, _ := verify.Lookup("hellosign")
	if p.Name != "dropbox-sign" || p.Success == nil || string(p.Success.Body) != "Hello API Event Received" || p.Success.Status != 200 ||
		!strings.HasPrefix(p.Success.ContentType, "text/plain") || !p.BodyUnsigned || p.IDSigned() || p.Handshake == "" {
		t.Errorf("Lookup(hellosign) = %+v", p)
	}
}

// TestDropboxSignSign: Sign posts the event as Dropbox Sign does, in the
// json field of a multipart form, with event_time and event_hash set as
// the SDKs check them.
func TestDropboxSignSign(t *testing.T) {
	const key = "an API key"
	r := &verify.Request{Body: []byte(`{"event":{"event_type":"signature_request_signed","event_hash":"old"},"x":1}`)}
	if err := verify.Sign("dropbox-sign", r, Options{Secrets: []string{key}}, now); err != nil {
		t.Fatal(err)
	}
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "multipart/form-data; boundary=") {
		t.Fatalf("Content-Type = %q", ct)
	}
	mr := multipart.NewReader(bytes.NewReader(r.Body), strings.TrimPrefix(ct, "multipart/form-data; boundary="))
	form, err := mr.ReadForm(1 << 20)
	if err != nil || len(form.Value["json"]) != 1 {
		t.Fatalf("ReadForm = %v, %v", form, err)
	}
	var d struct {
		Event map[string]string `json:"event"`
		X     int               `json:"x"`
	}
	if err := json.Unmarshal([]byte(form.Value["json"][0]), &d); err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	if ev := d.Event; ev["event_time"] != ts || ev["event_type"] != "signature_request_signed" || ev["event_hash"] != dropboxSignHash(key, ts, "signature_request_signed") || d.X != 1 {
		t.Errorf("signed json = %s", form.Value["json"][0])
	}
	if err := verify.Sign("dropbox-sign", &verify.Request{Body: []byte(`{"id":"evt_1"}`)}, Options{Secrets: []string{key}}, now); err == nil {
		t.Errorf("Sign of a body without event.event_type = nil; want an error")
	}
}
