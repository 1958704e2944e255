package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/webhook"
)

// TestReplayRefused: a replay without a provider, event or start time, and
// one to a subject the stream does not take, are refused before anything
// is queued; one the stream takes is queued with its replay ID, listed and
// cancelled.
func TestReplayRefused(t *testing.T) {
	db := mustOpen(t)
	w := &Writer{DB: db.Write, Outbox: &forward.Counter{}, Archive: true}
	w.Start()
	defer w.Close()
	ev := testEvent("a", "", 0)
	ev.Provider, ev.ID = "p", "a"
	if _, err := w.Decide(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	ctx, now, stream := context.Background(), time.Now(), []string{"webhooks.>"}
	if _, err := Replay(ctx, db, "R0", forward.Query{}, "", stream, now, ReplayOptions{}); !errors.Is(err, ErrInvalidReplay) {
		t.Errorf("Replay of everything = %v; want ErrInvalidReplay", err)
	}
	if _, err := Replay(ctx, db, "R1", forward.Query{EventID: "a"}, "elsewhere.x", stream, now, ReplayOptions{}); !errors.Is(err, ErrInvalidReplay) || !strings.Contains(err.Error(), `"elsewhere.x"`) {
		t.Errorf("Replay to elsewhere.x = %v; want ErrInvalidReplay naming it", err)
	}
	if n := count(t, db, "outbox"); n != 1 {
		t.Fatalf("outbox rows = %d after refused replays; want the 1 accepted event", n)
	}
	c, err := Replay(ctx, db, "R2", forward.Query{EventID: "a"}, "", stream, now, ReplayOptions{})
	if n := c.Events; err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v; want 1 event", n, err)
	}
	rs, err := forward.Replays(ctx, db.Read)
	if err != nil || len(rs) != 1 || rs[0].ID != "R2" || rs[0].Rows != 1 {
		t.Fatalf("forward.Replays = %+v, %v; want R2 with 1 row", rs, err)
	}
	if n, _, err := CancelReplay(ctx, db, "R2"); err != nil || n != 1 {
		t.Errorf("CancelReplay = %d, %v; want 1", n, err)
	}
	if why, err := WhyNoReplay(ctx, db, forward.Query{EventID: "nope"}); err != nil || !strings.Contains(why, "no archived event matches") {
		t.Errorf("WhyNoReplay = %q, %v", why, err)
	}
}

// archiveWithStale opens a database and archives, through a writer, two
// events of one entity: "a" accepted, then "b" stale and forwarded on
// staleSubject (ordering.stale forward).
func archiveWithStale(t *testing.T, staleSubject string) *DB {
	t.Helper()
	db := mustOpen(t)
	w := &Writer{DB: db.Write, Outbox: &forward.Counter{}, Archive: true}
	w.Start()
	defer w.Close()
	for _, c := range []struct {
		id      string
		version int64
		want    webhook.Outcome
	}{{"a", 2, webhook.Accepted}, {"b", 1, webhook.Stale}} {
		ev := testEvent(c.id, "e1", c.version)
		ev.Provider, ev.ID, ev.StaleSubject = "p", c.id, staleSubject
		if o, err := w.Decide(context.Background(), ev); err != nil || o != c.want {
			t.Fatalf("Decide(%s) = %v, %v; want %v", c.id, o, err, c.want)
		}
	}
	return db
}

// TestReplayStaleSubjectRefused: a replay that would send a stale event
// forwarded marked (ordering.stale forward) on a subject the stream does
// not take is refused before anything is queued, naming the subject, as
// for an accepted event's.
func TestReplayStaleSubjectRefused(t *testing.T) {
	db := archiveWithStale(t, "stale.p.t")
	rows := count(t, db, "outbox")
	ctx, stream := context.Background(), []string{"webhooks.>"}
	if _, err := Replay(ctx, db, "R", forward.Query{EventID: "b"}, "", stream, time.Now(), ReplayOptions{}); !errors.Is(err, ErrInvalidReplay) || !strings.Contains(err.Error(), `"stale.p.t"`) {
		t.Errorf("Replay of the stale event = %v; want ErrInvalidReplay naming stale.p.t", err)
	}
	if n := count(t, db, "outbox"); n != rows {
		t.Errorf("outbox rows = %d after the refused replay; want %d", n, rows)
	}
}

// TestReplayKeepsToItsShare: a replay fills at most half of the outbox's
// bounds, the rest staying for live events. With the share full it waits
// for the relay to send rows and then goes on; when nothing is sent it
// stops at its wait, with ErrOutboxFull and the count of what it queued.
// An event larger than the share stops it at once.
func TestReplayKeepsToItsShare(t *testing.T) {
	db := mustOpen(t)
	w := &Writer{DB: db.Write, Outbox: &forward.Counter{}, Archive: true}
	w.Start()
	defer w.Close()
	for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
		ev := testEvent(id, "", 0)
		ev.Provider, ev.ID = "p", id
		if _, err := w.Decide(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	ctx, now := context.Background(), time.Now()
	sent := func() { // the relay, sending the whole outbox
		if _, err := db.Write.Exec(`DELETE FROM outbox`); err != nil {
			t.Error(err)
		}
	}
	sent()

	// Drained while it waits: a stand-in relay sends the share once it is
	// full, and the replay goes on with the rest.
	full := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		<-full
		sent()
		close(drained)
	}()
	most := 0
	var filled sync.Once
	c, err := Replay(ctx, db, "R1", forward.Query{Provider: "p"}, "", nil, now, ReplayOptions{
		OutboxMaxRows: 6,
		Committed: func(c ReplayCount) {
			most = max(most, count(t, db, "outbox"))
			if c.Events >= 3 {
				filled.Do(func() { close(full) })
			}
		},
	})
	<-drained
	if err != nil || c.Events != 6 {
		t.Fatalf("Replay = %+v, %v; want the 6 events, in two halves", c, err)
	}
	if most != 3 {
		t.Errorf("the outbox held at most %d rows during the replay; want 3, half of outbox_max_rows 6", most)
	}

	// Not drained: it stops at its wait, having queued its share.
	sent()
	c, err = Replay(ctx, db, "R2", forward.Query{Provider: "p"}, "", nil, now, ReplayOptions{OutboxMaxRows: 6, Wait: 20 * time.Millisecond})
	if !errors.Is(err, ErrOutboxFull) || c.Events != 3 || !strings.Contains(err.Error(), "the first 3 events were enqueued") {
		t.Errorf("Replay with nothing sent = %+v, %v; want 3 events and ErrOutboxFull saying so", c, err)
	}
	if n := count(t, db, "outbox"); n != 3 {
		t.Errorf("outbox rows = %d; want 3", n)
	}

	// The bytes bound too; an event over the share is refused at once.
	sent()
	size := int64(len(testEvent("a", "", 0).Message.Body))
	c, err = Replay(ctx, db, "R3", forward.Query{Provider: "p"}, "", nil, now, ReplayOptions{OutboxMaxBytes: size, Wait: time.Hour})
	if !errors.Is(err, ErrOutboxFull) || c.Events != 0 || !strings.Contains(err.Error(), "more than a replay may queue at once") {
		t.Errorf("Replay of events over the share = %+v, %v; want ErrOutboxFull at once, nothing queued", c, err)
	}
	if n := count(t, db, "outbox"); n != 0 {
		t.Errorf("outbox rows = %d; want 0", n)
	}
}

// TestReplaySubjectKeepsStaleSubjects: a replay with a subject override
// moves the events' own messages to it, but a stale event forwarded marked
// (ordering.stale forward) keeps its stale subject, as a route's copy
// keeps its route's; and that stale subject is checked against the stream
// too. Moved, older versions reached the override without the stale
// subject consumers tell them by.
func TestReplaySubjectKeepsStaleSubjects(t *testing.T) {
	db := archiveWithStale(t, "webhooks.stale.p.t")
	if _, err := db.Write.Exec(`DELETE FROM outbox`); err != nil {
		t.Fatal(err)
	}
	ctx, now := context.Background(), time.Now()
	if _, err := Replay(ctx, db, "R1", forward.Query{Provider: "p"}, "replays.p", []string{"replays.>"}, now, ReplayOptions{}); !errors.Is(err, ErrInvalidReplay) ||
		!strings.Contains(err.Error(), `the archived events' subject "webhooks.stale.p.t" is outside`) {
		t.Errorf("Replay to replays.p with a stream without the stale subject = %v; want ErrInvalidReplay naming webhooks.stale.p.t", err)
	}
	if n := count(t, db, "outbox"); n != 0 {
		t.Fatalf("outbox rows = %d after the refused replay; want 0", n)
	}
	c, err := Replay(ctx, db, "R2", forward.Query{Provider: "p"}, "replays.p", []string{"replays.>", "webhooks.>"}, now, ReplayOptions{})
	if err != nil || c.Messages != 2 {
		t.Fatalf("Replay to replays.p = %+v, %v; want 2 messages", c, err)
	}
	rows, err := db.Read.Query(`SELECT msg_id, subject FROM outbox ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id, subject string
		if err := rows.Scan(&id, &subject); err != nil {
			t.Fatal(err)
		}
		got = append(got, id+" on "+subject)
	}
	if want := []string{"p:a:replay:R2 on replays.p", "p:b:replay:R2 on webhooks.stale.p.t"}; !slices.Equal(got, want) {
		t.Errorf("replayed rows = %q; want %q", got, want)
	}
}
