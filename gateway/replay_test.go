package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/store"
)

// replayServer is an archiving gateway with the admin API, its relay
// stopped (rows stay in the outbox, to be listed and cancelled), and n
// accepted events of provider shop.
func replayServer(t *testing.T, n int) (*Server, string) {
	t.Helper()
	s := mustServer(t, adminAuth, providerYAML("shop", "stripe", "whsec_new"))
	for i := range n {
		if code := postTo(t, s, stripeRequest(t, stripeBody(fmt.Sprintf("evt_%d", i), "t", fmt.Sprintf("o%d", i), 1), "whsec_new", time.Now())); code != 202 {
			t.Fatalf("post %d: %d", i, code)
		}
	}
	waitPublished(t, s, uint64(n), "the accepted events")
	if err := s.relay.Close(); err != nil {
		t.Fatal(err)
	}
	return s, adminToken(t, jwt.SigningMethodHS256, []byte(adminSecret), validClaims())
}

// outboxRows counts the outbox rows of a replay ("" for every row).
func outboxRows(t *testing.T, s *Server, replay string) int {
	t.Helper()
	var n int
	q, args := `SELECT count(*) FROM outbox`, []any{}
	if replay != "" {
		q, args = q+` WHERE replay = ?`, append(args, replay)
	}
	if err := s.db.Read.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReplayOutsideTheStream: a replay whose subject (the override, or an
// archived event's own) the stream does not take is refused with 400
// naming the subject, and nothing is queued.
func TestReplayOutsideTheStream(t *testing.T) {
	s, token := replayServer(t, 3)
	for _, c := range []struct{ name, body, want string }{
		{"override", `{"provider":"shop","subject":"elsewhere.orders"}`, `the subject \"elsewhere.orders\" is outside the stream's subjects`},
		{"reserved override", `{"provider":"shop","subject":"$JS.API.STREAM.PURGE.WEBHOOKS"}`, "nothing was queued"},
	} {
		code, out := adminCall(t, s, "POST", "/admin/replay", token, c.body)
		if code != 400 || !strings.Contains(out, c.want) {
			t.Errorf("%s: %d %s; want 400 with %q", c.name, code, out, c.want)
		}
	}
	// An archived event whose subject the stream no longer takes.
	if _, err := s.db.Write.Exec(`UPDATE archive SET subject = 'retired.shop.t' WHERE event_id = 'evt_1'`); err != nil {
		t.Fatal(err)
	}
	code, out := adminCall(t, s, "POST", "/admin/replay", token, `{"provider":"shop"}`)
	if code != 400 || !strings.Contains(out, `the archived events' subject \"retired.shop.t\" is outside`) || !strings.Contains(out, "nothing was queued") {
		t.Errorf("archived subject outside the stream: %d %s; want 400 naming it", code, out)
	}
	if n := outboxRows(t, s, ""); n != 0 {
		t.Errorf("%d rows in the outbox after refused replays; want 0", n)
	}
	// The same query without the retired event is fine.
	code, out = adminCall(t, s, "POST", "/admin/replay", token, `{"provider":"shop","id":"evt_2"}`)
	if code != 200 || !strings.Contains(out, `"events":1`) {
		t.Errorf("replay of a covered event: %d %s; want 200 with 1 event", code, out)
	}
}

// TestReplayListAndCancel: a replay with rows waiting is listed, and
// cancelling it removes them; one being queued is stopped between pages,
// and the rows it had queued are removed too.
func TestReplayListAndCancel(t *testing.T) {
	s, token := replayServer(t, 4)
	code, out := adminCall(t, s, "POST", "/admin/replay", token, `{"provider":"shop"}`)
	var r struct {
		ID     string `json:"replay_id"`
		Events int    `json:"events"`
	}
	if code != 200 || json.Unmarshal([]byte(out), &r) != nil || r.Events != 4 {
		t.Fatalf("replay: %d %s", code, out)
	}
	code, out = adminCall(t, s, "GET", "/admin/replays", token, "")
	if code != 200 || !strings.Contains(out, `"replay_id":"`+r.ID+`"`) || !strings.Contains(out, `"rows":4`) {
		t.Fatalf("GET /admin/replays: %d %s; want %s with 4 rows", code, out, r.ID)
	}
	rowsBefore, _ := s.outbox.Load()
	code, out = adminCall(t, s, "DELETE", "/admin/replays/"+r.ID, token, "")
	if code != 200 || !strings.Contains(out, `"rows_removed":4`) {
		t.Fatalf("DELETE: %d %s; want 4 rows removed", code, out)
	}
	if n := outboxRows(t, s, r.ID); n != 0 {
		t.Errorf("%d rows of the cancelled replay left", n)
	}
	if rows, _ := s.outbox.Load(); rows != rowsBefore-4 {
		t.Errorf("outbox count %d after the cancel; want %d", rows, rowsBefore-4)
	}
	if code, out := adminCall(t, s, "GET", "/admin/replays", token, ""); code != 200 || out != "{\"replays\":[]}\n" {
		t.Errorf("GET /admin/replays after the cancel: %d %s; want none", code, out)
	}
	if code, _ := adminCall(t, s, "DELETE", "/admin/replays/"+r.ID, token, ""); code != 404 {
		t.Errorf("DELETE of a cancelled replay: %d; want 404", code)
	}

	// Cancelled while it is being queued, one event a page: held after
	// its first page until cancelled.
	defer func(size int, hook func(context.Context)) { replayPageSize, replayPaged = size, hook }(replayPageSize, replayPaged)
	replayPageSize = 1
	paged := make(chan struct{})
	replayPaged = func(ctx context.Context) {
		select {
		case paged <- struct{}{}:
		default:
		}
		<-ctx.Done()
	}
	type result struct {
		id  string
		err error
	}
	done := make(chan result)
	go func() {
		id, _, err := s.Replay(context.Background(), forward.Query{Provider: "shop"}, "")
		done <- result{id, err}
	}()
	<-paged
	rs, err := s.Replays(context.Background())
	if err != nil || len(rs) != 1 || !rs[0].Queuing || rs[0].Rows != 1 {
		t.Fatalf("Replays while queuing = %+v, %v; want one queuing with its first row", rs, err)
	}
	removed, ok, err := s.CancelReplay(context.Background(), rs[0].ID)
	if err != nil || !ok || removed != 1 {
		t.Errorf("CancelReplay = %d, %v, %v; want 1 row removed", removed, ok, err)
	}
	res := <-done
	if !errors.Is(res.err, store.ErrReplayCancelled) || res.id != rs[0].ID {
		t.Errorf("the cancelled Replay returned %q, %v; want %s, store.ErrReplayCancelled", res.id, res.err, rs[0].ID)
	}
	if n := outboxRows(t, s, res.id); n != 0 {
		t.Errorf("%d rows of the replay cancelled while queuing left", n)
	}
}

// TestReplayLeavesLiveEventsRoom: a replay queues no more than half of
// the outbox's bound, so that live events are still taken while the relay
// has not sent it (stopped here, as NATS down would hold it); the replay
// stops at its wait, saying how much it queued. Queued whole, it filled
// the outbox, and live events got 503 outbox_full.
func TestReplayLeavesLiveEventsRoom(t *testing.T) {
	defer func(d time.Duration) { replayWait = d }(replayWait)
	replayWait = 50 * time.Millisecond
	s := mustServer(t, adminAuth+"storage: {outbox_max_rows: 8}", providerYAML("shop", "stripe", "whsec_new"))
	for i := range 8 {
		if code := postTo(t, s, stripeRequest(t, stripeBody(fmt.Sprintf("evt_%d", i), "t", fmt.Sprintf("o%d", i), 1), "whsec_new", time.Now())); code != 202 {
			t.Fatalf("post %d: %d", i, code)
		}
	}
	waitPublished(t, s, 8, "the accepted events")
	testkit.WaitFor(t, 10*time.Second, testkit.Says("the outbox did not empty"), func() bool { rows, _ := s.outbox.Load(); return rows == 0 })
	if err := s.relay.Close(); err != nil {
		t.Fatal(err)
	}
	_, c, err := s.Replay(context.Background(), forward.Query{Provider: "shop"}, "")
	if !errors.Is(err, store.ErrOutboxFull) || c.Events != 4 || !strings.Contains(err.Error(), "the first 4 events were enqueued") {
		t.Errorf("Replay = %+v, %v; want 4 events queued, half of outbox_max_rows, and ErrOutboxFull saying so", c, err)
	}
	for i := range 4 {
		if code := postTo(t, s, stripeRequest(t, stripeBody(fmt.Sprintf("evt_live%d", i), "t", fmt.Sprintf("l%d", i), 1), "whsec_new", time.Now())); code != 202 {
			t.Errorf("live event %d after the replay: %d; want 202", i, code)
		}
	}
	if n := outboxRows(t, s, ""); n != 8 {
		t.Errorf("outbox rows = %d; want 8: the replay's 4 and 4 live events", n)
	}
}

// TestAdminReplayOutlivesItsRequest: POST /admin/replay answers 202 with
// the replay's ID when the replay is still being queued after a while, and
// the replay goes on to its end (the request's context ends when its
// handler returns), listed by GET /admin/replays with its progress and
// then its outcome. A replay ran inside its request: one that outlived the
// admin listener's write timeout was answered EOF, though queued (a retry
// sent it twice), and a client that went away stopped it halfway. Closing
// the gateway stops a replay being queued.
func TestAdminReplayOutlivesItsRequest(t *testing.T) {
	defer func(size int, hook func(context.Context), wait time.Duration) {
		replayPageSize, replayPaged, replayAnswerWait = size, hook, wait
	}(replayPageSize, replayPaged, replayAnswerWait)
	replayPageSize, replayAnswerWait = 1, 50*time.Millisecond
	s, token := replayServer(t, 4)
	paged, release := make(chan struct{}, 16), make(chan struct{})
	replayPaged = func(ctx context.Context) { // held after its first page
		paged <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
	}
	type answer struct {
		code int
		body string
	}
	answered := make(chan answer, 1)
	go func() {
		code, out := adminCall(t, s, "POST", "/admin/replay", token, `{"provider":"shop"}`)
		answered <- answer{code, out}
	}()
	var a answer
	select {
	case a = <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("POST /admin/replay not answered while its replay is being queued")
	}
	var r struct {
		ID     string `json:"replay_id"`
		Status string `json:"status"`
	}
	if a.code != 202 || json.Unmarshal([]byte(a.body), &r) != nil || r.Status != "queuing" || r.ID == "" {
		t.Fatalf("POST /admin/replay of a replay still being queued: %d %s; want 202, queuing, with its ID", a.code, a.body)
	}
	<-paged
	listed := func() ReplayInfo {
		t.Helper()
		rs, err := s.Replays(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range rs {
			if info.ID == r.ID {
				return info
			}
		}
		return ReplayInfo{}
	}
	if info := listed(); !info.Queuing || info.Events != 1 || info.Rows != 1 {
		t.Errorf("replay %s listed as %+v while held after its first page; want queuing, 1 event, 1 row", r.ID, info)
	}
	close(release)
	var info ReplayInfo
	testkit.WaitFor(t, 10*time.Second, func() string { return fmt.Sprintf("replay %s listed as %+v; want it ended with 4 events", r.ID, info) }, func() bool {
		info = listed()
		return !info.Queuing && info.Events == 4
	})
	if info.Messages != 4 || info.Rows != 4 || info.Error != "" {
		t.Errorf("replay %s ended as %+v; want 4 messages, 4 rows waiting, no error", r.ID, info)
	}
	if code, out := adminCall(t, s, "GET", "/admin/replays", token, ""); code != 200 || !strings.Contains(out, `"replay_id":"`+r.ID+`","queuing":false,"events":4,"messages":4,"rows":4`) {
		t.Errorf("GET /admin/replays: %d %s; want %s ended with 4 events", code, out, r.ID)
	}

	// Closing the gateway stops a replay being queued.
	for len(paged) > 0 {
		<-paged // the ended replay's
	}
	release = make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, _, err := s.Replay(context.Background(), forward.Query{Provider: "shop"}, "")
		done <- err
	}()
	<-paged
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, errShuttingDown) || !strings.Contains(err.Error(), "the first 1 events were enqueued") {
		t.Errorf("replay being queued at Close: %v; want it stopped, saying so", err)
	}
}

// TestAdminBodies: the admin API takes a JSON body with or without
// Content-Type, and says what it wants otherwise.
func TestAdminBodies(t *testing.T) {
	s, token := replayServer(t, 1)
	call := func(contentType, body string) (int, string) {
		req, err := http.NewRequest("POST", "http://"+s.AdminAddr().String()+"/admin/replay", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		return testkit.Do(t, req)
	}
	for _, c := range []struct {
		name, contentType, body string
		want                    int
		says                    string
	}{
		{"JSON", "application/json", `{"provider":"shop"}`, 200, `"events":1`},
		{"no Content-Type", "", `{"provider":"shop"}`, 200, `"events":1`},
		{"curl -d", "application/x-www-form-urlencoded", `{"provider":"shop"}`, 200, `"events":1`},
		{"charset", "application/json; charset=utf-8", `{"provider":"shop"}`, 200, `"events":1`},
		{"another type", "text/plain", `{"provider":"shop"}`, 400, "Content-Type: application/json"},
		{"empty", "", "", 400, "it is empty"},
		{"unknown field", "", `{"provider":"shop","providr":"x"}`, 400, `unknown field \"providr\"`},
		{"two objects", "", `{"provider":"shop"}{}`, 400, "more follows"},
		{"seq without parked", "", `{"provider":"shop","seq":[1]}`, 400, "seq goes with parked"},
	} {
		if code, out := call(c.contentType, c.body); code != c.want || !strings.Contains(out, c.says) {
			t.Errorf("%s: %d %s; want %d saying %q", c.name, code, out, c.want, c.says)
		}
	}
}

// TestAdminParked lists a parked row and sends it again: it leaves the
// parked table and the relay publishes it.
func TestAdminParked(t *testing.T) {
	s := mustServer(t, adminAuth, providerYAML("shop", "stripe", "whsec_new"))
	token := adminToken(t, jwt.SigningMethodHS256, []byte(adminSecret), validClaims())
	if _, err := s.db.Write.Exec(`INSERT INTO outbox_parked (seq, msg_id, subject, header, body, created_at, parked_at, attempts, error)
		VALUES (7, 'shop:evt_parked', 'webhooks.shop.t', NULL, '{}', 1, 2, 10, 'nats: maximum payload exceeded')`); err != nil {
		t.Fatal(err)
	}
	code, out := adminCall(t, s, "GET", "/admin/events?status=parked", token, "")
	if code != 200 || !strings.Contains(out, `"seq":7`) || !strings.Contains(out, `"msg_id":"shop:evt_parked"`) || !strings.Contains(out, "maximum payload") {
		t.Fatalf("GET parked: %d %s", code, out)
	}
	if code, out := adminCall(t, s, "GET", "/admin/outbox", token, ""); code != 200 || !strings.Contains(out, `"parked":1`) {
		t.Errorf("GET /admin/outbox: %d %s; want parked 1", code, out)
	}
	if got := scrape(t, s)["hookgate_outbox_parked"]; got != 1 {
		t.Errorf("hookgate_outbox_parked = %v; want 1", got)
	}
	if code, out := adminCall(t, s, "GET", "/admin/events?status=parked&id=x", token, ""); code != 400 || !strings.Contains(out, "provider and limit only") {
		t.Errorf("parked with an event ID filter: %d %s; want 400", code, out)
	}
	if code, out := adminCall(t, s, "POST", "/admin/replay", token, `{"parked":true,"seq":[8]}`); code != 404 {
		t.Errorf("resend of a seq not parked: %d %s; want 404", code, out)
	}
	if code, out := adminCall(t, s, "POST", "/admin/replay", token, `{"parked":true,"provider":"shop"}`); code != 400 {
		t.Errorf("resend with a query: %d %s; want 400", code, out)
	}
	if code, out := adminCall(t, s, "POST", "/admin/replay", token, `{"parked":true}`); code != 200 || !strings.Contains(out, `"parked_sent_again":1`) {
		t.Fatalf("resend: %d %s", code, out)
	}
	waitPublished(t, s, 1, "the row sent again")
	if code, out := adminCall(t, s, "GET", "/admin/events?status=parked", token, ""); code != 200 || out != "{\"parked\":[]}\n" {
		t.Errorf("GET parked after the resend: %d %s; want none", code, out)
	}
}
