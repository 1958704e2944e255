package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/verify"
)

// TestBinaryMondayHandshake runs the built binary with a monday provider:
// the URL verification monday.com sends when a webhook is created is
// answered with the same JSON, byte for byte, and recorded nowhere; an
// event signed as monday.com signs it is accepted, its retry is a
// duplicate, and it reaches the stream under its triggerUuid and type;
// an event without the token is refused.
func TestBinaryMondayHandshake(t *testing.T) {
	const secret, aud = "monday_signing_secret_e2e", "https://hooks.example/webhooks/monday"
	bin := mustBinary(t)
	cfg := gatewayConfig(t, testkit.EmbeddedNATS, `providers:
  - name: monday
    type: monday
    secrets: [`+secret+`]
    options: {audience: [`+aud+`]}`)
	g := startBinary(t, bin, cfg)
	url := "http://" + g.addr + "/webhooks/monday"

	// The URL verification, as the API reference shows it.
	const challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
	req, err := http.NewRequest("POST", url, strings.NewReader(`{"challenge": "`+challenge+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if want := `{"challenge":"` + challenge + `"}`; resp.StatusCode != 200 || body != want || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("challenge: %d %q %q; want 200 application/json %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body, want, g.logs)
	}

	// An event, signed as monday.com signs it: sent, then sent again.
	event := `{"event":{"userId":9603417,"originalTriggerUuid":null,"boardId":1771812698,"pulseId":1772099344,"pulseName":"Create_item webhook",` +
		`"groupId":"topics","app":"monday","type":"create_pulse","triggerTime":"2021-10-11T09:07:28.210Z","subscriptionId":73759690,"triggerUuid":"b5ed2e17c530f43668de130142445cba"}}`
	post := func(signed bool) (int, string) {
		req, err := http.NewRequest("POST", url, strings.NewReader(event))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if signed {
			vr := &verify.Request{Method: "POST", Header: req.Header, Body: []byte(event)}
			if err := verify.Sign("monday", vr, verify.Options{Secrets: []string{secret}, Audience: []string{aud}}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		return testkit.Do(t, req)
	}
	for i, want := range []int{202, 200} {
		if code, out := post(true); code != want || !strings.Contains(out, `"id":"b5ed2e17c530f43668de130142445cba"`) {
			t.Fatalf("event, attempt %d: %d %s; want %d with the triggerUuid as ID\n%s", i+1, code, out, want, g.logs)
		}
	}
	if code, out := post(false); code != 400 {
		t.Fatalf("event without a token: %d %s; want 400 (missing signature)", code, out)
	}

	// The stream holds the event once, and nothing of the handshake.
	st := g.stream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := onlyMessage(t, ctx, st, "the handshake and the retry")
	if id := got.Header.Get(forward.HeaderMsgID); id != "monday:b5ed2e17c530f43668de130142445cba" || got.Subject != "webhooks.monday.create_pulse" || string(got.Data) != event {
		t.Errorf("message 1: %s on %s, %s; want monday:b5ed2e17c530f43668de130142445cba on webhooks.monday.create_pulse, the event", id, got.Subject, got.Data)
	}
}

// readAll reads and closes resp's body.
func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
