package forward_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookgate/hookgate/forward"
)

var timeZero time.Time

// discardExec is an Execer that writes nothing.
type discardExec struct{}

func (discardExec) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	return nil, nil
}

func TestEnqueueDepth(t *testing.T) {
	db := mustDB(t)
	ctx := t.Context()

	if s := depth(t, db); s != (forward.Stats{}) {
		t.Fatalf("Depth(empty) = %+v; want zero", s)
	}

	t0 := time.Unix(1_700_000_000, 123)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	bodies := [][]byte{[]byte("abc"), nil, []byte("\x00\xff")}
	for i, b := range bodies {
		m := forward.Message{ID: "p:" + string(rune('a'+i)), Subject: "webhooks.p.t", Body: b}
		if err := forward.Enqueue(ctx, tx, m, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatalf("Enqueue(%s) = %v", m.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	s := depth(t, db)
	want := forward.Stats{Rows: 3, Bytes: 5, Oldest: t0}
	if s.Rows != want.Rows || s.Bytes != want.Bytes || !s.Oldest.Equal(want.Oldest) {
		t.Errorf("Depth = %+v; want %+v", s, want)
	}
	if age := s.Age(t0.Add(time.Minute)); age != time.Minute {
		t.Errorf("Age = %v; want 1m", age)
	}
	first := forward.Message{ID: "p:a", Body: bodies[0]} // the largest of the three, no headers
	if s.Largest != int64(first.Size()) {
		t.Errorf("Depth.Largest = %d; want %d, the Size of the largest row without headers", s.Largest, first.Size())
	}

	// A rolled-back transaction leaves nothing behind.
	tx, err = db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := forward.Enqueue(ctx, tx, testMessage(1), t0); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if s := depth(t, db); s.Rows != 3 {
		t.Errorf("Depth after rollback: %d rows; want 3", s.Rows)
	}

	// The header is stored as a NATS header block, the body byte for byte.
	var hdr, body []byte
	enqueue(t, db, testMessage(7))
	err = db.QueryRowContext(ctx, `SELECT header, body FROM outbox ORDER BY seq DESC LIMIT 1`).Scan(&hdr, &body)
	if err != nil {
		t.Fatal(err)
	}
	m := testMessage(7)
	if string(body) != string(m.Body) {
		t.Errorf("stored body = %q; want %q", body, m.Body)
	}
	if !strings.HasPrefix(string(hdr), "NATS/1.0\r\n") || !strings.Contains(string(hdr), "X-Pass-Through: a\r\nX-Pass-Through: b\r\n") {
		t.Errorf("stored header = %q; want a header block with both X-Pass-Through values", hdr)
	}
	// Largest is the largest row's wire size: testMessage(7) with headers.
	if got := depth(t, db).Largest; got != int64(m.Size()) {
		t.Errorf("Depth.Largest = %d; want the largest row's Size %d", got, m.Size())
	}
}

func TestEnqueueInvalid(t *testing.T) {
	valid := forward.Message{ID: "p:1", Subject: "webhooks.p.t", Body: []byte("{}")}
	tests := []struct {
		name    string
		mutate  func(*forward.Message)
		problem string
	}{
		{"no id", func(m *forward.Message) { m.ID = "" }, "no ID"},
		{"id with newline", func(m *forward.Message) { m.ID = "p:1\r\nX: y" }, "line break"},
		{"empty subject", func(m *forward.Message) { m.Subject = "" }, "empty subject"},
		{"empty token", func(m *forward.Message) { m.Subject = "webhooks..t" }, "empty token"},
		{"trailing dot", func(m *forward.Message) { m.Subject = "webhooks.t." }, "empty token"},
		{"wildcard", func(m *forward.Message) { m.Subject = "webhooks.*" }, "wildcard"},
		{"full wildcard", func(m *forward.Message) { m.Subject = "webhooks.>" }, "wildcard"},
		{"space", func(m *forward.Message) { m.Subject = "webhooks.a b" }, "invalid character"},
		{"too long", func(m *forward.Message) { m.Subject = strings.Repeat("a", 1025) }, "longer than"},
		{"JetStream API subject", func(m *forward.Message) { m.Subject = "$JS.API.STREAM.PURGE.WEBHOOKS" }, "reserved"},
		{"system subject", func(m *forward.Message) { m.Subject = "$SYS.REQ.SERVER.PING" }, "reserved"},
		{"first token $", func(m *forward.Message) { m.Subject = "$" }, "reserved"},
		{"inbox", func(m *forward.Message) { m.Subject = "_INBOX.abc" }, "reserved"},
		{"inbox alone", func(m *forward.Message) { m.Subject = "_INBOX" }, "reserved"},
		{"reserved header", func(m *forward.Message) { m.Header = nats.Header{"Nats-Msg-Id": {"x"}} }, "reserved"},
		{"reserved header lower case", func(m *forward.Message) { m.Header = nats.Header{"nats-rollup": {"all"}} }, "reserved"},
		{"header name with colon", func(m *forward.Message) { m.Header = nats.Header{"A:b": {"x"}} }, "invalid character"},
		{"header value with CRLF", func(m *forward.Message) { m.Header = nats.Header{"X-A": {"1\r\nNats-Rollup: all"}} }, "line break"},
	}
	db := mustDB(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid
			tt.mutate(&m)
			err := forward.Enqueue(t.Context(), db, m, time.Now())
			if !errors.Is(err, forward.ErrInvalidMessage) || !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("Enqueue(%+v) = %v; want ErrInvalidMessage naming %q", m, err, tt.problem)
			}
		})
	}
	if s := depth(t, db); s.Rows != 0 {
		t.Errorf("Depth after invalid messages: %d rows; want 0", s.Rows)
	}
}

// TestHeaderEncoding round-trips headers through the stored form, and still
// reads rows that earlier versions stored as JSON.
func TestHeaderEncoding(t *testing.T) {
	db := mustDB(t)
	ctx := context.Background()
	h := nats.Header{"A": {"1", "two words", ""}, "B-C": {"x: y"}}
	if err := forward.Enqueue(ctx, db, forward.Message{ID: "p:1", Subject: "s.t", Header: h, Body: []byte("{}")}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO outbox (msg_id, subject, header, body, created_at) VALUES ('p:2', 's.t', '{"Old":["json"]}', '{}', 1)`); err != nil {
		t.Fatal(err)
	}
	p := &capturePublisher{}
	r := &forward.Relay{DB: db, Publish: p}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if len(p.msgs) != 2 {
		t.Fatalf("published %d messages; want 2", len(p.msgs))
	}
	if got := p.msgs[0].Header; fmt.Sprint(got) != fmt.Sprint(h) {
		t.Errorf("header after the round trip = %v; want %v", got, h)
	}
	if got := p.msgs[1].Header.Get("Old"); got != "json" {
		t.Errorf("header of a JSON row = %q; want json", got)
	}
}

// capturePublisher acknowledges everything and keeps copies.
type capturePublisher struct{ msgs []forward.Message }

func (c *capturePublisher) Publish(_ context.Context, msgs []forward.Message, _ int) (forward.Result, error) {
	c.msgs = append(c.msgs, msgs...)
	return forward.Result{Acked: len(msgs)}, nil
}

// TestCounterResyncs: a Counter that drifted below zero (rows added by
// another process and then published) is set from the table again by the
// relay.
func TestCounterResyncs(t *testing.T) {
	db := mustDB(t)
	s := mustServer(t, forward.ServerConfig{})
	nc := mustConn(t, s.ClientURL())
	mustJetStream(t, nc)
	var c forward.Counter
	enqueue(t, db, messages(0, 3)...) // "another process": not counted
	r := &forward.Relay{DB: db, Publish: mustJSPublisher(t, nc, 0), Counter: &c}
	defer r.Close()
	enqueue(t, db, messages(3, 4)...)
	c.Add(1, int64(len(testMessage(3).Body)))
	if err := r.Flush(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if rows, bytes := c.Load(); rows != 0 || bytes != 0 {
		t.Errorf("Counter = %d rows, %d bytes after the outbox emptied; want 0, 0 (resynced)", rows, bytes)
	}
	enqueue(t, db, messages(4, 6)...)
	if err := c.Resync(testCtx(t), db); err != nil {
		t.Fatal(err)
	}
	if rows, _ := c.Load(); rows != 2 {
		t.Errorf("Resync = %d rows; want the 2 in the table", rows)
	}
}

// heldQuerier reads the outbox's depth from an older snapshot (conn, in a
// read transaction begun before), once released: a Resync that read the
// table before a commit and stores its count after.
type heldQuerier struct {
	conn             *sql.Conn
	entered, release chan struct{}
}

func (q heldQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	close(q.entered)
	<-q.release
	return q.conn.QueryRowContext(ctx, query, args...)
}

// TestCounterAddCommitWithResync: a page counted with AddCommit is not
// lost to a Resync that read the table before the page's commit and
// stores its count after: the Resync waits for the commit, or the commit
// for the Resync.
func TestCounterAddCommitWithResync(t *testing.T) {
	db := mustDB(t)
	ctx := testCtx(t)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), `ROLLBACK`)
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err != nil || n != 0 { // the snapshot
		t.Fatalf("outbox: %d rows, %v", n, err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var bytes int64
	for _, m := range messages(0, 2) {
		if err := forward.Enqueue(ctx, tx, m, time.Now()); err != nil {
			t.Fatal(err)
		}
		bytes += int64(len(m.Body))
	}

	var c forward.Counter
	q := heldQuerier{conn: conn, entered: make(chan struct{}), release: make(chan struct{})}
	resynced := make(chan error, 1)
	go func() { resynced <- c.Resync(ctx, q) }()
	<-q.entered
	committed := make(chan error, 1)
	go func() { committed <- c.AddCommit(2, bytes, tx.Commit) }()
	select { // Without the lock the commit ends at once, before the Resync stores.
	case <-committed:
		committed <- nil
	case <-time.After(time.Second):
	}
	close(q.release)
	if err := <-resynced; err != nil {
		t.Fatal(err)
	}
	if err := <-committed; err != nil {
		t.Fatal(err)
	}
	if rows, b := c.Load(); rows != 2 || b != bytes {
		t.Errorf("Counter = %d rows, %d bytes; want the page's 2 rows, %d bytes", rows, b, bytes)
	}
}
