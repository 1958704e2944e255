package forward_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
)

// recordHandler is a slog.Handler that keeps the records.
type recordHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

// errorAttrs returns the attributes of each error-level record, with its
// message under "msg".
func (h *recordHandler) errorAttrs() []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]string
	for _, r := range h.records {
		if r.Level < slog.LevelError {
			continue
		}
		m := map[string]string{"msg": r.Message}
		r.Attrs(func(a slog.Attr) bool {
			m[a.Key] = a.Value.String()
			return true
		})
		out = append(out, m)
	}
	return out
}

// withSize returns m with its body padded (or cut) so that m.Size() is size.
func withSize(tb testing.TB, m forward.Message, size int) forward.Message {
	tb.Helper()
	m.Body = nil
	pad := size - m.Size()
	if pad < 0 {
		tb.Fatalf("message %s has %d bytes without a body; want at most %d", m.ID, m.Size(), size)
	}
	m.Body = bytes.Repeat([]byte("x"), pad)
	if got := m.Size(); got != size {
		tb.Fatalf("Size() = %d after padding; want %d", got, size)
	}
	return m
}

// TestMessageSize checks Size against what nats.go sends: a message of
// exactly the server's max_payload is published, one byte more is refused
// with nats.ErrMaxPayload, with both publishers.
func TestMessageSize(t *testing.T) {
	const limit = 4096
	s := mustServer(t, forward.ServerConfig{MaxPayload: limit})
	nc := mustConn(t, s.ClientURL())
	js := mustJetStream(t, nc)
	publishers := []struct {
		name string
		p    interface {
			forward.Publisher
			MaxPayload() int64
		}
	}{
		{"core", forward.NewCorePublisher(nc, 0)},
		{"jetstream", mustJSPublisher(t, nc, 0)},
	}
	headers := []struct {
		name   string
		header nats.Header
	}{
		{"no header", nil},
		{"gateway headers", testMessage(0).Header},
		{"values trimmed on the wire", nats.Header{"X-Pad": {"  a \t", "\tb", ""}, "X-Empty": {}}},
		{"non-ASCII value", nats.Header{"X-Text": {"créée 日本"}}},
		{"Nats-Msg-Id replaced by the ID", nats.Header{forward.HeaderMsgID: {"a much longer ID that is not sent"}}},
	}
	var stored []forward.Message
	for _, pub := range publishers {
		if got := pub.p.MaxPayload(); got != limit {
			t.Fatalf("%s: MaxPayload() = %d; want %d", pub.name, got, limit)
		}
		for i, h := range headers {
			t.Run(pub.name+"/"+h.name, func(t *testing.T) {
				base := forward.Message{ID: fmt.Sprintf("shop:size-%s-%d", pub.name, i), Subject: "webhooks.shop.size", Header: h.header}
				fits := withSize(t, base, limit)
				res, err := pub.p.Publish(t.Context(), []forward.Message{fits}, 1)
				if err != nil || res.Acked != 1 {
					t.Fatalf("Publish(Size() = max_payload) = %+v, %v; want it published", res, err)
				}
				// The stream stores core publishes too. Headers are left out:
				// values arrive trimmed and Nats-Msg-Id is the ID.
				stored = append(stored, forward.Message{ID: fits.ID, Subject: fits.Subject, Body: fits.Body})
				over := withSize(t, base, limit+1)
				res, err = pub.p.Publish(t.Context(), []forward.Message{over}, 1)
				if !errors.Is(err, nats.ErrMaxPayload) || res.Acked != 0 {
					t.Fatalf("Publish(Size() = max_payload+1) = %+v, %v; want nats.ErrMaxPayload", res, err)
				}
			})
		}
	}
	checkStream(t, js, stored)
}

// TestRelayParksRefusedRows: rows the server refuses (larger than its
// max_payload, a subject no stream covers, as a lookup then confirms) are
// retried ParkAfter times, then parked and logged once each, with a
// bounded line; the rows after them reach the stream in order, with either
// publisher. Sent again once the cause is fixed, a parked row is
// published.
func TestRelayParksRefusedRows(t *testing.T) {
	for _, name := range []string{"jetstream", "core"} {
		t.Run(name, func(t *testing.T) { testRelayParks(t, name) })
	}
}

func testRelayParks(t *testing.T, publisher string) {
	const limit = 4096
	s := mustServer(t, forward.ServerConfig{MaxPayload: limit})
	nc := mustConn(t, s.ClientURL())
	js := mustJetStream(t, nc)
	var pub forward.Publisher = mustJSPublisher(t, nc, 0)
	if publisher == "core" {
		pub = forward.NewCorePublisher(nc, 0)
	}
	db := mustDB(t)
	uncovered := testMessage(4)
	uncovered.Subject = "elsewhere.orders"
	msgs := []forward.Message{
		testMessage(0),
		withSize(t, testMessage(1), limit+1),
		withSize(t, testMessage(2), limit+100),
		testMessage(3),
		uncovered,
		testMessage(5),
	}
	enqueue(t, db, msgs...)
	logs := &recordHandler{}
	var counter forward.Counter
	counter.Add(int64(len(msgs)), 0)
	for _, m := range msgs {
		counter.Add(0, int64(len(m.Body)))
	}
	r := &forward.Relay{
		DB:         db,
		Publish:    pub,
		Logger:     slog.New(logs),
		MinBackoff: time.Millisecond,
		MaxBackoff: 2 * time.Millisecond,
		ParkAfter:  3,
		Counter:    &counter,
	}
	defer r.Close()
	if err := r.Flush(testCtx(t)); err != nil {
		t.Fatalf("Flush = %v; want the outbox emptied, refused rows parked", err)
	}
	// Core NATS has no stream to refuse a subject: there the uncovered
	// row is published (to no one) and only the oversized ones park.
	parked := []forward.Message{msgs[1], msgs[2], uncovered}
	stored := []forward.Message{msgs[0], msgs[3], msgs[5]}
	if publisher == "core" {
		parked = parked[:2]
	} else {
		checkStream(t, js, stored)
	}
	if st := r.Stats(); st.Parked != uint64(len(parked)) || st.Published != uint64(len(msgs)-len(parked)) {
		t.Errorf("Stats = %+v; want %d parked, %d published", st, len(parked), len(msgs)-len(parked))
	}
	if rows, bytes := counter.Load(); rows != 0 || bytes != 0 {
		t.Errorf("Counter after the flush = %d rows, %d bytes; want 0, 0: every row left the outbox (published or parked)", rows, bytes)
	}
	rows, err := forward.ParkedRows(testCtx(t), db, forward.ParkedQuery{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(parked) {
		t.Fatalf("%d parked rows; want %d", len(rows), len(parked))
	}
	for i, p := range rows {
		want := parked[i]
		if p.Message.ID != want.ID || string(p.Message.Body) != string(want.Body) || p.Attempts != 3 || p.Error == "" || len(p.Error) > 600 {
			t.Errorf("parked row %d = %s, %d attempts, error %q; want %s after 3 attempts with its (bounded) error", i, p.Message.ID, p.Attempts, p.Error, want.ID)
		}
	}
	if !strings.Contains(rows[0].Error, nats.ErrMaxPayload.Error()) {
		t.Errorf("parked error %q; want it to name %v", rows[0].Error, nats.ErrMaxPayload)
	}
	// No stream answered the uncovered row, and the lookup made then
	// found that none covers its subject.
	if want := `no stream covers "elsewhere.orders"`; publisher == "jetstream" && !strings.Contains(rows[2].Error, want) {
		t.Errorf("parked error %q; want it to say %s", rows[2].Error, want)
	}
	recs := logs.errorAttrs()
	if len(recs) != len(parked) {
		t.Fatalf("%d error records %v; want one per parked row", len(recs), recs)
	}
	for i, g := range recs {
		m := parked[i]
		if g["msg_id"] != m.ID || g["size"] != fmt.Sprint(m.Size()) || !strings.Contains(g["msg"], "hookgate replay -parked") {
			t.Errorf("error record %d = %v; want msg_id %s, size %d and how to send it again", i, g, m.ID, m.Size())
		}
		if i < 2 && g["max_payload"] != fmt.Sprint(limit) {
			t.Errorf("error record %d = %v; want max_payload %d", i, g, limit)
		}
	}
	if n, b, err := forward.ParkedCount(testCtx(t), db); err != nil || n != int64(len(parked)) || b == 0 {
		t.Errorf("ParkedCount = %d, %d, %v; want %d rows", n, b, err, len(parked))
	}
	for _, c := range []struct {
		q    forward.ParkedQuery
		want int
	}{
		{forward.ParkedQuery{Provider: "shop"}, len(parked)},
		{forward.ParkedQuery{Provider: "sho"}, 0},
		{forward.ParkedQuery{After: rows[0].Seq}, len(parked) - 1},
		{forward.ParkedQuery{Limit: 1}, 1},
	} {
		if got, err := forward.ParkedRows(testCtx(t), db, c.q, false); err != nil || len(got) != c.want {
			t.Errorf("ParkedRows(%+v) = %d rows, %v; want %d", c.q, len(got), err, c.want)
		}
	}
	if publisher == "core" {
		return
	}

	// The cause fixed (a stream now covers the subject), the parked row is
	// sent again and stored, after the rows that went on without it.
	if _, err := js.CreateStream(testCtx(t), jetstream.StreamConfig{Name: "ELSEWHERE", Subjects: []string{"elsewhere.>"}}); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := forward.Unpark(testCtx(t), tx, []int64{rows[2].Seq}, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("Unpark = %d, %v; want 1", n, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(testCtx(t)); err != nil {
		t.Fatalf("Flush after Unpark = %v", err)
	}
	if rest, _, _ := forward.ParkedCount(testCtx(t), db); rest != 2 {
		t.Errorf("%d rows parked after sending one again; want 2", rest)
	}
	st, err := js.Stream(testCtx(t), "ELSEWHERE")
	if err != nil {
		t.Fatal(err)
	}
	if m, err := st.GetLastMsgForSubject(testCtx(t), "elsewhere.orders"); err != nil || m.Header.Get(forward.HeaderMsgID) != uncovered.ID {
		t.Errorf("the row sent again: %v, %v; want %s stored", m, err, uncovered.ID)
	}
}

// TestRefused sorts publish errors into refusals, which park a row in the
// end, and failures that pass, which never do. No stream answering is a
// refusal that the relay confirms first (NoStreamAnswered; see
// TestRelayNoStreamCountsOnlyWhenNoneCovers).
func TestRefused(t *testing.T) {
	for _, err := range []error{jetstream.ErrNoStreamResponse, fmt.Errorf("forward: publish %q: %w", "x", nats.ErrNoResponders)} {
		if !forward.NoStreamAnswered(err) {
			t.Errorf("NoStreamAnswered(%v) = false; want true", err)
		}
	}
	if err := jetstream.ErrAsyncPublishTimeout; forward.NoStreamAnswered(err) {
		t.Errorf("NoStreamAnswered(%v) = true; want false", err)
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{fmt.Errorf("forward: publish %q: %w", "x", nats.ErrMaxPayload), true},
		{jetstream.ErrNoStreamResponse, true},
		{nats.ErrNoResponders, true},
		{&jetstream.APIError{Code: 400, ErrorCode: 10054, Description: "message size exceeds maximum allowed"}, true},
		{&jetstream.APIError{Code: 400, ErrorCode: 10097, Description: "header size exceeds maximum allowed"}, true},
		{&jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}, false},
		{&jetstream.APIError{Code: 503, ErrorCode: 10077, Description: "maximum messages exceeded"}, false},
		{jetstream.ErrAsyncPublishTimeout, false},
		{forward.ErrReconnected, false},
		{nats.ErrConnectionClosed, false},
		{context.DeadlineExceeded, false},
	} {
		if got := forward.Refused(c.err); got != c.want {
			t.Errorf("Refused(%v) = %v; want %v", c.err, got, c.want)
		}
	}
}
