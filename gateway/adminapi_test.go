package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/store"
)

const adminSecret = "admin-hmac-secret-for-tests-0123456789"

const adminAuth = `
admin:
  listen: "127.0.0.1:0"
  auth: {algorithms: [HS256], issuer: ops, audience: hookgate-admin, keys: ["` + adminSecret + `"]}
archive: {enabled: true}
`

func adminToken(tb testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	tb.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func validClaims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"iss": "ops", "aud": "hookgate-admin", "sub": "alice", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

func adminCall(tb testing.TB, s *Server, method, path, token, body string) (int, string) {
	tb.Helper()
	req, err := http.NewRequest(method, "http://"+s.AdminAddr().String()+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return testkit.Do(tb, req)
}

func TestAdminAuth(t *testing.T) {
	s := mustServer(t, adminAuth, providerYAML("gh", "github", "s3cret"))
	hs := []byte(adminSecret)
	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := validClaims()
		change(c)
		return c
	}
	unsignedNone, _ := jwt.NewWithClaims(jwt.SigningMethodNone, validClaims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	for _, c := range []struct {
		name  string
		token string
		want  int
	}{
		{"valid", adminToken(t, jwt.SigningMethodHS256, hs, validClaims()), 200},
		{"no token", "", 401},
		{"garbage", "not.a.token", 401},
		{"expired", adminToken(t, jwt.SigningMethodHS256, hs, with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })), 401},
		{"no expiry", adminToken(t, jwt.SigningMethodHS256, hs, with(func(c jwt.MapClaims) { delete(c, "exp") })), 401},
		{"wrong audience", adminToken(t, jwt.SigningMethodHS256, hs, with(func(c jwt.MapClaims) { c["aud"] = "someone-else" })), 401},
		{"wrong issuer", adminToken(t, jwt.SigningMethodHS256, hs, with(func(c jwt.MapClaims) { c["iss"] = "mallory" })), 401},
		{"alg none", unsignedNone, 401},
		{"wrong algorithm (HS512)", adminToken(t, jwt.SigningMethodHS512, hs, validClaims()), 401},
		{"wrong key", adminToken(t, jwt.SigningMethodHS256, []byte("another-secret-of-sufficient-length!!"), validClaims()), 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := adminCall(t, s, "GET", "/admin/outbox", c.token, "")
			if code != c.want {
				t.Errorf("GET /admin/outbox = %d %s; want %d", code, body, c.want)
			}
		})
	}
	// The scheme is case-insensitive (RFC 7235); what follows it is not.
	valid := adminToken(t, jwt.SigningMethodHS256, hs, validClaims())
	noExp := adminToken(t, jwt.SigningMethodHS256, hs, with(func(c jwt.MapClaims) { delete(c, "exp") }))
	for _, c := range []struct {
		authorization string
		want          int
	}{
		{"bearer " + valid, 200},
		{"BEARER  " + valid, 200},
		{"Bearer " + valid, 200},
		{"bearer " + noExp, 401},
		{"Basic " + valid, 401},
	} {
		req, err := http.NewRequest("GET", "http://"+s.AdminAddr().String()+"/admin/outbox", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", c.authorization)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET /admin/outbox with Authorization %.12q... = %d; want %d", c.authorization, resp.StatusCode, c.want)
		}
	}
	// Metrics and health need no token.
	if code, _ := adminCall(t, s, "GET", "/healthz", "", ""); code != 200 {
		t.Errorf("/healthz without a token = %d; want 200", code)
	}
}

func TestAdminDisabledWithoutAuth(t *testing.T) {
	s := mustServer(t, "", providerYAML("gh", "github", "s3cret"))
	code, body := adminCall(t, s, "GET", "/admin/outbox", adminToken(t, jwt.SigningMethodHS256, []byte(adminSecret), validClaims()), "")
	if code != 401 || !strings.Contains(body, "admin API disabled") {
		t.Fatalf("admin API without admin.auth = %d %s; want 401 saying it is disabled", code, body)
	}
}

// TestAdminEventBodyNotUTF8: GET /admin/events/{id} gives a body that is
// not UTF-8 (Latin-1 here) byte for byte as body_base64, with no body: a
// JSON string would have replaced its bytes with U+FFFD. A UTF-8 body is
// body, with no body_base64.
func TestAdminEventBodyNotUTF8(t *testing.T) {
	s := mustServer(t, adminAuth, providerYAML("shop", "stripe", "whsec_a"))
	token := adminToken(t, jwt.SigningMethodHS256, []byte(adminSecret), validClaims())
	latin1 := `{"id":"evt_latin1","type":"order.paid","created":1,"data":{"object":{"id":"o1","name":"Jos` + "\xe9" + `"}}}`
	utf8Body := stripeBody("evt_utf8", "order.paid", "o2", 1)
	for _, b := range []string{latin1, utf8Body} {
		if code := postTo(t, s, stripeRequest(t, b, "whsec_a", time.Now())); code != 202 {
			t.Fatalf("post %q: %d; want 202", b, code)
		}
	}
	var got map[string]any
	code, out := adminCall(t, s, "GET", "/admin/events/evt_latin1?provider=shop", token, "")
	if code != 200 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("GET /admin/events/evt_latin1 = %d %s", code, out)
	}
	if _, ok := got["body"]; ok {
		t.Errorf("a Latin-1 body is shown as body: %s; want body_base64 alone", out)
	}
	b64, _ := got["body_base64"].(string)
	if raw, err := base64.StdEncoding.DecodeString(b64); err != nil || string(raw) != latin1 {
		t.Errorf("body_base64 = %q (%q, %v); want the body byte for byte, %q", b64, raw, err, latin1)
	}
	got = nil
	code, out = adminCall(t, s, "GET", "/admin/events/evt_utf8?provider=shop", token, "")
	if code != 200 || json.Unmarshal([]byte(out), &got) != nil || got["body"] != utf8Body {
		t.Fatalf("GET /admin/events/evt_utf8 = %d %s; want the body as body", code, out)
	}
	if _, ok := got["body_base64"]; ok {
		t.Errorf("a UTF-8 body has a body_base64: %s", out)
	}
}

// TestAdminReplay archives an event, replays it through the admin API and
// checks that it arrives again, marked as a replay.
func TestAdminReplay(t *testing.T) {
	s := mustServer(t, adminAuth, providerYAML("shop", "stripe", "whsec_new"))
	token := adminToken(t, jwt.SigningMethodHS256, []byte(adminSecret), validClaims())
	body := stripeBody("evt_r", "order.paid", "o1", 1)
	if code := postTo(t, s, stripeRequest(t, body, "whsec_new", time.Now())); code != 202 {
		t.Fatalf("post: %d", code)
	}
	if code := postTo(t, s, stripeRequest(t, body, "whsec_new", time.Now())); code != 200 {
		t.Fatalf("duplicate post: %d", code)
	}

	code, out := adminCall(t, s, "GET", "/admin/events?provider=shop", token, "")
	var list struct {
		Events []eventJSON `json:"events"`
	}
	if code != 200 || json.Unmarshal([]byte(out), &list) != nil || len(list.Events) != 1 ||
		list.Events[0].EventID != "evt_r" || list.Events[0].Status != "accepted" || list.Events[0].Duplicates != 1 {
		t.Fatalf("GET /admin/events = %d %s; want evt_r accepted with 1 duplicate", code, out)
	}
	code, out = adminCall(t, s, "GET", "/admin/events/evt_r?provider=shop", token, "")
	var one eventJSON
	if code != 200 || json.Unmarshal([]byte(out), &one) != nil || one.Body == nil || *one.Body != body {
		t.Fatalf("GET /admin/events/evt_r = %d %s; want the raw body", code, out)
	}
	if code, _ := adminCall(t, s, "GET", "/admin/events/nope", token, ""); code != 404 {
		t.Errorf("GET unknown event = %d; want 404", code)
	}
	if code, out := adminCall(t, s, "GET", "/admin/events?status=bogus", token, ""); code != 400 || !strings.Contains(out, "accepted, stale or parked") {
		t.Errorf("GET /admin/events?status=bogus = %d %s; want 400 naming the statuses", code, out)
	}
	if code, out := adminCall(t, s, "POST", "/admin/replay", token, `{}`); code != 400 {
		t.Errorf("replay of everything = %d %s; want 400", code, out)
	}

	code, out = adminCall(t, s, "POST", "/admin/replay", token, `{"provider":"shop","id":"evt_r"}`)
	var rep struct {
		ReplayID string `json:"replay_id"`
		Events   int    `json:"events"`
	}
	if code != 200 || json.Unmarshal([]byte(out), &rep) != nil || rep.Events != 1 || rep.ReplayID == "" {
		t.Fatalf("POST /admin/replay = %d %s; want 1 event", code, out)
	}

	nc, err := nats.Connect(s.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(context.Background(), "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	var msgs uint64
	testkit.WaitFor(t, 10*time.Second, func() string {
		return fmt.Sprintf("stream has %d messages; want the original and the replay", msgs)
	}, func() bool {
		info, err := stream.Info(context.Background())
		if err == nil {
			msgs = info.State.Msgs
		}
		return msgs == 2
	})
	m, err := stream.GetMsg(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Hookgate-Replay") != rep.ReplayID || m.Header.Get("Nats-Msg-Id") != "shop:evt_r:replay:"+rep.ReplayID || string(m.Data) != body {
		t.Errorf("replayed message: headers %v, body %s; want marked with replay %s and the same body", m.Header, m.Data, rep.ReplayID)
	}
}

// TestReplayInPages: a replay larger than a page goes in several
// transactions and enqueues every match once; a limit caps the total.
func TestReplayInPages(t *testing.T) {
	defer func(n int) { replayPageSize = n }(replayPageSize)
	replayPageSize = 2
	s := archivedServer(t, 5)
	id, c, err := s.Replay(context.Background(), forward.Query{Provider: "shop"}, "")
	if n := c.Events; err != nil || n != 5 || c.Messages != 5 {
		t.Fatalf("Replay = %d, %v; want all 5 events, in pages of 2", n, err)
	}
	if _, c, err := s.Replay(context.Background(), forward.Query{Provider: "shop", Limit: 3}, ""); err != nil || c.Events != 3 {
		n := c.Events
		t.Fatalf("Replay with limit 3 = %d, %v; want 3", n, err)
	}
	waitPublished(t, s, 5+5+3, "the 5 events, the 5 of replay "+id+" and 3 more")
	if err := s.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.relay.Stats().Published; got != 13 {
		t.Errorf("published %d; want 13: no page enqueued twice", got)
	}
}

// TestReplayCountedPageByPage: a paged replay counts each page on the
// outbox as the page commits. The relay sends a page, and counts it out,
// before the next one is queued; counted once at the end, the pages
// already sent stayed counted (a false 503 outbox_full, a wrong
// /admin/outbox) until the next recount.
func TestReplayCountedPageByPage(t *testing.T) {
	defer func(size int, hook func(context.Context)) { replayPageSize, replayPaged = size, hook }(replayPageSize, replayPaged)
	replayPageSize = 1
	s := archivedServer(t, 4)
	waitPublished(t, s, 4, "the accepted events")
	replayPaged = func(context.Context) {
		testkit.WaitFor(t, 10*time.Second, testkit.Says("the relay did not send the replay's page"), func() bool { return outboxRows(t, s, "") == 0 })
	}
	if _, c, err := s.Replay(context.Background(), forward.Query{Provider: "shop"}, ""); err != nil || c.Events != 4 {
		t.Fatalf("Replay = %+v, %v; want 4 events", c, err)
	}
	waitPublished(t, s, 8, "the events and their replay")
	testkit.WaitFor(t, 5*time.Second, func() string {
		rows, bytes := s.outbox.Load()
		return fmt.Sprintf("outbox counted as %d rows, %d bytes; the table holds %d rows", rows, bytes, outboxRows(t, s, ""))
	}, func() bool {
		rows, bytes := s.outbox.Load()
		return rows == 0 && bytes == 0 && outboxRows(t, s, "") == 0
	})
}

// TestReplaySnapshot: a paged replay replays what was archived when it was
// asked for, not events archived between its pages (a trigger stands in
// for the writer committing a live event after each page's copy).
func TestReplaySnapshot(t *testing.T) {
	defer func(n int) { replayPageSize = n }(replayPageSize)
	replayPageSize = 1
	s := archivedServer(t, 3)
	if _, err := s.db.Write.Exec(`CREATE TRIGGER live AFTER INSERT ON outbox
	  WHEN NEW.msg_id LIKE '%:replay:%' AND (SELECT count(*) FROM archive) < 6
	  BEGIN INSERT INTO archive (provider, event_id, event_type, status, msg_id, subject, header, body, received_at)
	    SELECT provider, event_id||'x', event_type, status, msg_id||'x', subject, header, body, received_at FROM archive ORDER BY id DESC LIMIT 1; END`); err != nil {
		t.Fatal(err)
	}
	c, err := store.Replay(context.Background(), s.db, "R", forward.Query{Provider: "shop"}, "", nil, time.Now(), store.ReplayOptions{PageSize: replayPageSize})
	if n := c.Events; err != nil || n != 3 {
		t.Errorf("replay = %d events, %v; want the 3 archived when it was asked for", n, err)
	}
}

// TestReplayFromAnotherProcess: rows a command-line replay adds behind the
// running gateway's back do not leave its outbox count negative (which
// would lift the outbox bound): the count is read again from the table.
func TestReplayFromAnotherProcess(t *testing.T) {
	s := archivedServer(t, 5)
	if c, err := store.Replay(context.Background(), s.db, "R", forward.Query{Provider: "shop"}, "", nil, time.Now(), store.ReplayOptions{}); err != nil || c.Events != 5 {
		n := c.Events
		t.Fatalf("store.Replay = %d, %v; want 5", n, err)
	}
	s.relay.Notify()
	testkit.WaitFor(t, 10*time.Second, func() string {
		rows, bytes := s.outbox.Load()
		return fmt.Sprintf("after the replay was sent: published %d, outbox counted as %d rows, %d bytes; want 10 and 0, 0",
			s.relay.Stats().Published, rows, bytes)
	}, func() bool {
		rows, bytes := s.outbox.Load()
		return s.relay.Stats().Published == 10 && rows == 0 && bytes == 0
	})
}

// archivedServer starts a gateway with the archive on and a stripe provider
// "shop", and posts n accepted events evt_0... to it.
func archivedServer(t *testing.T, n int) *Server {
	t.Helper()
	s := mustServer(t, "archive: {enabled: true}", providerYAML("shop", "stripe", "whsec_new"))
	for i := range n {
		if code := postTo(t, s, stripeRequest(t, stripeBody(fmt.Sprintf("evt_%d", i), "t", fmt.Sprintf("o%d", i), 1), "whsec_new", time.Now())); code != 202 {
			t.Fatalf("post %d: %d", i, code)
		}
	}
	return s
}
