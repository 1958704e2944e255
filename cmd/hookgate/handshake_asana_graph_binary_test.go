package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/testkit"
)

// TestBinaryHandshakes runs the built binary with the five providers whose
// setup is a handshake (Asana, Microsoft Graph, Azure Event Grid, Strava,
// RingCentral), sends each provider's handshake and checks the exact
// answer, then an event of each, accepted with the answer the provider
// expects and found on the stream, while the handshakes recorded nothing.
func TestBinaryHandshakesAsanaGraphEventGridStravaRingCentral(t *testing.T) {
	bin := mustBinary(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "asana.secret")
	cfg := gatewayConfig(t, testkit.EmbeddedNATS, `providers:
  - name: asana
    type: asana
    options: {secret_file: `+secretFile+`}
  - name: graph
    type: microsoft-graph
    secrets: [graph-client-state]
  - name: grid
    type: azure-event-grid
    secrets: [grid-url-secret]
    options: {query_param: code}
  - name: strava
    type: strava
    secrets: [strava-url-secret]
    options: {verify_token: STRAVA}
  - name: rc
    type: ringcentral
    secrets: [rc-verification-token]`)
	g := startBinary(t, bin, cfg)
	base := "http://" + g.addr + "/webhooks/"

	type answer struct {
		status int
		header http.Header
		body   string
	}
	send := func(method, url string, h http.Header, body string) answer {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, resp.Header, string(b)}
	}
	expect := func(what string, a answer, status int, body string, header ...string) {
		t.Helper()
		if a.status != status || a.body != body {
			t.Errorf("%s: %d %q; want %d %q\n%s", what, a.status, a.body, status, body, g.logs)
		}
		for i := 0; i+1 < len(header); i += 2 {
			if got := a.header.Get(header[i]); got != header[i+1] {
				t.Errorf("%s: header %s = %q; want %q", what, header[i], got, header[i+1])
			}
		}
	}
	mac := func(key, body string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(body))
		return hex.EncodeToString(m.Sum(nil))
	}

	// Asana: the handshake teaches the secret, which signs the events.
	const asanaSecret = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"
	a := send("POST", base+"asana", http.Header{"X-Hook-Secret": {asanaSecret}}, "")
	expect("asana handshake", a, 200, "", "X-Hook-Secret", asanaSecret)
	if b, err := os.ReadFile(secretFile); err != nil || strings.TrimSpace(string(b)) != asanaSecret {
		t.Fatalf("secret_file = %q, %v; want the handshake's secret", b, err)
	}
	expect("second asana webhook", send("POST", base+"asana", http.Header{"X-Hook-Secret": {strings.Repeat("0", 64)}}, ""), 401, `{"error":"invalid signature"}`)
	asanaEvent := `{"events":[{"user":{"gid":"1123","resource_type":"user"},"created_at":"2023-11-14T22:13:20.000Z","action":"changed","resource":{"gid":"1337","resource_type":"task"}}]}`
	a = send("POST", base+"asana", http.Header{"X-Hook-Signature": {mac(asanaSecret, asanaEvent)}}, asanaEvent)
	if a.status != 202 {
		t.Errorf("asana event: %d %s; want 202\n%s", a.status, a.body, g.logs)
	}
	expect("asana heartbeat", send("POST", base+"asana", http.Header{"X-Hook-Signature": {mac(asanaSecret, `{"events":[]}`)}}, `{"events":[]}`), 200, "")

	// Microsoft Graph: the validation token comes back as text.
	a = send("POST", base+"graph?validationToken=Validation%3a+Testing+client+application+reachability+for+subscription+Request-Id%3a+9e2ea3c9", http.Header{"Content-Type": {"text/plain"}}, "")
	expect("graph validation", a, 200, "Validation: Testing client application reachability for subscription Request-Id: 9e2ea3c9")
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("graph validation: Content-Type %q; want text/plain", ct)
	}
	graphEvent := `{"value":[{"subscriptionId":"7f105c7d","clientState":"graph-client-state","changeType":"created","resource":"Users/u1/Messages/m1","tenantId":"t1"}]}`
	if a := send("POST", base+"graph", http.Header{"Content-Type": {"application/json"}}, graphEvent); a.status != 202 {
		t.Errorf("graph notification: %d %s; want 202", a.status, a.body)
	}
	expect("graph notification, wrong clientState", send("POST", base+"graph", nil, strings.Replace(graphEvent, "graph-client-state", "guess", 1)), 401, `{"error":"invalid signature"}`)

	// Azure Event Grid: the validation code as JSON, the CloudEvents
	// OPTIONS, both only with the URL's secret.
	validation := `[{"id":"2d1781af","topic":"/subscriptions/x","subject":"","data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},` +
		`"eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2022-10-28T04:23:35Z","metadataVersion":"1","dataVersion":"1"}]`
	a = send("POST", base+"grid?code=grid-url-secret", http.Header{"Aeg-Event-Type": {"SubscriptionValidation"}, "Content-Type": {"application/json"}}, validation)
	expect("grid validation", a, 200, `{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}`, "Content-Type", "application/json")
	if a := send("POST", base+"grid", http.Header{"Aeg-Event-Type": {"SubscriptionValidation"}}, validation); a.status != 400 {
		t.Errorf("grid validation without the secret: %d %s; want 400", a.status, a.body)
	}
	expect("grid OPTIONS", send("OPTIONS", base+"grid?code=grid-url-secret", http.Header{"Webhook-Request-Origin": {"eventgrid.azure.net"}}, ""), 200, "",
		"WebHook-Allowed-Origin", "eventgrid.azure.net")
	gridEvent := `[{"id":"831e1650-001e-001b-66ab-eeb76e069631","eventType":"Microsoft.Storage.BlobCreated","subject":"/blobServices/default/containers/c/blobs/b","eventTime":"2017-06-26T18:41:00.9584103Z","data":{},"dataVersion":""}]`
	if a := send("POST", base+"grid?code=grid-url-secret", http.Header{"Aeg-Event-Type": {"Notification"}}, gridEvent); a.status != 202 || !strings.Contains(a.body, "831e1650-001e-001b-66ab-eeb76e069631") {
		t.Errorf("grid event: %d %s; want 202 with its id", a.status, a.body)
	}

	// Strava: the challenge as JSON when the verify token matches; events
	// carry the callback URL's secret and are answered 200.
	expect("strava handshake", send("GET", base+"strava?hub.verify_token=STRAVA&hub.challenge=15f7d1a91c1f40f8a748fd134752feb3&hub.mode=subscribe", nil, ""),
		200, `{"hub.challenge":"15f7d1a91c1f40f8a748fd134752feb3"}`, "Content-Type", "application/json")
	expect("strava handshake, wrong token", send("GET", base+"strava?hub.verify_token=nope&hub.challenge=1&hub.mode=subscribe", nil, ""), 401, `{"error":"invalid signature"}`)
	stravaEvent := `{"aspect_type":"update","event_time":1516126040,"object_id":1360128428,"object_type":"activity","owner_id":134815,"subscription_id":120475,"updates":{"title":"Messy"}}`
	expect("strava event", send("POST", base+"strava?token=strava-url-secret", http.Header{"Content-Type": {"application/json"}}, stravaEvent), 200, "")
	if a := send("POST", base+"strava", nil, stravaEvent); a.status != 400 {
		t.Errorf("strava event without the URL's secret: %d %s; want 400", a.status, a.body)
	}

	// RingCentral: Validation-Token echoed in the header; notifications
	// carry Verification-Token and are answered 200.
	expect("ringcentral validation", send("POST", base+"rc", http.Header{"Validation-Token": {"f0a4d8b6-59c3-4b2e-8d1e-3b1a2c9e7f60"}}, ""), 200, "",
		"Validation-Token", "f0a4d8b6-59c3-4b2e-8d1e-3b1a2c9e7f60")
	rcEvent := `{"uuid":"8f3f5b4a-0bd2-4c88-9f1b-1c0f5bc35d3b","event":"/restapi/v1.0/account/37439510/extension/2253168021/message-store","timestamp":"2023-11-14T22:13:20.000Z","subscriptionId":"s1","body":{}}`
	expect("ringcentral notification", send("POST", base+"rc", http.Header{"Verification-Token": {"rc-verification-token"}, "Content-Type": {"application/json"}}, rcEvent), 200, "")
	expect("ringcentral notification, wrong token", send("POST", base+"rc", http.Header{"Verification-Token": {"guess"}}, rcEvent), 401, `{"error":"invalid signature"}`)

	// The log says what the Asana handshake learned, never the secret.
	logs := g.logs.String()
	if strings.Contains(logs, asanaSecret) {
		t.Errorf("the log holds the Asana secret:\n%s", logs)
	}
	if !regexp.MustCompile(`msg="webhook handshake" provider=asana .*learned secret [0-9a-f]{12} and wrote it to ` + regexp.QuoteMeta(secretFile)).MatchString(logs) {
		t.Errorf("no handshake log line naming the learned secret's fingerprint and the file:\n%s", logs)
	}

	// The stream holds the five events, and nothing of the handshakes.
	st := g.stream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	want := []string{
		"webhooks.asana.task.changed",
		"webhooks.graph.created",
		"webhooks.grid.Microsoft.Storage.BlobCreated",
		"webhooks.strava.activity.update",
		"webhooks.rc.account.~.extension.~.message-store",
	}
	var subjects []string
	read := func() {
		subjects = subjects[:0]
		for seq := uint64(1); ; seq++ {
			msg, err := st.GetMsg(ctx, seq)
			if err != nil {
				break
			}
			subjects = append(subjects, msg.Subject)
		}
	}
	testkit.WaitFor(t, 15*time.Second, func() string { return fmt.Sprintf("the stream holds %v; want %v", subjects, want) }, func() bool {
		read()
		return len(subjects) >= len(want)
	})
	read()
	if fmt.Sprint(subjects) != fmt.Sprint(want) {
		t.Errorf("the stream holds %v; want %v", subjects, want)
	}
}
