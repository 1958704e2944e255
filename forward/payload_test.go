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

	"hookgate/forward"
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

// TestRelayLogsOversized checks that a row larger than the server's
// max_payload is retried, holds back the rows after it, and is logged at
// error level once (not at every retry), naming its ID, size and the limit,
// with either publisher.
func TestRelayLogsOversized(t *testing.T) {
	for _, name := range []string{"jetstream", "core"} {
		t.Run(name, func(t *testing.T) { testRelayLogsOversized(t, name) })
	}
}

func testRelayLogsOversized(t *testing.T, publisher string) {
	const limit = 4096
	s := mustServer(t, forward.ServerConfig{MaxPayload: limit})
	nc := mustConn(t, s.ClientURL())
	js := mustJetStream(t, nc)
	var pub forward.Publisher = mustJSPublisher(t, nc, 0)
	if publisher == "core" {
		pub = forward.NewCorePublisher(nc, 0)
	}
	db := mustDB(t)
	msgs := []forward.Message{
		testMessage(0),
		withSize(t, testMessage(1), limit+1),
		withSize(t, testMessage(2), limit+100),
		testMessage(3),
	}
	enqueue(t, db, msgs...)
	logs := &recordHandler{}
	r := &forward.Relay{
		DB:         db,
		Publish:    pub,
		Logger:     slog.New(logs),
		MinBackoff: time.Millisecond,
		MaxBackoff: 2 * time.Millisecond,
	}
	defer r.Close()
	flush := func(d time.Duration) error {
		ctx, cancel := context.WithTimeout(t.Context(), d)
		defer cancel()
		return r.Flush(ctx)
	}
	removeRow := func(id string) {
		if _, err := db.Exec(`DELETE FROM outbox WHERE msg_id = ?`, id); err != nil {
			t.Fatal(err)
		}
	}
	checkLogs := func(want ...forward.Message) {
		t.Helper()
		got := logs.errorAttrs()
		if len(got) != len(want) {
			t.Fatalf("%d error records %v; want %d", len(got), got, len(want))
		}
		for i, m := range want {
			g := got[i]
			if g["msg_id"] != m.ID || g["size"] != fmt.Sprint(m.Size()) || g["max_payload"] != fmt.Sprint(limit) ||
				!strings.Contains(g["msg"], "raise max_payload on the NATS server") {
				t.Errorf("error record %d = %v; want msg_id %s, size %d, max_payload %d and the advice to raise max_payload",
					i, g, m.ID, m.Size(), limit)
			}
		}
	}

	// The first oversized row blocks the outbox: retried, logged once.
	err := flush(300 * time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), nats.ErrMaxPayload.Error()) {
		t.Fatalf("Flush = %v; want a deadline naming %v", err, nats.ErrMaxPayload)
	}
	if st := r.Stats(); st.Failures < 3 || st.Published != 1 {
		t.Fatalf("Stats = %+v; want 1 published and several failed rounds", st)
	}
	if d := depth(t, db); d.Rows != 3 {
		t.Fatalf("outbox has %d rows; want 3 (nothing dropped)", d.Rows)
	}
	checkLogs(msgs[1])

	// An operator removes it: the next head row is oversized too, and
	// logged once more.
	removeRow(msgs[1].ID)
	failures := r.Stats().Failures
	if err := flush(300 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Flush = %v; want a deadline", err)
	}
	if st := r.Stats(); st.Failures < failures+3 {
		t.Fatalf("Stats = %+v; want several more failed rounds", st)
	}
	checkLogs(msgs[1], msgs[2])

	removeRow(msgs[2].ID)
	if err := flush(5 * time.Second); err != nil {
		t.Fatalf("last Flush = %v", err)
	}
	checkLogs(msgs[1], msgs[2])
	checkStream(t, js, []forward.Message{msgs[0], msgs[3]})
}
