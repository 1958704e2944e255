package consume_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/consume"
	"github.com/hookgate/hookgate/internal/testkit"
)

// within bounds every wait of these tests: generous, for a busy machine
// running them under -race.
const within = 30 * time.Second

// MustNATS starts a NATS server with JetStream on a random port, storing in
// a temp dir; it stops with the test.
func MustNATS(tb testing.TB) *server.Server {
	tb.Helper()
	return mustNATS(tb, 0)
}

// mustNATS is MustNATS with the server's max_payload (0: its default).
func mustNATS(tb testing.TB, maxPayload int32) *server.Server {
	tb.Helper()
	ns, err := startNATS(tb.TempDir(), maxPayload)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns
}

// startNATS starts a NATS server with JetStream storing in dir and the
// given max_payload (0: the default).
func startNATS(dir string, maxPayload int32) (*server.Server, error) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true,
		MaxPayload: maxPayload})
	if err != nil {
		return nil, err
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("NATS not ready")
	}
	return ns, nil
}

// MustJS connects to ns (the connection closes with the test).
func MustJS(tb testing.TB, ns *server.Server) (*nats.Conn, jetstream.JetStream) {
	tb.Helper()
	return testkit.JetStream(tb, ns.ClientURL())
}

// MustStream creates the stream name on subjects.
func MustStream(tb testing.TB, js jetstream.JetStream, name string, subjects ...string) jetstream.Stream {
	tb.Helper()
	st, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: name, Subjects: subjects})
	if err != nil {
		tb.Fatalf("create stream %s: %v", name, err)
	}
	return st
}

// MustStreams creates WEBHOOKS (webhooks.>) and HOOKGATE_DEAD.
func MustStreams(tb testing.TB, js jetstream.JetStream) (events, dead jetstream.Stream) {
	tb.Helper()
	return MustStream(tb, js, "WEBHOOKS", "webhooks.>"), MustStream(tb, js, consume.DeadLetterStream, consume.DeadLetterSubjects)
}

// msg is a message as the gateway publishes it.
type msg struct {
	subject, provider, id, key, version string
	header                              nats.Header // more headers
	body                                string
}

func (m msg) natsMsg() *nats.Msg {
	provider := m.provider
	if provider == "" {
		provider = "stripe"
	}
	h := nats.Header{
		"Nats-Msg-Id":          {provider + ":" + m.id},
		"Hookgate-Provider":    {provider},
		"Hookgate-Event-Id":    {m.id},
		"Hookgate-Event-Type":  {"invoice.paid"},
		"Hookgate-Received-At": {"2025-12-04T12:00:00Z"},
		"Content-Type":         {"application/json"},
	}
	if m.key != "" {
		h.Set("Hookgate-Ordering-Key", m.key)
		h.Set("Hookgate-Ordering-Version", m.version)
	}
	for k, vs := range m.header {
		h[k] = vs
	}
	subject := m.subject
	if subject == "" {
		subject = "webhooks." + provider + ".invoice.paid"
	}
	body := m.body
	if body == "" {
		body = fmt.Sprintf(`{"id":%q}`, m.id)
	}
	return &nats.Msg{Subject: subject, Header: h, Data: []byte(body)}
}

// MustPublish publishes messages in order and returns their sequences.
func MustPublish(tb testing.TB, js jetstream.JetStream, msgs ...*nats.Msg) []uint64 {
	tb.Helper()
	seqs := make([]uint64, len(msgs))
	for i, m := range msgs {
		ack, err := js.PublishMsg(context.Background(), m)
		if err != nil {
			tb.Fatalf("publish %s: %v", m.Subject, err)
		}
		seqs[i] = ack.Sequence
	}
	return seqs
}

// sign sets m's Hookgate-Signature as the gateway does.
func sign(s *bussig.Signer, m *nats.Msg) *nats.Msg {
	m.Header.Set(bussig.Header, s.Sign(m.Header.Get("Nats-Msg-Id"), m.Subject, m.Header, m.Data))
	return m
}

// testKey is a fixed Ed25519 key named name.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// MustSubscribe subscribes with short backoffs unless opts says otherwise,
// a logger into logs (or one whose lines are dropped), and stops the Subscription when the test ends.
func MustSubscribe(tb testing.TB, js jetstream.JetStream, opts consume.Options, h consume.Handler, logs *Logs) *consume.Subscription {
	tb.Helper()
	if opts.Backoff == nil {
		opts.Backoff = []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}
	}
	if logs == nil {
		logs = &Logs{} // kept from the test's output
	}
	opts.Logger = logs.Logger()
	sub, err := consume.Subscribe(context.Background(), js, opts, h)
	if err != nil {
		tb.Fatalf("Subscribe: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		sub.Stop(ctx)
	})
	return sub
}

// Logs collects what a Subscription logs.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Logger returns a logger writing into l, at debug level.
func (l *Logs) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Count returns how many lines hold s.
func (l *Logs) Count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for line := range strings.SplitSeq(l.buf.String(), "\n") {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// consumerInfo returns the consumer's info.
func consumerInfo(tb testing.TB, js jetstream.JetStream, stream, name string) *jetstream.ConsumerInfo {
	tb.Helper()
	c, err := js.Consumer(context.Background(), stream, name)
	if err != nil {
		tb.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return info
}

// WaitSettled waits until the consumer has acknowledged (or terminated)
// every message up to seq, and holds none.
func WaitSettled(tb testing.TB, js jetstream.JetStream, stream, name string, seq uint64) {
	tb.Helper()
	var info *jetstream.ConsumerInfo
	testkit.WaitFor(tb, within, func() string {
		return fmt.Sprintf("consumer %s: ack floor %d (want %d), %d pending acks, %d pending", name, info.AckFloor.Stream, seq, info.NumAckPending, info.NumPending)
	}, func() bool {
		info = consumerInfo(tb, js, stream, name)
		return info.AckFloor.Stream >= seq && info.NumAckPending == 0 && info.NumPending == 0
	})
}

// deadLetters reads every message of the dead-letter stream.
func deadLetters(tb testing.TB, js jetstream.JetStream, n int) []jetstream.Msg {
	tb.Helper()
	var msgs []jetstream.Msg
	st, err := js.Stream(context.Background(), consume.DeadLetterStream)
	if err != nil {
		tb.Fatal(err)
	}
	testkit.WaitFor(tb, within, func() string { return fmt.Sprintf("%d dead letters, want %d", len(msgs), n) }, func() bool {
		info, err := st.Info(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		return info.State.Msgs >= uint64(n)
	})
	c, err := st.OrderedConsumer(context.Background(), jetstream.OrderedConsumerConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	for len(msgs) < n {
		m, err := c.Next(jetstream.FetchMaxWait(within))
		if err != nil {
			tb.Fatalf("dead letter %d: %v", len(msgs), err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// recorder records the events a handler got, safe for concurrent use.
type recorder struct {
	mu     sync.Mutex
	events []*consume.Event
}

func (r *recorder) add(ev *consume.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) all() []*consume.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*consume.Event(nil), r.events...)
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}
