package main

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/verify"
)

// TestBinaryDropboxSignAnswer runs the built binary with a dropbox-sign
// provider: Dropbox Sign counts a callback as delivered only when the
// answer is 200 with the text "Hello API Event Received", so the
// callback_test event, an accepted event and its retry (a duplicate) all
// get exactly that; the event reaches the stream once, typed, as the
// multipart body it came in; a callback signed with another API key is
// refused.
func TestBinaryDropboxSignAnswer(t *testing.T) {
	const key = "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"
	bin := mustBinary(t)
	cfg := gatewayConfig(t, testkit.EmbeddedNATS, `providers:
  - name: esign
    type: dropbox-sign
    secrets: [`+key+`]`)
	g := startBinary(t, bin, cfg)
	url := "http://" + g.addr + "/webhooks/esign"

	// post signs doc as Dropbox Sign does (a multipart form with a fresh
	// boundary, event_time now) with apiKey, and posts it.
	post := func(apiKey, doc string) (*http.Response, string) {
		vr := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(doc)}
		if err := verify.Sign("dropbox-sign", vr, verify.Options{Secrets: []string{apiKey}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest("POST", url, strings.NewReader(string(vr.Body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = vr.Header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, readAll(t, resp)
	}
	const ack = "Hello API Event Received"
	wantAck := func(what string, resp *http.Response, body string) {
		t.Helper()
		if resp.StatusCode != 200 || body != ack || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("%s: %d %q %q; want 200 text/plain %q\n%s", what, resp.StatusCode, resp.Header.Get("Content-Type"), body, ack, g.logs)
		}
	}
	resp, body := post(key, `{"event":{"event_type":"callback_test","event_metadata":{"reported_for_account_id":"63522885f9261e2b04eea043933ee7313eb674fd"}}}`)
	wantAck("callback_test", resp, body)

	// An event, then its retry: the same json field, in a form of its
	// own (another boundary).
	event := `{"event":{"event_type":"signature_request_sent","event_metadata":{"related_signature_id":"ad4d8a769b555fa5ef38691465d426682bf2c992",` +
		`"reported_for_account_id":"63522885f9261e2b04eea043933ee7313eb674fd"}},"signature_request":{"signature_request_id":"fa5c8a0b0f492d768749333ad6fcc214c111e967","title":"NDA"}}`
	vr := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(event)}
	if err := verify.Sign("dropbox-sign", vr, verify.Options{Secrets: []string{key}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	signed := jsonField(t, vr)
	boundaries := map[string]bool{}
	for i := range 2 {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		if err := w.WriteField("json", signed); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		boundaries[w.Boundary()] = true
		req, err := http.NewRequest("POST", url, &b)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", w.FormDataContentType())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		wantAck(fmt.Sprintf("event, attempt %d", i+1), resp, readAll(t, resp))
	}
	if len(boundaries) != 2 {
		t.Fatalf("the two attempts share a boundary")
	}
	if resp, body := post("another API key", event); resp.StatusCode != 401 {
		t.Fatalf("another API key: %d %s; want 401", resp.StatusCode, body)
	}

	// The stream holds the event once, typed, as the body it came in;
	// nothing of the callback_test.
	st := g.stream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := onlyMessage(t, ctx, st, "callback_test and the retry")
	if got.Subject != "webhooks.esign.signature_request_sent" || got.Header.Get(forward.HeaderEventType) != "signature_request_sent" ||
		!strings.HasPrefix(got.Header.Get("Content-Type"), "multipart/form-data; boundary=") || !strings.Contains(string(got.Data), `"title":"NDA"`) {
		t.Errorf("message 1: %s, %v, %q; want the multipart event on webhooks.esign.signature_request_sent", got.Subject, got.Header, got.Data)
	}
}

// jsonField returns the json field of a signed multipart request.
func jsonField(t *testing.T, r *verify.Request) string {
	t.Helper()
	req, err := http.NewRequest("POST", "http://127.0.0.1/", bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.Header.Clone()
	if err := req.ParseMultipartForm(1 << 20); err != nil {
		t.Fatal(err)
	}
	return req.FormValue("json")
}
