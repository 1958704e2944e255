package main

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/testkit"
)

// handshakeCase is one provider's handshake sent to the built binary, and
// the answer the provider expects.
type handshakeCase struct {
	provider string
	req      func(base string) *http.Request
	status   int
	ctype    string // the answer's Content-Type prefix ("" unchecked)
	body     string // the exact answer body
}

// answer sends req and returns the answer with its body read.
func answer(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// signedHandshake is a POST of body to path, signed as preset with secret
// (hdr on top).
func signedHandshake(t *testing.T, preset, secret, path, body string, hdr http.Header) func(string) *http.Request {
	return func(base string) *http.Request {
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = testkit.Sign(t, preset, secret, body, hdr, time.Now())
		req.Header.Set("Content-Type", "application/json")
		return req
	}
}

// plain is an unsigned request (GET and HEAD handshakes carry no
// signature).
func plain(t *testing.T, method, path string, hdr http.Header) func(string) *http.Request {
	return func(base string) *http.Request {
		req, err := http.NewRequest(method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		return req
	}
}

// hmacOf is the HMAC of msg under key.
func hmacOf(h func() hash.Hash, key, msg string) []byte {
	m := hmac.New(h, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// TestBinaryHandshakes sends every handshake of the catalogue's presets
// that answer one to the built binary, and checks the exact answer each
// provider expects; the handshakes record and forward nothing, so the
// stream then holds only the one real event sent after them.
func TestBinaryHandshakes(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	bin := mustBinary(t)
	cfg := gatewayConfig(t, testkit.EmbeddedNATS, `providers:
  - {name: slack, type: slack, secrets: [slack-signing-secret]}
  - {name: zoom, type: zoom, secrets: [zoom-secret-token]}
  - {name: twitch, type: twitch-eventsub, secrets: [twitch-secret-0123]}
  - {name: discord, type: discord-ed25519, secrets: [`+hex.EncodeToString(pub)+`]}
  - {name: meta, type: meta, secrets: [meta-app-secret], options: {verify_token: meta-verify}}
  - {name: dropbox, type: dropbox, secrets: [dropbox-app-secret]}
  - {name: nylas, type: nylas, secrets: [nylas-secret]}
  - {name: x, type: twitter, secrets: [x-consumer-secret]}
  - {name: okta, type: okta, secrets: [okta-auth-value]}
  - {name: trello, type: trello, secrets: [trello-app-secret], options: {public_url: "https://hooks.example.com"}}
  - {name: sm, type: surveymonkey, secrets: ["sm_client&sm_secret"]}`)
	g := startBinary(t, bin, cfg)
	base := "http://" + g.addr

	twitchHdr := http.Header{"Twitch-Eventsub-Message-Type": {"webhook_callback_verification"}, "Twitch-Eventsub-Message-Id": {"msg-1"},
		"Twitch-Eventsub-Subscription-Type": {"channel.follow"}}
	crc := "dGhpcyBpcyBhIGNyYyB0b2tlbg"
	cases := []handshakeCase{
		{provider: "slack", req: signedHandshake(t, "slack", "slack-signing-secret", "/webhooks/slack",
			`{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`, nil),
			status: 200, ctype: "text/plain", body: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"},
		{provider: "zoom", req: signedHandshake(t, "zoom", "zoom-secret-token", "/webhooks/zoom",
			`{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`, nil),
			status: 200, ctype: "application/json",
			body: `{"plainToken":"qgg8vlvZRS6UYooatFL8Aw","encryptedToken":"` + hex.EncodeToString(hmacOf(sha256.New, "zoom-secret-token", "qgg8vlvZRS6UYooatFL8Aw")) + `"}`},
		{provider: "twitch", req: signedHandshake(t, "twitch-eventsub", "twitch-secret-0123", "/webhooks/twitch",
			`{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"type":"channel.follow"}}`, twitchHdr),
			status: 200, ctype: "text/plain", body: "pogchamp-kappa-360noscope-vohiyo"},
		{provider: "discord", req: signedHandshake(t, "discord-ed25519", hex.EncodeToString(priv.Seed()), "/webhooks/discord", `{"id":"1","type":1}`, nil),
			status: 200, ctype: "application/json", body: `{"type":1}`},
		{provider: "meta", req: plain(t, http.MethodGet, "/webhooks/meta?hub.mode=subscribe&hub.verify_token=meta-verify&hub.challenge=1158201444", nil),
			status: 200, ctype: "text/plain", body: "1158201444"},
		{provider: "dropbox", req: plain(t, http.MethodGet, "/webhooks/dropbox?challenge=dbx-challenge-42", nil),
			status: 200, ctype: "text/plain", body: "dbx-challenge-42"},
		{provider: "nylas", req: plain(t, http.MethodGet, "/webhooks/nylas?challenge=nylas-challenge-7", nil),
			status: 200, ctype: "text/plain", body: "nylas-challenge-7"},
		{provider: "x", req: plain(t, http.MethodGet, "/webhooks/x?crc_token="+url.QueryEscape(crc), nil),
			status: 200, ctype: "application/json",
			body: `{"response_token":"sha256=` + base64.StdEncoding.EncodeToString(hmacOf(sha256.New, "x-consumer-secret", crc)) + `"}`},
		{provider: "okta", req: plain(t, http.MethodGet, "/webhooks/okta", http.Header{"X-Okta-Verification-Challenge": {"okta-challenge-9"}}),
			status: 200, ctype: "application/json", body: `{"verification":"okta-challenge-9"}`},
		{provider: "trello", req: plain(t, http.MethodHead, "/webhooks/trello", nil), status: 200},
		{provider: "sm", req: plain(t, http.MethodHead, "/webhooks/sm", nil), status: 200},
	}
	for _, c := range cases {
		resp, body := answer(t, c.req(base))
		if resp.StatusCode != c.status || body != c.body || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) {
			t.Errorf("%s handshake: %d %q %q; want %d %q %q\n%s", c.provider, resp.StatusCode, resp.Header.Get("Content-Type"), body,
				c.status, c.ctype, c.body, g.logs)
		}
	}

	// A handshake is checked like an event where the provider signs it, and
	// a wrong verify token or an unsigned POST handshake gets nothing.
	for name, req := range map[string]*http.Request{
		"meta, wrong verify token": plain(t, http.MethodGet, "/webhooks/meta?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1", nil)(base),
		"slack, signed with another secret": signedHandshake(t, "slack", "another-secret", "/webhooks/slack",
			`{"challenge":"x","type":"url_verification"}`, nil)(base),
		"zoom, signed with another secret": signedHandshake(t, "zoom", "another-secret", "/webhooks/zoom",
			`{"payload":{"plainToken":"p"},"event":"endpoint.url_validation"}`, nil)(base),
	} {
		if resp, body := answer(t, req); resp.StatusCode < 400 {
			t.Errorf("%s: %d %q; want a refusal", name, resp.StatusCode, body)
		}
	}

	// One real event after the handshakes: the stream holds it alone.
	ev := `{"id":"1","type":0,"event":{"type":"APPLICATION_AUTHORIZED"}}`
	if resp, body := answer(t, signedHandshake(t, "discord-ed25519", hex.EncodeToString(priv.Seed()), "/webhooks/discord", ev, nil)(base)); resp.StatusCode != 204 {
		t.Errorf("discord webhook event PING: %d %q; want 204", resp.StatusCode, body)
	}
	sm := `{"event_id":"10001","event_type":"response_completed","object_type":"response","object_id":"1"}`
	smReq := plain(t, http.MethodPost, "/webhooks/sm", nil)(base)
	smReq.Body = io.NopCloser(strings.NewReader(sm))
	smReq.Header.Set("Sm-Signature", base64.StdEncoding.EncodeToString(hmacOf(sha1.New, "sm_client&sm_secret", sm)))
	smReq.Header.Set("Content-Type", "application/json")
	if resp, body := answer(t, smReq); resp.StatusCode != 202 {
		t.Fatalf("a SurveyMonkey event after the handshakes: %d %q; want 202", resp.StatusCode, body)
	}
	st := g.stream(t)
	testkit.WaitFor(t, 10*time.Second, func() string { return "the stream does not hold exactly the one event" }, func() bool {
		return testkit.SubjectCount(t, st, "webhooks.>") == 1
	})
}
