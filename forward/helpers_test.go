package forward_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

// openDB opens a temp-file SQLite database the way the gateway does (WAL)
// and applies the embedded migrations in file-name order.
func openDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// mustDB returns a migrated temp-file outbox database.
func mustDB(tb testing.TB) *sql.DB { return testkit.MigratedDB(tb, forward.Migrations) }

// mustServer starts an embedded server on a random port (unless cfg.Port is
// set) storing under cfg.StoreDir (a temp dir if empty).
func mustServer(tb testing.TB, cfg forward.ServerConfig) *server.Server {
	tb.Helper()
	if cfg.StoreDir == "" {
		cfg.StoreDir = tb.TempDir()
	}
	if cfg.Port == 0 {
		cfg.Port = -1
	}
	s, err := forward.StartServer(cfg)
	if err != nil {
		tb.Fatalf("StartServer: %v", err)
	}
	tb.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// mustConn connects to s, reconnecting forever, without a reconnect buffer,
// dialed by a forward.Dialer, with opts added (credentials).
func mustConn(tb testing.TB, url string, opts ...nats.Option) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect(url, append([]nats.Option{
		nats.MaxReconnects(-1),
		nats.ReconnectWait(20 * time.Millisecond),
		nats.ReconnectJitter(0, 0),
		nats.ReconnectBufSize(-1),
		nats.SetCustomDialer(&forward.Dialer{}),
	}, opts...)...)
	if err != nil {
		tb.Fatalf("connect %s: %v", url, err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// mustJetStream returns a JetStream context on nc with the default stream.
func mustJetStream(tb testing.TB, nc *nats.Conn) jetstream.JetStream {
	tb.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	if err := forward.EnsureStream(testCtx(tb), js, forward.StreamConfig{}); err != nil {
		tb.Fatalf("EnsureStream: %v", err)
	}
	return js
}

func mustJSPublisher(tb testing.TB, nc *nats.Conn, timeout time.Duration) *forward.JetStreamPublisher {
	tb.Helper()
	p, err := forward.NewJetStreamPublisher(nc, timeout)
	if err != nil {
		tb.Fatalf("NewJetStreamPublisher: %v", err)
	}
	return p
}

func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// testMessage returns message i: a binary body that is not valid UTF-8 and
// contains CR, LF and NUL, and the usual headers.
func testMessage(i int) forward.Message {
	h := nats.Header{}
	h.Set(forward.HeaderProvider, "shop")
	h.Set(forward.HeaderEventID, fmt.Sprintf("evt_%05d", i))
	h.Set(forward.HeaderEventType, "order.created")
	h.Add("X-Pass-Through", "a")
	h.Add("X-Pass-Through", "b")
	return forward.Message{
		ID:      fmt.Sprintf("shop:evt_%05d", i),
		Subject: forward.Subject("", "shop", "order.created"),
		Header:  h,
		Body:    fmt.Appendf([]byte{0xff, 0x00, '\r', '\n'}, `{"id":"evt_%05d","n":%d}`, i, i),
	}
}

// enqueue inserts msgs in one transaction.
func enqueue(tb testing.TB, db *sql.DB, msgs ...forward.Message) {
	tb.Helper()
	ctx := testCtx(tb)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	for _, m := range msgs {
		if err := forward.Enqueue(ctx, tx, m, time.Now()); err != nil {
			tb.Fatalf("Enqueue(%s) = %v", m.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// queued is a migrated outbox holding messages 0 to n-1, and those messages.
func queued(tb testing.TB, n int) (*sql.DB, []forward.Message) {
	tb.Helper()
	db := mustDB(tb)
	ms := messages(0, n)
	enqueue(tb, db, ms...)
	return db, ms
}

func messages(from, to int) []forward.Message {
	var ms []forward.Message
	for i := from; i < to; i++ {
		ms = append(ms, testMessage(i))
	}
	return ms
}

func depth(tb testing.TB, db *sql.DB) forward.Stats {
	tb.Helper()
	s, err := forward.Depth(context.Background(), db)
	if err != nil {
		tb.Fatalf("Depth = %v", err)
	}
	return s
}

// streamMsgs returns every message stored in the stream, in stream order.
func streamMsgs(tb testing.TB, js jetstream.JetStream) []*jetstream.RawStreamMsg {
	tb.Helper()
	ctx := testCtx(tb)
	s, err := js.Stream(ctx, forward.DefaultStreamName)
	if err != nil {
		tb.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			tb.Fatalf("GetMsg(%d) = %v", seq, err)
		}
		out = append(out, m)
	}
	return out
}

// checkStream asserts that the stream holds exactly want, in order, with
// Nats-Msg-Id, headers and bodies intact.
func checkStream(tb testing.TB, js jetstream.JetStream, want []forward.Message) {
	tb.Helper()
	got := streamMsgs(tb, js)
	if len(got) != len(want) {
		ids := make([]string, len(got))
		for i, m := range got {
			ids[i] = m.Header.Get(forward.HeaderMsgID)
		}
		tb.Fatalf("stream has %d messages; want %d (ids %v)", len(got), len(want), ids)
	}
	for i, g := range got {
		w := want[i]
		if id := g.Header.Get(forward.HeaderMsgID); id != w.ID {
			tb.Fatalf("stream message %d: Nats-Msg-Id = %q; want %q", i, id, w.ID)
		}
		if g.Subject != w.Subject {
			tb.Errorf("stream message %d: subject = %q; want %q", i, g.Subject, w.Subject)
		}
		if string(g.Data) != string(w.Body) {
			tb.Errorf("stream message %d: body = %q; want %q", i, g.Data, w.Body)
		}
		for k, vs := range w.Header {
			if got := g.Header.Values(k); fmt.Sprint(got) != fmt.Sprint(vs) {
				tb.Errorf("stream message %d: header %s = %q; want %q", i, k, got, vs)
			}
		}
	}
}
