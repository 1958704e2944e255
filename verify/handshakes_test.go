package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// The presets whose handshakes this file tests: Asana, Microsoft Graph,
// Azure Event Grid, Strava and RingCentral.
func init() {
	addPresetCases(
		presetCase{name: "asana", secrets: [2]string{"b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81", "another asana secret"}},
		presetCase{
			name: "eventgrid", opts: Options{Header: "X-Eventgrid-Secret"}, secrets: plainSecrets, bodyNotSigned: true,
			body: `[{"id":"evt_1","eventType":"Microsoft.Storage.BlobCreated","subject":"/blobServices/default/containers/c/blobs/b","eventTime":"2023-11-14T22:13:20Z","data":{},"dataVersion":"1"}]`,
		},
		presetCase{
			name: "msgraph", secrets: plainSecrets, bodyNotSigned: true,
			body: `{"value":[{"subscriptionId":"evt_1","changeType":"created","resource":"Users/u1/Messages/m1","clientState":"x"},` +
				`{"subscriptionId":"s2","changeType":"updated","resource":"Users/u1/Messages/m2","clientState":"x"}]}`,
		},
		presetCase{name: "ringcentral", secrets: plainSecrets, bodyNotSigned: true},
		presetCase{name: "strava", opts: Options{VerifyToken: "strava-verify"}, secrets: plainSecrets, bodyNotSigned: true},
	)
}

// hexHMAC is the hex HMAC-SHA256 of body keyed with key.
func hexHMAC(key, body string) string {
	return hex.EncodeToString(hmacOf(sha256.New, key, body))
}

// checkAnswer checks a handshake answer: its status (0 taken as 200), a
// header and its body.
func checkAnswer(t *testing.T, res verify.Result, header, value, body string) {
	t.Helper()
	a := res.Response
	if a == nil {
		t.Fatalf("Verify = %+v; want a handshake answer", res)
	}
	if a.Status != 0 && a.Status != http.StatusOK {
		t.Errorf("answer status %d; want 200", a.Status)
	}
	if header != "" && a.Header.Get(header) != value {
		t.Errorf("answer header %s = %q; want %q", header, a.Header.Get(header), value)
	}
	if string(a.Body) != body {
		t.Errorf("answer body %q; want %q", a.Body, body)
	}
}

// TestAsanaDryRun: checked offline (hookgate verify, routes -request), a
// handshake is answered as the gateway would and writes no secret_file.
func TestAsanaDryRun(t *testing.T) {
	file := filepath.Join(t.TempDir(), "asana.secret")
	v := mustVerifier(t, "asana", Options{SecretFile: file, DryRun: true})
	res, err := v.Verify(&verify.Request{Method: "POST", URL: "https://h.example/asana", Header: http.Header{"X-Hook-Secret": {"s3cret-from-asana"}}}, now)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, res, "X-Hook-Secret", "s3cret-from-asana", "")
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("secret_file after a dry run: %v; want none", err)
	}
}

func TestAsanaHandshakeLearnsSecret(t *testing.T) {
	const s1 = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"
	const s2 = "0000000000000000000000000000000000000000000000000000000000000002"
	file := filepath.Join(t.TempDir(), "asana.secret")
	v := mustVerifier(t, "asana", Options{SecretFile: file})
	hs := func(s string) *verify.Request {
		return &verify.Request{Method: "POST", URL: "https://h.example/asana", Header: http.Header{"X-Hook-Secret": {s}}}
	}
	body := `{"events":[{"user":{"gid":"1","resource_type":"user"},"created_at":"2023-11-14T22:13:20.000Z","action":"changed","resource":{"gid":"2","resource_type":"task"}}]}`
	event := func(key, body string) *verify.Request {
		return &verify.Request{Method: "POST", Header: http.Header{"X-Hook-Signature": {hexHMAC(key, body)}}, Body: []byte(body)}
	}

	// No secret known: an event cannot verify.
	if _, err := v.Verify(event(s1, body), now); !errors.Is(err, verify.ErrMismatch) {
		t.Fatalf("event before the handshake = %v; want ErrMismatch", err)
	}
	res, err := v.Verify(hs(s1), now)
	if err != nil {
		t.Fatalf("handshake = %v", err)
	}
	checkAnswer(t, res, "X-Hook-Secret", s1, "")
	if !strings.Contains(res.Response.Log, file) || strings.Contains(res.Response.Log, s1) || !strings.Contains(res.Response.Log, s1Fingerprint(s1)) {
		t.Errorf("answer log %q; want the file and the fingerprint, not the secret", res.Response.Log)
	}
	b, err := os.ReadFile(file)
	if err != nil || strings.TrimSpace(string(b)) != s1 {
		t.Fatalf("secret file = %q, %v; want the secret", b, err)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v; want 0600", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(filepath.Dir(file)); len(entries) != 1 {
		t.Errorf("directory holds %d entries; want the secret file alone", len(entries))
	}
	// A retry of the same handshake is answered again.
	if res, err := v.Verify(hs(s1), now); err != nil {
		t.Fatalf("repeated handshake = %v", err)
	} else {
		checkAnswer(t, res, "X-Hook-Secret", s1, "")
	}
	// A second webhook's handshake is refused, and the file kept.
	if _, err := v.Verify(hs(s2), now); !errors.Is(err, verify.ErrMismatch) || !strings.Contains(err.Error(), "delete the file") || strings.Contains(err.Error(), s1) || strings.Contains(err.Error(), s2) {
		t.Fatalf("second handshake = %v; want a refusal that says what to do and holds no secret", err)
	}
	// Events verify with the learned secret, whose index follows the
	// configured ones (none here).
	if res, err := v.Verify(event(s1, body), now); err != nil || res.SecretIndex != 0 || res.Response != nil {
		t.Fatalf("event = %+v, %v; want valid, index 0", res, err)
	}
	if _, err := v.Verify(event(s2, body), now); !errors.Is(err, verify.ErrMismatch) {
		t.Fatalf("event with another secret = %v; want ErrMismatch", err)
	}
	// A heartbeat is answered and not recorded.
	hb := `{"events":[]}`
	if res, err := v.Verify(event(s1, hb), now); err != nil {
		t.Fatalf("heartbeat = %v", err)
	} else {
		checkAnswer(t, res, "", "", "")
	}
	// Another verifier (a restart, another replica sharing the file) reads it.
	v2 := mustVerifier(t, "asana", Options{SecretFile: file})
	if _, err := v2.Verify(event(s1, body), now); err != nil {
		t.Fatalf("event on a new verifier = %v", err)
	}
	// The file changed (the operator wrote another secret): read again.
	if err := os.WriteFile(file, []byte(s2+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(file, future, future); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(event(s2, body), now); err != nil {
		t.Fatalf("event with the new file's secret = %v", err)
	}
	// Deleting the file lets a new webhook in.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(event(s2, body), now); !errors.Is(err, verify.ErrMismatch) {
		t.Fatalf("event after the file is deleted = %v; want ErrMismatch", err)
	}
	if _, err := v.Verify(hs(s2), now); err != nil {
		t.Fatalf("handshake after the file is deleted = %v", err)
	}
	// An empty file is no secret: a handshake replaces it.
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(hs(s1), now); err != nil {
		t.Fatalf("handshake over an empty file = %v", err)
	}
	if b, _ := os.ReadFile(file); strings.TrimSpace(string(b)) != s1 {
		t.Errorf("secret file = %q; want %s", b, s1)
	}
}

// s1Fingerprint is the fingerprint hookgate logs for a secret: the first
// 12 hex digits of its SHA-256.
func s1Fingerprint(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

func TestAsanaConfiguredSecrets(t *testing.T) {
	const learned, configured = "learned-secret", "configured-secret"
	file := filepath.Join(t.TempDir(), "asana.secret")
	if err := os.WriteFile(file, []byte(learned), 0o600); err != nil {
		t.Fatal(err)
	}
	body := `{"events":[{"action":"added","resource":{"gid":"2","resource_type":"story"}}]}`
	sig := func(key string) *verify.Request {
		return &verify.Request{Method: "POST", Header: http.Header{"X-Hook-Signature": {hexHMAC(key, body)}}, Body: []byte(body)}
	}
	v := mustVerifier(t, "asana", Options{Secrets: []string{configured}, SecretFile: file})
	if res, err := v.Verify(sig(configured), now); err != nil || res.SecretIndex != 0 {
		t.Errorf("configured secret = %+v, %v; want index 0", res, err)
	}
	if res, err := v.Verify(sig(learned), now); err != nil || res.SecretIndex != 1 {
		t.Errorf("learned secret = %+v, %v; want index 1 (after the configured)", res, err)
	}
	// With an expired configured secret, the learned one still comes
	// after all the configured ones.
	vx := mustVerifier(t, "asana", Options{Secrets: []string{"old", configured}, NotAfter: []time.Time{now.Add(-time.Hour)}, SecretFile: file})
	if res, err := vx.Verify(sig(learned), now); err != nil || res.SecretIndex != 2 {
		t.Errorf("learned secret beside an expired one = %+v, %v; want index 2", res, err)
	}
	if res, err := vx.Verify(sig(configured), now); err != nil || res.SecretIndex != 1 {
		t.Errorf("configured secret beside an expired one = %+v, %v; want index 1", res, err)
	}
	if _, err := vx.Verify(sig("old"), now); !errors.Is(err, verify.ErrSecretExpired) {
		t.Errorf("expired secret = %v; want ErrSecretExpired", err)
	}
	// Every configured secret expired: the learned one still verifies.
	vx = mustVerifier(t, "asana", Options{Secrets: []string{"old", configured}, NotAfter: []time.Time{now.Add(-time.Hour), now.Add(-time.Hour)}, SecretFile: file})
	if res, err := vx.Verify(sig(learned), now); err != nil || res.SecretIndex != 2 {
		t.Errorf("learned secret, the configured all expired = %+v, %v; want index 2", res, err)
	}
	if _, err := vx.Verify(sig(configured), now); !errors.Is(err, verify.ErrSecretExpired) {
		t.Errorf("expired configured secret = %v; want ErrSecretExpired", err)
	}
	// A handshake with the configured secret is answered (a retry once the
	// operator configured it); another is refused: a secret is known.
	hs := func(s string) *verify.Request {
		return &verify.Request{Method: "POST", Header: http.Header{"X-Hook-Secret": {s}}}
	}
	if res, err := v.Verify(hs(configured), now); err != nil {
		t.Errorf("handshake with the configured secret = %v", err)
	} else {
		checkAnswer(t, res, "X-Hook-Secret", configured, "")
	}
	if _, err := v.Verify(hs("new"), now); !errors.Is(err, verify.ErrMismatch) {
		t.Errorf("handshake with another secret = %v; want ErrMismatch", err)
	}
	// Secrets only, no file: nothing can be learned.
	v = mustVerifier(t, "asana", Options{Secrets: []string{configured}})
	if _, err := v.Verify(hs("new"), now); !errors.Is(err, verify.ErrMismatch) || !strings.Contains(err.Error(), "secret_file") {
		t.Errorf("handshake without secret_file = %v; want ErrMismatch naming secret_file", err)
	}
	// Bad handshakes.
	for _, s := range []string{"a\x7fb", "with space", strings.Repeat("x", 513)} {
		if _, err := v.Verify(hs(s), now); !errors.Is(err, verify.ErrMalformed) {
			t.Errorf("handshake secret %q = %v; want ErrMalformed", s, err)
		}
	}
	// Neither secrets nor secret_file; a secret_file in no directory.
	for _, o := range []Options{{}, {SecretFile: filepath.Join(t.TempDir(), "no", "such", "dir", "f")}} {
		if _, err := verify.New("asana", o); !errors.Is(err, verify.ErrConfig) {
			t.Errorf("New(asana, %+v) = %v; want ErrConfig", o, err)
		}
	}
	// Sign uses the file's secret when none is configured.
	r := &verify.Request{Method: "POST", Body: []byte(body)}
	if err := verify.Sign("asana", r, Options{SecretFile: file}, now); err != nil || r.Header.Get("X-Hook-Signature") != hexHMAC(learned, body) {
		t.Errorf("Sign with the file = %v, %q", err, r.Header.Get("X-Hook-Signature"))
	}
	if p, _ := verify.Lookup("asana"); !slices.Contains(verify.CredentialHeaders(p, ""), "X-Hook-Secret") {
		t.Errorf("CredentialHeaders(asana) lacks X-Hook-Secret")
	}
}

// TestAsanaConcurrentHandshakes sends handshakes with two secrets at once
// to two verifiers sharing a file (two replicas): exactly one secret is
// learned, and only its handshakes are answered.
func TestAsanaConcurrentHandshakes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "asana.secret")
	vs := []verify.Verifier{mustVerifier(t, "asana", Options{SecretFile: file}), mustVerifier(t, "asana", Options{SecretFile: file})}
	secrets := []string{"secret-a", "secret-b"}
	var wg sync.WaitGroup
	ok := make([][]bool, 2)
	for i := range ok {
		ok[i] = make([]bool, 20)
	}
	for i := range 20 {
		for j, s := range secrets {
			wg.Go(func() {
				_, err := vs[(i+j)%2].Verify(&verify.Request{Method: "POST", Header: http.Header{"X-Hook-Secret": {s}}}, now)
				ok[j][i] = err == nil
			})
		}
	}
	wg.Wait()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	won := strings.TrimSpace(string(b))
	for j, s := range secrets {
		for i, answered := range ok[j] {
			if answered != (s == won) {
				t.Errorf("handshake %d with %s answered %v; the file holds %s", i, s, answered, won)
			}
		}
	}
}

func TestMSGraph(t *testing.T) {
	const base = "https://h.example/graph"
	v := mustVerifier(t, "microsoft-graph", Options{Secrets: []string{"old-state", "new-state"}})
	post := func(url, body string) (verify.Result, error) {
		return v.Verify(&verify.Request{Method: "POST", URL: url, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}, now)
	}
	tests := []struct {
		name, url, body string
		want            error
		index           int
	}{
		{name: "one", url: base, body: `{"value":[{"subscriptionId":"s","clientState":"new-state","changeType":"created"}]}`, index: 1},
		{name: "mixed rotation", url: base, body: `{"value":[{"clientState":"old-state"},{"clientState":"new-state"}]}`},
		{name: "lifecycle", url: base, body: `{"value":[{"subscriptionId":"s","clientState":"old-state","lifecycleEvent":"reauthorizationRequired"}]}`},
		{name: "one wrong", url: base, body: `{"value":[{"clientState":"old-state"},{"clientState":"nope"}]}`, want: verify.ErrMismatch},
		{name: "one missing", url: base, body: `{"value":[{"clientState":"old-state"},{"changeType":"created"}]}`, want: verify.ErrNoSignature},
		{name: "null clientState", url: base, body: `{"value":[{"clientState":null}]}`, want: verify.ErrNoSignature},
		{name: "duplicate clientState", url: base, body: `{"value":[{"clientState":"nope","clientState":"old-state"}]}`, want: verify.ErrMalformed},
		{name: "empty value", url: base, body: `{"value":[]}`, want: verify.ErrMalformed},
		{name: "no value", url: base, body: `{"clientState":"old-state"}`, want: verify.ErrMalformed},
		{name: "not JSON", url: base, body: `clientState=old-state`, want: verify.ErrMalformed},
		{name: "trailing data", url: base, body: `{"value":[{"clientState":"old-state"}]} x`, want: verify.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := post(tt.url, tt.body)
			if !wantResult(res, err, tt.want, tt.index) {
				t.Errorf("Verify = %+v, %v; want %v, index %d", res, err, tt.want, tt.index)
			}
		})
	}
	// The validation: the decoded token in text/plain, whatever the body.
	res, err := post(base+"?validationToken=Validation%3a+Testing+client+application+reachability+for+subscription+Request-Id%3a+8f5e2e5b", "")
	if err != nil {
		t.Fatalf("validation = %v", err)
	}
	checkTextAnswer(t, "validation", res, "Validation: Testing client application reachability for subscription Request-Id: 8f5e2e5b")
	if _, err := post(base+"?validationToken="+strings.Repeat("x", 513), ""); !errors.Is(err, verify.ErrMalformed) {
		t.Errorf("long validation token = %v; want ErrMalformed", err)
	}
}

func TestEventGrid(t *testing.T) {
	const validation = `[{"id":"2d1781af-3a4c-4d7c-bd0c-e34b19da4e66","topic":"/subscriptions/xx/resourceGroups/rg/providers/Microsoft.EventGrid/topics/t",` +
		`"subject":"","data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6","validationUrl":"https://rp-eastus2.eventgrid.azure.net/..."},` +
		`"eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2018-01-25T22:12:19.4556811Z","metadataVersion":"1","dataVersion":"1"}]`
	const event = `[{"id":"831e1650-001e-001b-66ab-eeb76e069631","eventType":"Microsoft.Storage.BlobCreated","subject":"/blobServices/default/containers/c/blobs/b","eventTime":"2017-06-26T18:41:00.9584103Z","data":{},"dataVersion":"1"}]`
	const cloudEvent = `{"specversion":"1.0","id":"9aeb0fdf-c01e-0131-0922-9eb54906e209","type":"Microsoft.Storage.BlobCreated","source":"/subscriptions/x","time":"2019-11-18T15:13:39.4589254Z","data":{}}`
	const cloudBatch = `[` + cloudEvent + `]`
	q := mustVerifier(t, "azure-event-grid", Options{Secrets: []string{"s3cret", "n3w"}, QueryParam: "code"})
	h := mustVerifier(t, "eventgrid", Options{Secrets: []string{"s3cret"}, Header: "X-Hook-Key"})
	const base = "https://h.example/eg"
	tests := []struct {
		name   string
		v      verify.Verifier
		method string
		url    string
		header http.Header
		body   string
		want   error
		index  int
		answer string // JSON body of the handshake answer
		origin string // WebHook-Allowed-Origin of the answer
		id, ty string // Result.ID and Type
	}{
		{name: "validation", v: q, method: "POST", url: base + "?code=s3cret", header: http.Header{"Aeg-Event-Type": {"SubscriptionValidation"}}, body: validation,
			answer: `{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}`},
		{name: "validation, second secret", v: q, method: "POST", url: base + "?code=n3w", header: http.Header{"Aeg-Event-Type": {"subscriptionvalidation"}}, body: validation, index: 1,
			answer: `{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}`},
		{name: "validation without the secret", v: q, method: "POST", url: base, header: http.Header{"Aeg-Event-Type": {"SubscriptionValidation"}}, body: validation, want: verify.ErrNoSignature},
		{name: "validation, wrong secret", v: q, method: "POST", url: base + "?code=nope", header: http.Header{"Aeg-Event-Type": {"SubscriptionValidation"}}, body: validation, want: verify.ErrMismatch},
		{name: "validation header, other event", v: q, method: "POST", url: base + "?code=s3cret", header: http.Header{"Aeg-Event-Type": {"SubscriptionValidation"}}, body: event, want: verify.ErrMalformed},
		{name: "validation event as a notification", v: q, method: "POST", url: base + "?code=s3cret", header: http.Header{"Aeg-Event-Type": {"Notification"}}, body: validation},
		{name: "event", v: q, method: "POST", url: base + "?code=s3cret", header: http.Header{"Aeg-Event-Type": {"Notification"}}, body: event},
		{name: "event, header secret", v: h, method: "POST", url: base, header: http.Header{"X-Hook-Key": {"s3cret"}}, body: event},
		{name: "event, header secret in the query", v: h, method: "POST", url: base + "?code=s3cret", body: event, want: verify.ErrNoSignature},
		{name: "cloudevent", v: q, method: "POST", url: base + "?code=s3cret", body: cloudEvent, id: "9aeb0fdf-c01e-0131-0922-9eb54906e209", ty: "Microsoft.Storage.BlobCreated"},
		{name: "cloudevents batch", v: q, method: "POST", url: base + "?code=s3cret", body: cloudBatch, ty: "Microsoft.Storage.BlobCreated"},
		{name: "not JSON", v: q, method: "POST", url: base + "?code=s3cret", body: "hello", want: verify.ErrMalformed},
		{name: "options", v: q, method: "OPTIONS", url: base + "?code=s3cret", header: http.Header{"Webhook-Request-Origin": {"eventgrid.azure.net"}}, origin: "eventgrid.azure.net"},
		{name: "options, header secret", v: h, method: "OPTIONS", url: base, header: http.Header{"Webhook-Request-Origin": {"eventgrid.azure.net"}, "X-Hook-Key": {"s3cret"}}, origin: "eventgrid.azure.net"},
		{name: "options without the secret", v: q, method: "OPTIONS", url: base, header: http.Header{"Webhook-Request-Origin": {"eventgrid.azure.net"}}, want: verify.ErrNoSignature},
		{name: "options without origin", v: q, method: "OPTIONS", url: base + "?code=s3cret", want: verify.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.v.Verify(&verify.Request{Method: tt.method, URL: tt.url, Header: tt.header, Body: []byte(tt.body)}, now)
			if !wantResult(res, err, tt.want, tt.index) {
				t.Fatalf("Verify = %+v, %v; want %v, index %d", res, err, tt.want, tt.index)
			}
			if err != nil {
				return
			}
			switch {
			case tt.answer != "":
				checkAnswer(t, res, "", "", tt.answer)
				if res.Response.ContentType != "application/json" {
					t.Errorf("answer content type %q", res.Response.ContentType)
				}
			case tt.origin != "":
				checkAnswer(t, res, "WebHook-Allowed-Origin", tt.origin, "")
			case res.Response != nil:
				t.Errorf("Verify = handshake %+v; want an event", res.Response)
			}
			if res.ID != tt.id || res.Type != tt.ty {
				t.Errorf("Result ID, Type = %q, %q; want %q, %q", res.ID, res.Type, tt.id, tt.ty)
			}
		})
	}
	for _, o := range []Options{{Secrets: []string{"s"}}, {Secrets: []string{"s"}, Header: "X-K", QueryParam: "code"}, {Secrets: []string{"s"}, Header: "X K"}} {
		if _, err := verify.New("eventgrid", o); !errors.Is(err, verify.ErrConfig) {
			t.Errorf("New(eventgrid, %+v) = %v; want ErrConfig", o, err)
		}
	}
	// Sign puts the secret in the query.
	r := &verify.Request{Method: "POST", URL: base + "?x=1", Body: []byte(event)}
	if err := verify.Sign("eventgrid", r, Options{Secrets: []string{"s3cret"}, QueryParam: "code"}, now); err != nil || r.URL != base+"?code=s3cret&x=1" {
		t.Errorf("Sign = %v, URL %q", err, r.URL)
	}
}

func TestStrava(t *testing.T) {
	const base = "https://h.example/strava"
	const body = `{"aspect_type":"update","event_time":1516126040,"object_id":1360128428,"object_type":"activity","owner_id":134815,"subscription_id":120475,"updates":{"title":"Messy"}}`
	withSecret := mustVerifier(t, "strava", Options{Secrets: []string{"url-secret"}, VerifyToken: "STRAVA"})
	open := mustVerifier(t, "strava", Options{VerifyToken: "STRAVA"})
	param := mustVerifier(t, "strava", Options{Secrets: []string{"url-secret"}, QueryParam: "k"})
	tests := []struct {
		name   string
		v      verify.Verifier
		method string
		url    string
		want   error
		answer string
	}{
		{name: "handshake", v: withSecret, method: "GET", url: base + "?hub.verify_token=STRAVA&hub.challenge=15f7d1a91c1f40f8a748fd134752feb3&hub.mode=subscribe",
			answer: `{"hub.challenge":"15f7d1a91c1f40f8a748fd134752feb3"}`},
		{name: "handshake, no secrets", v: open, method: "GET", url: base + "?hub.verify_token=STRAVA&hub.challenge=abc&hub.mode=subscribe", answer: `{"hub.challenge":"abc"}`},
		{name: "handshake, wrong token", v: open, method: "GET", url: base + "?hub.verify_token=nope&hub.challenge=abc&hub.mode=subscribe", want: verify.ErrMismatch},
		{name: "handshake, no token", v: open, method: "GET", url: base + "?hub.challenge=abc&hub.mode=subscribe", want: verify.ErrNoSignature},
		{name: "handshake, no verify_token configured", v: param, method: "GET", url: base + "?hub.verify_token=STRAVA&hub.challenge=abc&hub.mode=subscribe", want: verify.ErrMismatch},
		{name: "handshake, no challenge", v: open, method: "GET", url: base + "?hub.verify_token=STRAVA&hub.mode=subscribe", want: verify.ErrMalformed},
		{name: "handshake, other mode", v: open, method: "GET", url: base + "?hub.verify_token=STRAVA&hub.challenge=abc&hub.mode=unsubscribe", want: verify.ErrMalformed},
		{name: "event with the URL secret", v: withSecret, method: "POST", url: base + "?token=url-secret"},
		{name: "event without the URL secret", v: withSecret, method: "POST", url: base, want: verify.ErrNoSignature},
		{name: "event with a wrong URL secret", v: withSecret, method: "POST", url: base + "?token=nope", want: verify.ErrMismatch},
		{name: "event, query_param", v: param, method: "POST", url: base + "?k=url-secret"},
		{name: "event, query_param, default name", v: param, method: "POST", url: base + "?token=url-secret", want: verify.ErrNoSignature},
		{name: "event, no secrets", v: open, method: "POST", url: base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.v.Verify(&verify.Request{Method: tt.method, URL: tt.url, Body: []byte(body)}, now)
			if !wantErr(err, tt.want) {
				t.Fatalf("Verify = %+v, %v; want %v", res, err, tt.want)
			}
			if err != nil {
				return
			}
			if tt.answer == "" {
				if res.Response != nil {
					t.Errorf("Verify = handshake %+v; want an event", res.Response)
				}
				return
			}
			checkAnswer(t, res, "", "", tt.answer)
			if res.Response.ContentType != "application/json" {
				t.Errorf("answer content type %q", res.Response.ContentType)
			}
		})
	}
}

func TestRingCentralType(t *testing.T) {
	for in, want := range map[string]string{
		"/restapi/v1.0/account/37439510/extension/2253168021/message-store?type=SMS": "account.~.extension.~.message-store",
		"/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true":   "account.~.extension.~.presence",
		"/restapi/v1.0/account/37439510/telephony/sessions":                          "account.~.telephony.sessions",
		"/restapi/v1.0/glip/posts": "glip.posts",
		"/team-messaging/v1/posts": "team-messaging.v1.posts",
		"":                         "",
	} {
		if got := verify.RingCentralType(in); got != want {
			t.Errorf("type of %q = %q; want %q", in, got, want)
		}
	}
}

func TestRingCentral(t *testing.T) {
	v := mustVerifier(t, "ringcentral", Options{Secrets: []string{"verif-1"}})
	const body = `{"uuid":"8f3f5b4a-0bd2-4c88-9f1b-1c0f5bc35d3b","event":"/restapi/v1.0/account/37439510/extension/2253168021/message-store?type=SMS","timestamp":"2023-11-14T22:13:20.000Z","subscriptionId":"sub-1","body":{}}`
	tests := []struct {
		name   string
		header http.Header
		body   string
		want   error
		echo   string
	}{
		{name: "validation", header: http.Header{"Validation-Token": {"f0a4d8b6-59c3-4b2e-8d1e-3b1a2c9e7f60"}}, echo: "f0a4d8b6-59c3-4b2e-8d1e-3b1a2c9e7f60"},
		{name: "validation, not echoable", header: http.Header{"Validation-Token": {"a\tb"}}, want: verify.ErrMalformed},
		{name: "notification", header: http.Header{"Verification-Token": {"verif-1"}}, body: body},
		{name: "notification, wrong token", header: http.Header{"Verification-Token": {"verif-2"}}, body: body, want: verify.ErrMismatch},
		{name: "notification, no token", body: body, want: verify.ErrNoSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.Verify(&verify.Request{Method: "POST", Header: tt.header, Body: []byte(tt.body)}, now)
			if !wantErr(err, tt.want) {
				t.Fatalf("Verify = %+v, %v; want %v", res, err, tt.want)
			}
			if err != nil {
				return
			}
			if tt.echo != "" {
				checkAnswer(t, res, "Validation-Token", tt.echo, "")
				return
			}
			if res.Response != nil {
				t.Errorf("Verify = handshake %+v; want an event", res.Response)
			}
			if res.Type != "account.~.extension.~.message-store" {
				t.Errorf("Result.Type = %q; want account.~.extension.~.message-store", res.Type)
			}
		})
	}
}

func TestCredentialParamsAndRedactQuery(t *testing.T) {
	lookup := func(name string) verify.Preset { p, _ := verify.Lookup(name); return p }
	for _, c := range []struct {
		preset, param string
		want          []string
	}{
		{"eventgrid", "code", []string{"code"}},
		{"eventgrid", "", nil},
		{"strava", "", []string{"token", "hub.verify_token"}},
		{"strava", "k", []string{"k", "hub.verify_token"}},
		{"meta", "", []string{"hub.verify_token"}},
		{"atlassian-connect", "", []string{"jwt"}},
		{"stripe", "", nil},
	} {
		if got := verify.CredentialParams(lookup(c.preset), c.param); strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("CredentialParams(%s, %q) = %v; want %v", c.preset, c.param, got, c.want)
		}
	}
	for in, want := range map[string]string{
		"https://h.example/x?code=s3cret":              "https://h.example/x?code=%5Bredacted%5D",
		"https://h.example/x?a=1&code=s&code=t#frag":   "https://h.example/x?a=1&code=%5Bredacted%5D&code=%5Bredacted%5D#frag",
		"https://h.example/x?co%64e=s&b":               "https://h.example/x?co%64e=%5Bredacted%5D&b",
		"https://h.example/x?other=s3cret":             "https://h.example/x?other=s3cret",
		"https://h.example/x":                          "https://h.example/x",
		"/webhooks/grid?validationToken=a&code=s3cret": "/webhooks/grid?validationToken=a&code=%5Bredacted%5D",
	} {
		if got := verify.RedactQuery(in, []string{"code"}); got != want {
			t.Errorf("RedactQuery(%q) = %q; want %q", in, got, want)
		}
	}
}
