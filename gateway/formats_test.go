package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/webhook"
)

// signedRequest signs body with preset and secret at time at, sets hdr on
// top of the signature headers, and addresses it to path.
func signedRequest(tb testing.TB, preset, secret, path, body string, hdr http.Header, at time.Time) *http.Request {
	tb.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header = testkit.Sign(tb, preset, secret, body, hdr, at)
	return req
}

// streamMsg waits up to 10 s for the stream WEBHOOKS of s to hold a message
// at sequence seq, and returns it.
func streamMsg(tb testing.TB, s *Server, seq uint64) *jetstream.RawStreamMsg {
	tb.Helper()
	_, js := testkit.JetStream(tb, s.NATSURL())
	ctx := context.Background()
	var (
		m       *jetstream.RawStreamMsg
		lastErr error
	)
	testkit.WaitFor(tb, 10*time.Second, func() string { return fmt.Sprintf("no message %d in the stream (last error: %v)", seq, lastErr) }, func() bool {
		stream, err := js.Stream(ctx, "WEBHOOKS")
		if err == nil {
			m, err = stream.GetMsg(ctx, seq)
		}
		lastErr = err
		return err == nil
	})
	return m
}

// TestShopifyTopicOnTheStream posts a Shopify webhook whose topic holds a
// '/' to a real gateway (SQLite, embedded NATS) and reads the stored
// message back: the topic's '/' separates subject tokens, the
// Hookgate-Event-Type header keeps the topic as sent, and the request's
// Content-Type travels with the message.
func TestShopifyTopicOnTheStream(t *testing.T) {
	s := mustServer(t, "", providerYAML("shop", "shopify", "shpss_test"))
	body := `{"id":820982911946154508,"email":"jon@example.com"}`
	req := signedRequest(t, "shopify", "shpss_test", "/webhooks/shop", body, http.Header{
		"X-Shopify-Topic":    {"orders/create"},
		"X-Shopify-Event-Id": {"98880550-7158-44d4-b7cd-2c97c8a091b5"},
		"Content-Type":       {"application/json; charset=utf-8"},
	}, time.Now())
	if code := postTo(t, s, req); code != 202 {
		t.Fatalf("post: %d; want 202", code)
	}
	m := streamMsg(t, s, 1)
	for _, c := range []struct{ field, got, want string }{
		{"subject", m.Subject, "webhooks.shop.orders.create"},
		{forward.HeaderEventType, m.Header.Get(forward.HeaderEventType), "orders/create"},
		{forward.HeaderEventID, m.Header.Get(forward.HeaderEventID), "98880550-7158-44d4-b7cd-2c97c8a091b5"},
		{"Content-Type", m.Header.Get("Content-Type"), "application/json; charset=utf-8"},
		{"body", string(m.Data), body},
	} {
		if c.got != c.want {
			t.Errorf("stored message %s = %q; want %q", c.field, c.got, c.want)
		}
	}
}

// formatsHandler builds the public handler of a gateway with the given
// providers section, a fake decider and a clock fixed at now.
func formatsHandler(tb testing.TB, providers string, now time.Time) (http.Handler, *fakeDecider) {
	tb.Helper()
	c := mustValid(tb, "listen: 127.0.0.1:0\nproviders:\n"+providers)
	ps, err := buildProviders(c, false)
	if err != nil {
		tb.Fatal(err)
	}
	d := &fakeDecider{outcome: webhook.Accepted}
	s := newServer(c, Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	s.decider = d
	return s.routes(ps), d
}

// TestSvixHeaderNamesGiveTheSignedID sends the official Standard Webhooks
// vector (libraries/go/webhook_test.go, as in verify/testdata) under the
// svix-* header names to standard-webhooks and svix providers: the event
// ID is the svix-id the signature covers, not the body's hash, and an
// unsigned webhook-id next to it changes nothing. A provider's
// identify.event_id still wins.
func TestSvixHeaderNamesGiveTheSignedID(t *testing.T) {
	const (
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		body   = `{"test": 2432232314}`
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	)
	h, d := formatsHandler(t, `
  - {name: sw, type: standard-webhooks, secrets: [`+secret+`]}
  - {name: sx, type: svix, secrets: [`+secret+`]}
  - {name: own, type: standard-webhooks, secrets: [`+secret+`], identify: {event_id: test}}
`, time.Unix(1614265330, 0))
	svix := http.Header{
		"Svix-Id":        {id},
		"Svix-Timestamp": {"1614265330"},
		"Svix-Signature": {"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
	}
	withUnsigned := svix.Clone()
	withUnsigned.Set("Webhook-Id", "msg_unsigned")
	for _, c := range []struct {
		name, path string
		header     http.Header
		want       string
	}{
		{"standard-webhooks, svix-* names", "/webhooks/sw", svix, id},
		{"svix, svix-* names", "/webhooks/sx", svix, id},
		{"svix-* signed, unsigned webhook-id", "/webhooks/sw", withUnsigned, id},
		{"identify.event_id wins", "/webhooks/own", svix, "2432232314"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", c.path, strings.NewReader(body))
			req.Header = c.header.Clone()
			rec := httptest.NewRecorder()
			n := len(d.events)
			h.ServeHTTP(rec, req)
			if rec.Code != 202 || len(d.events) != n+1 {
				t.Fatalf("status %d: %s; want 202", rec.Code, rec.Body)
			}
			if got := d.events[n].ID; got != c.want {
				t.Errorf("event ID = %q; want %q", got, c.want)
			}
		})
	}
}

// TestSlackFormsGetTheirTypes posts Slack's form-encoded requests to a
// slack provider: a slash command is a slash_command, an interaction takes
// its payload's type, both are identified by their trigger_id, and JSON
// paths read the interaction payload. Events API JSON is unchanged, and a
// provider's identify settings still win.
func TestSlackFormsGetTheirTypes(t *testing.T) {
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	h, d := formatsHandler(t, `
  - {name: slack, type: slack, secrets: [`+secret+`]}
  - {name: own, type: slack, secrets: [`+secret+`], identify: {event_id: user.id, event_type: [type, view.callback_id]}}
`, testNow)
	form := func(payload string) string { return "payload=" + url.QueryEscape(payload) }
	slash := "token=x&team_id=T1&channel_id=C1&user_id=U1&command=%2Fdeploy&text=prod&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1%2F2&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A1"
	submit := form(`{"type":"view_submission","trigger_id":"v.2","user":{"id":"U2"},"view":{"id":"V1","callback_id":"new_ticket"}}`)
	for _, c := range []struct {
		name, path, body, contentType string
		id, typ, subject              string
	}{
		{"slash command", "/webhooks/slack", slash, "application/x-www-form-urlencoded",
			"13345224609.738474920.8088930838d88f008e0", "slash_command", "webhooks.slack.slash_command"},
		{"block_actions", "/webhooks/slack", form(`{"type":"block_actions","trigger_id":"b.1","actions":[{"action_id":"approve"}]}`), "application/x-www-form-urlencoded",
			"b.1", "block_actions", "webhooks.slack.block_actions"},
		{"view_submission", "/webhooks/slack", submit, "application/x-www-form-urlencoded",
			"v.2", "view_submission", "webhooks.slack.view_submission"},
		{"events API", "/webhooks/slack", `{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}`, "application/json",
			"Ev1", "event_callback.app_mention", "webhooks.slack.event_callback.app_mention"},
		{"identify reads the interaction payload", "/webhooks/own", submit, "application/x-www-form-urlencoded",
			"U2", "view_submission.new_ticket", "webhooks.own.view_submission.new_ticket"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := signedRequest(t, "slack", secret, c.path, c.body, http.Header{"Content-Type": {c.contentType}}, testNow)
			rec := httptest.NewRecorder()
			n := len(d.events)
			h.ServeHTTP(rec, req)
			if rec.Code != 202 || len(d.events) != n+1 {
				t.Fatalf("status %d: %s; want 202", rec.Code, rec.Body)
			}
			ev := d.events[n]
			if ev.ID != c.id || ev.Type != c.typ || ev.Message.Subject != c.subject {
				t.Errorf("event = ID %q, type %q on %q; want %q, %q on %q", ev.ID, ev.Type, ev.Message.Subject, c.id, c.typ, c.subject)
			}
			if got := ev.Message.Header.Get(forward.HeaderEventType); got != c.typ {
				t.Errorf("%s = %q; want %q", forward.HeaderEventType, got, c.typ)
			}
			if got := ev.Message.Header.Get("Content-Type"); got != c.contentType {
				t.Errorf("Content-Type = %q; want %q", got, c.contentType)
			}
		})
	}
}

// TestIdentityWhiteSpaceTrimmed checks that surrounding white space other
// than line breaks is trimmed from every identity value, whatever its
// source (a JSON field, a header, what the scheme reports): event IDs that
// differ only by it are one event, and a value that is only white space is
// absent. A line break is still refused, trailing or not.
func TestIdentityWhiteSpaceTrimmed(t *testing.T) {
	const slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	h, d := formatsHandler(t, `
  - name: shop
    type: stripe
    secrets: [whsec_new]
    ordering: {key: data.object.id, version: created}
  - {name: gh, type: github, secrets: [s3cret]}
  - {name: slack, type: slack, secrets: [`+slackSecret+`]}
`, testNow)
	blank := `{"id":" \t ","type":"t","created":1,"data":{"object":{"id":"o"}}}`
	sum := sha256.Sum256([]byte(blank))
	for _, c := range []struct {
		name                     string
		req                      *http.Request
		id, typ, entity, version string
	}{
		{"JSON fields", stripeRequest(t, `{"id":" evt_1\t","type":"\u00a0invoice.paid ","created":" 1700000000 ","data":{"object":{"id":"\u2003in_1 "}}}`, "whsec_new", testNow),
			"evt_1", "invoice.paid", "in_1", "1700000000"},
		{"JSON fields, no white space", stripeRequest(t, stripeBody("evt_1", "invoice.paid", "in_1", 1700000000), "whsec_new", testNow),
			"evt_1", "invoice.paid", "in_1", "1700000000"},
		{"ID only white space", stripeRequest(t, blank, "whsec_new", testNow),
			"sha256:" + hex.EncodeToString(sum[:]), "t", "o", "1"},
		{"headers and a JSON field", signedRequest(t, "github", "s3cret", "/webhooks/gh", `{"action":" opened "}`,
			http.Header{"X-Github-Delivery": {"\u2003d-1\u2003"}, "X-Github-Event": {"\u00a0pull_request"}}, testNow),
			"d-1", "pull_request.opened", "", ""},
		{"what the scheme reports", signedRequest(t, "slack", slackSecret, "/webhooks/slack", "payload="+url.QueryEscape(`{"type":" block_actions\u3000","trigger_id":"\tb.1 "}`), nil, testNow),
			"b.1", "block_actions", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			n := len(d.events)
			h.ServeHTTP(rec, c.req)
			if rec.Code != 202 || len(d.events) != n+1 {
				t.Fatalf("status %d: %s; want 202", rec.Code, rec.Body)
			}
			ev := d.events[n]
			hdr := ev.Message.Header
			if ev.ID != c.id || ev.Type != c.typ || hdr.Get(forward.HeaderOrderingKey) != c.entity || hdr.Get(forward.HeaderOrderingVersion) != c.version {
				t.Errorf("identity = %q, %q, %q, %q; want %q, %q, %q, %q", ev.ID, ev.Type,
					hdr.Get(forward.HeaderOrderingKey), hdr.Get(forward.HeaderOrderingVersion), c.id, c.typ, c.entity, c.version)
			}
		})
	}
	for _, body := range []string{
		`{"id":"evt_1\n","type":"t","created":1,"data":{"object":{"id":"o"}}}`,
		`{"id":"evt_1","type":"\r\nt","created":1,"data":{"object":{"id":"o"}}}`,
	} {
		rec := httptest.NewRecorder()
		n := len(d.events)
		h.ServeHTTP(rec, stripeRequest(t, body, "whsec_new", testNow))
		if rec.Code != 400 || len(d.events) != n {
			t.Errorf("%s: status %d, %d events decided; want 400 and none", body, rec.Code, len(d.events)-n)
		}
	}
}
