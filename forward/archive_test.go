package forward_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookgate/hookgate/forward"
)

func archiveRecord(provider, id, status string, at time.Time) forward.Record {
	return forward.Record{
		Provider: provider, EventID: id, EventType: "order.paid", Status: status, ReceivedAt: at,
		Message: forward.Message{
			ID: provider + ":" + id, Subject: "webhooks." + provider + ".order.paid",
			Header: nats.Header{"Hookgate-Event-Id": []string{id}}, Body: []byte(`{"id":"` + id + `"}`),
		},
	}
}

func mustArchive(tb testing.TB, db *sql.DB, rs ...forward.Record) {
	tb.Helper()
	for _, r := range rs {
		if err := forward.Archive(context.Background(), db, r); err != nil {
			tb.Fatal(err)
		}
	}
}

// archivedDB is a migrated database holding one archived event for each
// of evs ("provider:id:status"), the first received at t0 and each next one
// step later.
func archivedDB(tb testing.TB, t0 time.Time, step time.Duration, evs ...string) *sql.DB {
	tb.Helper()
	db := mustDB(tb)
	for i, ev := range evs {
		f := strings.Split(ev, ":")
		mustArchive(tb, db, archiveRecord(f[0], f[1], f[2], t0.Add(time.Duration(i)*step)))
	}
	return db
}

func TestArchiveQuery(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	db := archivedDB(t, t0, time.Minute, "shop:a:accepted", "shop:b:stale", "gh:c:accepted", "shop:d:accepted")
	ctx := context.Background()
	if err := forward.ArchiveDuplicate(ctx, db, "shop:a"); err != nil {
		t.Fatal(err)
	}
	if err := forward.ArchiveDuplicate(ctx, db, "shop:unknown"); err != nil {
		t.Fatalf("ArchiveDuplicate of an unarchived event = %v; want nil", err)
	}
	ids := func(rs []forward.Record) string {
		s := ""
		for _, r := range rs {
			s += r.EventID
		}
		return s
	}
	for _, c := range []struct {
		name string
		q    forward.Query
		want string
	}{
		{"all, newest first", forward.Query{}, "dcba"},
		{"provider", forward.Query{Provider: "shop"}, "dba"},
		{"status", forward.Query{Provider: "shop", Status: "stale"}, "b"},
		{"time range", forward.Query{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, "cb"},
		{"event ID", forward.Query{EventID: "c"}, "c"},
		{"limit", forward.Query{Limit: 2}, "dc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rs, err := forward.Events(ctx, db, c.q, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(rs); got != c.want {
				t.Errorf("Events(%+v) = %s; want %s", c.q, got, c.want)
			}
		})
	}
	// Paging with Before continues where a page ended.
	page, _ := forward.Events(ctx, db, forward.Query{Limit: 2}, false)
	rest, _ := forward.Events(ctx, db, forward.Query{Before: page[len(page)-1].ID}, false)
	if ids(rest) != "ba" {
		t.Errorf("second page = %s; want ba", ids(rest))
	}
	full, err := forward.Events(ctx, db, forward.Query{EventID: "a"}, true)
	if err != nil || len(full) != 1 {
		t.Fatalf("Events(a, bodies) = %v, %v", full, err)
	}
	a := full[0]
	if string(a.Message.Body) != `{"id":"a"}` || a.Message.Header.Get("Hookgate-Event-Id") != "a" || a.Duplicates != 1 || !a.ReceivedAt.Equal(t0) {
		t.Errorf("record a = %+v; want its body, header, 1 duplicate and time", a)
	}
}

// TestArchiveCount counts what a query matches by status, with the times
// of the oldest and newest match, ignoring the limit.
func TestArchiveCount(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	db := archivedDB(t, t0, time.Minute, "shop:a:accepted", "shop:b:stale", "shop:c:stale", "gh:d:accepted")
	for _, c := range []struct {
		name        string
		q           forward.Query
		total       int
		byStatus    string
		first, last time.Time
	}{
		{"all", forward.Query{Limit: 1}, 4, "accepted=2 stale=2", t0, t0.Add(3 * time.Minute)},
		{"provider", forward.Query{Provider: "shop"}, 3, "accepted=1 stale=2", t0, t0.Add(2 * time.Minute)},
		{"time range", forward.Query{Provider: "shop", Since: t0.Add(time.Minute)}, 2, "stale=2", t0.Add(time.Minute), t0.Add(2 * time.Minute)},
		{"nothing", forward.Query{Provider: "none"}, 0, "", time.Time{}, time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := forward.Count(context.Background(), db, c.q)
			if err != nil {
				t.Fatal(err)
			}
			var by []string
			for _, st := range []string{"accepted", "stale"} {
				if n, ok := got.ByStatus[st]; ok {
					by = append(by, fmt.Sprintf("%s=%d", st, n))
				}
			}
			if got.Total != c.total || strings.Join(by, " ") != c.byStatus || !got.First.Equal(c.first) || !got.Last.Equal(c.last) {
				t.Errorf("Count(%+v) = %d %q %v..%v; want %d %q %v..%v", c.q, got.Total, strings.Join(by, " "), got.First, got.Last,
					c.total, c.byStatus, c.first, c.last)
			}
		})
	}
}

func TestReplayEnqueuesMarkedCopies(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	db := archivedDB(t, t0, time.Second, "shop:a:accepted", "shop:b:stale", "shop:c:accepted", "gh:d:accepted")
	ctx := context.Background()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	n, bytes, err := forward.Replay(ctx, tx, forward.Query{Provider: "shop"}, "", "r1", t0.Add(time.Hour))
	if err != nil || n != 2 || bytes != int64(2*len(`{"id":"a"}`)) {
		t.Fatalf("Replay = %d, %d, %v; want the 2 accepted shop events", n, bytes, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT msg_id, subject, header FROM outbox ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id, subj string
		var hdr []byte
		rows.Scan(&id, &subj, &hdr)
		got = append(got, fmt.Sprintf("%s %s %q", id, subj, hdr))
	}
	want := []string{
		`shop:a:replay:r1 webhooks.shop.order.paid "NATS/1.0\r\nHookgate-Event-Id: a\r\nHookgate-Replay: r1\r\n\r\n"`,
		`shop:c:replay:r1 webhooks.shop.order.paid "NATS/1.0\r\nHookgate-Event-Id: c\r\nHookgate-Replay: r1\r\n\r\n"`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("outbox after replay:\n%v\nwant\n%v", got, want)
	}
	// A subject override, and bad input that changes nothing.
	tx, _ = db.Begin()
	defer tx.Rollback()
	if n, _, err := forward.Replay(ctx, tx, forward.Query{Provider: "gh"}, "replays.gh", "r2", t0); err != nil || n != 1 {
		t.Fatalf("Replay with subject = %d, %v", n, err)
	}
	for _, c := range []struct{ subject, id string }{{"bad subject", "r3"}, {"ok", ""}, {"ok", "a b"}} {
		if _, _, err := forward.Replay(ctx, tx, forward.Query{}, c.subject, c.id, t0); !errors.Is(err, forward.ErrInvalidMessage) {
			t.Errorf("Replay(subject %q, id %q) = %v; want ErrInvalidMessage", c.subject, c.id, err)
		}
	}
}

func TestSweepArchive(t *testing.T) {
	db := mustDB(t)
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 7 {
		mustArchive(t, db, archiveRecord("shop", fmt.Sprint(i), "accepted", t0.Add(time.Duration(i)*time.Hour)))
	}
	for _, c := range []struct{ limit, want int64 }{{limit: 3, want: 3}, {limit: 100, want: 2}} {
		res, err := db.ExecContext(context.Background(), forward.SweepArchiveStatement, t0.Add(5*time.Hour).UnixNano(), c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != c.want {
			t.Fatalf("sweep (limit %d) deleted %d; want %d", c.limit, n, c.want)
		}
	}
	rs, _ := forward.Events(context.Background(), db, forward.Query{}, false)
	if len(rs) != 2 || rs[0].EventID != "6" || rs[1].EventID != "5" {
		t.Fatalf("archive after sweeping = %+v; want events 6 and 5", rs)
	}
}

// TestReplayStaleMark: a replay sends a stale event again only when it was
// forwarded, marked with the header Hookgate-Stale: true (ordering.stale
// forward); not one that was dropped, whatever text its header values
// hold, nor one with another header of that value.
func TestReplayStaleMark(t *testing.T) {
	db := mustDB(t)
	t0 := time.Unix(1_700_000_000, 0)
	mark := "Hookgate-Stale: true"
	for i, c := range []struct {
		id, status string
		header     nats.Header
	}{
		{"a", "accepted", nil},
		{"k", "stale", nats.Header{forward.HeaderStale: {"true"}, forward.HeaderCurrentVersion: {"9"}}},
		{"t", "stale", nats.Header{forward.HeaderEventType: {"order.paid " + mark}}},
		{"o", "stale", nats.Header{forward.HeaderOrderingKey: {mark}}},
		{"p", "stale", nats.Header{"X-Note": {"x\t" + mark + " y"}}},
		{"x", "stale", nats.Header{"X-" + forward.HeaderStale: {"true"}}},
	} {
		r := archiveRecord("shop", c.id, c.status, t0.Add(time.Duration(i)*time.Second))
		maps.Copy(r.Message.Header, c.header)
		mustArchive(t, db, r)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := forward.Replay(context.Background(), tx, forward.Query{Provider: "shop"}, "", "r1", t0.Add(time.Hour))
	if err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := outboxEventIDs(t, db); n != 2 || got != "ak" {
		t.Errorf("replayed %d events, %q; want 2, \"ak\" (the accepted one, the stale one forwarded)", n, got)
	}
}

// TestReplayPage replays in pages: each call honours q.Limit, oldest first,
// and reports the last archive ID and whether more events match.
func TestReplayPage(t *testing.T) {
	db := mustDB(t)
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	for i, id := range []string{"a", "b", "s", "c", "d", "e"} {
		status := "accepted"
		if id == "s" {
			status = "stale"
		}
		mustArchive(t, db, archiveRecord("shop", id, status, t0.Add(time.Duration(i)*time.Second)))
	}
	archiveID := map[string]int64{}
	all, err := forward.Events(ctx, db, forward.Query{}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		archiveID[r.EventID] = r.ID
	}
	size := int64(len(`{"id":"a"}`))

	pages := []struct {
		limit int
		want  forward.ReplayResult
		ids   string // event IDs enqueued by this page
	}{
		{2, forward.ReplayResult{Events: 2, Rows: 2, Bytes: 2 * size, Last: archiveID["b"], More: true}, "ab"},
		{2, forward.ReplayResult{Events: 2, Rows: 2, Bytes: 2 * size, Last: archiveID["d"], More: true}, "cd"},
		{1, forward.ReplayResult{Events: 1, Rows: 1, Bytes: size, Last: archiveID["e"], More: false}, "e"}, // exactly the rest
		{2, forward.ReplayResult{}, ""},
	}
	q := forward.Query{Provider: "shop"}
	for i, p := range pages {
		q.Limit = p.limit
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		res, err := forward.ReplayPage(ctx, tx, q, "", "r1", t0.Add(time.Hour))
		if err != nil || res != p.want {
			tx.Rollback()
			t.Fatalf("page %d: ReplayPage(%+v) = %+v, %v; want %+v", i, q, res, err, p.want)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := outboxEventIDs(t, db); got != p.ids {
			t.Errorf("page %d: outbox holds %q; want %q", i, got, p.ids)
		}
		if _, err := db.Exec(`DELETE FROM outbox`); err != nil {
			t.Fatal(err)
		}
		q.After = res.Last
	}

	// Replay, the call the gateway makes, honours the limit too.
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	n, bytes, err := forward.Replay(ctx, tx, forward.Query{Provider: "shop", Limit: 3}, "", "r2", t0)
	if err != nil || n != 3 || bytes != 3*size {
		t.Fatalf("Replay(limit 3) = %d, %d, %v; want 3 events, %d bytes", n, bytes, err, 3*size)
	}
}

// outboxEventIDs returns the Hookgate-Event-Id of every outbox row, in seq
// order, concatenated.
func outboxEventIDs(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT header FROM outbox ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	s := ""
	for rows.Next() {
		var hdr string
		if err := rows.Scan(&hdr); err != nil {
			t.Fatal(err)
		}
		_, rest, _ := strings.Cut(hdr, "Hookgate-Event-Id: ")
		id, _, _ := strings.Cut(rest, "\r\n")
		s += id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReplayBounds checks the default and maximum count per call
// (MaxReplay) and the byte bound (MaxReplayBytes), each reporting More.
func TestReplayBounds(t *testing.T) {
	db := mustDB(t)
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	// MaxReplay+1 small events in one statement (faster than Archive).
	_, err := db.Exec(`INSERT INTO archive (provider, event_id, event_type, status, msg_id, subject, body, received_at)
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < ?)
		SELECT 'many', i, 'order.paid', 'accepted', 'many:' || i, 'webhooks.many.order.paid', '{}', ? FROM n`,
		forward.MaxReplay+1, t0.UnixNano())
	if err != nil {
		t.Fatal(err)
	}
	// One body just under MaxReplayBytes, then two small ones: the second
	// event reaches the bound.
	for i, size := range []int{forward.MaxReplayBytes - 4, 10, 10} {
		r := archiveRecord("big", fmt.Sprint(i), "accepted", t0)
		r.Message.Body = make([]byte, size)
		if err := forward.Archive(ctx, db, r); err != nil {
			t.Fatal(err)
		}
	}
	lastBig := int64(forward.MaxReplay + 1 + 3) // archive IDs start at 1

	tests := []struct {
		name   string
		q      forward.Query
		events int
		more   bool
	}{
		{"default limit", forward.Query{Provider: "many"}, forward.MaxReplay, true},
		{"limit above the maximum", forward.Query{Provider: "many", Limit: forward.MaxReplay + 1}, forward.MaxReplay, true},
		{"byte bound", forward.Query{Provider: "big"}, 2, true},
		{"byte bound, last page", forward.Query{Provider: "big", After: lastBig - 1}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			res, err := forward.ReplayPage(ctx, tx, tt.q, "", "r", t0)
			if err != nil || res.Events != tt.events || res.More != tt.more {
				t.Fatalf("ReplayPage(%+v) = %+v, %v; want %d events, More %v", tt.q, res, err, tt.events, tt.more)
			}
			if d, err := forward.Depth(ctx, tx); err != nil || d.Rows != int64(tt.events) {
				t.Errorf("Depth = %+v, %v; want %d rows", d, err, tt.events)
			}
		})
	}
}
